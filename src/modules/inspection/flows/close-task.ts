// Close a verification task, in the caller's transaction (findings with no discrepancy, a
// supervisor's overturn, the corrected assessment paid, a withdrawal, a carry-over):
//
//   close             the task's move to "closed" through transition(), with its outcome
//   label the risk    the closed task's outcome is the risk engine's next training label
//   pass the control  the declaration's control passes; release follows if it is paid and arrived
// A carried-over check goes on under the next declaration: no label, no control passed yet. A
// withdrawn one passes no control.
import type { Tx } from '#platform/db/transaction.ts';
import { Dec } from '#platform/money.ts';
import type { Actor } from '#modules/audit/index.ts';
import type { TaskOutcome, TaskRow } from '../inspection.tables.ts';
import type { TaskPatch } from '../inspection.repository.ts';
import { labelFindings, money, moveTask, type Findings, type InspectionServiceDeps } from '../inspection.steps.ts';

export type CloseDeps = Pick<InspectionServiceDeps, 'clock' | 'outcomes' | 'declarations'>;

const closedWord = {
  clear: 'cleared',
  overturn: 'overturned',
  settle: 'settled',
  withdraw: 'withdrawn',
  carry_over: 'carried_forward',
} as const;

/** Closes the task: control passed (unless withdrawn) and the label for the risk engine. */
export async function closeTask(
  deps: CloseDeps,
  tx: Tx,
  task: TaskRow,
  action: keyof typeof closedWord,
  outcome: TaskOutcome,
  context: {
    actor: Actor;
    requestId: string | null;
    reason: string;
    patch?: TaskPatch;
    details?: Record<string, unknown>;
  },
): Promise<TaskRow> {
  const closed = await moveTask(deps, tx, task, action, {
    patch: { ...context.patch, outcome, closed_at: deps.clock.now() },
    actor: context.actor,
    requestId: context.requestId,
    reason: context.reason,
    details: { outcome, ...context.details },
    auditAction: `verification.${closedWord[action]}`,
  });
  if (outcome === 'carried_over') {
    return closed;
  }
  await labelForRisk(deps, tx, closed, outcome);
  if (outcome !== 'withdrawn') {
    await deps.declarations.passControl(tx, closed.declaration_id, {
      findings: `verification ${closed.number}: ${context.reason}`,
      actor: context.actor,
      requestId: context.requestId,
    });
  }
  return closed;
}

async function labelForRisk(deps: CloseDeps, tx: Tx, closed: TaskRow, outcome: TaskOutcome): Promise<void> {
  const findings = closed.findings as Findings | null;
  if (!findings) {
    return;
  }
  const discrepancy = outcome === 'discrepancy_settled' || (outcome === 'withdrawn' && findings.result === 'discrepancy');
  await deps.outcomes.recordOutcome(tx, {
    declarationId: closed.declaration_id,
    inspected: true,
    discrepancy,
    // Extra revenue is what the verification assessed and the declarant had to pay.
    extraRevenue: outcome === 'discrepancy_settled' ? money(Dec.max(new Dec(closed.difference ?? 0), 0)) : '0.00',
    findings: labelFindings(closed),
    officerId: findings.officerId,
  });
}
