// A transit movement's lifecycle, and an alert's. Departure (customs at the office of departure)
// debits the guarantee and fixes the deadline; arrival at the destination office or exit at the
// border office is confirmed by customs there and discharges the movement, restoring the
// guarantee. Only a lodged movement is amended or cancelled, so nothing the trade does after
// departure can touch the deadline. A movement past its deadline is flagged overdue; customs may
// then call the guarantee for the duties at stake (final), or the goods arrive late and discharge.
import { stateMachine } from '#platform/state-machine.ts';
import type { AlertStatus, MovementStatus } from './transit.tables.ts';

export type MovementAction = 'amend' | 'depart' | 'cancel' | 'arrive' | 'exit' | 'discharge' | 'mark_overdue' | 'call';

export const movementLifecycle = stateMachine<MovementStatus, MovementAction>('transit movement', {
  amend: { from: ['lodged'], to: 'lodged' },
  depart: { from: ['lodged'], to: 'departed' },
  cancel: { from: ['lodged'], to: 'cancelled' },
  arrive: { from: ['departed', 'overdue'], to: 'arrived' },
  exit: { from: ['departed', 'overdue'], to: 'exited' },
  discharge: { from: ['arrived', 'exited'], to: 'discharged' },
  mark_overdue: { from: ['departed'], to: 'overdue' },
  call: { from: ['overdue'], to: 'called' },
});

export const movementStatuses: readonly MovementStatus[] = ['lodged', 'departed', 'arrived', 'exited', 'discharged', 'cancelled', 'overdue', 'called'];

/** Movements whose cargo still counts against the B/L's transit share (not yet written off, not cancelled). */
export const liveStatuses: readonly MovementStatus[] = ['lodged', 'departed', 'overdue', 'arrived', 'exited'];

/** Movements whose seals report: on the road. */
export const trackedStatuses: readonly MovementStatus[] = ['departed', 'overdue'];

export const alertLifecycle = stateMachine<AlertStatus, 'acknowledge'>('transit alert', {
  acknowledge: { from: ['open'], to: 'acknowledged' },
});
