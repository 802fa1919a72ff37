// Who gets a verification task. The rule, stated once:
//
//   Among the officers on duty at the declaration's office, take those with the fewest tasks
//   awaiting their findings; draw one of them uniformly at random.
//
// Preferring the least loaded keeps queues even (no officer is buried while another idles);
// drawing at random among them means nobody can arrange to receive a given declaration, and
// nobody can choose one: there is no "claim" route. The draw uses a cryptographic generator
// (node:crypto randomInt) in production; tests pass a seeded one to repeat a run exactly.
import { randomInt } from 'node:crypto';

/** A uniform whole number in [0, n). */
export type RandomInt = (n: number) => number;

export const cryptoRandomInt: RandomInt = (n) => randomInt(n);

export interface Candidate {
  officerId: string;
  officerName: string;
  /** Tasks assigned to this officer still awaiting findings. */
  load: number;
}

export interface Draw {
  chosen: Candidate;
  /** The officers the draw was among (all with the least load), for the audit record. */
  pool: Candidate[];
  /** How many officers were on duty and eligible. */
  eligible: number;
}

/** Draws an officer by the rule above; undefined when nobody is eligible (the task waits). */
export function drawOfficer(candidates: readonly Candidate[], random: RandomInt, exclude: ReadonlySet<string> = new Set()): Draw | undefined {
  const eligible = candidates.filter((c) => !exclude.has(c.officerId));
  if (eligible.length === 0) {
    return undefined;
  }
  const least = Math.min(...eligible.map((c) => c.load));
  // Sorted so that the same seed gives the same officer whatever order the database returned.
  const pool = eligible.filter((c) => c.load === least).sort((a, b) => (a.officerId < b.officerId ? -1 : a.officerId > b.officerId ? 1 : 0));
  const index = random(pool.length);
  const chosen = pool[index];
  if (!Number.isInteger(index) || chosen === undefined) {
    throw new RangeError(`the random source gave ${index} for a pool of ${pool.length}`);
  }
  return { chosen, pool, eligible: eligible.length };
}

/**
 * A seeded generator (mulberry32) for tests and simulations: the same seed gives the same draws.
 * Not for production allocation, which must not be predictable.
 */
export function seededRandomInt(seed: number): RandomInt {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(u * n);
  };
}
