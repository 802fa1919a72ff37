// Change decisions: an officer approves or refuses the declarant's pending request to amend or
// cancel a registered or paid declaration, in the officer's decision transaction:
//
//   find the pending request       404 if unknown, 409 if already decided
//   approve a cancellation         the declaration cancelled (PRN cancelled, payment refundable)
//   approve an amendment           checked again, stored, the difference asked or refunded,
//                                  selected again (never lower), the check opened or raised,
//                                  paid when payments already received cover it; its accepted
//                                  values written again (accepted-values.ts)
//   record the decision            the request decided, its audit record on the declaration
import type { Tx } from '#platform/db/transaction.ts';
import { conflict, notFound } from '#platform/http/problem.ts';
import { needsControl } from '#modules/risk/index.ts';
import type { DeclarationRequestRow, DeclarationRow } from '../declaration.tables.ts';
import type { DeclarationBody, RequestDecisionBody } from '../declaration.schemas.ts';
import { declarationRepository as repo, type DeclarationPatch } from '../declaration.repository.ts';
import { checkAmendmentAfterRegistration } from '../declaration.validation.ts';
import { assessedFields, openVerification, selectChannel } from '../declaration.selection.ts';
import { publishValuesChanged } from './accepted-values.ts';
import { cancelNow, differenceDue, drawLetters, markPaid, money, recordChange, type Caller, type DeclarationServiceDeps } from '../declaration.steps.ts';

export type ChangeDecisionDeps = Pick<DeclarationServiceDeps, 'clock' | 'reference' | 'ratesFor' | 'parties' | 'manifest' | 'selectivity' | 'payment' | 'letters' | 'onSelected' | 'verificationOf'>;

/** The officer's decision on request `requestId` of the locked declaration `row`; returns the declaration after it. */
export async function decideChangeRequest(deps: ChangeDecisionDeps, tx: Tx, caller: Caller, row: DeclarationRow, requestId: string, body: RequestDecisionBody): Promise<DeclarationRow> {
  const request = await pendingRequest(tx, row, requestId);
  let after = row;
  let effect: Record<string, unknown> | null = null;
  if (body.approve && request.kind === 'cancel') {
    after = await cancelNow(deps, tx, row, { actor: caller.actor, requestId: caller.requestId, reason: `${request.reason} (cancellation approved: ${body.reason})` });
    effect = { refundDue: after.refund_due };
  } else if (body.approve) {
    const approved = await approveAmendment(deps, tx, caller, row, request, body.reason);
    after = approved.after;
    effect = approved.effect;
  }
  return recordDecision(deps, tx, caller, row, after, request, body, effect);
}

async function pendingRequest(tx: Tx, row: DeclarationRow, requestId: string): Promise<DeclarationRequestRow> {
  const request = await repo.pendingRequest(tx, row.id, { forUpdate: true });
  if (request?.id !== requestId) {
    const known = (await repo.requests(tx, row.id)).find((r) => r.id === requestId);
    if (!known) {
      throw notFound(`Request ${requestId} of declaration ${row.reference ?? row.id}`);
    }
    throw conflict(`Request ${requestId} was already ${known.status}`, { state: known.status });
  }
  return request;
}

/** The new goods and figures, the difference asked or refunded, selection run again (never lower). */
async function approveAmendment(deps: ChangeDecisionDeps, tx: Tx, caller: Caller, row: DeclarationRow, request: DeclarationRequestRow, decision: string) {
  if (row.status !== 'registered' && row.status !== 'paid') {
    throw conflict(`The declaration is ${row.status}: an amendment is approved only while it is registered or paid (after release it is a post-clearance matter)`, { state: row.status });
  }
  const body = request.body as DeclarationBody;
  const lodged = await checkAmendmentAfterRegistration(tx, deps, { row, body, declarantKind: caller.principal.organisationKind, now: deps.clock.now() });
  await repo.replaceData(tx, row.id, { ...body, regime: row.regime });
  const due = await differenceDue(deps, tx, row, lodged.assessment, { actor: caller.actor, requestId: caller.requestId, why: 'the approved amendment' });
  // The amended goods are selected again; the channel never falls.
  const reference = row.reference as string;
  const { channel, reasons, selected, prior } = await selectChannel(deps, tx, row, body, lodged, reference);
  const raised = channel !== row.channel;
  const patch: DeclarationPatch = {
    ...assessedFields(lodged, { channel, reasons, selected }),
    ...(raised && needsControl(channel) && row.control_status === 'none' ? { control_status: 'pending' as const } : {}),
    ...due.patch,
  };
  let after = await repo.update(tx, row.id, patch, deps.clock.now());
  await drawLetters(deps, tx, after, lodged.assessment, { actor: caller.actor, requestId: caller.requestId, reason: 'amendment approved' });
  await recordChange(deps, tx, row, after, {
    action: 'declaration.amended_on_request',
    actor: caller.actor,
    requestId: caller.requestId,
    reason: `${request.reason} (approved: ${decision})`,
    details: {
      assessmentDate: lodged.assessment.date,
      basis: lodged.basis,
      total: lodged.assessment.total,
      totals: lodged.assessment.totals,
      totalBefore: money(row.assessed_total ?? '0'),
      totalAfter: lodged.assessment.total,
      difference: money(due.difference),
      channel,
      risk: { reasons, score: selected.score, version: selected.version },
      ...due.effect,
    },
    subjects: [row.prn],
  });
  await publishValuesChanged(tx, after);
  await openVerification(deps, tx, row, lodged, { reference, channel, reasons, prior, requestId: caller.requestId });
  if (due.paidByCarryOver) {
    after = await markPaid(deps, tx, after, after.prn === null ? 'nothing to pay after the approved amendment' : 'payments already received cover the amended amount', caller.requestId);
  }
  return { after, effect: { difference: money(due.difference), totalBefore: money(row.assessed_total ?? '0'), totalAfter: lodged.assessment.total, ...due.effect } };
}

/** The request decided, and the decision's audit record on the declaration. */
async function recordDecision(
  deps: ChangeDecisionDeps,
  tx: Tx,
  caller: Caller,
  row: DeclarationRow,
  after: DeclarationRow,
  request: DeclarationRequestRow,
  body: RequestDecisionBody,
  effect: Record<string, unknown> | null,
): Promise<DeclarationRow> {
  const now = deps.clock.now();
  const decided = await repo.decideRequest(tx, request.id, {
    status: body.approve ? 'approved' : 'refused',
    by: { id: caller.actor.id, name: caller.actor.name },
    at: now,
    reason: body.reason,
    effect,
  });
  const latest = after === row ? await repo.update(tx, row.id, {}, now) : after;
  await recordChange(deps, tx, after, latest, {
    action: body.approve ? 'declaration.request_approved' : 'declaration.request_refused',
    actor: caller.actor,
    requestId: caller.requestId,
    reason: body.reason,
    details: { request: decided.id, kind: decided.kind, ...(effect ?? {}) },
  });
  return latest;
}
