// The declaration's own steps, shared by its service (the declaration's commands) and its flows
// (flows/: lodge and assess, release, re-assess on arrival, corrections, change requests):
//
//   moveDeclaration  a status change: transition() checks the lifecycle, updates WHERE status =
//                    <from>, writes the audit record and the `declaration.status_changed` event
//   recordChange     a change that keeps the status: its audit record
//   markPaid         registered -> paid (the PRN settled, or nothing was due)
//   cancelNow        -> cancelled: the open PRN cancelled, what was paid refundable
//   differenceDue    what a new assessment of a registered or paid declaration asks for
//   drawLetters      the exemption letters the assessment draws (relief module)
//   paymentSlip      the e-slip printed with a PRN
//
// Each runs in the caller's transaction; none opens one.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { localDate, type Clock } from '#platform/clock.ts';
import { Dec, fixed } from '#platform/money.ts';
import { ProblemError } from '#platform/http/problem.ts';
import type { Principal } from '#platform/http/auth.ts';
import type { Changes, OutboxMessage } from '#platform/lifecycle/transition.ts';
import { publish } from '#platform/events/outbox.ts';
import { recordAudit, systemActor, transition, type Actor, type AuditEntry } from '#modules/audit/index.ts';
import type { SelectedDeclaration } from '#modules/inspection/index.ts';
import type { Selectivity } from '#modules/risk/index.ts';
import { documentSubject } from '#modules/manifest/index.ts';
import type { DeclarationRow, DeclarationStatus } from './declaration.tables.ts';
import { declarationLifecycle, type DeclarationAction } from './declaration.state.ts';
import type { DeclarationPatch } from './declaration.repository.ts';
import type { LodgementDeps } from './declaration.validation.ts';
import { letterDrawsOf, slipOf, type StoredAssessment } from './declaration.assessment.ts';
import type { PaymentPort, ReleasePort } from './declaration.ports.ts';
import type { CorrectionEffect } from '#modules/inspection/index.ts';

export interface DeclarationServiceDeps extends LodgementDeps {
  db: Kysely<DB>;
  clock: Clock;
  payment: PaymentPort;
  release: ReleasePort;
  selectivity: Selectivity;
  /**
   * Told, inside the lodgement's transaction, when the channel is not green: verification opens
   * its task (or raises it after an amendment) atomically with the lodgement.
   */
  onSelected?: (tx: Tx, selected: SelectedDeclaration) => Promise<unknown>;
  /**
   * The declaration's open verification task, if any: its control is then recorded on the task
   * by the officer drawn for it, not through recordControl; and the declarant may amend only if
   * verification says so (the officer's corrections, not the declarant's, follow a selection).
   */
  verificationOf?: (q: Kysely<DB>, declarationId: string) => Promise<{ task: string; amendable: boolean } | undefined>;
  /** The office a customs officer is on duty at (the inspection roster): an export's exit is confirmed there. */
  officeOnDuty?: (q: Kysely<DB>, userId: string) => Promise<string | undefined>;
  /**
   * Exemption letters (relief module): makes the declaration's draws what its assessment asks,
   * in the same transaction; an empty list gives everything back. 422 exemption_exhausted.
   */
  letters?: {
    settle(
      tx: Tx,
      draw: { declarationId: string; reference: string | null; draws: { number: string; itemNo: number; amount: string }[]; actor: Actor; requestId: string | null; reason: string },
    ): Promise<void>;
  };
}

/** Who asks, as the routes know it. */
export interface Caller {
  principal: Principal;
  actor: Actor;
  requestId: string | null;
  /** The version the caller last saw (If-Match); a different current version is a 412. */
  expectedVersion?: number;
}

/** Who did a step and why, as its audit record says. */
export interface StepRecord {
  action: string;
  actor: Actor;
  requestId?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
  subjects?: (string | null)[];
}

type ClockDeps = Pick<DeclarationServiceDeps, 'clock'>;

export const money = (d: Dec | string) => fixed(new Dec(d), 2);

/** A declaration's steps belong to its reference, its transport document (by id: numbers repeat across carriers) and its PRN. */
export function subjectsOf(row: DeclarationRow, ...more: (string | null | undefined)[]): string[] {
  const document = row.transport_document_id ? documentSubject(row.transport_document_id) : null;
  return [row.reference, document, row.prn, ...more].filter((s): s is string => typeof s === 'string' && s !== '');
}

