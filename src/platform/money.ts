// Exact decimal arithmetic for amounts, rates and quantities: never JS floating point for money.
// A Dec is an integer number of units at a decimal scale (value = units / 10^scale), so sums and
// products are always exact. Division, the one inexact operation, rounds half-up to
// DIVISION_PLACES decimals; amounts are then rounded to the cent by the rounding rule.
//
// Two representations of the units, one API. Almost every figure in an assessment (amounts to
// the cent, rates, quantities, their products) is an integer below 2^53 once scaled, and a JS
// number holds such an integer exactly: that is the fast path, with no allocation beyond the Dec
// itself. An operation whose exact result would leave the safe range (|n| > 2^53 - 1), or a
// division that does not terminate within a few digits, is done on BigInt instead, as before
// this change; its result drops back to a number when it fits. A number here is never a binary
// fraction: it only ever holds an integer count of units, and every fast operation checks that
// its result is still exact before trusting it. `exact` below is the BigInt arithmetic itself,
// exported so a property test can hold the fast path to it digit for digit.
// Written here rather than taken from decimal.js because the assessment engine must assess a
// million items a second.

export type RoundingMode = 'half-up' | 'half-even' | 'down' | 'up';

/** Decimal places kept by division (apportionment, reducing a retail price to a customs value). */
export const DIVISION_PLACES = 20;

/**
 * Bounds on a decimal read from text. Amounts, rates and quantities need a few dozen digits at
 * most; a text of 150,000 digits (or an exponent of a million) would make BigInt arithmetic take
 * the process down, so such input is refused before it is parsed. Values computed inside (products,
 * quotients at DIVISION_PLACES) stay well within these bounds when written out and read back.
 */
export const MAX_DECIMAL_DIGITS = 100;
export const MAX_DECIMAL_EXPONENT = 100;

/** A decimal text outside the bounds above: input the schemas should have refused first. */
export class DecimalRangeError extends RangeError {
  override readonly name = 'DecimalRangeError';
}

const SAFE = Number.MAX_SAFE_INTEGER;
const BIG_SAFE = BigInt(SAFE);
/** Powers of ten a number holds exactly and whose products with a unit count are checked: 10^0..10^15. */
const TENS = Array.from({ length: 16 }, (_, i) => 10 ** i);
/** Digits a number holds however they are written (10^15 < 2^53). */
const SAFE_DIGITS = 15;

/**
 * Whether `n`, the float result of adding or multiplying two safe integers, is exactly that result:
 * rounding is monotonic and 2^53 is a float, so an exact result beyond 2^53 - 1 never rounds back
 * inside it, and one inside it is represented exactly.
 */
function isExact(n: number): boolean {
  return n <= SAFE && n >= -SAFE;
}

const pattern = /^([+-])?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** Longest text worth running the pattern on: the digits, a sign, a point and an exponent. */
const maxTextLength = MAX_DECIMAL_DIGITS + 8;
const powers: bigint[] = [1n];
function pow10(n: number): bigint {
  for (let i = powers.length; i <= n; i++) {
    powers.push((powers[i - 1] as bigint) * 10n);
  }
  return powers[n] as bigint;
}

function parse(text: string): { units: number | bigint; scale: number } {
  const trimmed = text.trim();
  if (trimmed.length > maxTextLength) {
    throw new DecimalRangeError(`a decimal number may have at most ${MAX_DECIMAL_DIGITS} digits (got ${trimmed.length} characters)`);
  }
  const m = pattern.exec(trimmed);
  if (!m) {
    throw new Error(`"${text}" is not a decimal number`);
  }
  const fraction = m[3] ?? '';
  const digitText = (m[2] as string) + fraction;
  const exponent = Number(m[4] ?? 0);
  if (digitText.length > MAX_DECIMAL_DIGITS || Math.abs(exponent) > MAX_DECIMAL_EXPONENT) {
    throw new DecimalRangeError(`"${trimmed}" is outside the decimal range (at most ${MAX_DECIMAL_DIGITS} digits, exponent within ±${MAX_DECIMAL_EXPONENT})`);
  }
  const negative = m[1] === '-';
  const scale = fraction.length - exponent;
  if (digitText.length <= SAFE_DIGITS && scale >= -SAFE_DIGITS) {
    const units = scale < 0 ? Number(digitText) * (TENS[-scale] as number) : Number(digitText);
    if (isExact(units)) {
      return { units: negative ? -units : units, scale: Math.max(scale, 0) };
    }
  }
  const units = BigInt(digitText) * (scale < 0 ? pow10(-scale) : 1n);
  return { units: negative ? -units : units, scale: Math.max(scale, 0) };
}

