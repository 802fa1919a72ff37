// Exact decimal arithmetic for amounts, rates and quantities: never JS floating point for money.
// A Dec is an integer number of units at a decimal scale (value = units / 10^scale), held in a
// BigInt, so sums and products are always exact. Division, the one inexact operation, rounds
// half-up to DIVISION_PLACES decimals; amounts are then rounded to the cent by the rounding rule.
// Written here rather than taken from decimal.js because the assessment engine must handle well
// over 100,000 items a second, and BigInt arithmetic is an order of magnitude faster.

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

function parse(text: string): { units: bigint; scale: number } {
  const trimmed = text.trim();
  if (trimmed.length > maxTextLength) {
    throw new DecimalRangeError(`a decimal number may have at most ${MAX_DECIMAL_DIGITS} digits (got ${trimmed.length} characters)`);
  }
  const m = pattern.exec(trimmed);
  if (!m) {
    throw new Error(`"${text}" is not a decimal number`);
  }
  const fraction = m[3] ?? '';
  const digits = (m[2] as string).length + fraction.length;
  const exponent = Number(m[4] ?? 0);
  if (digits > MAX_DECIMAL_DIGITS || Math.abs(exponent) > MAX_DECIMAL_EXPONENT) {
    throw new DecimalRangeError(`"${trimmed}" is outside the decimal range (at most ${MAX_DECIMAL_DIGITS} digits, exponent within ±${MAX_DECIMAL_EXPONENT})`);
  }
  let units = BigInt((m[2] as string) + fraction);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    units *= pow10(-scale);
    scale = 0;
  }
  return { units: m[1] === '-' ? -units : units, scale };
}

/** Rounds units at `from` decimal places to `to` (< from) places with the given mode. */
function rescaleDown(units: bigint, from: number, to: number, mode: RoundingMode): bigint {
  const divisor = pow10(from - to);
  const q = units / divisor; // truncates toward zero
  const r = units % divisor;
  if (r === 0n) {
    return q;
  }
  const away = units < 0n ? q - 1n : q + 1n;
  const twice = (r < 0n ? -r : r) * 2n;
  switch (mode) {
    case 'down':
      return q;
    case 'up':
      return away;
    case 'half-up':
      return twice >= divisor ? away : q;
    case 'half-even':
      return twice > divisor || (twice === divisor && q % 2n !== 0n) ? away : q;
  }
}

export class Dec {
  readonly units: bigint;
  readonly scale: number;

  constructor(value: string | number | bigint | Dec, scale = 0) {
    if (value instanceof Dec) {
      this.units = value.units;
      this.scale = value.scale;
    } else if (typeof value === 'bigint') {
      this.units = value;
      this.scale = scale;
    } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
      this.units = BigInt(value);
      this.scale = 0;
    } else {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new Error(`${value} is not a decimal number`);
      }
      const p = parse(String(value));
      this.units = p.units;
      this.scale = p.scale;
    }
  }

  private static of(units: bigint, scale: number): Dec {
    return new Dec(units, scale);
  }

  private aligned(other: Dec): [bigint, bigint, number] {
    if (this.scale === other.scale) {
      return [this.units, other.units, this.scale];
    }
    return this.scale > other.scale
      ? [this.units, other.units * pow10(this.scale - other.scale), this.scale]
      : [this.units * pow10(other.scale - this.scale), other.units, other.scale];
  }

  plus(other: Dec | string | number): Dec {
    const [a, b, s] = this.aligned(toDec(other));
    return Dec.of(a + b, s);
  }

  minus(other: Dec | string | number): Dec {
    const [a, b, s] = this.aligned(toDec(other));
    return Dec.of(a - b, s);
  }

  times(other: Dec | string | number): Dec {
    const o = toDec(other);
    return Dec.of(this.units * o.units, this.scale + o.scale);
  }

  /** `rate` percent of this value, exactly (moving the point instead of dividing by 100). */
  percent(rate: Dec): Dec {
    return Dec.of(this.units * rate.units, this.scale + rate.scale + 2);
  }

  /** Division rounded half-up to `places` decimals (default DIVISION_PLACES). */
  div(other: Dec | string | number, places = DIVISION_PLACES): Dec {
    const o = toDec(other);
    if (o.units === 0n) {
      throw new RangeError('division by zero');
    }
    // units/10^s1 ÷ u2/10^s2 at `places` decimals = u1·10^(places+s2-s1+1) / u2, then rounded.
    const shift = places + o.scale - this.scale + 1;
    const numerator = shift >= 0 ? this.units * pow10(shift) : this.units / pow10(-shift);
    const raw = numerator / o.units;
    return Dec.of(rescaleDown(raw, places + 1, places, 'half-up'), places).trimmed();
  }

  toDecimalPlaces(places: number, mode: RoundingMode = 'half-up'): Dec {
    return this.scale <= places ? this : Dec.of(rescaleDown(this.units, this.scale, places, mode), places);
  }

  /** The same value with trailing zeros dropped from the scale (keeps numbers small). */
  trimmed(): Dec {
    if (this.scale === 0 || this.units % 10n !== 0n) {
      return this;
    }
    let units = this.units;
    let scale = this.scale;
    while (scale > 0 && units % 10n === 0n) {
      units /= 10n;
      scale--;
    }
    return Dec.of(units, scale);
  }

  comparedTo(other: Dec | string | number): -1 | 0 | 1 {
    const [a, b] = this.aligned(toDec(other));
    return a < b ? -1 : a > b ? 1 : 0;
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
    return this.units === 0n;
  }
  isNegative(): boolean {
    return this.units < 0n;
  }
  /** Strictly greater than zero. */
  isPositive(): boolean {
    return this.units > 0n;
  }
  abs(): Dec {
    return this.units < 0n ? Dec.of(-this.units, this.scale) : this;
  }
  negated(): Dec {
    return Dec.of(-this.units, this.scale);
  }
  /** Number of decimals once trailing zeros are dropped. */
  decimalPlaces(): number {
    return this.trimmed().scale;
  }

  /** Plain notation, no exponent, no trailing zeros: "92", "0.025", "-1250.5". */
  toString(): string {
    const t = this.trimmed();
    return format(t.units, t.scale);
  }

  /** Exactly `places` decimals, rounded half-up: how amounts are shown and stored. */
  toFixed(places = 0): string {
    const r = this.toDecimalPlaces(places, 'half-up');
    return format(r.units * pow10(places - r.scale), places);
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

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
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
