// Re-assess on arrival: the outbox subscriber for `manifest.arrived`. Each pre-arrival
// declaration on an arrived transport document is re-assessed on the arrival date's rates and,
// if that was all it waited for, released; each declaration in its own transaction (a failure of
// one does not hold the others; redelivery retries them, and those already done are no-ops).
//
//   for each declaration awaiting arrival on the documents:   (one transaction each)
//     lock it                    only an assessment on the expected date is re-assessed
//     re-assess on arrival date  same goods, same exchange rate (fixed at acceptance)
//     confirm                    same date or same rules: the assessment stands
//     ask the difference         registered: a new PRN; paid: more due after release, or a refund
//     record the re-assessment   its audit record; an accepted declaration's values are written again
//     mark paid                  when part payments carried over cover the new amount
//     release                    the release flow
import type { Kysely } from 'kysely';
import type { DB } from '../../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { localDate } from '#platform/clock.ts';
import { Dec } from '#platform/money.ts';
import type { OutboxEvent } from '#platform/events/outbox.ts';
import { systemActor } from '#modules/audit/index.ts';
import type { DeclarationRow, DeclarationStatus } from '../declaration.tables.ts';
import { bodyOf, declarationRepository as repo, type DeclarationPatch } from '../declaration.repository.ts';
import { goodsFrom } from '../declaration.validation.ts';
import { AssessmentErrors, assessGoods, rulesKey, type StoredAssessment } from '../declaration.assessment.ts';
import type { ManifestArrived, PaymentPort } from '../declaration.ports.ts';
import { markPaid, money, paymentSlip, recordChange, type DeclarationServiceDeps } from '../declaration.steps.ts';
import { tryRelease, type ReleaseDeps } from './release.ts';
import { publishValuesChanged } from './accepted-values.ts';

export type ReassessOnArrivalDeps = ReleaseDeps & Pick<DeclarationServiceDeps, 'reference' | 'ratesFor' | 'payment' | 'parties'>;

/** Statuses in which arrival can still change the assessment or complete the release. */
const awaitingArrival: readonly DeclarationStatus[] = ['assessed', 'queried', 'registered', 'paid'];

/** Re-assesses and releases what arrived with the conveyance the event reports. */
export async function reassessOnArrival(deps: ReassessOnArrivalDeps, database: Kysely<DB>, event: OutboxEvent): Promise<void> {
  const arrived = event.payload as ManifestArrived;
  const arrivedAt = new Date(arrived.actualArrival);
  const failures: unknown[] = [];
  // Reference sets are cached outside any transaction.
  await deps.reference.sets();
  for (const document of arrived.documents) {
    for (const row of await repo.onDocument(database, { id: document.id }, awaitingArrival)) {
      try {
        await inTransaction(database, async (tx) => {
          await reassess(deps, tx, row.id, arrivedAt);
          await tryRelease(deps, tx, row.id);
        });
      } catch (err) {
        failures.push(err);
      }
    }
  }
  if (failures.length > 0) {
    // Redelivery retries them all; those already done are no-ops.
    throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
  }
}

/**
 * On arrival the rates in force on the arrival date replace those of the expected date, when
 * they differ. Before registration the new figures simply stand; a registered declaration gets
 * a new PRN (the old one is superseded, part payment carried over); a paid one keeps its
 * payment and records the difference: more due (demanded after release, as a short levy) or a
 * refund due. The exchange rate stays the one fixed at acceptance.
 */
async function reassess(deps: ReassessOnArrivalDeps, tx: Tx, declarationId: string, arrivedAt: Date): Promise<void> {
  const row = await repo.find(tx, declarationId, { forUpdate: true });
  if (!row || !awaitingArrival.includes(row.status) || row.assessment_basis !== 'expected-arrival' || !row.assessment) {
    return;
  }
  const old = row.assessment as StoredAssessment;
  const arrivalDate = localDate(arrivedAt);
  if (old.date === arrivalDate) {
    await confirm(deps, tx, row, arrivalDate, `arrived on the expected date ${arrivalDate}: the assessment stands`);
    return;
  }
  let fresh: StoredAssessment;
  try {
    fresh = await assessGoods(deps.ratesFor(tx).calculator, goodsFrom(bodyOf(row, await repo.items(tx, row.id)), arrivalDate, old.exchangeRate));
  } catch (err) {
    if (!(err instanceof AssessmentErrors)) {
      throw err;
    }
    // Kept as assessed on the expected date; customs sees why in the trail and can query it.
    await confirm(
      deps,
      tx,
      row,
      arrivalDate,
      `could not re-assess on the arrival date ${arrivalDate}: ${err.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`,
      'declaration.reassessment_failed',
    );
    return;
  }
  if (rulesKey(fresh) === rulesKey(old) && fresh.total === old.total) {
    await confirm(deps, tx, row, arrivalDate, `the rules in force on arrival (${arrivalDate}) are those used for ${old.date}: the assessment stands`);
    return;
  }
  const due = await askDifference(deps, tx, row, old, fresh, arrivalDate);
  const after = await repo.update(tx, row.id, due.patch, deps.clock.now());
  await recordChange(deps, tx, row, after, {
    action: 'declaration.reassessed',
    actor: systemActor,
    reason: due.reason,
    details: { arrivalDate, previousDate: old.date, previousTotal: old.total, total: fresh.total, totals: fresh.totals, prn: after.prn },
    subjects: [row.prn],
  });
  await publishValuesChanged(tx, after);
  if (row.status === 'registered' && (new Dec(fresh.total).isZero() || due.issued?.status === 'paid')) {
    await markPaid(deps, tx, after, new Dec(fresh.total).isZero() ? 'nothing to pay after re-assessment' : 'part payments carried over cover the new amount', null);
  }
}

