// Random selection: a share of otherwise-green declarations is checked anyway, so that the
// model keeps seeing what happens to declarations it would not have chosen (without them it
// learns only from its own selections). The draw comes from a cryptographic generator at the
// moment of lodgement: nothing the declarant holds (the declaration id, a public seed, the time)
// predicts it, and lodging again draws nothing new in its favour (an amendment never lowers a
// channel; a new declaration on the same consignment inherits its selection). The two numbers
// drawn are recorded with the decision, so the selection can be checked from the record.
import { randomBytes } from 'node:crypto';

/** Two independent uniform numbers in [0, 1): whether to select, and which channel. */
export type Draw = () => [selection: number, channel: number];

export const cryptoDraw: Draw = () => {
  const bytes = randomBytes(8);
  return [bytes.readUInt32BE(0) / 4294967296, bytes.readUInt32BE(4) / 4294967296];
};

export interface RandomSelection {
  selected: boolean;
  channel: 'yellow' | 'red' | null;
  /** The rate actually applied (after the AEO factor). */
  rate: number;
  /** What was drawn, as recorded: selected when selection < rate; red when channel < redShare. */
  draw: { selection: number; channel: number; rate: number; redShare: number };
}

/** The selection that a recorded draw gives: the rule written once, used at lodgement and to check a record. */
export function randomSelection(args: { draw: [number, number]; rate: number; redShare: number; factor: number }): RandomSelection {
  const rate = args.rate * args.factor;
  const [u, v] = args.draw;
  const draw = { selection: u, channel: v, rate, redShare: args.redShare };
  if (u >= rate) {
    return { selected: false, channel: null, rate, draw };
  }
  return { selected: true, channel: v < args.redShare ? 'red' : 'yellow', rate, draw };
}
