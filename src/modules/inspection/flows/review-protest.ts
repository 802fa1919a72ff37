// Review a protest: once a difference paid under protest is paid (the task closed), a supervisor
// reviews the protest, in the supervisor's decision transaction:
//
//   overturn: undo the corrections   the declaration module re-assesses the declared values
//                                    and records the refund of what was paid
//   overturn: relabel for the risk   the risk engine's label says no discrepancy after all
//   record the review                the task keeps its status: its history step and audit record
import type { Tx } from '#platform/db/transaction.ts';
import { recordAudit } from '#modules/audit/index.ts';
import type { TaskRow } from '../inspection.tables.ts';
import { inspectionRepository as repo } from '../inspection.repository.ts';
import { correctableFields, type Correction } from '../inspection.ports.ts';
import type { DecisionBody } from '../inspection.schemas.ts';
import { effectDetails, labelFindings, step, subjectsOf, type Caller, type Findings, type InspectionServiceDeps } from '../inspection.steps.ts';

export type ReviewDeps = Pick<InspectionServiceDeps, 'clock' | 'declarations' | 'outcomes'>;

/** The supervisor's review of a payment under protest: upheld (the corrections stand) or overturned (the declared values come back). */
export async function reviewProtest(deps: ReviewDeps, tx: Tx, caller: Caller, task: TaskRow, body: DecisionBody, decision: Record<string, unknown>): Promise<TaskRow> {
  const details = body.uphold ? {} : await overturn(deps, tx, caller, task, body.reason);
  return recordReview(deps, tx, caller, task, body, decision, details);
}

/** The declared values come back; the re-assessment records the refund of what was paid. */
async function overturn(deps: ReviewDeps, tx: Tx, caller: Caller, task: TaskRow, reason: string): Promise<Record<string, unknown>> {
  const amendment = task.amendment as {
    changes?: {
      itemNo: number;
      field: (typeof correctableFields)[number];
      before: string;
    }[];
  } | null;
  const undo = new Map<number, Correction>();
  for (const change of amendment?.changes ?? []) {
    undo.set(change.itemNo, {
      ...undo.get(change.itemNo),
      itemNo: change.itemNo,
      [change.field]: change.before,
    });
  }
  const effect = await deps.declarations.applyCorrection(tx, task.declaration_id, [...undo.values()], {
    actor: caller.actor,
    requestId: caller.requestId,
    reason: `protest against verification ${task.number} upheld: the declared values stand: ${reason}`,
  });
  const findings = task.findings as Findings | null;
  await deps.outcomes.recordOutcome(tx, {
    declarationId: task.declaration_id,
    inspected: true,
    discrepancy: false,
    extraRevenue: '0.00',
    findings: { ...labelFindings(task), overturnedOnReview: reason },
    officerId: findings?.officerId ?? null,
  });
  return { refundDue: effect.refundDue ?? null, ...effectDetails(effect) };
}

async function recordReview(deps: ReviewDeps, tx: Tx, caller: Caller, task: TaskRow, body: DecisionBody, decision: Record<string, unknown>, details: Record<string, unknown>): Promise<TaskRow> {
  const now = deps.clock.now();
  const reviewStatus = body.uphold ? 'upheld' : 'overturned';
  const after = await repo.updateTask(
    tx,
    task.id,
    {
      review_status: reviewStatus,
      decision: JSON.stringify({ ...decision, on: 'protest' }),
      history: step(deps, task, {
        action: `protest_${reviewStatus}`,
        to: task.status,
        actor: caller.actor,
        reason: body.reason,
      }),
    },
    now,
  );
  await recordAudit(tx, {
    actor: caller.actor,
    action: `verification.protest_${reviewStatus}`,
    entityType: 'verification_task',
    entityId: task.id,
    subjects: subjectsOf(task),
    before: { reviewStatus: task.review_status },
    after: { reviewStatus, number: task.number, ...details },
    reason: body.reason,
    requestId: caller.requestId,
    at: now,
  });
  return after;
}
