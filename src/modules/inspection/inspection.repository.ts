// The only file that touches the verification tables.
import { sql, type Insertable, type Kysely, type Updateable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { literal } from '#platform/db/prepared.ts';
import type { DutyRow, InspectionTables, TaskRow, TaskStatus } from './inspection.tables.ts';
import { liveTaskStatuses, workingStatuses } from './inspection.state.ts';

type Q = Kysely<DB>;
/** What a change may set beside its status, which only transition() moves. */
export type TaskPatch = Omit<Updateable<InspectionTables['verification_task']>, 'id' | 'version' | 'updated_at' | 'status'>;

export interface TaskFilter {
  officeCode?: string;
  status?: TaskStatus;
  assignedOfficerId?: string;
  after?: { createdAt: Date; id: string };
  limit: number;
}

export const inspectionRepository = {
  async insertTask(tx: Tx, row: Insertable<InspectionTables['verification_task']>): Promise<TaskRow> {
    return tx.insertInto('verification_task').values(row).returningAll().executeTakeFirstOrThrow();
  },

  /** Applies a change that keeps the status and moves the version on; the caller holds the row lock. */
  async updateTask(tx: Tx, id: string, patch: TaskPatch, now: Date): Promise<TaskRow> {
    return tx
      .updateTable('verification_task')
      .set({ ...patch, updated_at: now, version: sql<number>`version + 1` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** A task's change moves its version on (status changes go through transition() with it). */
  nextVersion: sql<number>`version + 1`,

  findTask(q: Q, id: string, options: { forUpdate?: boolean } = {}): Promise<TaskRow | undefined> {
    const query = q.selectFrom('verification_task').selectAll().where('id', '=', id);
    return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  /** The declaration's task not yet closed, if any. */
  liveTaskOf(q: Q, declarationId: string, options: { forUpdate?: boolean } = {}): Promise<TaskRow | undefined> {
    const query = q.selectFrom('verification_task').selectAll().where('declaration_id', '=', declarationId).where('status', 'in', liveTaskStatuses);
    return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  /** The declaration's live task, else its most recent one. */
  latestTaskOf(q: Q, declarationId: string): Promise<TaskRow | undefined> {
    return q
      .selectFrom('verification_task')
      .selectAll()
      .where('declaration_id', '=', declarationId)
      .orderBy(sql`case when status = 'closed' then 1 else 0 end`)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  /** A task whose difference was demanded as this PRN, locked. */
  taskAwaitingPayment(tx: Tx, declarationId: string): Promise<TaskRow | undefined> {
    return tx.selectFrom('verification_task').selectAll().where('declaration_id', '=', declarationId).where('status', '=', 'awaiting_payment').forUpdate().executeTakeFirst();
  },

  /** Tasks waiting for an officer at an office, oldest first, locked. */
  waitingTasks(tx: Tx, officeCode: string): Promise<TaskRow[]> {
    // A literal status, so that verification_task_waiting serves it (see literal).
    return tx.selectFrom('verification_task').selectAll().where('office_code', '=', officeCode).where('status', '=', literal('open')).orderBy('created_at').orderBy('id').forUpdate().execute();
  },

  /** Tasks an officer still has to record findings on, locked. */
  workingTasksOf(tx: Tx, officerId: string): Promise<TaskRow[]> {
    return tx.selectFrom('verification_task').selectAll().where('assigned_officer_id', '=', officerId).where('status', 'in', workingStatuses).orderBy('created_at').orderBy('id').forUpdate().execute();
  },

  listTasks(q: Q, filter: TaskFilter): Promise<TaskRow[]> {
    let query = q.selectFrom('verification_task').selectAll();
    if (filter.officeCode !== undefined) {
      query = query.where('office_code', '=', filter.officeCode);
    }
    if (filter.status !== undefined) {
      query = query.where('status', '=', filter.status);
    }
    if (filter.assignedOfficerId !== undefined) {
      query = query.where('assigned_officer_id', '=', filter.assignedOfficerId);
    }
    if (filter.after) {
      const { createdAt, id } = filter.after;
      query = query.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  },

  /**
   * Officers on duty at an office with how many tasks await their findings. The duty rows are
   * locked: allocations at one office are drawn one after the other, each seeing the last.
   */
  async onDutyWithLoad(tx: Tx, officeCode: string): Promise<{ officerId: string; officerName: string; load: number }[]> {
    const duty = await tx.selectFrom('officer_duty').select(['user_id', 'officer_name']).where('office_code', '=', officeCode).where('on_duty', '=', true).orderBy('user_id').forUpdate().execute();
    if (duty.length === 0) {
      return [];
    }
    const loads = await tx
      .selectFrom('verification_task')
      .select(['assigned_officer_id', sql<string>`count(*)`.as('n')])
      .where(
        'assigned_officer_id',
        'in',
        duty.map((d) => d.user_id),
      )
      .where('status', 'in', workingStatuses)
      .groupBy('assigned_officer_id')
      .execute();
    const loadOf = new Map(loads.map((l) => [l.assigned_officer_id, Number(l.n)]));
    return duty.map((d) => ({ officerId: d.user_id, officerName: d.officer_name, load: loadOf.get(d.user_id) ?? 0 }));
  },

  /** Locks the duty rows of officers on duty at these offices, and the officer's own, in one order. */
  async lockDuty(tx: Tx, officeCodes: string[], userId: string): Promise<void> {
    await tx
      .selectFrom('officer_duty')
      .select('user_id')
      .where((eb) => eb.or([eb.and([eb('office_code', 'in', officeCodes), eb('on_duty', '=', true)]), eb('user_id', '=', userId)]))
      .orderBy('user_id')
      .forUpdate()
      .execute();
  },

  findDuty(q: Q, userId: string, options: { forUpdate?: boolean } = {}): Promise<DutyRow | undefined> {
    const query = q.selectFrom('officer_duty').selectAll().where('user_id', '=', userId);
    return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  async upsertDuty(tx: Tx, row: DutyRow): Promise<DutyRow> {
    return tx
      .insertInto('officer_duty')
      .values(row)
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ officer_name: row.officer_name, office_code: row.office_code, on_duty: row.on_duty, since: row.since, updated_by: row.updated_by }))
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  dutyAt(q: Q, officeCode: string | undefined): Promise<DutyRow[]> {
    let query = q.selectFrom('officer_duty').selectAll().where('on_duty', '=', true);
    if (officeCode !== undefined) {
      query = query.where('office_code', '=', officeCode);
    }
    return query.orderBy('office_code').orderBy('officer_name').execute();
  },

  /** Load of officers (tasks awaiting their findings), for the duty roster. */
  async loadsOf(q: Q, officerIds: string[]): Promise<Map<string, number>> {
    if (officerIds.length === 0) {
      return new Map();
    }
    const rows = await q
      .selectFrom('verification_task')
      .select(['assigned_officer_id', sql<string>`count(*)`.as('n')])
      .where('assigned_officer_id', 'in', officerIds)
      .where('status', 'in', workingStatuses)
      .groupBy('assigned_officer_id')
      .execute();
    return new Map(rows.map((r) => [r.assigned_officer_id ?? '', Number(r.n)]));
  },
};
