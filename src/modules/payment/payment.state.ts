// The life of a payment registration number. A PRN that has taken part payment does not expire:
// the bank has already taken money quoting it, and refusing the rest would strand the importer.
import { stateMachine } from '#platform/state-machine.ts';
import type { PrnStatus } from './payment.tables.ts';

export const prnLifecycle = stateMachine<PrnStatus, 'payPart' | 'settle' | 'cancel' | 'expire'>('payment reference', {
  payPart: { from: ['open', 'partly_paid'], to: 'partly_paid' },
  settle: { from: ['open', 'partly_paid'], to: 'paid' },
  cancel: { from: ['open', 'partly_paid'], to: 'cancelled' },
  expire: { from: ['open'], to: 'expired' },
});

/** PRNs the bank may still take money for. */
export const payableStatuses: readonly PrnStatus[] = ['open', 'partly_paid'];
