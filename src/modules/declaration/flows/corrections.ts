// Corrections at verification: an officer's corrections (HS code, quantity, value, origin of an
// item) are applied to the declared goods, which are assessed again on the same date with the
// same exchange rate. Without a context this is the preview the officer and the declarant see
// (stored nowhere, read outside any lock); with one it is applied in the verification's
// transaction (the declarant accepts, pays under protest, or a supervisor upholds):
//
//   lock the declaration      not once cancelled or rejected
//   re-assess with corrections  a 422 points at /items/k/...
//   store the corrected goods
//   ask the difference        replacement PRN before payment; supplementary PRN or refund after
//   draw letters              exemption letters the new assessment uses
//   record the correction     its audit record; the declaration keeps its status
//   values changed            an accepted declaration's values are written again (accepted-values.ts)
//   mark paid                 when payments already received cover the corrected amount
import type { Kysely } from 'kysely';
import type { DB } from '../../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { Dec } from '#platform/money.ts';
import { conflict, invalid, notFound } from '#platform/http/problem.ts';
import type { Actor } from '#modules/audit/index.ts';
import type { Correction, CorrectionEffect } from '#modules/inspection/index.ts';
import type { DeclarationRow, DeclarationStatus } from '../declaration.tables.ts';
import { bodyOf, declarationRepository as repo, type DeclarationPatch } from '../declaration.repository.ts';
import { goodsFrom } from '../declaration.validation.ts';
import { corrected } from '../declaration.corrections.ts';
import { publishValuesChanged } from './accepted-values.ts';
import { AssessmentErrors, assessGoods, type StoredAssessment } from '../declaration.assessment.ts';
import { differenceDue, drawLetters, markPaid, money, recordChange, type DeclarationServiceDeps } from '../declaration.steps.ts';

export type CorrectionDeps = Pick<DeclarationServiceDeps, 'clock' | 'ratesFor' | 'payment' | 'parties' | 'letters'>;

/** Who applies the corrections, and why. */
export interface CorrectionContext {
  tx: Tx;
  actor: Actor;
  requestId: string | null;
  reason: string;
}

/** Statuses in which a declaration's assessment may still be corrected. */
const correctable: readonly DeclarationStatus[] = ['lodged', 'assessed', 'queried', 'registered', 'paid', 'released', 'exited'];

/**
 * What the corrections change; with `apply`, also stores them and asks for the difference: before
 * payment a replacement PRN (the old one superseded), after payment a supplementary PRN for what
 * is more, or a refund due for what is less. Release still waits for the control, which
 * verification passes once the difference is paid.
 */
export async function correctAssessment(deps: CorrectionDeps, q: Kysely<DB>, declarationId: string, corrections: Correction[], apply?: CorrectionContext): Promise<CorrectionEffect> {
  if (!apply) {
    const row = await findDeclaration(q, declarationId);
    return effectOf(row, await reassessWithCorrections(deps, q, row, corrections), row.status);
  }
  const { tx } = apply;
  const row = await lockCorrectable(tx, declarationId);
  const c = await reassessWithCorrections(deps, tx, row, corrections);
  const effect = effectOf(row, c, row.status);
  await repo.replaceData(tx, row.id, c.body);
  const due = await differenceDue(deps, tx, row, c.assessment, { actor: apply.actor, requestId: apply.requestId, why: 'verification' });
  Object.assign(effect, due.effect);
  const patch: DeclarationPatch = { assessment: JSON.stringify(c.assessment), assessed_total: c.assessment.total, ...due.patch };
  const after = await repo.update(tx, row.id, patch, deps.clock.now());
  await drawLetters(deps, tx, after, c.assessment, { actor: apply.actor, requestId: apply.requestId, reason: 'corrected on verification' });
  await recordCorrection(deps, tx, row, after, c, effect, apply);
  await publishValuesChanged(tx, after);
  if (due.paidByCarryOver) {
    const paid = await markPaid(deps, tx, after, patch.prn === null ? 'nothing to pay after verification' : 'payments already received cover the corrected amount', apply.requestId);
    effect.declarationStatus = paid.status;
  }
  return effect;
}

async function findDeclaration(q: Kysely<DB>, declarationId: string): Promise<DeclarationRow> {
  const row = await repo.find(q, declarationId);
  if (!row) {
    throw notFound(`Declaration ${declarationId}`);
  }
  return row;
}

async function lockCorrectable(tx: Tx, declarationId: string): Promise<DeclarationRow> {
  const row = await repo.find(tx, declarationId, { forUpdate: true });
  if (!row) {
    throw notFound(`Declaration ${declarationId}`);
  }
  if (!correctable.includes(row.status)) {
    throw conflict(`The declaration is ${row.status}; it cannot be corrected`, { state: row.status });
  }
  return row;
}

/** The goods re-assessed with an officer's corrections, on the declaration's assessment date and exchange rate. */
async function reassessWithCorrections(deps: CorrectionDeps, q: Kysely<DB>, row: DeclarationRow, corrections: Correction[]) {
  const old = row.assessment as StoredAssessment | null;
  if (!old || !row.reference) {
    throw conflict(`The declaration is ${row.status} and has no assessment to correct`, { state: row.status });
  }
  const { body, changes } = corrected(bodyOf(row, await repo.items(q, row.id)), corrections);
  try {
    const assessment = await assessGoods(deps.ratesFor(q).calculator, goodsFrom(body, row.assessment_date ?? old.date, old.exchangeRate));
    return { old, body, changes, assessment };
  } catch (err) {
    if (err instanceof AssessmentErrors) {
      throw invalid(err.errors, 'the corrected goods cannot be assessed');
    }
    throw err;
  }
}

type Reassessed = Awaited<ReturnType<typeof reassessWithCorrections>>;

function effectOf(row: DeclarationRow, c: Reassessed, status: string): CorrectionEffect {
  return {
    changes: c.changes,
    totalBefore: money(row.assessed_total ?? c.old.total),
    totalAfter: c.assessment.total,
    difference: money(new Dec(c.assessment.total).minus(row.assessed_total ?? c.old.total)),
    totalsBefore: c.old.totals,
    totalsAfter: c.assessment.totals,
    assessmentDate: c.assessment.date,
    declarationStatus: status,
  };
}

async function recordCorrection(deps: CorrectionDeps, tx: Tx, row: DeclarationRow, after: DeclarationRow, c: Reassessed, effect: CorrectionEffect, apply: CorrectionContext): Promise<void> {
  await recordChange(deps, tx, row, after, {
    action: 'declaration.corrected',
    actor: apply.actor,
    requestId: apply.requestId,
    reason: apply.reason,
    details: {
      changes: c.changes,
      totalBefore: effect.totalBefore,
      totalAfter: effect.totalAfter,
      difference: effect.difference,
      ...(effect.prn ? { prn: effect.prn } : {}),
      ...(effect.refundDue ? { refundDue: effect.refundDue } : {}),
    },
    subjects: [row.prn],
  });
}