/**
 * The rounding rule, once for both number kinds: whether a quotient truncated toward zero, with a
 * remainder left, moves away from zero. `half` compares twice the remainder with the divisor: -1
 * below half, 0 at, 1 above; `odd`, whether the quotient is odd, decides half-even at exactly half
 * (callers work it out only then). Half-up, the national rounding, is asked first.
 */
function roundsAway(mode: RoundingMode, half: -1 | 0 | 1, odd: boolean): boolean {
  if (mode === 'half-up') {
    return half >= 0;
  }
  if (mode === 'half-even') {
    return half > 0 || (half === 0 && odd);
  }
  return mode === 'up';
}

/**
 * The exact arithmetic on BigInt units: the whole of Dec before the fast path, and still its
 * fallback. Each function takes and returns units at a scale the caller tracks.
 */
export const exact = {
  /** Units at `from` decimal places rounded to `to` (< from) places with the given mode. */
  rescaleDown(units: bigint, from: number, to: number, mode: RoundingMode): bigint {
    const divisor = pow10(from - to);
    const q = units / divisor; // truncates toward zero
    const r = units % divisor;
    if (r === 0n) {
      return q;
    }
    const twice = (r < 0n ? -r : r) * 2n;
    const half = twice > divisor ? 1 : twice === divisor ? 0 : -1;
    return roundsAway(mode, half, half === 0 && q % 2n !== 0n) ? (units < 0n ? q - 1n : q + 1n) : q;
  },

  /** Both operands at the larger of their scales. */
  aligned(a: bigint, aScale: number, b: bigint, bScale: number): [bigint, bigint, number] {
    if (aScale === bScale) {
      return [a, b, aScale];
    }
    return aScale > bScale ? [a, b * pow10(aScale - bScale), aScale] : [a * pow10(bScale - aScale), b, bScale];
  },

  /** a/10^aScale ÷ b/10^bScale rounded half-up to `places` decimals, as units at `places`. */
  divide(a: bigint, aScale: number, b: bigint, bScale: number, places: number): bigint {
    // At `places` decimals = a·10^(places+bScale-aScale+1) / b truncated, then the last digit rounded.
    const shift = places + bScale - aScale + 1;
    const numerator = shift >= 0 ? a * pow10(shift) : a / pow10(-shift);
    return exact.rescaleDown(numerator / b, places + 1, places, 'half-up');
  },
};

/** Half the safe range: a quotient by a power of ten (<= 10^15) times that power stays exact below it. */
const HALF_SAFE = 2 ** 52;

/** Units at `from` places rounded to `to` (< from) places, on numbers; undefined when it needs BigInt. */
function roundUnits(units: number, from: number, to: number, mode: RoundingMode): number | undefined {
  const divisor = TENS[from - to];
  if (divisor === undefined) {
    return undefined;
  }
  let q: number;
  let r: number;
  if (units < HALF_SAFE && units > -HALF_SAFE) {
    // The float quotient, truncated, is the integer quotient or one off it when the true quotient
    // lies within rounding of an integer; the remainder (exact: q·divisor stays below 2^53 here)
    // says which, and one step puts it right. Cheaper than % on a double (a call to fmod).
    q = Math.trunc(units / divisor);
    r = units - q * divisor;
    if (units >= 0) {
      if (r < 0) {
        q -= 1;
        r += divisor;
      } else if (r >= divisor) {
        q += 1;
        r -= divisor;
      }
    } else if (r > 0) {
      q += 1;
      r -= divisor;
    } else if (r <= -divisor) {
      q -= 1;
      r += divisor;
    }
  } else {
    // % on integers is exact, and so is dividing the exact multiple left after taking it away.
    r = units % divisor;
    q = (units - r) / divisor;
  }
  if (r === 0) {
    return q;
  }
  const twice = Math.abs(r) * 2;
  const half = twice > divisor ? 1 : twice === divisor ? 0 : -1;
  return roundsAway(mode, half, half === 0 && q % 2 !== 0) ? (units < 0 ? q - 1 : q + 1) : q;
}

/** Largest divisor whose remainders, times ten, stay safe integers. */
const MAX_FAST_DIVISOR = Math.floor(SAFE / 10);
/** Largest quotient that can take one more digit and stay a safe integer. */
const MAX_BEFORE_DIGIT = Math.floor((SAFE - 9) / 10);

