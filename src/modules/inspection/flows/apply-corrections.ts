// Apply corrections: the officer's corrections amend the declaration once the declarant accepts
// them (or pays under protest) or a supervisor upholds them, in that answer's transaction:
//
//   correct the declaration   the declaration module re-assesses and asks for the difference
//                             (replacement PRN before payment, supplementary PRN or refund after)
//   await payment             the task's move through transition(), with the amendment applied
//   settle when paid          closes at once when nothing more is due
import type { Tx } from '#platform/db/transaction.ts';
import type { Actor } from '#modules/audit/index.ts';
import type { TaskRow } from '../inspection.tables.ts';
import type { TaskPatch } from '../inspection.repository.ts';
import { amendmentOf, effectDetails, moveTask, type Findings } from '../inspection.steps.ts';
import { settleIfPaid, type SettleDeps } from './settle-when-paid.ts';

const auditAction = {
  accept: 'verification.accepted',
  protest: 'verification.paid_under_protest',
  uphold: 'verification.upheld',
} as const;

/** Applies the officer's corrections to the declaration and records what is now to pay. */
export async function applyCorrections(
  deps: SettleDeps,
  tx: Tx,
  task: TaskRow,
  action: 'accept' | 'protest' | 'uphold',
  context: {
    actor: Actor;
    requestId: string | null;
    reason: string;
    patch: TaskPatch;
    details?: Record<string, unknown>;
  },
): Promise<TaskRow> {
  const findings = task.findings as Findings;
  const effect = await deps.declarations.applyCorrection(tx, task.declaration_id, findings.corrections, {
    actor: context.actor,
    requestId: context.requestId,
    reason: context.reason,
  });
  const moved = await moveTask(deps, tx, task, action, {
    patch: {
      ...context.patch,
      amendment: JSON.stringify(amendmentOf(effect, 'applied', deps.clock.now())),
      difference: effect.difference,
      prn: effect.prn?.prn ?? null,
      prn_amount: effect.prn?.amount ?? null,
    },
    actor: context.actor,
    requestId: context.requestId,
    reason: context.reason,
    details: { ...context.details, ...effectDetails(effect) },
    auditAction: auditAction[action],
  });
  return settleIfPaid(deps, tx, moved, context.requestId);
}
