import { Dec, roundTo } from '#platform/money.ts';

/**
 * Splits a consignment amount (freight, insurance) over items in proportion to their value,
 * to the cent, so that the parts always add up to the whole (largest remainder goes first).
 * Each share is the exact quotient rounded half-up to 20 places, then floored to the cent.
 */
export function apportion(total: Dec, weights: Dec[], scale = 2): Dec[] {
  if (weights.length === 0) {
    return [];
  }
  const { floored, byRemainder } = flooredOnIntegers(total, weights, scale) ?? flooredOnDecimals(total, weights, scale);
  const unit = new Dec(1n, scale);
  let left = total;
  for (const part of floored) {
    left = left.minus(part);
  }
  for (const i of byRemainder) {
    if (left.lessThan(unit)) {
      break;
    }
    floored[i] = (floored[i] as Dec).plus(unit);
    left = left.minus(unit);
  }
  return floored;
}

interface Floored {
  floored: Dec[];
  /** Item positions, largest remainder first, then in order. */
  byRemainder: number[];
}

/** Shares by the exact rule: quotients at 20 places, their remainders past the cent compared. */
function flooredOnDecimals(total: Dec, weights: Dec[], scale: number): Floored {
  const weightSum = weights.reduce((a, b) => a.plus(b), new Dec(0));
  const shares = weightSum.isZero() ? weights.map(() => total.div(weights.length)) : weights.map((w) => total.times(w).div(weightSum));
  const floored = shares.map((s) => roundTo(s, scale, 'down'));
  const byRemainder = shares
    .map((s, i) => ({ i, rem: s.minus(floored[i] as Dec) }))
    .sort((a, b) => b.rem.comparedTo(a.rem) || a.i - b.i)
    .map((r) => r.i);
  return { floored, byRemainder };
}

/**
 * The same shares on integers, when every figure fits one (a total and weights of ordinary size,
 * none negative): share = total·w/W, at `scale` places = n/D with n = t·w and D = W·10^k. The
 * floor is n div D; the remainder past the cent is (n mod D)/D, which rounded to the 18 places
 * left of 20 keeps its order and never carries into the cent while D <= 10^18 (distinct
 * remainders differ by at least 1/D). So comparing n mod D gives the order the exact rule gives.
 */
function flooredOnIntegers(total: Dec, weights: Dec[], scale: number): Floored | undefined {
  let common = Math.max(scale, total.scale);
  for (const w of weights) {
    common = Math.max(common, w.scale);
  }
  const t = total.toScaledInteger(common);
  const w: number[] = [];
  let weightSum = 0;
  for (const weight of weights) {
    const x = weight.toScaledInteger(common);
    if (x === undefined || x < 0) {
      return undefined;
    }
    w.push(x);
    weightSum += x; // none negative: once past the safe range the sum stays past it
  }
  // total·w/W at `scale` places = (t/10^common)·w/W·10^scale = t·w / (W·10^(common-scale)).
  const denominator = weightSum * 10 ** (common - scale);
  if (t === undefined || t < 0 || weightSum === 0 || denominator > Number.MAX_SAFE_INTEGER) {
    return undefined;
  }
  const floored: Dec[] = [];
  const remainders: number[] = [];
  const byRemainder: number[] = [];
  for (let i = 0; i < w.length; i++) {
    const n = t * (w[i] as number);
    if (n > Number.MAX_SAFE_INTEGER) {
      return undefined;
    }
    const r = n % denominator;
    floored.push(new Dec((n - r) / denominator, scale));
    remainders.push(r);
    byRemainder.push(i);
  }
  byRemainder.sort(largestRemainderFirst.bind(remainders));
  return { floored, byRemainder };
}

/** Orders item positions by their remainder (this), largest first, then by position. */
function largestRemainderFirst(this: number[], a: number, b: number): number {
  return (this[b] as number) - (this[a] as number) || a - b;
}