/**
 * a/b (a >= 0, b > 0, safe integers) rounded half-up to at most `places` decimals by long division,
 * as [units, scale] without trailing zeros; undefined when the quotient's units would leave the
 * safe range (a division that does not terminate in a few digits), for BigInt to do.
 */
function divideFast(a: number, b: number, places: number): [number, number] | undefined {
  if (b > MAX_FAST_DIVISOR) {
    return undefined;
  }
  let rem = a % b;
  let units = (a - rem) / b;
  let scale = 0;
  while (rem !== 0 && scale < places) {
    if (units > MAX_BEFORE_DIGIT) {
      return undefined;
    }
    rem *= 10;
    const next = rem % b;
    units = units * 10 + (rem - next) / b;
    rem = next;
    scale++;
  }
  // Not exact at `places` decimals: the next digit rounds away from zero when it is five or more.
  if (rem !== 0 && rem * 2 >= b) {
    if (units >= SAFE) {
      return undefined;
    }
    units += 1;
    while (scale > 0 && units % 10 === 0) {
      units /= 10;
      scale--;
    }
  }
  return [units, scale];
}

/** Whether Decs made now keep their units on BigInt whatever their size: see onExactPath. */
let exactOnly = false;

/**
 * Runs `work` with every Dec made inside it keeping its units on BigInt, so no fast path is
 * taken: the arithmetic as it was before the fast path. For property tests that hold the engine's
 * fast path to the exact one digit for digit; build the inputs inside `work` too.
 */
export function onExactPath<T>(work: () => T): T {
  const before = exactOnly;
  exactOnly = true;
  try {
    return work();
  } finally {
    exactOnly = before;
  }
}

export class Dec {
  /**
   * The units: a number while they are a safe integer (the fast path), a bigint beyond that.
   * One field of either type (rather than a number field and a bigint field) keeps small units
   * unboxed in the object and the object small.
   * Both fields are `declare`d: no class-field initialiser runs before the constructor sets them
   * (it would first store undefined, costing a shape change on every Dec made).
   */
  private declare readonly u: number | bigint;
  declare readonly scale: number;

