import { describe, expect, it } from 'vitest';
import { binOf, computeBinEdges, Gbdt, trainGbdt } from './gbdt.ts';
import { Rng } from './prng.ts';
import { rocAuc } from './metrics.ts';

const exact = { subsample: 1, colsample: 1, minSamplesLeaf: 1, minHessianLeaf: 0 };

describe('binning', () => {
  it('uses midpoints between distinct values when there are few of them', () => {
    const e = computeBinEdges(Float64Array.from([3, 1, 2, 2, NaN, 1]), 255);
    expect([...e]).toEqual([1.5, 2.5]);
    expect(binOf(e, NaN)).toBe(0);
    expect(binOf(e, 1)).toBe(1);
    expect(binOf(e, 1.5)).toBe(1); // v <= edge goes to the lower bin
    expect(binOf(e, 2)).toBe(2);
    expect(binOf(e, 3)).toBe(3);
    expect(binOf(e, 100)).toBe(3);
  });

  it('cuts many distinct values into at most maxBins quantile bins of similar size', () => {
    const v = Float64Array.from({ length: 10_000 }, (_, i) => i);
    const e = computeBinEdges(v, 10);
    expect(e.length).toBe(9);
    const counts = new Array(11).fill(0);
    for (const x of v) {
      counts[binOf(e, x)]++;
    }
    expect(counts[0]).toBe(0);
    for (let b = 1; b <= 10; b++) {
      expect(counts[b]).toBe(1000);
    }
  });
});

