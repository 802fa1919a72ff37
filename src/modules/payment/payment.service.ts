// Payment registration numbers (PRNs) and the banks' confirmations against them.
//
// Money is never dropped: a bank that took money quoting a real PRN always gets its payment
// recorded, whatever the PRN's state. Money on a PRN that can no longer take it (cancelled,
// expired) is kept as an unallocated payment for refund or reconciliation. A confirmation locks
// its PRN row, so racing confirmations are counted one after the other, and the bank's own
// reference is unique per bank, so a repeated confirmation can never count twice.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { addDays, eventWindow, localDate, partnerClockSkewMs, type Clock } from '#platform/clock.ts';
import { Dec, fixed, parseDecimal, sum } from '#platform/money.ts';
import { newId } from '#platform/ids.ts';
import { conflict, invalid, notFound } from '#platform/http/problem.ts';
import { publish } from '#platform/events/outbox.ts';
import { recordAudit, transition, type Actor, type AuditEntry } from '#modules/audit/index.ts';
import { payableStatuses, prnLifecycle } from './payment.state.ts';
import type { PaymentOutcome, PrnStatus } from './payment.tables.ts';
import * as repo from './payment.repository.ts';
import type { PaymentRow, PrnRow } from './payment.repository.ts';
import { prnOf, randomPrnDigits, requireValidPrn } from './prn.ts';

/** Default for the setting PRN_VALIDITY_DAYS: calendar days a PRN can be paid. */
export const defaultPrnValidityDays = 14;

/**
 * Clocks disagree by a few minutes (the bank's, ours): a payment may be dated up to this much
 * before its PRN was issued or after our now. Not a business rule, so not a setting.
 */
export const paidAtClockSkewMs = partnerClockSkewMs;

/** Draws for a fresh PRN before giving up: a collision among 10^11 numbers is rare, several in a row mean a broken random source. */
const prnDraws = 5;

/** Reported to the declaration module when a PRN's paid total reaches its amount. */
export interface Settlement {
  declarationId: string;
  prn: string;
  /** Decimal string, KES. */
  paidTotal: string;
  amount: string;
  outcome: 'paid' | 'overpaid';
}

export interface PaymentServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** Calendar days (Nairobi) a PRN can be paid, the day of issue not counted; setting PRN_VALIDITY_DAYS. */
  prnValidityDays?: number;
  /**
   * Called inside the bank confirmation's transaction, exactly once per PRN, when its paid total
   * reaches its amount: the declaration becomes paid atomically with the payment. Throwing rolls
   * the confirmation back (the bank gets an error and retries).
   */
  onSettled: (tx: Tx, settlement: Settlement) => Promise<void>;
  /** The 11 random digits of a new PRN; default node:crypto. Tests pass their own to force a collision. */
  randomDigits?: () => string;
}

export interface IssuePrnInput {
  declarationId: string;
  declarationReference: string;
  declarantOrgId: string;
  importerOrgId: string;
  /** Decimal string, KES, > 0: what the declaration owes on this PRN. */
  amount: string;
  /** What the e-slip prints: a PaymentSlip (the assessment JSON plus importer, declarant, officeCode). */
  slip: unknown;
  actor: Actor;
  requestId?: string | null;
}

export interface IssuedPrn {
  prn: string;
  amount: string;
  validUntil: Date;
  /**
   * 'open' normally. When the PRN it supersedes had taken part payment, that money moves to the new
   * PRN: 'partly_paid', or 'paid' when it already covers the amount (onSettled is NOT called then:
   * the caller acts on this status).
   */
  status: PrnStatus;
  paidTotal: string;
  /** PRNs this one replaced. */
  superseded: string[];
}

export interface BankConfirmation {
  prn: string;
  bankOrgId: string;
  bankReference: string;
  /** Decimal string, KES. */
  amount: string;
  paidAt: Date;
  actor: Actor;
  requestId?: string | null;
}