  /**
   * A decimal from its text ("1234.50", "1.5e3"), a number (an integer, or a float written out
   * by String()), another Dec, or integer units at `scale` decimals (a bigint, or a safe integer).
   */
  constructor(value: string | number | bigint | Dec, scale = 0) {
    let units: number | bigint;
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      units = value;
    } else if (typeof value === 'bigint') {
      units = value;
    } else if (value instanceof Dec) {
      units = value.u;
      scale = value.scale;
    } else {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new Error(`${value} is not a decimal number`);
      }
      ({ units, scale } = parse(String(value)));
    }
    if (exactOnly) {
      this.u = typeof units === 'bigint' ? units : BigInt(units);
    } else if (typeof units === 'number') {
      this.u = units + 0; // + 0 turns -0 into 0
    } else {
      this.u = units >= -BIG_SAFE && units <= BIG_SAFE ? Number(units) : units;
    }
    // Always a small integer; `| 0` says so to the optimising compiler, which would otherwise store
    // a scale it computed as a float in a heap number of its own (and then every Dec's scale).
    this.scale = scale | 0;
  }

  /** The units as a BigInt, for the exact path. */
  get units(): bigint {
    return typeof this.u === 'bigint' ? this.u : BigInt(this.u);
  }

  private static of(units: number | bigint, scale: number): Dec {
    return new Dec(units, scale);
  }

  /**
   * The value times 10^scale as a JS number, when that is an integer a number holds exactly
   * (|n| <= 2^53 - 1) and `scale` is at least this value's; undefined otherwise. For callers with
   * a fast integer path of their own (apportionment), falling back to Dec arithmetic when undefined.
   */
  toScaledInteger(scale: number): number | undefined {
    const up = TENS[scale - this.scale];
    if (typeof this.u === 'bigint' || up === undefined) {
      return undefined;
    }
    const n = this.u * up;
    return isExact(n) ? n : undefined;
  }

  /** Both operands' units at the larger scale as numbers, when they stay exact; undefined otherwise. */
  private alignedFast(o: Dec): [number, number, number] | undefined {
    const a = this.u;
    const b = o.u;
    if (typeof a === 'bigint' || typeof b === 'bigint') {
      return undefined;
    }
    if (this.scale === o.scale) {
      return [a, b, this.scale];
    }
    const up = TENS[Math.abs(this.scale - o.scale)];
    if (up === undefined) {
      return undefined;
    }
    const aligned = this.scale > o.scale ? b * up : a * up;
    if (!isExact(aligned)) {
      return undefined;
    }
    return this.scale > o.scale ? [a, aligned, this.scale] : [aligned, b, o.scale];
  }

  private alignedExact(o: Dec): [bigint, bigint, number] {
    return exact.aligned(this.units, this.scale, o.units, o.scale);
  }

  plus(other: Dec | string | number): Dec {
    const o = other instanceof Dec ? other : new Dec(other);
    return this.sum(o, 1);
  }

  minus(other: Dec | string | number): Dec {
    const o = other instanceof Dec ? other : new Dec(other);
    return this.sum(o, -1);
  }

  /**
   * This plus `sign` times `o`. On numbers the operands are aligned in place (no tuple), each
   * step checked to stay a safe integer; otherwise on BigInt.
   */
  private sum(o: Dec, sign: 1 | -1): Dec {
    const a = this.u;
    const b = o.u;
    if (typeof a === 'number' && typeof b === 'number') {
      const sa = this.scale;
      const sb = o.scale;
      if (sa === sb) {
        const total = a + sign * b;
        if (isExact(total)) {
          return new Dec(total, sa);
        }
      } else {
        const up = TENS[sa > sb ? sa - sb : sb - sa];
        if (up !== undefined) {
          const x = sa > sb ? a : a * up;
          const y = sa > sb ? b * up : b;
          const total = x + sign * y;
          if (isExact(x) && isExact(y) && isExact(total)) {
            return new Dec(total, sa > sb ? sa : sb);
          }
        }
      }
    }
    const [x, y, s] = this.alignedExact(o);
    return Dec.of(sign === 1 ? x + y : x - y, s);
  }

  times(other: Dec | string | number): Dec {
    return this.product(toDec(other), 0);
  }

  /** `rate` percent of this value, exactly (moving the point instead of dividing by 100). */
  percent(rate: Dec): Dec {
    return this.product(rate, 2);
  }

  /**
   * This times `o` (with the point moved `shift` places left: 2 for a percentage) rounded to
   * `places` with `mode`: exactly `this.times(o)` (or `.percent(o)`) then `.toDecimalPlaces(places,
   * mode)`, same units and scale, without the intermediate Dec when the product is a safe integer.
   */
  timesRounded(o: Dec, shift: 0 | 2, places: number, mode: RoundingMode): Dec {
    const a = this.u;
    const b = o.u;
    if (typeof a === 'number' && typeof b === 'number') {
      const p = a * b;
      if (isExact(p)) {
        const scale = this.scale + o.scale + shift;
        if (scale <= places) {
          return new Dec(p, scale);
        }
        const r = roundUnits(p, scale, places, mode);
        if (r !== undefined) {
          return new Dec(r, places);
        }
      }
    }
    return this.product(o, shift).toDecimalPlaces(places, mode);
  }

  /** This times `o`, with the point moved `shift` places left. */
  private product(o: Dec, shift: number): Dec {
    const scale = this.scale + o.scale + shift;
    if (typeof this.u === 'number' && typeof o.u === 'number') {
      const p = this.u * o.u;
      if (isExact(p)) {
        return Dec.of(p, scale);
      }
    }
    return Dec.of(this.units * o.units, scale);
  }

  /** Division rounded half-up to `places` decimals (default DIVISION_PLACES). */
  div(other: Dec | string | number, places = DIVISION_PLACES): Dec {
    const o = toDec(other);
    if (o.isZero()) {
      throw new RangeError('division by zero');
    }
    const fast = this.divFast(o, places);
    if (fast) {
      return fast;
    }
    return Dec.of(exact.divide(this.units, this.scale, o.units, o.scale, places), places).trimmed();
  }

  /** The quotient by long division on numbers, when it terminates (or rounds) within the safe range. */
  private divFast(o: Dec, places: number): Dec | undefined {
    const x = this.u;
    const y = o.u;
    if (typeof x === 'bigint' || typeof y === 'bigint') {
      return undefined;
    }
    // a/10^s1 ÷ b/10^s2 = (a·10^(s2-s1)) / b: the power of ten goes on whichever side keeps it whole.
    const up = TENS[Math.abs(o.scale - this.scale)];
    if (up === undefined) {
      return undefined;
    }
    const a = Math.abs(x) * (o.scale > this.scale ? up : 1);
    const b = Math.abs(y) * (o.scale < this.scale ? up : 1);
    const q = isExact(a) && isExact(b) ? divideFast(a, b, places) : undefined;
    if (!q) {
      return undefined;
    }
    const negative = x < 0 !== y < 0;
    return Dec.of(negative ? -q[0] : q[0], q[1]);
  }

  toDecimalPlaces(places: number, mode: RoundingMode = 'half-up'): Dec {
    if (this.scale <= places) {
      return this;
    }
    const fast = typeof this.u === 'number' ? roundUnits(this.u, this.scale, places, mode) : undefined;
    return Dec.of(fast ?? exact.rescaleDown(this.units, this.scale, places, mode), places);
  }

  /** The same value with trailing zeros dropped from the scale (keeps numbers small). */
  trimmed(): Dec {
    const u = this.u;
    if (this.scale === 0 || (typeof u === 'number' ? u % 10 !== 0 : u % 10n !== 0n)) {
      return this;
    }
    let scale = this.scale;
    if (typeof u === 'number') {
      let units = u;
      while (scale > 0 && units % 10 === 0) {
        units /= 10;
        scale--;
      }
      return Dec.of(units, scale);
    }
    let units = u;
    while (scale > 0 && units % 10n === 0n) {
      units /= 10n;
      scale--;
    }
    return Dec.of(units, scale);
  }

  comparedTo(other: Dec | string | number): -1 | 0 | 1 {
    const o = other instanceof Dec ? other : new Dec(other);
    const a = this.u;
    const b = o.u;
    if (typeof a === 'number' && typeof b === 'number') {
      if (this.scale === o.scale) {
        return a < b ? -1 : a > b ? 1 : 0;
      }
      // Signs decide alone when they differ; otherwise align when that stays exact.
      if ((a < 0) !== (b < 0) || a === 0 || b === 0) {
        return a < b ? -1 : a > b ? 1 : 0;
      }
      const fast = this.alignedFast(o);
      if (fast) {
        return fast[0] < fast[1] ? -1 : fast[0] > fast[1] ? 1 : 0;
      }
    }
    const [x, y] = this.alignedExact(o);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  equals(other: Dec | string | number): boolean {
    return this.comparedTo(other) === 0;
  }
  greaterThan(other: Dec | string | number): boolean {
    return this.comparedTo(other) > 0;
  }
  greaterThanOrEqualTo(other: Dec | string | number): boolean {
    return this.comparedTo(other) >= 0;
  }
  lessThan(other: Dec | string | number): boolean {
    return this.comparedTo(other) < 0;
  }
  lessThanOrEqualTo(other: Dec | string | number): boolean {
    return this.comparedTo(other) <= 0;
  }
  isZero(): boolean {
    const u = this.u;
    return typeof u === 'number' ? u === 0 : u === 0n;
  }
  isNegative(): boolean {
    return this.u < 0;
  }
  /** Strictly greater than zero. */
  isPositive(): boolean {
    return this.u > 0;
  }
  abs(): Dec {
    return this.isNegative() ? this.negated() : this;
  }
  negated(): Dec {
    return Dec.of(-this.u, this.scale);
  }
  /** Number of decimals once trailing zeros are dropped. */
  decimalPlaces(): number {
    return this.trimmed().scale;
  }

  /** Plain notation, no exponent, no trailing zeros: "92", "0.025", "-1250.5". */
  toString(): string {
    const t = this.trimmed();
    return format(t.u, t.scale);
  }

  /** Exactly `places` decimals, rounded half-up: how amounts are shown and stored. */
  toFixed(places = 0): string {
    const r = this.toDecimalPlaces(places, 'half-up');
    const up = TENS[places - r.scale];
    const fast = typeof r.u === 'number' && up !== undefined ? r.u * up : undefined;
    return format(fast !== undefined && isExact(fast) ? fast : r.units * pow10(places - r.scale), places);
  }
  toNumber(): number {
    return Number(this.toString());
  }

  toJSON(): string {
    return this.toString();
  }

  // The short names decimal.js users reach for, so either spelling reads naturally.
  add(o: Dec | string | number): Dec {
    return this.plus(o);
  }
  sub(o: Dec | string | number): Dec {
    return this.minus(o);
  }
  mul(o: Dec | string | number): Dec {
    return this.times(o);
  }
  neg(): Dec {
    return this.negated();
  }
  eq(o: Dec | string | number): boolean {
    return this.equals(o);
  }
  gt(o: Dec | string | number): boolean {
    return this.greaterThan(o);
  }
  gte(o: Dec | string | number): boolean {
    return this.greaterThanOrEqualTo(o);
  }
  lt(o: Dec | string | number): boolean {
    return this.lessThan(o);
  }
  lte(o: Dec | string | number): boolean {
    return this.lessThanOrEqualTo(o);
  }

  static max(...values: (Dec | string | number)[]): Dec {
    return values.map(toDec).reduce((a, b) => (b.greaterThan(a) ? b : a));
  }
  static min(...values: (Dec | string | number)[]): Dec {
    return values.map(toDec).reduce((a, b) => (b.lessThan(a) ? b : a));
  }
}

