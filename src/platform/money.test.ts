import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { Dec, DecTotal, DecimalRangeError, MAX_DECIMAL_DIGITS, exact, onExactPath, parseDecimal, roundTo, sum, type RoundingMode } from './money.ts';

// decimal.js, a well-tested arbitrary-precision library, is the oracle for our BigInt decimals.
const D = Decimal.clone({ precision: 60 });
const decimalText = fc
  .tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 8 }))
  .map(([units, scale]) => new D(units.toString()).div(new D(10).pow(scale)).toFixed(scale));
const modes: [RoundingMode, Decimal.Rounding][] = [
  ['half-up', Decimal.ROUND_HALF_UP],
  ['half-even', Decimal.ROUND_HALF_EVEN],
  ['down', Decimal.ROUND_DOWN],
  ['up', Decimal.ROUND_UP],
];

describe('Dec', () => {
  it('adds, subtracts and multiplies exactly', () => {
    fc.assert(
      fc.property(decimalText, decimalText, (a, b) => {
        expect(new Dec(a).plus(b).toString()).toBe(new D(a).plus(b).toFixed());
        expect(new Dec(a).minus(b).toString()).toBe(new D(a).minus(b).toFixed());
        expect(new Dec(a).times(b).toString()).toBe(new D(a).times(b).toFixed());
        expect(new Dec(a).comparedTo(b)).toBe(new D(a).comparedTo(b));
      }),
    );
  });

  it('rounds in every mode like decimal.js', () => {
    fc.assert(
      fc.property(decimalText, fc.integer({ min: 0, max: 4 }), (a, places) => {
        for (const [mode, ref] of modes) {
          expect(roundTo(new Dec(a), places, mode).toFixed(places)).toBe(new D(a).toDecimalPlaces(places, ref).toFixed(places));
        }
      }),
    );
  });

  it('divides to 20 places, rounding half up', () => {
    fc.assert(
      fc.property(decimalText, decimalText, (a, b) => {
        fc.pre(!new D(b).isZero());
        expect(new Dec(a).div(b).toString()).toBe(new D(a).div(b).toDecimalPlaces(20, Decimal.ROUND_HALF_UP).toFixed());
      }),
    );
  });

  it('parses and prints the way the trade writes amounts', () => {
    expect(new Dec('0010.500').toString()).toBe('10.5');
    expect(new Dec('1.5e3').toString()).toBe('1500');
    expect(new Dec('-0.025').toFixed(2)).toBe('-0.03');
    expect(new Dec('2.675').toFixed(2)).toBe('2.68');
    expect(new Dec(0.1).plus(0.2).toString()).toBe('0.3');
    expect(JSON.stringify({ a: new Dec('12.50') })).toBe('{"a":"12.5"}');
    expect(sum([new Dec('0.1'), new Dec('0.2')]).equals('0.3')).toBe(true);
    expect(() => new Dec('12,5')).toThrow(/not a decimal/);
    expect(() => new Dec(1).div(0)).toThrow(/division by zero/);
  });

  it('refuses absurd digit counts and exponents at once, before any arithmetic', () => {
    const huge = `1.${'0'.repeat(150_000)}1`;
    expect(() => new Dec(huge)).toThrow(DecimalRangeError);
    expect(parseDecimal(huge)).toBeUndefined();
    expect(() => new Dec('1e1000000')).toThrow(DecimalRangeError);
    expect(() => new Dec('1e-1000000')).toThrow(DecimalRangeError);
    expect(() => new Dec(1e300)).toThrow(DecimalRangeError);
    const longest = '9'.repeat(MAX_DECIMAL_DIGITS);
    expect(new Dec(longest).toString()).toBe(longest);
    expect(parseDecimal(`-${longest.slice(1)}.9`)?.toString()).toBe(`-${longest.slice(1)}.9`);
    expect(parseDecimal(`${longest}9`)).toBeUndefined();
    expect(parseDecimal(`${longest.slice(1)}.99`)).toBeUndefined();
    expect(new Dec('1e100').toFixed(0)).toBe(`1${'0'.repeat(100)}`);
  });
});