/**
 * A payment on a PRN, with where the PRN stood after it. Each audience sees part of it
 * (payment.views.ts): the confirming bank its own receipt, never whose declaration it is.
 */
export interface PaymentReceipt {
  paymentId: string;
  prn: string;
  bankOrgId: string;
  bankReference: string;
  amount: string;
  currency: 'KES';
  paidAt: string;
  receivedAt: string;
  outcome: PaymentOutcome;
  /** Money beyond what the PRN needed (overpayment), or all of it when unallocated: refundable. */
  credit: string;
  prnStatus: PrnStatus;
  prnAmount: string;
  paidTotal: string;
  /** What the PRN still needs. */
  balance: string;
  message: string;
}

export interface Balance {
  /** Decimal strings, KES. due: what the declaration's PRNs ask for; paid: what they received. */
  due: string;
  paid: string;
  /** What is still to pay. */
  balance: string;
  /** Money received beyond what was due, or on PRNs cancelled without replacement: refundable. */
  credit: string;
  /** The PRN to pay now, when one is payable. */
  prn?: string;
  validUntil?: Date;
}

const money = (d: Dec) => fixed(d, 2);
const amountPattern = /^\d{1,16}(\.\d{1,2})?$/;
/** The first amount a numeric(18, 2) column cannot hold. */
const recordableKes = new Dec('10000000000000000');

/** A positive KES amount with at most two decimals, or a 422 pointing at `pointer`. */
export function parseAmount(text: string, pointer: string): Dec {
  const value = amountPattern.test(text.trim()) ? parseDecimal(text) : undefined;
  if (!value || value.lte(0)) {
    throw invalid([{ pointer, code: 'invalid_amount', message: 'must be a positive amount in KES with at most two decimals, e.g. "125000.50"' }]);
  }
  return value;
}

/** End of the Nairobi day `days` days after `now` (Kenya keeps UTC+3 all year). */
export function prnValidUntil(now: Date, days: number): Date {
  return new Date(`${addDays(localDate(now), days)}T23:59:59.999+03:00`);
}

function messageFor(outcome: PaymentOutcome, status: PrnStatus, balance: Dec, credit: Dec, prnStatusBefore: PrnStatus): string {
  switch (outcome) {
    case 'exact':
      return 'Payment received; the PRN is paid in full.';
    case 'under':
      return `Payment received; the PRN is partly paid and KES ${money(balance)} remains to pay.`;
    case 'over':
      return status === 'paid' && prnStatusBefore === 'paid'
        ? `Payment received for a PRN that was already paid; KES ${money(credit)} is held as a credit for refund.`
        : `Payment received; the PRN is paid and the excess of KES ${money(credit)} is held as a credit for refund.`;
    case 'unallocated':
      return `The PRN is ${status} and cannot take payment; the payment is recorded as unallocated (KES ${money(credit)}) for refund or reconciliation.`;
  }
}

function receiptOf(p: PaymentRow, prn: PrnRow, message: string): PaymentReceipt {
  const paidTotal = new Dec(p.paid_total_after);
  const remaining = Dec.max(new Dec(prn.amount).minus(paidTotal), 0);
  // A PRN that cannot take money any more has nothing left to pay on it.
  return {
    paymentId: p.id,
    prn: p.prn,
    bankOrgId: p.bank_org_id,
    bankReference: p.bank_reference,
    amount: money(new Dec(p.amount)),
    currency: 'KES',
    paidAt: p.paid_at.toISOString(),
    receivedAt: p.received_at.toISOString(),
    outcome: p.outcome,
    credit: money(new Dec(p.credit)),
    prnStatus: p.prn_status_after,
    prnAmount: money(new Dec(prn.amount)),
    paidTotal: money(paidTotal),
    balance: (payableStatuses as string[]).includes(p.prn_status_after) ? money(remaining) : money(new Dec(0)),
    message,
  };
}