/** The audit record of a step from `before` to `after`. */
export function auditOf(at: Date, before: DeclarationRow, after: Pick<DeclarationRow, 'id' | 'status' | 'version'> & Parameters<typeof subjectsOf>[0], step: StepRecord): AuditEntry {
  return {
    actor: step.actor,
    action: step.action,
    entityType: 'declaration',
    entityId: after.id,
    subjects: subjectsOf(after, before.prn, ...(step.subjects ?? [])),
    before: { status: before.status, version: before.version },
    after: { status: after.status, version: after.version, ...step.details },
    reason: step.reason ?? null,
    requestId: step.requestId ?? null,
    at,
  };
}

/** The `declaration.status_changed` event others listen to (verification, notifications). */
export function statusChanged(declaration: Pick<DeclarationRow, 'id' | 'reference' | 'transport_document_number'>, from: DeclarationStatus, to: DeclarationStatus, at: Date): OutboxMessage {
  return {
    topic: 'declaration.status_changed',
    key: declaration.id,
    payload: { declarationId: declaration.id, reference: declaration.reference, transportDocumentNumber: declaration.transport_document_number, from, to, at: at.toISOString() },
  };
}

/** A status change: the lifecycle's `action` from the status the caller locked, with its audit record and event. */
export async function moveDeclaration(deps: ClockDeps, tx: Tx, row: DeclarationRow, action: DeclarationAction, step: StepRecord & { set?: Changes<'declaration'> }): Promise<DeclarationRow> {
  const now = deps.clock.now();
  const to = declarationLifecycle.next(row.status, action);
  const { set, ...record } = step;
  return transition(tx, {
    lifecycle: declarationLifecycle,
    table: 'declaration',
    id: row.id,
    from: row.status,
    action,
    set: { ...set, updated_at: now, version: sql<number>`version + 1` },
    audit: (after) => auditOf(now, row, after, record),
    ...(to === row.status ? {} : { event: statusChanged(row, row.status, to, now) }),
  });
}

/**
 * A change that keeps the status (a correction, a request, a re-assessment) or a step the same
 * write passed through (lodged on the way to assessed): its audit record, and the status event
 * when `after` is in another status than `before`.
 */
export async function recordChange(deps: ClockDeps, tx: Tx, before: DeclarationRow, after: DeclarationRow, step: StepRecord): Promise<void> {
  await recordAudit(tx, auditOf(deps.clock.now(), before, after, step));
  if (before.status !== after.status) {
    const event = statusChanged(after, before.status, after.status, after.updated_at);
    await publish(tx, event.topic, event.key, event.payload);
  }
}

/** Paid: the PRN is settled (or nothing was due). The caller then releases if everything else is there. */
export async function markPaid(deps: ClockDeps, tx: Tx, row: DeclarationRow, reason: string, requestId: string | null, subjects: (string | null)[] = []): Promise<DeclarationRow> {
  return moveDeclaration(deps, tx, row, 'settle', {
    set: { paid_at: deps.clock.now() },
    action: 'declaration.paid',
    actor: systemActor,
    requestId,
    reason,
    details: { amount: row.assessed_total },
    subjects,
  });
}

/** Draws the exemption letters the assessment uses (none: everything drawn is given back). */
export async function drawLetters(
  deps: Pick<DeclarationServiceDeps, 'letters'>,
  tx: Tx,
  declaration: Pick<DeclarationRow, 'id' | 'reference'>,
  assessment: StoredAssessment | null,
  context: { actor: Actor; requestId: string | null; reason: string },
): Promise<void> {
  await deps.letters?.settle(tx, { declarationId: declaration.id, reference: declaration.reference, draws: assessment ? letterDrawsOf(assessment) : [], ...context });
}

/** The e-slip of a PRN: the assessment with the importer's and declarant's names. */
export async function paymentSlip(deps: Pick<DeclarationServiceDeps, 'parties'>, q: Kysely<DB>, row: DeclarationRow, assessment: StoredAssessment) {
  const [importer, declarant] = await Promise.all([row.importer_org_id ? deps.parties.organisation(q, row.importer_org_id) : undefined, deps.parties.organisation(q, row.declarant_org_id)]);
  return slipOf(assessment, {
    importer: { name: importer?.name ?? row.importer_pin, pin: row.importer_pin },
    declarant: { name: declarant?.name ?? '' },
    officeCode: row.office_code,
  });
}

/**
 * An agent acts for its client only while its licence and the client's authorisation are in
 * force: checked on every action, not only at lodgement, so a revoked agent cannot go on
 * registering or cancelling. The importer acting for itself needs no authority.
 */
