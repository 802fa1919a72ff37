// Settle when paid: a task awaiting payment closes (control passed) once the declaration's whole
// corrected assessment is paid. In the transaction that may have completed the payment (the
// bank's confirmation, or the corrections themselves when payments already received cover them):
//
//   read the declaration and its balance   paid in full?
//   close as settled                       the close-task flow (label, control passed)
import type { Tx } from '#platform/db/transaction.ts';
import { Dec } from '#platform/money.ts';
import { systemActor } from '#modules/audit/index.ts';
import type { TaskRow } from '../inspection.tables.ts';
import { money, paidStatuses, subjectOf, type InspectionServiceDeps } from '../inspection.steps.ts';
import { closeTask, type CloseDeps } from './close-task.ts';

export type SettleDeps = CloseDeps & Pick<InspectionServiceDeps, 'payment'>;

/** Closes a task awaiting payment once the declaration's whole (corrected) assessment is paid. */
export async function settleIfPaid(deps: SettleDeps, tx: Tx, task: TaskRow, requestId: string | null): Promise<TaskRow> {
  const declaration = await subjectOf(deps, tx, task);
  const balance = await deps.payment.balance(tx, task.declaration_id);
  if (!paidStatuses.has(declaration.status) || new Dec(balance.balance).gt(0)) {
    return task;
  }
  return closeTask(deps, tx, task, 'settle', 'discrepancy_settled', {
    actor: systemActor,
    requestId,
    reason: `the corrected assessment is paid (KES ${money(balance.paid)} received): control passed`,
    details: { difference: task.difference, paid: balance.paid },
  });
}
