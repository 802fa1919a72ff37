/**
 * Fast scoring-time lookup of profile statistics.
 *
 * Every attribute value seen in training gets a small integer id; a profile over several
 * attributes is resolved one attribute at a time through integer pair tables
 * (id of the prefix, id of the next value) -> id of the longer prefix. Scoring a declaration
 * then costs one string lookup per attribute and one integer probe per extra profile part,
 * instead of building and hashing composite key strings.
 */
import type { CountTable } from './target-encoding.ts';

/** Open-addressing hash table from a pair of non-negative int32 to a non-negative int32. */
export class IntPairTable {
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly v: Int32Array;
  private readonly mask: number;
  size = 0;

  constructor(capacityHint: number) {
    let cap = 16;
    while (cap < capacityHint * 2) {
      cap *= 2;
    }
    this.a = new Int32Array(cap).fill(-1);
    this.b = new Int32Array(cap);
    this.v = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Value for (a, b), or -1. */
  get(a: number, b: number): number {
    let i = this.slot(a, b);
    for (;;) {
      const k = this.a[i]!;
      if (k === -1) {
        return -1;
      }
      if (k === a && this.b[i] === b) {
        return this.v[i]!;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Value for (a, b), inserting `next` if absent (the table must not be full). */
  getOrAdd(a: number, b: number, next: number): number {
    let i = this.slot(a, b);
    for (;;) {
      const k = this.a[i]!;
      if (k === -1) {
        if (this.size * 2 >= this.mask + 1) {
          throw new Error('IntPairTable full');
        }
        this.a[i] = a;
        this.b[i] = b;
        this.v[i] = next;
        this.size++;
        return next;
      }
      if (k === a && this.b[i] === b) {
        return this.v[i]!;
      }
      i = (i + 1) & this.mask;
    }
  }
}

/** Dense ids for the values of one attribute. */
export type ValueIds = Map<string, number>;

/** Lookup structure for one profile (a list of attribute positions). */
export interface ProfileLookup {
  /** Index of each part in the attribute list. */
  parts: Int32Array;
  /** levels[j-1] maps (id of parts 0..j-1, id of part j) to the id of parts 0..j. */
  levels: IntPairTable[];
  /** Declarations and frauds per final id (0 when the combination was only a prefix). */
  n: Float64Array;
  pos: Float64Array;
}

export const KEY_SEPARATOR = '\u0001';

/**
 * Build value ids (shared across profiles, one map per attribute) and the per-profile
 * lookups from count tables whose keys are attribute values joined by KEY_SEPARATOR.
 */
export function buildProfileLookups(
  nAttributes: number,
  profiles: { parts: Int32Array; table: CountTable }[],
): { ids: ValueIds[]; lookups: ProfileLookup[] } {
  const ids: ValueIds[] = Array.from({ length: nAttributes }, () => new Map<string, number>());
  const idOf = (attr: number, value: string): number => {
    const m = ids[attr]!;
    let id = m.get(value);
    if (id === undefined) {
      m.set(value, (id = m.size));
    }
    return id;
  };
  const lookups = profiles.map(({ parts, table }) => {
    const levels = Array.from({ length: parts.length - 1 }, () => new IntPairTable(table.size));
    const finalIds: number[] = [];
    const stats: { n: number; pos: number }[] = [];
    for (const [key, stat] of table) {
      const values = key.split(KEY_SEPARATOR);
      if (values.length !== parts.length) {
        throw new Error('profile table key does not match its profile');
      }
      let id = idOf(parts[0]!, values[0]!);
      for (let j = 1; j < parts.length; j++) {
        const lv = levels[j - 1]!;
        id = lv.getOrAdd(id, idOf(parts[j]!, values[j]!), lv.size);
      }
      finalIds.push(id);
      stats.push(stat);
    }
    return { parts, levels, finalIds, stats };
  });
  return {
    ids,
    lookups: lookups.map(({ parts, levels, finalIds, stats }) => {
      const size = levels.length > 0 ? levels[levels.length - 1]!.size : ids[parts[0]!]!.size;
      const n = new Float64Array(size);
      const pos = new Float64Array(size);
      finalIds.forEach((id, i) => {
        n[id] = stats[i]!.n;
        pos[id] = stats[i]!.pos;
      });
      return { parts, levels, n, pos };
    }),
  };
}

/** Final id of a profile for the given attribute value ids (-1 = unknown value), or -1. */
export function resolveProfile(l: ProfileLookup, valueIds: Int32Array): number {
  const parts = l.parts;
  let id = valueIds[parts[0]!]!;
  for (let j = 1; j < parts.length && id >= 0; j++) {
    const v = valueIds[parts[j]!]!;
    id = v < 0 ? -1 : l.levels[j - 1]!.get(id, v);
  }
  return id;
}
