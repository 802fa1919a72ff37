// Lifecycles of the partner module: an outgoing message (pending until the partner acknowledges
// it; failed attempts keep it pending, counted), and a movement a partner announced to us.
import { stateMachine } from '#platform/state-machine.ts';
import type { MessageStatus, PartnerMovementStatus } from './partner.tables.ts';

export const outgoingLifecycle = stateMachine<MessageStatus, 'acknowledge'>('partner message', {
  acknowledge: { from: ['pending'], to: 'acknowledged' },
});

export const partnerMovementLifecycle = stateMachine<PartnerMovementStatus, 'arrive'>('announced transit movement', {
  arrive: { from: ['expected'], to: 'arrived' },
});
