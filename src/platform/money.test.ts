import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { Dec, DecimalRangeError, MAX_DECIMAL_DIGITS, parseDecimal, roundTo, sum, type RoundingMode } from './money.ts';

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