/** The assessment of the expected date stands: the basis becomes the arrival. */
async function confirm(deps: ReassessOnArrivalDeps, tx: Tx, row: DeclarationRow, arrivalDate: string, reason: string, action = 'declaration.assessment_confirmed'): Promise<void> {
  const old = row.assessment as StoredAssessment;
  const confirmed = await repo.update(tx, row.id, { assessment_basis: 'actual-arrival' }, deps.clock.now());
  await recordChange(deps, tx, row, confirmed, { action, actor: systemActor, reason, details: { arrivalDate, assessmentDate: old.date, total: old.total } });
}

/** The new figures, and what they ask of the payment: a new PRN before payment, more due or a refund after. */
async function askDifference(deps: ReassessOnArrivalDeps, tx: Tx, row: DeclarationRow, old: StoredAssessment, fresh: StoredAssessment, arrivalDate: string) {
  const difference = new Dec(fresh.total).minus(old.total);
  const changes = describeChanges(old, fresh);
  let reason = `arrived ${arrivalDate}, assessed for ${old.date}: ${changes || 'rates changed'}; total KES ${old.total} -> ${fresh.total}`;
  const patch: DeclarationPatch = { assessment: JSON.stringify(fresh), assessment_date: arrivalDate, assessment_basis: 'actual-arrival', assessed_total: fresh.total };
  let issued: Awaited<ReturnType<PaymentPort['issuePrn']>> | undefined;
  if (row.status === 'registered' && !difference.isZero() && row.reference && row.importer_org_id) {
    if (new Dec(fresh.total).isZero()) {
      await deps.payment.cancelPrn(tx, { declarationId: row.id, reason: 'nothing to pay after re-assessment on arrival', actor: systemActor });
      patch.prn = null;
      reason += '; nothing is due any more, the PRN is cancelled';
    } else {
      issued = await deps.payment.issuePrn(tx, {
        declarationId: row.id,
        declarationReference: row.reference,
        declarantOrgId: row.declarant_org_id,
        importerOrgId: row.importer_org_id,
        amount: fresh.total,
        slip: await paymentSlip(deps, tx, row, fresh),
        actor: systemActor,
      });
      patch.prn = issued.prn;
      reason += `; PRN ${row.prn ?? '-'} superseded by ${issued.prn}`;
    }
  } else if (row.status === 'paid' && !difference.isZero()) {
    if (difference.isPositive()) {
      patch.additional_due = money(difference.plus(row.additional_due ?? 0));
      reason += `; KES ${money(difference)} more is due: the goods are not held for it, it is demanded after release`;
    } else {
      patch.refund_due = money(difference.negated().plus(row.refund_due ?? 0));
      reason += `; KES ${money(difference.negated())} was overpaid and is refundable`;
    }
  }
  return { patch, reason, issued };
}

/** Which national settings, charge rates and tariff lines changed between two assessments, in words. */
function describeChanges(old: StoredAssessment, fresh: StoredAssessment): string {
  const byKey = (a: StoredAssessment) => new Map(a.rulesUsed.filter((r) => r.kind !== 'exchange-rate').map((r) => [`${r.kind}:${r.key}`, r]));
  const before = byKey(old);
  const changes: string[] = [];
  for (const [key, rule] of byKey(fresh)) {
    const was = before.get(key);
    if (was && was.id !== rule.id) {
      const show = (v: unknown) => (v === undefined ? `version from ${rule.validFrom}` : typeof v === 'string' ? v : JSON.stringify(v));
      changes.push(
        rule.kind === 'setting' || rule.kind === 'charge-rate'
          ? `${rule.key} ${show(was.value)} -> ${show(rule.value)} (from ${rule.validFrom})`
          : `${rule.kind === 'tariff-line' ? 'tariff line' : rule.kind} ${rule.key} changed on ${rule.validFrom}`,
      );
    }
  }
  return changes.join(', ');
}
