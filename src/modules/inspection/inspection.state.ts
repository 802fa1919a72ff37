// The life of a verification task, as a table tests can enumerate.
//
//   open -allocate-> assigned -clear-> closed                       (no discrepancy: control passed)
//                    assigned -discrepancy-> awaiting_declarant
//   awaiting_declarant -accept | protest-> awaiting_payment -settle-> closed (control passed)
//   awaiting_declarant -reject-> escalated -uphold-> awaiting_payment
//                                escalated -overturn-> closed        (original assessment stands)
//
// Nobody takes a task: "allocate" is the system's random draw among the officers on duty, and
// "reassign" a supervisor's, always with a reason. An officer going off duty hands back the tasks
// still waiting for findings ("unassign"), which are drawn again. A declaration rejected while
// under verification closes its task ("withdraw"); a cancelled one does not: its check stays open
// and moves, with its officer, to the declaration that declares the goods again ("carry_over"),
// or a supervisor withdraws it.
import { stateMachine } from '#platform/state-machine.ts';
import type { TaskStatus } from './inspection.tables.ts';

export type TaskAction = 'allocate' | 'reassign' | 'unassign' | 'clear' | 'discrepancy' | 'accept' | 'protest' | 'reject' | 'uphold' | 'overturn' | 'settle' | 'withdraw' | 'carry_over';

export const taskLifecycle = stateMachine<TaskStatus, TaskAction>('verification task', {
  allocate: { from: ['open'], to: 'assigned' },
  /** A supervisor moves the task to another officer before findings are recorded. */
  reassign: { from: ['open', 'assigned'], to: 'assigned' },
  unassign: { from: ['assigned'], to: 'open' },
  clear: { from: ['assigned'], to: 'closed' },
  discrepancy: { from: ['assigned'], to: 'awaiting_declarant' },
  accept: { from: ['awaiting_declarant'], to: 'awaiting_payment' },
  protest: { from: ['awaiting_declarant'], to: 'awaiting_payment' },
  reject: { from: ['awaiting_declarant'], to: 'escalated' },
  uphold: { from: ['escalated'], to: 'awaiting_payment' },
  overturn: { from: ['escalated'], to: 'closed' },
  settle: { from: ['awaiting_payment'], to: 'closed' },
  withdraw: { from: ['open', 'assigned', 'awaiting_declarant', 'escalated', 'awaiting_payment'], to: 'closed' },
  carry_over: { from: ['open', 'assigned', 'awaiting_declarant', 'escalated', 'awaiting_payment'], to: 'closed' },
});

/** Tasks an officer is working on: what "load" counts when tasks are drawn. */
export const workingStatuses: readonly TaskStatus[] = ['assigned'];

/** Tasks not finished: at most one per declaration. */
export const liveTaskStatuses: readonly TaskStatus[] = ['open', 'assigned', 'awaiting_declarant', 'escalated', 'awaiting_payment'];
