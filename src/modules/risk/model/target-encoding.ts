/**
 * Smoothed historical fraud rates per profile (importer, HS code, importer x HS code, ...).
 *
 * rate = (frauds + m * prior) / (declarations + m)   (m-estimate, i.e. a Beta prior)
 *
 * A party with no history scores the prior; one with few declarations is pulled toward it,
 * so a single unlucky inspection does not brand a new importer, nor does a clean first
 * shipment clear one. For training rows the rate is computed out-of-fold (each row's own
 * fold is left out) so that the learner does not see its own label through the encoding.
 */
import { Rng } from './prng.ts';

/** Declarations and frauds seen for each profile key. */
export type CountTable = Map<string, { n: number; pos: number }>;

/** Serialised count table: parallel arrays. */
export interface CountTableJSON {
  keys: string[];
  n: number[];
  pos: number[];
}

export function smoothedRate(pos: number, n: number, prior: number, m: number): number {
  return (pos + m * prior) / (n + m);
}

export function buildCountTable(keys: readonly string[], y: ArrayLike<number>, rows?: ArrayLike<number>): CountTable {
  const t: CountTable = new Map();
  const add = (i: number): void => {
    const k = keys[i]!;
    const e = t.get(k);
    const yi = y[i]! > 0 ? 1 : 0;
    if (e) {
      e.n++;
      e.pos += yi;
    } else {
      t.set(k, { n: 1, pos: yi });
    }
  };
  if (rows) {
    for (let j = 0; j < rows.length; j++) {
      add(rows[j]!);
    }
  } else {
    for (let i = 0; i < keys.length; i++) {
      add(i);
    }
  }
  return t;
}

export function countTableToJSON(t: CountTable): CountTableJSON {
  const out: CountTableJSON = { keys: [], n: [], pos: [] };
  for (const [k, v] of t) {
    out.keys.push(k);
    out.n.push(v.n);
    out.pos.push(v.pos);
  }
  return out;
}

export function countTableFromJSON(j: CountTableJSON): CountTable {
  const t: CountTable = new Map();
  j.keys.forEach((k, i) => t.set(k, { n: j.n[i]!, pos: j.pos[i]! }));
  return t;
}

/** Assign each of n rows to one of k folds, balanced, in a seeded random order. */
export function assignFolds(n: number, k: number, seed: number): Uint8Array {
  if (k < 2 || k > 255) {
    throw new Error('folds must be in 2..255');
  }
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    perm[i] = i;
  }
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const folds = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    folds[perm[i]!] = i % k;
  }
  return folds;
}

/**
 * Out-of-fold encodings: for row i, rate and count come from the rows of the other folds.
 * Counts are scaled by k/(k-1) so that they match the full-data counts seen at scoring time.
 */
export function outOfFoldEncode(
  keys: readonly string[],
  y: ArrayLike<number>,
  folds: Uint8Array,
  k: number,
  prior: number,
  m: number,
): { rate: Float64Array; count: Float64Array } {
  const n = keys.length;
  const full = buildCountTable(keys, y);
  // Per-fold tables; the out-of-fold statistics are full minus own fold.
  const perFold: CountTable[] = [];
  for (let f = 0; f < k; f++) {
    perFold.push(new Map());
  }
  for (let i = 0; i < n; i++) {
    const t = perFold[folds[i]!]!;
    const key = keys[i]!;
    const e = t.get(key);
    const yi = y[i]! > 0 ? 1 : 0;
    if (e) {
      e.n++;
      e.pos += yi;
    } else {
      t.set(key, { n: 1, pos: yi });
    }
  }
  const rate = new Float64Array(n);
  const count = new Float64Array(n);
  const scale = k / (k - 1);
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const a = full.get(key)!;
    const b = perFold[folds[i]!]!.get(key)!;
    const cn = a.n - b.n;
    const cp = a.pos - b.pos;
    rate[i] = smoothedRate(cp, cn, prior, m);
    count[i] = cn * scale;
  }
  return { rate, count };
}
