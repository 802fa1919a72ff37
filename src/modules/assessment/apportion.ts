import { Dec, roundTo } from '#platform/money.ts';

/**
 * Splits a consignment amount (freight, insurance) over items in proportion to their value,
 * to the cent, so that the parts always add up to the whole (largest remainder goes first).
 */
export function apportion(total: Dec, weights: Dec[], scale = 2): Dec[] {
  if (weights.length === 0) {
    return [];
  }
  const weightSum = weights.reduce((a, b) => a.plus(b), new Dec(0));
  const shares = weightSum.isZero() ? weights.map(() => total.div(weights.length)) : weights.map((w) => total.times(w).div(weightSum));
  const floored = shares.map((s) => roundTo(s, scale, 'down'));
  const unit = new Dec(1n, scale);
  let left = total.minus(floored.reduce((a, b) => a.plus(b), new Dec(0)));
  const byRemainder = shares.map((s, i) => ({ i, rem: s.minus(floored[i] as Dec) })).sort((a, b) => b.rem.comparedTo(a.rem) || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left.lessThan(unit)) {
      break;
    }
    floored[i] = (floored[i] as Dec).plus(unit);
    left = left.minus(unit);
  }
  return floored;
}
