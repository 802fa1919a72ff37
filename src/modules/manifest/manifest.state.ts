// The manifest's lifecycle. Amendments are the carrier's corrections before the conveyance
// arrives; after arrival only supplementary documents (cargo left off the manifest) may be added,
// and cargo is written off (discharged) as it leaves the terminal. Closing ends the manifest.
import { stateMachine } from '#platform/state-machine.ts';
import type { ManifestStatus } from './manifest.tables.ts';

export const manifestLifecycle = stateMachine<ManifestStatus, 'amend' | 'arrive' | 'supplement' | 'write_off' | 'close'>('manifest', {
  amend: { from: ['lodged'], to: 'lodged' },
  arrive: { from: ['lodged'], to: 'arrived' },
  supplement: { from: ['arrived'], to: 'arrived' },
  write_off: { from: ['arrived'], to: 'arrived' },
  close: { from: ['arrived'], to: 'closed' },
});
