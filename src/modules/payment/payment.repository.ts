// The only file that touches the payment tables.
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { PaymentTables } from './payment.tables.ts';

export type PrnRow = Selectable<PaymentTables['payment_reference']>;
export type PaymentRow = Selectable<PaymentTables['payment']>;
type Q = Kysely<DB> | Tx;

/** Locks the PRN for the rest of the transaction: confirmations of one PRN are counted one at a time. */
export function lockPrn(tx: Tx, prn: string): Promise<PrnRow | undefined> {
  return tx.selectFrom('payment_reference').selectAll().where('prn', '=', prn).forUpdate().executeTakeFirst();
}

export function findPrn(q: Q, prn: string): Promise<PrnRow | undefined> {
  return q.selectFrom('payment_reference').selectAll().where('prn', '=', prn).executeTakeFirst();
}

export function lockPayablePrns(tx: Tx, declarationId: string): Promise<PrnRow[]> {
  return tx
    .selectFrom('payment_reference')
    .selectAll()
    .where('declaration_id', '=', declarationId)
    .where('status', 'in', ['open', 'partly_paid'])
    .forUpdate()
    .execute();
}

export function prnsOfDeclaration(q: Q, declarationId: string): Promise<PrnRow[]> {
  return q.selectFrom('payment_reference').selectAll().where('declaration_id', '=', declarationId).orderBy('created_at').orderBy('prn').execute();
}

export async function insertPrn(tx: Tx, row: Omit<PrnRow, 'currency' | 'created_at' | 'slip'> & { slip: unknown; created_at: Date }): Promise<void> {
  await tx
    .insertInto('payment_reference')
    .values({ ...row, slip: JSON.stringify(row.slip) })
    .execute();
}

/** Money taken on a PRN whose status does not change (status changes go through transition()). */
export async function setPaidTotal(tx: Tx, prn: string, paidTotal: string): Promise<void> {
  await tx.updateTable('payment_reference').set({ paid_total: paidTotal }).where('prn', '=', prn).execute();
}

/** An expired PRN still stands for the debt until a new one replaces it: the new one's number marks it. */
export async function supersedeExpiredPrns(tx: Tx, declarationId: string, prn: string): Promise<void> {
  await tx
    .updateTable('payment_reference')
    .set({ superseded_by: prn })
    .where('declaration_id', '=', declarationId)
    .where('status', '=', 'expired')
    .where('superseded_by', 'is', null)
    .execute();
}

export function findPayment(q: Q, bankOrgId: string, bankReference: string): Promise<PaymentRow | undefined> {
  return q.selectFrom('payment').selectAll().where('bank_org_id', '=', bankOrgId).where('bank_reference', '=', bankReference).executeTakeFirst();
}

/** Inserts unless the bank already sent this reference (false then: the caller compares the two). */
export async function insertPayment(tx: Tx, row: PaymentRow): Promise<boolean> {
  const inserted = await tx
    .insertInto('payment')
    .values(row)
    .onConflict((oc) => oc.columns(['bank_org_id', 'bank_reference']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export function paymentsOf(q: Q, prn: string): Promise<PaymentRow[]> {
  return q.selectFrom('payment').selectAll().where('prn', '=', prn).orderBy('received_at').orderBy('id').execute();
}