/**
 * The first Dec made holds BigInt units, so that V8 makes `u` a tagged field from the start: a
 * field that has only ever held numbers turns into a double field on the first non-small one, and
 * a double field boxes every Dec's units in a heap number of its own (an allocation and a load
 * more per Dec, even for zero). Tagged, units below 2^31 sit in the Dec itself.
 */
new Dec(BIG_SAFE + 1n);

/**
 * A running sum of Decs: the same units and scale as chaining plus() from a zero Dec, without a
 * Dec per step. The sum is kept as a safe integer at the largest scale added so far while it stays
 * one (each step checked, as Dec's own fast path is), and as a Dec from the first step that would
 * leave the safe range (or always, on the exact path). Reusable: start() begins a new sum.
 */
export class DecTotal {
  private units = 0;
  private scale = 0;
  /** The sum as a Dec once it left the safe range (or on the exact path); then the numbers are unused. */
  private dec: Dec | undefined = undefined;
  /** A new sum, of nothing (value() is then zero). */
  start(): this {
    this.units = 0;
    this.scale = 0;
    this.dec = exactOnly ? new Dec(0) : undefined;
    return this;
  }

  add(d: Dec): void {
    if (this.dec !== undefined) {
      this.dec = this.dec.plus(d);
      return;
    }
    let units = this.units;
    let scale = this.scale;
    if (d.scale > scale) {
      const up = TENS[d.scale - scale];
      units = up === undefined ? SAFE + 1 : units * up;
      scale = d.scale;
    }
    const x = d.toScaledInteger(scale);
    const total = x === undefined ? SAFE + 1 : units + x;
    if (isExact(units) && isExact(total)) {
      this.units = total;
      this.scale = scale;
    } else {
      this.dec = new Dec(this.units, this.scale).plus(d);
    }
  }

