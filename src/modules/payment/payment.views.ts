// What each audience may see of a PRN and of a payment receipt, decided once, here. Every payment
// route answers through these lists: a field added to the full views below reaches nobody until
// someone adds it to an audience (the tests list each audience's keys, so that decision is made
// on purpose).
//
// - bank: what it needs to take money for a PRN and to reconcile its own confirmation; never
//   whose declaration it is.
// - trade (the declarant's and the importer's organisations): their PRN in full, its e-slip and
//   the payments made on it, without the banks' internal ids or their reconciliation figures.
// - customs: everything.
import { pick, type Audience } from '#platform/http/audience.ts';
import { Dec, fixed } from '#platform/money.ts';
import type { PrnRow } from './payment.repository.ts';
import type { PaymentReceipt } from './payment.service.ts';
import { readSlip, type PaymentSlip } from './payment.slip.ts';
import type { PrnStatus } from './payment.tables.ts';

/** The audiences that read this record at all (platform/http/audience.ts); the others never do. */
export type PaymentAudience = Extract<Audience, 'bank' | 'trade' | 'customs'>;

/** Everything there is to say about a PRN; only the audiences' lists below decide what is said. */
export interface PrnFullView {
  prn: string;
  declarationId: string;
  declarationReference: string;
  declarantOrgId: string;
  importerOrgId: string;
  currency: 'KES';
  amount: string;
  paidTotal: string;
  carriedOver: string;
  /** What is still to pay on it now (0 once paid, cancelled or expired). */
  amountDue: string;
  status: PrnStatus;
  validUntil: string;
  createdAt: string;
  cancelledAt: string | null;
  cancelReason: string | null;
  supersededBy: string | null;
  slip: PaymentSlip | null;
  payments: PaymentReceipt[];
}

/** The declaration's parties and customs read a PRN alike; their payments differ (receiptFields). */
const prnInFull = [
  'prn',
  'declarationId',
  'declarationReference',
  'declarantOrgId',
  'importerOrgId',
  'currency',
  'amount',
  'paidTotal',
  'carriedOver',
  'amountDue',
  'status',
  'validUntil',
  'createdAt',
  'cancelledAt',
  'cancelReason',
  'supersededBy',
  'slip',
  'payments',
] as const;

export const prnFields = {
  bank: ['prn', 'currency', 'amountDue', 'status', 'validUntil'],
  trade: prnInFull,
  customs: prnInFull,
} as const satisfies Record<PaymentAudience, readonly (keyof PrnFullView)[]>;

export const receiptFields = {
  // The confirming bank's own answer (POST /payments): its payment and where the PRN stands.
  bank: ['paymentId', 'prn', 'bankReference', 'amount', 'currency', 'paidAt', 'receivedAt', 'outcome', 'credit', 'prnStatus', 'prnAmount', 'paidTotal', 'balance', 'message'],
  trade: ['paymentId', 'prn', 'bankReference', 'amount', 'currency', 'paidAt', 'receivedAt', 'outcome', 'credit'],
  customs: ['paymentId', 'prn', 'bankOrgId', 'bankReference', 'amount', 'currency', 'paidAt', 'receivedAt', 'outcome', 'credit', 'prnStatus', 'prnAmount', 'paidTotal', 'balance', 'message'],
} as const satisfies Record<PaymentAudience, readonly (keyof PaymentReceipt)[]>;


const money = (v: string | Dec) => fixed(new Dec(v), 2);

/** The full view of a PRN; `status` is its effective status and `amountDue` what is left to pay now. */
export function prnFullView(row: PrnRow, payments: PaymentReceipt[], status: PrnStatus, amountDue: string): PrnFullView {
  return {
    prn: row.prn,
    declarationId: row.declaration_id,
    declarationReference: row.declaration_reference,
    declarantOrgId: row.declarant_org_id,
    importerOrgId: row.importer_org_id,
    currency: 'KES',
    amount: money(row.amount),
    paidTotal: money(row.paid_total),
    carriedOver: money(row.carried_over),
    amountDue,
    status,
    validUntil: row.valid_until.toISOString(),
    createdAt: row.created_at.toISOString(),
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
    cancelReason: row.cancel_reason,
    supersededBy: row.superseded_by,
    slip: readSlip(row.slip),
    payments,
  };
}

export function receiptView(audience: PaymentAudience, receipt: PaymentReceipt): Record<string, unknown> {
  return pick(receipt, receiptFields[audience]);
}

export function prnView(audience: PaymentAudience, full: PrnFullView): Record<string, unknown> {
  const view = pick(full, prnFields[audience]);
  if ('payments' in view) {
    view.payments = full.payments.map((r) => receiptView(audience, r));
  }
  return view;
}
