// Exact decimal arithmetic for amounts, rates and quantities. Never use JS numbers for money.
import { Decimal } from 'decimal.js';

export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;

const decimalPattern = /^-?\d+(\.\d+)?$/;

/** Parses a decimal string ("1234.50"); returns undefined when it is not one. */
export function parseDecimal(text: string): Dec | undefined {
  const trimmed = text.trim();
  return decimalPattern.test(trimmed) ? new Dec(trimmed) : undefined;
}

export function dec(value: string | number | Dec): Dec {
  return new Dec(value);
}

export type RoundingMode = 'half-up' | 'half-even' | 'down' | 'up';

const modes: Record<RoundingMode, Decimal.Rounding> = {
  'half-up': Decimal.ROUND_HALF_UP,
  'half-even': Decimal.ROUND_HALF_EVEN,
  down: Decimal.ROUND_DOWN,
  up: Decimal.ROUND_UP,
};

export function roundTo(value: Dec, scale: number, mode: RoundingMode): Dec {
  return value.toDecimalPlaces(scale, modes[mode]);
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
