// The only file that touches the vehicle module's tables.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { VehicleTables } from './vehicle.tables.ts';

export type CrspRow = Selectable<VehicleTables['crsp_entry']>;
export type NewCrspRow = Omit<CrspRow, 'id'>;
type Q = Kysely<DB> | Tx;

/** What the public lookup may ask: make (required) and model match from their start, without case. */
export interface CrspSearch {
  make: string;
  model?: string;
  fuel?: string;
  engineCc?: number;
}

const inForce = (date: string) => sql<boolean>`valid_from <= ${date} and (valid_to is null or valid_to >= ${date})`;

export function vehicleRepository(db: Q) {
  return {
    /** Rows of a make and model in force on the date, compared without case. */
    crspInForce(make: string, model: string, date: string): Promise<CrspRow[]> {
      return db
        .selectFrom('crsp_entry')
        .selectAll()
        .where(sql<boolean>`lower(make) = ${make.toLowerCase()} and lower(model) = ${model.toLowerCase()}`)
        .where(inForce(date))
        .orderBy('engine_cc')
        .orderBy('id')
        .execute();
    },

    /** The lookup route: rows in force whose make (and model) start with what was asked. */
    searchCrsp(query: CrspSearch, date: string, limit: number): Promise<CrspRow[]> {
      let q = db
        .selectFrom('crsp_entry')
        .selectAll()
        .where(inForce(date))
        .where(sql<boolean>`lower(make) like ${`${escapeLike(query.make.toLowerCase())}%`} escape '\\'`);
      if (query.model !== undefined) {
        q = q.where(sql<boolean>`lower(model) like ${`${escapeLike(query.model.toLowerCase())}%`} escape '\\'`);
      }
      if (query.fuel !== undefined) {
        q = q.where('fuel', '=', query.fuel);
      }
      if (query.engineCc !== undefined) {
        q = q.where('engine_cc', '=', query.engineCc);
      }
      return q.orderBy('make').orderBy('model').orderBy('engine_cc').orderBy('id').limit(limit).execute();
    },

    async isEmpty(): Promise<boolean> {
      return (await db.selectFrom('crsp_entry').select('id').limit(1).executeTakeFirst()) === undefined;
    },
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export const vehicleWrites = {
  async lockCrsp(tx: Tx): Promise<void> {
    await sql`lock table crsp_entry in share row exclusive mode`.execute(tx);
  },
  existingCrsp(tx: Tx, makes: string[]): Promise<CrspRow[]> {
    if (makes.length === 0) {
      return Promise.resolve([]);
    }
    return tx.selectFrom('crsp_entry').selectAll().where(sql<boolean>`lower(make) in (${sql.join(makes)})`).execute();
  },
  async recordImport(tx: Tx, entry: { file_name: string; checksum: string; rows_loaded: number; rows_unchanged: number; imported_by: string }): Promise<number> {
    const row = await tx.insertInto('data_import').values({ kind: 'crsp', ...entry, note: null }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  },
  async closeCrsp(tx: Tx, id: string, validTo: string): Promise<void> {
    await tx.updateTable('crsp_entry').set({ valid_to: validTo }).where('id', '=', id).execute();
  },
  async insertCrsp(tx: Tx, rows: NewCrspRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await tx.insertInto('crsp_entry').values(rows.slice(i, i + 500)).execute();
    }
  },
};
