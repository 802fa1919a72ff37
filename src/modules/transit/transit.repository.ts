// The only code that talks SQL for transit: guarantees and their ledger, movements, seals,
// tracking events and alerts, and the time limits and thresholds in force.
import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { literal } from '#platform/db/prepared.ts';
import { inForceOn } from '#platform/db/in-force.ts';
import type { MovementStatus, ThresholdKind, TransitKind, TransitTables } from './transit.tables.ts';

export type Q = Kysely<DB> | Tx;
export type GuaranteeRow = Selectable<TransitTables['guarantee']>;
export type EntryRow = Selectable<TransitTables['guarantee_entry']>;
export type MovementRow = Selectable<TransitTables['transit_movement']>;
export type EventRow = Selectable<TransitTables['transit_event']>;
export type AlertRow = Selectable<TransitTables['transit_alert']>;
export type TimeLimitRow = Selectable<TransitTables['transit_time_limit']>;

export const transitRepository = {
  async officeKinds(q: Q): Promise<Map<string, { kind: string; country: string; name: string }>> {
    const rows = await q.selectFrom('customs_office').select(['code', 'kind', 'country', 'name']).execute();
    return new Map(rows.map((r) => [r.code, { kind: r.kind, country: r.country, name: r.name }]));
  },

  async organisation(q: Q, by: { id?: string; code?: string }) {
    let query = q.selectFrom('organisation').select(['id', 'code', 'kind', 'name', 'licence_number', 'licence_valid_from', 'licence_valid_to']);
    if (by.id !== undefined) {
      query = query.where('id', '=', by.id);
    }
    if (by.code !== undefined) {
      query = query.where('code', '=', by.code);
    }
    return query.executeTakeFirst();
  },

  async organisationNames(q: Q, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) {
      return new Map();
    }
    const rows = await q.selectFrom('organisation').select(['id', 'name']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  },

  timeLimit(q: Q, kind: TransitKind, date: string): Promise<TimeLimitRow | undefined> {
    return q.selectFrom('transit_time_limit').selectAll().where('kind', '=', kind).where(inForceOn(date)).orderBy('valid_from', 'desc').executeTakeFirst();
  },

  async thresholds(q: Q, date: string): Promise<Map<ThresholdKind, string>> {
    const rows = await q.selectFrom('transit_alert_threshold').selectAll().where(inForceOn(date)).orderBy('valid_from', 'asc').execute();
    return new Map(rows.map((r) => [r.kind, r.value]));
  },

  // Guarantees
  async insertGuarantee(tx: Tx, row: Insertable<TransitTables['guarantee']>): Promise<void> {
    await tx.insertInto('guarantee').values(row).execute();
  },

  guarantee(q: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<GuaranteeRow | undefined> {
    const query = q.selectFrom('guarantee').selectAll().where('id', '=', id);
    return (opts.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  guaranteeByReference(q: Q, reference: string): Promise<GuaranteeRow | undefined> {
    return q.selectFrom('guarantee').selectAll().where('reference', '=', reference).executeTakeFirst();
  },

  guarantees(q: Q, holderOrgId: string | undefined, limit: number): Promise<GuaranteeRow[]> {
    let query = q.selectFrom('guarantee').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(limit);
    if (holderOrgId !== undefined) {
      query = query.where('holder_org_id', '=', holderOrgId);
    }
    return query.execute();
  },

  /**
   * Takes `amount` off the balance only if the balance covers it, in one statement: of two
   * movements racing for the last of a guarantee, the second finds the balance already reduced
   * (PostgreSQL re-checks the WHERE on the row the first one committed) and gets no row.
   */
  async debit(tx: Tx, id: string, amount: string): Promise<string | undefined> {
    const row = await tx
      .updateTable('guarantee')
      .set({ balance: sql<string>`balance - ${amount}::numeric` })
      .where('id', '=', id)
      .where('balance', '>=', sql<string>`${amount}::numeric`)
      .returning('balance')
      .executeTakeFirst();
    return row?.balance;
  },

  /** Adds to the balance (and to the face amount for a top-up); returns the new balance. */
  async credit(tx: Tx, id: string, amount: string, opts: { alsoAmount?: boolean } = {}): Promise<string> {
    const row = await tx
      .updateTable('guarantee')
      .set(opts.alsoAmount ? { balance: sql<string>`balance + ${amount}::numeric`, amount: sql<string>`amount + ${amount}::numeric` } : { balance: sql<string>`balance + ${amount}::numeric` })
      .where('id', '=', id)
      .returning('balance')
      .executeTakeFirstOrThrow();
    return row.balance;
  },

  /** The guarantor pays what was called: the face amount falls by it, the balance (already reduced) stays. */
  async reduceAmount(tx: Tx, id: string, amount: string): Promise<string> {
    const row = await tx
      .updateTable('guarantee')
      .set({ amount: sql<string>`amount - ${amount}::numeric` })
      .where('id', '=', id)
      .returning('balance')
      .executeTakeFirstOrThrow();
    return row.balance;
  },

  async insertEntry(tx: Tx, row: Insertable<TransitTables['guarantee_entry']>): Promise<void> {
    await tx.insertInto('guarantee_entry').values(row).execute();
  },

  entries(q: Q, guaranteeId: string): Promise<EntryRow[]> {
    return q.selectFrom('guarantee_entry').selectAll().where('guarantee_id', '=', guaranteeId).orderBy('id').execute();
  },

  async ledgerSum(q: Q, guaranteeId: string): Promise<string> {
    const row = await q
      .selectFrom('guarantee_entry')
      .select(sql<string>`coalesce(sum(effect), 0)::numeric(18, 2)::text`.as('sum'))
      .where('guarantee_id', '=', guaranteeId)
      .executeTakeFirstOrThrow();
    return row.sum;
  },

  async movementReferences(q: Q, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) {
      return new Map();
    }
    const rows = await q.selectFrom('transit_movement').select(['id', 'reference']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.reference]));
  },

  // Movements
  async insertMovement(tx: Tx, row: Insertable<TransitTables['transit_movement']>): Promise<void> {
    await tx.insertInto('transit_movement').values(row).execute();
  },

  movement(q: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<MovementRow | undefined> {
    const query = q.selectFrom('transit_movement').selectAll().where('id', '=', id);
    return (opts.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  movementByReference(q: Q, reference: string): Promise<MovementRow | undefined> {
    return q.selectFrom('transit_movement').selectAll().where('reference', '=', reference).executeTakeFirst();
  },

  movements(q: Q, filter: { agentOrgId?: string; status?: MovementStatus; before?: Date; limit: number }): Promise<MovementRow[]> {
    let query = q.selectFrom('transit_movement').selectAll().orderBy('lodged_at', 'desc').orderBy('id').limit(filter.limit);
    if (filter.agentOrgId !== undefined) {
      query = query.where('agent_org_id', '=', filter.agentOrgId);
    }
    if (filter.status !== undefined) {
      query = query.where('status', '=', filter.status);
    }
    if (filter.before !== undefined) {
      query = query.where('lodged_at', '<', filter.before);
    }
    return query.execute();
  },

  /** Packages and mass of a B/L already claimed by live movements (other than `except`). */
  async claimed(q: Q, documentId: string, except: string | null, statuses: readonly MovementStatus[]): Promise<{ packages: number; mass: string }> {
    let query = q
      .selectFrom('transit_movement')
      .select([sql<string>`coalesce(sum(packages), 0)::text`.as('packages'), sql<string>`coalesce(sum(gross_mass_kg), 0)::text`.as('mass')])
      .where('transport_document_id', '=', documentId)
      .where('status', 'in', [...statuses]);
    if (except !== null) {
      query = query.where('id', '<>', except);
    }
    const row = await query.executeTakeFirstOrThrow();
    return { packages: Number(row.packages), mass: row.mass };
  },

  async updateMovement(tx: Tx, id: string, set: Updateable<TransitTables['transit_movement']>): Promise<void> {
    await tx.updateTable('transit_movement').set(set).where('id', '=', id).execute();
  },

  /** Countries the live regional movements (IM8) of a B/L are bound for. */
  async destinationsOfDocument(q: Q, documentId: string, statuses: readonly MovementStatus[]): Promise<string[]> {
    const rows = await q.selectFrom('transit_movement').select('destination_country').distinct().where('transport_document_id', '=', documentId).where('kind', '=', 'IM8').where('status', 'in', [...statuses]).execute();
    return rows.map((r) => r.destination_country);
  },

  /** Departed movements past their deadline (the sweep flags them overdue). */
  async pastDeadline(q: Q, now: Date, limit: number): Promise<{ id: string }[]> {
    // A literal status, so that transit_movement_live serves it (see literal).
    return q.selectFrom('transit_movement').select('id').where('status', '=', literal('departed')).where('deadline', '<', now).orderBy('deadline').limit(limit).execute();
  },

  // Seals
  /** Affixes the seals; false when one of them is on another live movement already. */
  async affixSeals(tx: Tx, movementId: string, seals: string[]): Promise<string | undefined> {
    const taken = await tx.selectFrom('transit_seal').select('seal_id').where('seal_id', 'in', seals).where('active', '=', true).executeTakeFirst();
    if (taken) {
      return taken.seal_id;
    }
    await tx
      .insertInto('transit_seal')
      .values(seals.map((s) => ({ seal_id: s, movement_id: movementId, active: true })))
      .onConflict((oc) => oc.columns(['movement_id', 'seal_id']).doUpdateSet({ active: true }))
      .execute();
    return undefined;
  },

  async releaseSeals(tx: Tx, movementId: string): Promise<void> {
    await tx.updateTable('transit_seal').set({ active: false }).where('movement_id', '=', movementId).where('active', '=', true).execute();
  },

  async movementOfSeal(q: Q, sealId: string): Promise<MovementRow | undefined> {
    return q
      .selectFrom('transit_seal')
      .innerJoin('transit_movement', 'transit_movement.id', 'transit_seal.movement_id')
      .selectAll('transit_movement')
      .where('transit_seal.seal_id', '=', sealId)
      .where('transit_seal.active', '=', true)
      .executeTakeFirst();
  },

  // Tracking events and alerts
  eventOf(q: Q, operatorOrgId: string, operatorEventId: string): Promise<EventRow | undefined> {
    return q.selectFrom('transit_event').selectAll().where('operator_org_id', '=', operatorOrgId).where('operator_event_id', '=', operatorEventId).executeTakeFirst();
  },

  /** Inserts the event unless the operator sent this event id already (false then). */
  async insertEvent(tx: Tx, row: Insertable<TransitTables['transit_event']>): Promise<boolean> {
    const added = await tx
      .insertInto('transit_event')
      .values(row)
      .onConflict((oc) => oc.columns(['operator_org_id', 'operator_event_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return added !== undefined;
  },

  events(q: Q, movementId: string, limit: number): Promise<EventRow[]> {
    return q.selectFrom('transit_event').selectAll().where('movement_id', '=', movementId).orderBy('at', 'desc').orderBy('id').limit(limit).execute();
  },

  async insertAlert(tx: Tx, row: Insertable<TransitTables['transit_alert']>): Promise<void> {
    await tx.insertInto('transit_alert').values(row).execute();
  },

  alert(q: Q, id: string): Promise<AlertRow | undefined> {
    return q.selectFrom('transit_alert').selectAll().where('id', '=', id).executeTakeFirst();
  },

  alertOfEvent(q: Q, eventId: string): Promise<AlertRow | undefined> {
    return q.selectFrom('transit_alert').selectAll().where('event_id', '=', eventId).executeTakeFirst();
  },

  alerts(q: Q, filter: { status?: 'open' | 'acknowledged'; movementId?: string; limit: number }) {
    let query = q
      .selectFrom('transit_alert')
      .innerJoin('transit_movement', 'transit_movement.id', 'transit_alert.movement_id')
      .selectAll('transit_alert')
      .select(['transit_movement.reference as movement_reference', 'transit_movement.office_of_departure', 'transit_movement.office_of_exit', 'transit_movement.office_of_destination'])
      .orderBy('transit_alert.raised_at', 'desc')
      .orderBy('transit_alert.id')
      .limit(filter.limit);
    if (filter.status !== undefined) {
      query = query.where('transit_alert.status', '=', filter.status);
    }
    if (filter.movementId !== undefined) {
      query = query.where('transit_alert.movement_id', '=', filter.movementId);
    }
    return query.execute();
  },
};
