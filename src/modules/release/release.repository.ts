// The only file that touches the release tables.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { ReleaseTables, TerminalMessageKind } from './release.tables.ts';

export type ReleaseOrderRow = Selectable<ReleaseTables['release_order']>;
export type GateOutRow = Selectable<ReleaseTables['gate_out']>;
export type TerminalMessageRow = Selectable<ReleaseTables['terminal_message']>;
type Q = Kysely<DB> | Tx;

/** Inserts the order unless the declaration already has one (false then). */
export async function insertReleaseOrder(tx: Tx, row: ReleaseOrderRow): Promise<boolean> {
  const inserted = await tx
    .insertInto('release_order')
    .values(row)
    .onConflict((oc) => oc.column('declaration_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export function orderOfDeclaration(q: Q, declarationId: string): Promise<ReleaseOrderRow | undefined> {
  return q.selectFrom('release_order').selectAll().where('declaration_id', '=', declarationId).executeTakeFirst();
}

export function findOrder(q: Q, number: string): Promise<ReleaseOrderRow | undefined> {
  return q.selectFrom('release_order').selectAll().where('number', '=', number).executeTakeFirst();
}

/** Locks the order: gate-outs of one order are handled one at a time. */
export function lockOrder(tx: Tx, number: string): Promise<ReleaseOrderRow | undefined> {
  return tx.selectFrom('release_order').selectAll().where('number', '=', number).forUpdate().executeTakeFirst();
}

export async function insertGateOut(tx: Tx, row: GateOutRow): Promise<void> {
  await tx.insertInto('gate_out').values(row).execute();
}

export function gateOutOf(q: Q, releaseOrderId: string): Promise<GateOutRow | undefined> {
  return q.selectFrom('gate_out').selectAll().where('release_order_id', '=', releaseOrderId).executeTakeFirst();
}

/** Posts a message to the terminal's inbox once per order and kind; false when it was already there. */
export async function postMessage(q: Q, message: { releaseOrderNumber: string; kind: TerminalMessageKind; payload: unknown }): Promise<boolean> {
  const inserted = await q
    .insertInto('terminal_message')
    .values({ release_order_number: message.releaseOrderNumber, kind: message.kind, payload: JSON.stringify(message.payload) })
    .onConflict((oc) => oc.columns(['release_order_number', 'kind']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Unacknowledged messages of orders at these offices after the cursor, plus any never delivered: a
 * message whose transaction committed after a later one was already pulled still reaches the terminal.
 */
export async function pendingMessages(tx: Tx, offices: readonly string[], after: string | undefined, limit: number): Promise<TerminalMessageRow[]> {
  if (offices.length === 0) {
    return [];
  }
  let query = tx
    .selectFrom('terminal_message')
    .selectAll()
    .where('acknowledged_at', 'is', null)
    .where('release_order_number', 'in', tx.selectFrom('release_order').select('number').where('office_code', 'in', [...offices]));
  if (after !== undefined) {
    query = query.where((eb) => eb.or([eb('id', '>', after), eb('delivered_at', 'is', null)]));
  }
  return query.orderBy(sql`id`).limit(limit).forUpdate().execute();
}

export async function markDelivered(tx: Tx, ids: string[], at: Date): Promise<void> {
  if (ids.length > 0) {
    await tx.updateTable('terminal_message').set({ delivered_at: at }).where('id', 'in', ids).where('delivered_at', 'is', null).execute();
  }
}

export function lockMessage(tx: Tx, id: string): Promise<TerminalMessageRow | undefined> {
  return tx.selectFrom('terminal_message').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function acknowledge(tx: Tx, id: string, at: Date): Promise<void> {
  await tx
    .updateTable('terminal_message')
    .set((eb) => ({ acknowledged_at: at, delivered_at: eb.fn.coalesce('delivered_at', eb.val(at)) }))
    .where('id', '=', id)
    .execute();
}

export function messagesOf(q: Q, number: string): Promise<TerminalMessageRow[]> {
  return q.selectFrom('terminal_message').selectAll().where('release_order_number', '=', number).orderBy(sql`id`).execute();
}

/** Packages and mass released from a document and not yet out of the gate (the gate-out writes them off the manifest). */
export async function releasedNotExited(q: Q, transportDocumentId: string): Promise<{ packages: number; grossMassKg: string }> {
  const row = await q
    .selectFrom('release_order')
    .select([sql<string>`coalesce(sum(packages), 0)::text`.as('packages'), sql<string>`coalesce(sum(gross_mass_kg), 0)::text`.as('mass')])
    .where('transport_document_id', '=', transportDocumentId)
    .where('status', '=', 'released')
    .executeTakeFirstOrThrow();
  return { packages: Number(row.packages), grossMassKg: row.mass };
}
