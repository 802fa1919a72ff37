import { describe, expect, it } from 'vitest';
import {
  assignFolds,
  buildCountTable,
  countTableFromJSON,
  countTableToJSON,
  outOfFoldEncode,
  smoothedRate,
} from './target-encoding.ts';

describe('smoothed fraud rates', () => {
  it('is the m-estimate: pulled toward the prior, more so with little history', () => {
    expect(smoothedRate(0, 0, 0.2, 10)).toBe(0.2); // no history: the prior
    expect(smoothedRate(1, 1, 0.2, 4)).toBeCloseTo((1 + 0.8) / 5, 12); // one fraud in one: 36%, not 100%
    expect(smoothedRate(43, 100, 0.2, 10)).toBeCloseTo(45 / 110, 12);
    expect(smoothedRate(3, 10, 0.2, 0)).toBe(0.3);
  });

  it('counts declarations and frauds per key; JSON round trip', () => {
    const t = buildCountTable(['a', 'b', 'a', 'a'], [1, 0, 0, 1]);
    expect(t.get('a')).toEqual({ n: 3, pos: 2 });
    expect(t.get('b')).toEqual({ n: 1, pos: 0 });
    expect(countTableFromJSON(countTableToJSON(t))).toEqual(t);
  });
});

describe('out-of-fold encoding', () => {
  it('assigns balanced, seeded folds', () => {
    const f = assignFolds(103, 5, 7);
    const sizes = [0, 0, 0, 0, 0];
    for (const v of f) {
      sizes[v]!++;
    }
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(assignFolds(103, 5, 7)).toEqual(f);
    expect(assignFolds(103, 5, 8)).not.toEqual(f);
  });

  it("leaves each row's own fold out", () => {
    // Two folds: rows 0,1 in fold 0, rows 2,3 in fold 1; all the same key.
    const folds = Uint8Array.from([0, 0, 1, 1]);
    const keys = ['k', 'k', 'k', 'k'];
    const y = [1, 1, 0, 0];
    const { rate, count } = outOfFoldEncode(keys, y, folds, 2, 0.5, 2);
    // Fold 0 rows see only fold 1: 0 frauds of 2 -> (0 + 2*.5)/(2 + 2) = .25; fold 1 rows: (2+1)/4.
    expect([...rate]).toEqual([0.25, 0.25, 0.75, 0.75]);
    // Counts are scaled by k/(k-1) to match full-data counts.
    expect([...count]).toEqual([4, 4, 4, 4]);
  });

  it('gives the prior to a key seen only in its own fold', () => {
    const { rate, count } = outOfFoldEncode(['a', 'b'], [1, 1], Uint8Array.from([0, 1]), 2, 0.2, 5);
    expect([...rate]).toEqual([0.2, 0.2]);
    expect([...count]).toEqual([0, 0]);
  });
});