/** The receipt of a payment recorded earlier, as it read when it was recorded. */
function storedReceipt(p: PaymentRow, prn: PrnRow): PaymentReceipt {
  const left = Dec.max(new Dec(prn.amount).minus(new Dec(p.paid_total_after)), 0);
  return receiptOf(p, prn, messageFor(p.outcome, p.prn_status_after, left, new Dec(p.credit), p.prn_status_after));
}

/** paidAt must lie between the PRN's issue and now, give or take the clock skew; a 422 naming both bounds otherwise. */
function checkPaidAt(paidAt: Date, prn: PrnRow, now: Date): void {
  const window = eventWindow(prn.created_at, now, paidAtClockSkewMs);
  if (!window.contains(paidAt)) {
    throw invalid([{ pointer: '/paidAt', code: 'paid_at_out_of_range', message: window.describe(`PRN ${prn.prn} was issued`) }]);
  }
}

/** A repeat of a bank's reference is the same confirmation only if it says the same thing. */
function sameConfirmation(p: PaymentRow, c: BankConfirmation): boolean {
  return p.prn === c.prn && new Dec(p.amount).eq(new Dec(c.amount)) && p.paid_at.getTime() === c.paidAt.getTime();
}

function differenceOf(p: PaymentRow, c: BankConfirmation): string[] {
  const d: string[] = [];
  if (p.prn !== c.prn) {
    d.push(`PRN ${p.prn}`);
  }
  if (!new Dec(p.amount).eq(new Dec(c.amount))) {
    d.push(`amount ${money(new Dec(p.amount))}`);
  }
  if (p.paid_at.getTime() !== c.paidAt.getTime()) {
    d.push(`paidAt ${p.paid_at.toISOString()}`);
  }
  return d;
}