  value(): Dec {
    return this.dec ?? new Dec(this.units, this.scale);
  }
}

function format(units: number | bigint, scale: number): string {
  const negative = units < 0;
  const digits = (negative ? -units : units).toString();
  if (scale === 0) {
    return (negative ? '-' : '') + digits;
  }
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

function toDec(v: Dec | string | number): Dec {
  return v instanceof Dec ? v : new Dec(v);
}

const decimalPattern = /^-?\d+(\.\d+)?$/;

/**
 * Parses a decimal string ("1234.50"); returns undefined when it is not one, including one with
 * more than MAX_DECIMAL_DIGITS digits (checked before the pattern runs, so a huge text costs nothing).
 */
export function parseDecimal(text: string): Dec | undefined {
  const trimmed = text.trim();
  if (trimmed.length > maxTextLength || !decimalPattern.test(trimmed)) {
    return undefined;
  }
  const digits = trimmed.length - (trimmed.startsWith('-') ? 1 : 0) - (trimmed.includes('.') ? 1 : 0);
  return digits <= MAX_DECIMAL_DIGITS ? new Dec(trimmed) : undefined;
}

export function dec(value: string | number | Dec): Dec {
  return new Dec(value);
}

export function roundTo(value: Dec, scale: number, mode: RoundingMode): Dec {
  return value.toDecimalPlaces(scale, mode);
}

/** Fixed-point text with exactly `scale` decimals, as amounts are shown and stored. */
export function fixed(value: Dec, scale = 2): string {
  return value.toFixed(scale);
}

export function sum(values: Iterable<Dec>): Dec {
  let total = new Dec(0);
  for (const v of values) {
    total = total.plus(v);
  }
  return total;
}
