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
  return onIntegers(total, weights, scale) ?? onDecimals(total, weights, scale);
}

/** The rule on Decs: floored shares, then a cent each to the largest remainders while any is left. */
function onDecimals(total: Dec, weights: Dec[], scale: number): Dec[] {
  const { floored, byRemainder } = flooredOnDecimals(total, weights, scale);
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
 * The cents left over (fewer than the items: the floors lose less than a cent each) go one each
 * to the largest remainders, as on Decs; all of it on numbers, Decs made only for the shares.
 */
function onIntegers(total: Dec, weights: Dec[], scale: number): Dec[] | undefined {
  const count = weights.length;
  let common = scale > total.scale ? scale : total.scale;
  for (let i = 0; i < count; i++) {
    const s = (weights[i] as Dec).scale;
    common = s > common ? s : common;
  }
  const t = total.toScaledInteger(common);
  if (t === undefined || t < 0) {
    return undefined;
  }
  // Scratch, reused (apportioning is synchronous): each weight at `common` places, then each
  // item's share and its remainder.
  const scaled = scratch.weights;
  let weightSum = 0;
  for (let i = 0; i < count; i++) {
    const x = (weights[i] as Dec).toScaledInteger(common);
    if (x === undefined || x < 0) {
      return undefined;
    }
    scaled[i] = x;
    weightSum += x; // none negative: once past the safe range the sum stays past it
  }
  // total·w/W at `scale` places = (t/10^common)·w/W·10^scale = t·w / (W·10^(common-scale)).
  // The power by multiplying: a power of ten by `**` is a call to pow.
  let extra = 1;
  for (let k = scale; k < common; k++) {
    extra *= 10;
  }
  const denominator = weightSum * extra;
  if (weightSum === 0 || denominator > Number.MAX_SAFE_INTEGER) {
    return undefined;
  }
  const { shares, remainders } = scratch;
  // What is left of the total at `scale` places once the floors are taken: t is at `common` places.
  const totalAtScale = t / extra;
  if (!Number.isSafeInteger(totalAtScale)) {
    return undefined; // the total has digits past `scale`: the rule on Decs keeps them
  }
  let left = totalAtScale;
  for (let i = 0; i < count; i++) {
    const n = t * (scaled[i] as number);
    if (n > Number.MAX_SAFE_INTEGER) {
      return undefined;
    }
    const r = n % denominator;
    shares[i] = (n - r) / denominator;
    remainders[i] = r;
    left -= shares[i] as number;
  }
  // One cent each, largest remainder first, then by position, while a cent is left.
  for (; left >= 1; left--) {
    let best = -1;
    for (let i = 0; i < count; i++) {
      if (remainders[i] !== -1 && (best === -1 || (remainders[i] as number) > (remainders[best] as number))) {
        best = i;
      }
    }
    if (best === -1) {
      break;
    }
    shares[best] = (shares[best] as number) + 1;
    remainders[best] = -1;
  }
  const parts: Dec[] = new Array<Dec>(count);
  for (let i = 0; i < count; i++) {
    // As on Decs: a share that divides exactly keeps the quotient's own decimals (trimmed, as
    // division leaves it); one floored, or given a cent, has `scale` decimals.
    const part = new Dec(shares[i] as number, scale);
    parts[i] = remainders[i] === 0 ? part.trimmed() : part;
  }
  return parts;
}

const scratch = { weights: [] as number[], shares: [] as number[], remainders: [] as number[] };