export async function checkAuthority(deps: Pick<DeclarationServiceDeps, 'parties' | 'clock'>, q: Kysely<DB>, organisationId: string, row: DeclarationRow): Promise<void> {
  if (row.importer_org_id === null || row.importer_org_id === organisationId || row.declarant_org_id !== organisationId) {
    return;
  }
  const check = await deps.parties.agentMayActFor(q, { agentOrgId: organisationId, clientOrgId: row.importer_org_id, date: localDate(deps.clock.now()) });
  if (!check.ok) {
    throw new ProblemError({ type: 'forbidden', title: 'Forbidden', status: 403, detail: `${check.message}; an agent acts for a client only while both are in force`, code: check.code });
  }
}

/**
 * What a new assessment of a registered or paid declaration asks for: before the first PRN is
 * paid, a replacement PRN for the new total (part payment carried over); once paid, a
 * supplementary PRN for more, or a refund due for less. The caller stores the patch.
 */
export async function differenceDue(
  deps: Pick<DeclarationServiceDeps, 'payment' | 'parties'>,
  tx: Tx,
  row: DeclarationRow,
  assessment: StoredAssessment,
  context: { actor: Actor; requestId: string | null; why: string },
) {
  const difference = new Dec(assessment.total).minus(row.assessed_total ?? 0);
  const patch: DeclarationPatch = {};
  const effect: Pick<CorrectionEffect, 'prn' | 'refundDue'> = {};
  let paidByCarryOver = false;
  if (difference.isZero() || !row.reference || !row.importer_org_id) {
    return { patch, effect, paidByCarryOver, difference };
  }
  const prnFor = async (amount: string) =>
    deps.payment.issuePrn(tx, {
      declarationId: row.id,
      declarationReference: row.reference as string,
      declarantOrgId: row.declarant_org_id,
      importerOrgId: row.importer_org_id as string,
      amount,
      slip: await paymentSlip(deps, tx, row, assessment),
      actor: context.actor,
      requestId: context.requestId,
    });
  if (row.status === 'registered' && new Dec(assessment.total).isZero()) {
    await deps.payment.cancelPrn(tx, { declarationId: row.id, reason: `nothing to pay after ${context.why}`, actor: context.actor, requestId: context.requestId });
    patch.prn = null;
    paidByCarryOver = true;
  } else if (row.status === 'registered') {
    const issued = await prnFor(assessment.total);
    patch.prn = issued.prn;
    effect.prn = { prn: issued.prn, amount: issued.amount, status: issued.status, kind: 'replacement' };
    paidByCarryOver = issued.status === 'paid';
  } else if (['paid', 'released', 'exited'].includes(row.status) && difference.isPositive()) {
    const issued = await prnFor(money(difference));
    patch.prn = issued.prn;
    effect.prn = { prn: issued.prn, amount: issued.amount, status: issued.status, kind: 'supplementary' };
  } else if (['paid', 'released', 'exited'].includes(row.status)) {
    patch.refund_due = money(difference.negated().plus(row.refund_due ?? 0));
    effect.refundDue = money(difference.negated());
  }
  return { patch, effect, paidByCarryOver, difference };
}

/** Cancels the declaration: an open PRN is cancelled and what was paid becomes refundable. An open verification stays open. */
export async function cancelNow(
  deps: Pick<DeclarationServiceDeps, 'clock' | 'payment' | 'letters'>,
  tx: Tx,
  row: DeclarationRow,
  context: { actor: Actor; requestId: string | null; reason: string },
): Promise<DeclarationRow> {
  declarationLifecycle.next(row.status, 'cancel');
  const set: Changes<'declaration'> = { cancelled_at: deps.clock.now(), status_reason: context.reason };
  await drawLetters(deps, tx, row, null, { actor: context.actor, requestId: context.requestId, reason: 'declaration cancelled' });
  let refund: string | undefined;
  if (row.status === 'registered') {
    await deps.payment.cancelPrn(tx, { declarationId: row.id, reason: `declaration cancelled: ${context.reason}`, actor: context.actor, requestId: context.requestId });
  }
  if (row.status === 'paid' || row.status === 'registered') {
    const balance = await deps.payment.balance(tx, row.id);
    const paid = new Dec(balance.paid);
    if (paid.isPositive()) {
      refund = money(paid);
      set.refund_due = refund;
    }
  }
  return moveDeclaration(deps, tx, row, 'cancel', {
    set,
    action: 'declaration.cancelled',
    actor: context.actor,
    requestId: context.requestId,
    reason: refund ? `${context.reason} (KES ${refund} paid is refundable)` : context.reason,
    details: refund ? { refundDue: refund } : {},
  });
}