describe('gradient boosting', () => {
  it('a single split gives the Newton leaf values -G/(H+lambda)*lr', () => {
    // y = [0,0,0,1]: base rate 1/4, base score ln(1/3); p = 1/4 for every row, so
    // g = p - y = [.25, .25, .25, -.75] and h = p(1-p) = .1875.
    // Gains (lambda = 1) G_L^2/(H_L+1) + G_R^2/(H_R+1) - 0: after x=1: .0926, after x=2: .3636,
    // after x=3: .5625/1.5625 + .5625/1.1875 = .8337 -> split at 3.5.
    // Left leaf: -(.75)/(.5625+1) * lr, right leaf: -(-.75)/(.1875+1) * lr, with lr = 0.5.
    const X = Float64Array.from([1, 2, 3, 4]);
    const m = trainGbdt(X, 1, [0, 0, 0, 1], { ...exact, nRounds: 1, maxLeaves: 2, lambda: 1, learningRate: 0.5 });
    const base = Math.log(1 / 3);
    expect(m.baseScore).toBeCloseTo(base, 12);
    expect(m.predictRaw([1])).toBeCloseTo(base - (0.75 / 1.5625) * 0.5, 12);
    expect(m.predictRaw([3])).toBeCloseTo(base - 0.24, 12);
    expect(m.predictRaw([4])).toBeCloseTo(base + (0.75 / 1.1875) * 0.5, 12);
    const tree = m.toJSON().trees[0]!;
    expect(tree.feature[0]).toBe(0);
    expect(tree.threshold[0]).toBe(3.5);
    expect(tree.feature.filter((f) => f >= 0)).toHaveLength(1);
  });

  it('honours min samples per leaf', () => {
    // With at least 2 rows per leaf the split after x=3 is not allowed: the best is after x=2.
    const m = trainGbdt(Float64Array.from([1, 2, 3, 4]), 1, [0, 0, 0, 1], {
      ...exact,
      minSamplesLeaf: 2,
      nRounds: 1,
      maxLeaves: 2,
      lambda: 1,
      learningRate: 1,
    });
    expect(m.toJSON().trees[0]!.threshold[0]).toBe(2.5);
    // G_R = .25 - .75 = -.5, H_R = .375
    expect(m.predictRaw([4]) - m.baseScore).toBeCloseTo(0.5 / 1.375, 12);
  });

  it('learns a perfectly separable dataset', () => {
    const rng = new Rng(5);
    const n = 400;
    const X = new Float64Array(n * 2);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      X[2 * i] = rng.next();
      X[2 * i + 1] = rng.next();
      y[i] = X[2 * i]! + X[2 * i + 1]! > 1 ? 1 : 0;
    }
    const m = trainGbdt(X, 2, y, { nRounds: 60, learningRate: 0.5, maxLeaves: 8, minSamplesLeaf: 1, lambda: 0.1 });
    const p = Array.from({ length: n }, (_, i) => m.predict(X.subarray(2 * i, 2 * i + 2)));
    expect(p.every((pi, i) => (pi > 0.5 ? 1 : 0) === y[i])).toBe(true);
    expect(rocAuc(p, y)).toBe(1);
  });

  it('sends missing values to the side that fits them best', () => {
    // Missing values are all positives; observed values are negatives on both sides.
    const xs = [NaN, NaN, NaN, NaN, 1, 2, 3, 4, 5, 6, 7, 8];
    const y = xs.map((x) => (Number.isNaN(x) ? 1 : 0));
    const m = trainGbdt(Float64Array.from(xs), 1, y, { ...exact, nRounds: 20, learningRate: 0.5, maxLeaves: 4 });
    expect(m.predict([NaN])).toBeGreaterThan(0.9);
    expect(m.predict([1])).toBeLessThan(0.1);
    expect(m.predict([8])).toBeLessThan(0.1);
  });

  it('grows depth-wise within maxDepth', () => {
    const rng = new Rng(9);
    const n = 300;
    const X = Float64Array.from({ length: n * 3 }, () => rng.next());
    const y = Array.from({ length: n }, (_, i) => (X[3 * i]! > 0.5 !== X[3 * i + 1]! > 0.5 ? 1 : 0));
    const m = trainGbdt(X, 3, y, { growth: 'depthwise', maxDepth: 2, maxLeaves: 64, nRounds: 5, minSamplesLeaf: 5 });
    for (const t of m.toJSON().trees) {
      const depth = (i: number): number =>
        t.feature[i]! < 0 ? 0 : 1 + Math.max(depth(t.left[i]!), depth(t.right[i]!));
      expect(depth(0)).toBeLessThanOrEqual(2);
      expect(t.feature.filter((f) => f < 0).length).toBeLessThanOrEqual(4);
    }
  });

  function noisy(seed: number): { X: Float64Array; y: number[] } {
    const rng = new Rng(seed);
    const n = 500;
    const X = Float64Array.from({ length: n * 4 }, () => (rng.next() < 0.05 ? NaN : rng.next()));
    const y = Array.from({ length: n }, (_, i) =>
      rng.next() < 0.2 + 0.6 * (X[4 * i]! || 0) * (X[4 * i + 2]! || 0) ? 1 : 0,
    );
    return { X, y };
  }

  it('is deterministic for a seed, and the seed matters when subsampling', () => {
    const { X, y } = noisy(1);
    const params = { nRounds: 30, subsample: 0.7, colsample: 0.5, maxLeaves: 8, minSamplesLeaf: 5 };
    const a = trainGbdt(X, 4, y, { ...params, seed: 11 });
    const b = trainGbdt(X, 4, y, { ...params, seed: 11 });
    const c = trainGbdt(X, 4, y, { ...params, seed: 12 });
    const pred = (m: Gbdt): number[] =>
      Array.from({ length: 500 }, (_, i) => m.predictRaw(X.subarray(4 * i, 4 * i + 4)));
    expect(pred(a)).toEqual(pred(b));
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(pred(a)).not.toEqual(pred(c));
  });

  it('tree-path contributions add up to the raw score; JSON round trip keeps predictions', () => {
    const { X, y } = noisy(2);
    const m = trainGbdt(X, 4, y, { nRounds: 25, maxLeaves: 8, minSamplesLeaf: 5, subsample: 0.8 });
    const back = Gbdt.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    for (let i = 0; i < 50; i++) {
      const x = X.subarray(4 * i, 4 * i + 4);
      const c = m.contributions(x);
      expect(c.reduce((s, v) => s + v, 0)).toBeCloseTo(m.predictRaw(x), 10);
      expect(back.predictRaw(x)).toBe(m.predictRaw(x));
    }
    // Features 1 and 3 are noise: the informative ones get most of the splits.
    const splits = m.splitCounts();
    expect(splits[0]! + splits[2]!).toBeGreaterThan(splits[1]! + splits[3]!);
  });

  it('rejects malformed trees', () => {
    expect(
      () =>
        new Gbdt({
          nFeatures: 1,
          baseScore: 0,
          trees: [
            {
              feature: [0, -1, -1],
              threshold: [0, 0, 0],
              missingLeft: [0, 0, 0],
              left: [1, -1, -1],
              right: [1, -1, -1],
              value: [0, 1, 2],
            },
          ],
        }),
    ).toThrow();
  });
});
