// Change requests: after registration (a PRN issued) the declarant no longer amends or cancels
// at once but asks an officer, in the declarant's amend or cancel transaction:
//
//   one at a time          a pending request must be withdrawn or decided first
//   a bounded number       asking and withdrawing again cannot fill the trail
//   check an amendment     every lodgement rule now, and what it would cost, for the officer
//   file the request
//   record the request     its audit record; the declaration keeps its status
// The officer's decision is the change-decisions flow.
import type { Tx } from '#platform/db/transaction.ts';
import { Dec } from '#platform/money.ts';
import { newId } from '#platform/ids.ts';
import { conflict } from '#platform/http/problem.ts';
import type { DeclarationRow, RequestKind } from '../declaration.tables.ts';
import type { DeclarationBody } from '../declaration.schemas.ts';
import { declarationRepository as repo } from '../declaration.repository.ts';
import { checkAmendmentAfterRegistration } from '../declaration.validation.ts';
import { money, recordChange, type Caller, type DeclarationServiceDeps } from '../declaration.steps.ts';

export type ChangeRequestDeps = Pick<DeclarationServiceDeps, 'clock' | 'reference' | 'ratesFor' | 'parties' | 'manifest' | 'verificationOf'>;

/** Requests (amend or cancel) one declaration may take: asking and withdrawing again cannot fill the trail. */
const maxRequestsPerDeclaration = 20;

/** Files the declarant's request to amend (with the amended body) or cancel a registered or paid declaration. */
export async function requestChange(deps: ChangeRequestDeps, tx: Tx, caller: Caller, row: DeclarationRow, kind: RequestKind, reason: string, body?: DeclarationBody): Promise<DeclarationRow> {
  await checkNothingPending(tx, row);
  await checkRequestsLeft(tx, row);
  const preview = kind === 'amend' && body ? await previewAmendment(deps, tx, caller, row, body) : null;
  const now = deps.clock.now();
  const request = await repo.insertRequest(tx, {
    id: newId(),
    declarationId: row.id,
    kind,
    reason,
    body: body ?? null,
    preview,
    by: { orgId: caller.principal.organisationId, id: caller.actor.id, name: caller.actor.name },
    at: now,
  });
  const after = await repo.update(tx, row.id, {}, now);
  await recordChange(deps, tx, row, after, {
    action: 'declaration.request_made',
    actor: caller.actor,
    requestId: caller.requestId,
    reason,
    details: { request: request.id, kind, ...(preview ?? {}) },
  });
  return after;
}

async function checkNothingPending(tx: Tx, row: DeclarationRow): Promise<void> {
  const pending = await repo.pendingRequest(tx, row.id, { forUpdate: true });
  if (pending) {
    throw conflict(
      `Declaration ${row.reference ?? row.id} already has a ${pending.kind} request waiting for an officer (requested ${pending.requested_at.toISOString()}); withdraw it first or wait for the decision`,
      {
        state: row.status,
        request: pending.id,
      },
    );
  }
}

async function checkRequestsLeft(tx: Tx, row: DeclarationRow): Promise<void> {
  const asked = await repo.requestCount(tx, row.id);
  if (asked >= maxRequestsPerDeclaration) {
    throw conflict(`Declaration ${row.reference ?? row.id} has had ${asked} requests, the most one declaration takes; an officer may still query or reject it`, {
      state: row.status,
      requests: asked,
    });
  }
}

/** The amendment checked like a lodgement, and its effect on the total, for the officer who decides. */
async function previewAmendment(deps: ChangeRequestDeps, tx: Tx, caller: Caller, row: DeclarationRow, body: DeclarationBody): Promise<Record<string, unknown>> {
  const lodged = await checkAmendmentAfterRegistration(tx, deps, { row, body, declarantKind: caller.principal.organisationKind, now: deps.clock.now() });
  return {
    totalBefore: money(row.assessed_total ?? '0'),
    totalAfter: lodged.assessment.total,
    difference: money(new Dec(lodged.assessment.total).minus(row.assessed_total ?? 0)),
    totalsAfter: lodged.assessment.totals,
  };
}