// The fast path (units held in a JS number while they stay a safe integer) must give what the
// exact BigInt arithmetic gives, digit for digit: every operation is run both ways on operands
// around the edge of the safe range, far beyond it, with many decimals, ties and signs.
describe('Dec fast path against the exact BigInt arithmetic', () => {
  const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
  const units = fc.oneof(
    fc.bigInt({ min: -1000n, max: 1000n }),
    fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
    fc.bigInt({ min: SAFE - 1000n, max: SAFE + 1000n }).map((u) => u * (u % 2n === 0n ? 1n : -1n)),
    fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
    fc.integer({ min: 0, max: 15 }).map((k) => 5n * 10n ** BigInt(k)), // ties when rounded
    fc.integer({ min: 1, max: 16 }).map((k) => 10n ** BigInt(k) - 5n),
  );
  const operand = fc.tuple(units, fc.integer({ min: 0, max: 24 }));
  const places = fc.integer({ min: 0, max: 24 });
  const dec = ([u, s]: [bigint, number]) => new Dec(u, s);
  /** Plain notation of exact units at a scale, trailing zeros dropped (what toString prints). */
  function text(u: bigint, s: number): string {
    while (s > 0 && u % 10n === 0n) {
      u /= 10n;
      s--;
    }
    const digits = (u < 0n ? -u : u).toString().padStart(s + 1, '0');
    return (u < 0n ? '-' : '') + (s === 0 ? digits : `${digits.slice(0, -s)}.${digits.slice(-s)}`);
  }

  it('adds, subtracts, multiplies, takes percent and compares alike', () => {
    fc.assert(
      fc.property(operand, operand, (a, b) => {
        const [x, y, s] = exact.aligned(a[0], a[1], b[0], b[1]);
        expect(dec(a).plus(dec(b)).toString()).toBe(text(x + y, s));
        expect(dec(a).minus(dec(b)).toString()).toBe(text(x - y, s));
        expect(dec(a).times(dec(b)).toString()).toBe(text(a[0] * b[0], a[1] + b[1]));
        expect(dec(a).percent(dec(b)).toString()).toBe(text(a[0] * b[0], a[1] + b[1] + 2));
        expect(dec(a).comparedTo(dec(b))).toBe(x < y ? -1 : x > y ? 1 : 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('rounds in every mode alike', () => {
    fc.assert(
      fc.property(operand, places, (a, p) => {
        for (const mode of ['half-up', 'half-even', 'down', 'up'] as const) {
          const expected = a[1] <= p ? text(a[0], a[1]) : text(exact.rescaleDown(a[0], a[1], p, mode), p);
          expect(dec(a).toDecimalPlaces(p, mode).toString()).toBe(expected);
        }
        const fixed = a[1] <= p ? a[0] * 10n ** BigInt(p - a[1]) : exact.rescaleDown(a[0], a[1], p, 'half-up');
        expect(dec(a).toFixed(p)).toBe(fixedText(fixed, p));
      }),
      { numRuns: 2000 },
    );
  });

  it('divides alike, terminating or not', () => {
    fc.assert(
      fc.property(operand, operand, places, (a, b, p) => {
        fc.pre(b[0] !== 0n);
        expect(dec(a).div(dec(b), p).toString()).toBe(text(exact.divide(a[0], a[1], b[0], b[1], p), p));
        expect(dec(a).div(dec(b)).toString()).toBe(text(exact.divide(a[0], a[1], b[0], b[1], 20), 20));
      }),
      { numRuns: 2000 },
    );
  });

  it('rounds a quotient that falls exactly half way up, as the exact path does', () => {
    // n / (2^k · 5^j) ends in a 5 at some place: rounded one place before it, it is a tie.
    const divisor = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 6 })).map(([k, j]) => 2n ** BigInt(k) * 5n ** BigInt(j));
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), fc.integer({ min: 0, max: 3 }), divisor, fc.integer({ min: 0, max: 12 }), (n, scale, d, p) => {
        expect(new Dec(n, scale).div(new Dec(d), p).toString()).toBe(text(exact.divide(n, scale, d, 0, p), p));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives its scaled integer only when a number holds it exactly', () => {
    fc.assert(
      fc.property(operand, places, (a, p) => {
        const scaled = p >= a[1] ? a[0] * 10n ** BigInt(p - a[1]) : undefined;
        const fits = scaled !== undefined && scaled >= -SAFE && scaled <= SAFE && p - a[1] <= 15;
        expect(dec(a).toScaledInteger(p)).toBe(fits ? Number(scaled) : undefined);
      }),
      { numRuns: 1000 },
    );
  });

  it('sums with DecTotal to the same units and scale as plus() chained from zero, on either path', () => {
    const total = new DecTotal();
    fc.assert(
      fc.property(fc.array(operand, { maxLength: 8 }), (xs) => {
        let chained = new Dec(0);
        total.start();
        for (const x of xs) {
          chained = chained.plus(dec(x));
          total.add(dec(x));
        }
        const exactly = onExactPath(() => {
          const t = new DecTotal().start();
          xs.forEach((x) => t.add(dec(x)));
          return t.value();
        });
        for (const v of [total.value(), exactly]) {
          expect([v.units, v.scale]).toEqual([chained.units, chained.scale]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  /** Exactly `p` decimals of exact units at scale p (what toFixed prints). */
  function fixedText(u: bigint, p: number): string {
    const digits = (u < 0n ? -u : u).toString().padStart(p + 1, '0');
    return (u < 0n ? '-' : '') + (p === 0 ? digits : `${digits.slice(0, -p)}.${digits.slice(-p)}`);
  }
});