export function paymentService(deps: PaymentServiceDeps) {
  const validityDays = deps.prnValidityDays ?? defaultPrnValidityDays;
  if (!Number.isInteger(validityDays) || validityDays < 1) {
    throw new RangeError(`prnValidityDays must be a whole number of days >= 1, got ${validityDays}`);
  }
  const randomDigits = deps.randomDigits ?? randomPrnDigits;

  /** A PRN of the year not yet issued: random draws until one is free (the unique index is the last word). */
  async function freshPrn(tx: Tx, year: string): Promise<string> {
    for (let draw = 1; draw <= prnDraws; draw++) {
      const candidate = prnOf(year, randomDigits());
      if (!(await repo.findPrn(tx, candidate))) {
        return candidate;
      }
    }
    throw new Error(`no free PRN after ${prnDraws} random draws: the random source is not random`);
  }

  async function cancelPayable(tx: Tx, rows: PrnRow[], reason: string, actor: Actor, requestId: string | null, supersededBy?: string): Promise<void> {
    const now = deps.clock.now();
    for (const row of rows) {
      await transition(tx, {
        lifecycle: prnLifecycle,
        table: 'payment_reference',
        keyColumn: 'prn',
        id: row.prn,
        from: row.status,
        action: 'cancel',
        set: { cancelled_at: now, cancel_reason: reason, ...(supersededBy ? { superseded_by: supersededBy } : {}) },
        audit: {
          actor,
          action: 'prn.cancelled',
          entityType: 'payment_reference',
          entityId: row.prn,
          subjects: [row.declaration_reference, row.prn],
          before: { status: row.status, paidTotal: row.paid_total },
          after: { status: prnLifecycle.next(row.status, 'cancel'), ...(supersededBy ? { supersededBy } : {}) },
          reason,
          requestId,
          at: now,
        },
      });
    }
  }

  return {
    prnValidityDays: validityDays,

    /**
     * Issues the PRN the declarant pays. A payable PRN of the same declaration is cancelled first
     * ("superseded by re-assessment") and its part payment, if any, moves to the new one, so one
     * PRN at most is payable per declaration.
     */
    async issuePrn(tx: Tx, input: IssuePrnInput): Promise<IssuedPrn> {
      const amount = parseDecimal(input.amount);
      if (!amount || amount.lte(0) || !amount.eq(amount.toDecimalPlaces(2))) {
        throw new RangeError(`issuePrn needs a positive KES amount with at most two decimals, got "${input.amount}"; a zero assessment needs no PRN`);
      }
      const now = deps.clock.now();
      // Random, not a serial: a PRN must not lead to the next one. Two issues drawing the same
      // free number at the same moment (odds 1 in 10^11) meet the unique index: one gets a 409.
      const prn = await freshPrn(tx, localDate(now).slice(0, 4));
      const requestId = input.requestId ?? null;
      const previous = await repo.lockPayablePrns(tx, input.declarationId);
      const carried = sum(previous.map((p) => new Dec(p.paid_total)));
      await cancelPayable(tx, previous, 'superseded by re-assessment', input.actor, requestId, prn);
      // An expired PRN still stands for the debt until a new one replaces it.
      await repo.supersedeExpiredPrns(tx, input.declarationId, prn);
      const status: PrnStatus = carried.isZero() ? 'open' : carried.gte(amount) ? 'paid' : 'partly_paid';
      const validUntil = prnValidUntil(now, validityDays);
      await repo.insertPrn(tx, {
        id: newId(),
        prn,
        declaration_id: input.declarationId,
        declaration_reference: input.declarationReference,
        declarant_org_id: input.declarantOrgId,
        importer_org_id: input.importerOrgId,
        amount: money(amount),
        status,
        valid_until: validUntil,
        slip: input.slip,
        paid_total: money(carried),
        carried_over: money(carried),
        created_at: now,
        cancelled_at: null,
        cancel_reason: null,
        superseded_by: null,
      });
      await recordAudit(tx, {
        actor: input.actor,
        action: 'prn.issued',
        entityType: 'payment_reference',
        entityId: prn,
        subjects: [input.declarationReference, prn],
        after: { prn, amount: money(amount), currency: 'KES', status, validUntil, carriedOver: money(carried), supersedes: previous.map((p) => p.prn) },
        requestId,
        at: now,
      });
      return { prn, amount: money(amount), validUntil, status, paidTotal: money(carried), superseded: previous.map((p) => p.prn) };
    },

    /** Cancels the declaration's payable PRN (the declaration was cancelled); money on it becomes a refundable credit. */
    async cancelPrn(tx: Tx, input: { declarationId: string; reason: string; actor: Actor; requestId?: string | null }): Promise<{ cancelled: string[] }> {
      const rows = await repo.lockPayablePrns(tx, input.declarationId);
      await cancelPayable(tx, rows, input.reason, input.actor, input.requestId ?? null);
      return { cancelled: rows.map((r) => r.prn) };
    },

    /**
     * Records a bank's confirmation in the caller's transaction. Returns the receipt and whether it
     * is a repeat of a confirmation already recorded; 404 for an unknown PRN, 409 when the bank
     * reuses its reference for a different payment.
     */
    async confirmPayment(tx: Tx, c: BankConfirmation): Promise<{ receipt: PaymentReceipt; replayed: boolean }> {
      requireValidPrn(c.prn, '/prn');
      const amount = parseAmount(c.amount, '/amount');
      const prn = await repo.lockPrn(tx, c.prn);
      if (!prn) {
        throw notFound(`Payment registration number ${c.prn}`);
      }
      checkPaidAt(c.paidAt, prn, deps.clock.now());
      // Checked after the lock: a repeat racing its original sees it committed by now.
      const earlier = await repo.findPayment(tx, c.bankOrgId, c.bankReference);
      if (earlier) {
        return replay(earlier, c);
      }
      const now = deps.clock.now();
      const before = { status: prn.status, paidTotal: prn.paid_total };
      let status = prn.status;
      if (status === 'open' && c.paidAt.getTime() > prn.valid_until.getTime()) {
        const expired = await transition(tx, {
          lifecycle: prnLifecycle,
          table: 'payment_reference',
          keyColumn: 'prn',
          id: prn.prn,
          from: status,
          action: 'expire',
          audit: {
            actor: c.actor,
            action: 'prn.expired',
            entityType: 'payment_reference',
            entityId: prn.prn,
            subjects: [prn.declaration_reference, prn.prn],
            before,
            after: { status: prnLifecycle.next(status, 'expire') },
            reason: `paid at ${c.paidAt.toISOString()}, after the PRN's validity ended at ${prn.valid_until.toISOString()}`,
            requestId: c.requestId ?? null,
            at: now,
          },
        });
        status = expired.status;
      }
      const paidBefore = new Dec(prn.paid_total);
      const prnAmount = new Dec(prn.amount);
      let outcome: PaymentOutcome;
      let credit: Dec;
      let paidTotal = paidBefore;
      const held = status;
      let move: 'payPart' | 'settle' | null = null;
      if (status === 'cancelled' || status === 'expired') {
        outcome = 'unallocated';
        credit = amount;
      } else {
        paidTotal = paidBefore.plus(amount);
        if (paidTotal.gte(recordableKes)) {
          // paid_total is numeric(18, 2): money past that cannot be recorded against one PRN.
          throw invalid([{ pointer: '/amount', code: 'amount_out_of_range', message: `would bring the payments on ${prn.prn} to KES ${money(paidTotal)}, more than can be recorded; confirm it with customs` }]);
        }
        const stillNeeded = Dec.max(prnAmount.minus(paidBefore), 0);
        credit = Dec.max(amount.minus(stillNeeded), 0);
        outcome = paidTotal.lt(prnAmount) ? 'under' : credit.isZero() ? 'exact' : 'over';
        if (status !== 'paid') {
          move = paidTotal.lt(prnAmount) ? 'payPart' : 'settle';
          status = prnLifecycle.next(status, move);
        }
      }
      const payment: PaymentRow = {
        id: newId(),
        prn: prn.prn,
        bank_org_id: c.bankOrgId,
        bank_reference: c.bankReference,
        amount: money(amount),
        paid_at: c.paidAt,
        received_at: now,
        outcome,
        credit: money(credit),
        prn_status_after: status,
        paid_total_after: money(paidTotal),
      };
      // The payment first: a bank reference already recorded against another PRN is a replay and
      // must leave this PRN as it was.
      if (!(await repo.insertPayment(tx, payment))) {
        // The same bank reference committed meanwhile against another PRN.
        const other = await repo.findPayment(tx, c.bankOrgId, c.bankReference);
        if (other) {
          return replay(other, c);
        }
        throw conflict(`Bank reference ${c.bankReference} was being recorded at the same moment; retry the confirmation`);
      }
      const message = messageFor(outcome, status, Dec.max(prnAmount.minus(paidTotal), 0), credit, prn.status);
      const audit: AuditEntry = {
        actor: c.actor,
        action: outcome === 'unallocated' ? 'payment.unallocated' : 'payment.received',
        entityType: 'payment_reference',
        entityId: prn.prn,
        subjects: [prn.declaration_reference, prn.prn],
        before,
        after: { status, paidTotal: money(paidTotal), payment: { id: payment.id, bankReference: c.bankReference, amount: money(amount), paidAt: c.paidAt, outcome, credit: money(credit) } },
        reason: outcome === 'unallocated' ? message : null,
        requestId: c.requestId ?? null,
        at: now,
      };
      const event = {
        topic: outcome === 'unallocated' ? 'payment.unallocated' : 'payment.confirmed',
        key: prn.prn,
        payload: {
          paymentId: payment.id,
          prn: prn.prn,
          declarationId: prn.declaration_id,
          declarationReference: prn.declaration_reference,
          bankOrgId: c.bankOrgId,
          bankReference: c.bankReference,
          amount: money(amount),
          paidAt: c.paidAt.toISOString(),
          outcome,
          credit: money(credit),
          prnStatus: status,
          paidTotal: money(paidTotal),
        },
      };
      if (move) {
        const set = { paid_total: money(paidTotal) };
        await transition(tx, { lifecycle: prnLifecycle, table: 'payment_reference', keyColumn: 'prn', id: prn.prn, from: held, action: move, set, audit, event });
      } else {
        // More money on a paid PRN (its status stays), or money on a dead one (only the payment records it).
        if (outcome !== 'unallocated') {
          await repo.setPaidTotal(tx, prn.prn, money(paidTotal));
        }
        await recordAudit(tx, audit);
        await publish(tx, event.topic, event.key, event.payload);
      }
      if (status === 'paid' && prn.status !== 'paid') {
        await deps.onSettled(tx, {
          declarationId: prn.declaration_id,
          prn: prn.prn,
          paidTotal: money(paidTotal),
          amount: money(prnAmount),
          outcome: paidTotal.gt(prnAmount) ? 'overpaid' : 'paid',
        });
      }
      return { receipt: receiptOf(payment, { ...prn, status }, message), replayed: false };

      async function replay(earlier: PaymentRow, again: BankConfirmation): Promise<{ receipt: PaymentReceipt; replayed: boolean }> {
        if (!sameConfirmation(earlier, again)) {
          throw conflict(
            `Bank reference ${again.bankReference} was already used for a different payment (${differenceOf(earlier, again).join(', ')}); use a new bank reference for a new payment`,
            { paymentId: earlier.id },
          );
        }
        const ofPayment = earlier.prn === prn?.prn ? prn : await repo.findPrn(tx, earlier.prn);
        if (!ofPayment) {
          throw notFound(`Payment registration number ${earlier.prn}`);
        }
        return { receipt: storedReceipt(earlier, ofPayment), replayed: true };
      }
    },

    /** What a declaration owes and has paid across its PRNs. */
    async balance(q: Kysely<DB> | Tx, declarationId: string): Promise<Balance> {
      const rows = await repo.prnsOfDeclaration(q, declarationId);
      // Cancelled PRNs that were superseded handed their money on; expired ones still stand for the
      // debt until replaced.
      const live = rows.filter((r) => r.status === 'open' || r.status === 'partly_paid' || r.status === 'paid' || (r.status === 'expired' && r.superseded_by === null));
      const stranded = rows.filter((r) => r.status === 'cancelled' && r.superseded_by === null).map((r) => new Dec(r.paid_total));
      const due = sum(live.map((r) => new Dec(r.amount)));
      const paid = sum(live.map((r) => new Dec(r.paid_total)));
      const balance = sum(live.map((r) => Dec.max(new Dec(r.amount).minus(r.paid_total), 0)));
      const credit = sum(live.map((r) => Dec.max(new Dec(r.paid_total).minus(r.amount), 0))).plus(sum(stranded));
      const payable = rows.find((r) => (payableStatuses as string[]).includes(r.status));
      return {
        due: money(due),
        paid: money(paid),
        balance: money(balance),
        credit: money(credit),
        ...(payable ? { prn: payable.prn, validUntil: payable.valid_until } : {}),
      };
    },

    /** A PRN with the receipts of its payments, for the routes (payment.views.ts decides who sees what). */
    async describe(q: Kysely<DB> | Tx, prn: string): Promise<{ prn: PrnRow; payments: PaymentReceipt[] } | undefined> {
      const row = await repo.findPrn(q, prn);
      return row ? { prn: row, payments: (await repo.paymentsOf(q, prn)).map((p) => storedReceipt(p, row)) } : undefined;
    },

    /** The status a reader should see: an open PRN past its validity is expired even before anything marks it. */
    effectiveStatus(row: PrnRow): PrnStatus {
      return row.status === 'open' && deps.clock.now().getTime() > row.valid_until.getTime() ? 'expired' : row.status;
    },
  };
}

export type PaymentService = ReturnType<typeof paymentService>;
