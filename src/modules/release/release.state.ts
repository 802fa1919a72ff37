// A release order ends when the goods pass the gate; there is exactly one gate-out per order.
import { stateMachine } from '#platform/state-machine.ts';
import type { ReleaseStatus } from './release.tables.ts';

export const releaseLifecycle = stateMachine<ReleaseStatus, 'gateOut'>('release order', {
  gateOut: { from: ['released'], to: 'exited' },
});
