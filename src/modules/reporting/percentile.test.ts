// The dashboards' arrival-to-release percentiles, computed as PostgreSQL's percentile_cont does.
import { describe, expect, it } from 'vitest';
import { percentile } from './reporting.repository.ts';

describe('percentile', () => {
  it('interpolates between neighbours like percentile_cont', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([4], 0.9)).toBe(4);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    // 0.9 * 9 = 8.1: a tenth of the way from the 9th value (9) to the 10th (100).
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 0.9)).toBeCloseTo(18.1, 10);
  });
});
