// The only file that reads and writes maintenance notices.
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { literal } from '#platform/db/prepared.ts';
import type { MaintenanceTables } from './maintenance.tables.ts';

export type NoticeRow = Selectable<MaintenanceTables['maintenance_notice']>;
type Q = Kysely<DB> | Tx;

export const maintenanceRepository = {
  async insert(tx: Tx, row: Omit<NoticeRow, 'version' | 'created_at' | 'updated_at' | 'withdrawn_reason'>): Promise<NoticeRow> {
    return tx.insertInto('maintenance_notice').values(row).returningAll().executeTakeFirstOrThrow();
  },
  async find(q: Q, id: string): Promise<NoticeRow | undefined> {
    return q.selectFrom('maintenance_notice').selectAll().where('id', '=', id).executeTakeFirst();
  },
  /** Announced notices not yet over at `now`, soonest first. */
  async currentAndUpcoming(q: Q, now: Date, limit = 100): Promise<NoticeRow[]> {
    // A literal status, so that maintenance_notice_upcoming serves it (see literal).
    return q.selectFrom('maintenance_notice').selectAll().where('status', '=', literal('announced')).where('ends_at', '>', now).orderBy('starts_at').orderBy('id').limit(limit).execute();
  },
};
