import { describe, expect, it } from 'vitest';
import {
  inspectedCount,
  logLoss,
  precisionAtPercent,
  rankByScore,
  recallAtPercent,
  rocAuc,
  selectionMetrics,
} from './metrics.ts';

describe('selection metrics', () => {
  // 10 rows, 4 frauds. Ranked: .9(1) .8(0) .7(1) .6(1) .5(0) .4(0) .3(0) .2(1) .1(0) .05(0)
  const scores = [0.5, 0.9, 0.1, 0.7, 0.3, 0.8, 0.2, 0.6, 0.4, 0.05];
  const labels = [0, 1, 0, 1, 0, 0, 1, 1, 0, 0];

  it('inspects exactly floor(N*n/100) rows', () => {
    expect(inspectedCount(10, 10)).toBe(1);
    expect(inspectedCount(10, 25)).toBe(2);
    expect(inspectedCount(8134, 5)).toBe(406);
    expect(inspectedCount(8134, 10)).toBe(813);
    expect(inspectedCount(100, 7)).toBe(7); // no floating-point shortfall
    expect(inspectedCount(10, 5)).toBe(0);
  });

  it('precision and recall at n%', () => {
    expect(precisionAtPercent(scores, labels, 10)).toBe(1); // top 1: fraud
    expect(precisionAtPercent(scores, labels, 20)).toBe(0.5); // top 2: 1 of 2
    expect(precisionAtPercent(scores, labels, 40)).toBe(0.75); // top 4: 3 of 4
    expect(precisionAtPercent(scores, labels, 100)).toBe(0.4);
    expect(precisionAtPercent(scores, labels, 5)).toBeNaN(); // nobody inspected
    expect(recallAtPercent(scores, labels, 40)).toBe(0.75);
    expect(recallAtPercent(scores, labels, 20)).toBe(0.25);
    expect(recallAtPercent(scores, labels, 80)).toBe(1);
    expect(recallAtPercent([1, 2], [0, 0], 50)).toBeNaN();
    const m = selectionMetrics(scores, labels, [10, 20, 40]);
    expect(m.precision).toEqual({ '10': 1, '20': 0.5, '40': 0.75 });
    expect(m.recall).toEqual({ '10': 0.25, '20': 0.25, '40': 0.75 });
  });

  it('breaks ties by input order, so results are deterministic', () => {
    expect([...rankByScore([0.5, 0.7, 0.5, 0.7, NaN, 0.1])]).toEqual([1, 3, 0, 2, 5, 4]);
    // All tied: the first k rows are inspected.
    expect(precisionAtPercent([1, 1, 1, 1], [1, 0, 0, 0], 25)).toBe(1);
    expect(precisionAtPercent([1, 1, 1, 1], [0, 1, 0, 0], 25)).toBe(0);
  });

  it('rejects mismatched lengths', () => {
    expect(() => precisionAtPercent([1, 2], [1], 50)).toThrow();
  });
});

describe('ROC AUC', () => {
  it('counts correctly ordered positive/negative pairs', () => {
    // Positives .35 and .8 vs negatives .1 and .4: pairs won 1 + 2 = 3 of 4.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.1, 0.2, 0.3], [0, 1, 1])).toBe(1);
    expect(rocAuc([0.3, 0.2, 0.1], [0, 1, 1])).toBe(0);
  });

  it('counts a tie between a positive and a negative as one half (average ranks)', () => {
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5);
    // Positives .5 (tied with a negative .5) and .9; negatives .5, .1:
    // pairs: (.5 vs .5) 0.5, (.5 vs .1) 1, (.9 vs .5) 1, (.9 vs .1) 1 -> 3.5 / 4.
    expect(rocAuc([0.5, 0.5, 0.9, 0.1], [1, 0, 1, 0])).toBe(0.875);
    expect(rocAuc([1, 1, 1], [1, 0, 0])).toBe(0.5);
  });

  it('is undefined with a single class', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });
});

describe('log loss', () => {
  it('is the mean negative log-likelihood', () => {
    expect(logLoss([0.5, 0.5], [1, 0])).toBeCloseTo(Math.log(2), 12);
    expect(logLoss([0.8, 0.1], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.9)) / 2, 12);
  });
});
