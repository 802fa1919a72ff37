// Random selection: a share of otherwise-green declarations is checked anyway, so that the
// model keeps seeing what happens to declarations it would not have chosen (without them it
// learns only from its own selections). The draw is a hash of the seed and the declaration id:
// reproducible (the same declaration always draws the same), testable, and no one can predict
// it without the seed.
import { createHash } from 'node:crypto';

/** Two independent uniform numbers in [0, 1) for this declaration and seed. */
export function drawFor(seed: string, declarationId: string): [selection: number, channel: number] {
  const h = createHash('sha256').update(`${seed}\u0000${declarationId}`).digest();
  return [h.readUInt32BE(0) / 4294967296, h.readUInt32BE(4) / 4294967296];
}

export interface RandomSelection {
  selected: boolean;
  channel: 'yellow' | 'red' | null;
  /** The rate actually applied (after the AEO factor). */
  rate: number;
}

export function randomSelection(args: { seed: string; declarationId: string; rate: number; redShare: number; factor: number }): RandomSelection {
  const rate = args.rate * args.factor;
  const [u, v] = drawFor(args.seed, args.declarationId);
  if (u >= rate) {
    return { selected: false, channel: null, rate };
  }
  return {
    selected: true,
    channel: v < args.redShare ? 'red' : 'yellow',
    rate,
  };
}
