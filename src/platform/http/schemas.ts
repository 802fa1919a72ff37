// Shared request schema pieces. Every figure, text, count and date a route accepts is bounded here
// once, to what its column and the trade need, so no input reaches arithmetic or the database that
// they cannot hold: a decimal has a digit budget (numeric(p, s) holds p - s digits before the point),
// an integer fits int4, a text has a length and stays on one line unless it is free text, a date
// lies in 1900..2200. Module schemas use these rather than local copies.
import { Type, type TInteger, type TString } from 'typebox';

/** The largest value of a PostgreSQL int4 column. */
export const INT4_MAX = 2_147_483_647;
/** Years a date or time may name: PostgreSQL and the code both handle these; nothing else is real. */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2200;

/** Pattern of a text on one line: no control characters at all (the input guard already refuses NUL and the like everywhere). */
export const singleLinePattern = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';

interface Described {
  description?: string;
  examples?: string[];
}

interface DecimalBounds extends Described {
  /** Digits allowed before the point. */
  digits: number;
  /** Decimals allowed after it (0 = whole numbers only). */
  places: number;
  /** Surrounding spaces are tolerated (the public calculator); nowhere else. */
  padded?: boolean;
}

/** Patterns of decimal helpers, with the sentence the error handler shows when one does not match. */
export const patternMessages = new Map<string, { code: string; message: string }>([
  [singleLinePattern, { code: 'control_character', message: 'must be on one line, without tabs, line breaks or other control characters' }],
]);

/** A non-negative decimal written as a string, at most `digits` before the point and `places` after. */
export function DecimalString(bounds: DecimalBounds): TString {
  const fraction = bounds.places > 0 ? `(\\.\\d{1,${bounds.places}})?` : '';
  const pad = bounds.padded ? ' *' : '';
  const pattern = `^${pad}\\d{1,${bounds.digits}}${fraction}${pad}$`;
  const shape = bounds.places > 0 ? `at most ${bounds.digits} digits before the point and ${bounds.places} after` : `a whole number of at most ${bounds.digits} digits`;
  patternMessages.set(pattern, { code: 'invalid_decimal', message: `must be a decimal number written as a string, ${shape}, e.g. "1250.50"` });
  return Type.String({
    pattern,
    maxLength: bounds.digits + (bounds.places > 0 ? bounds.places + 1 : 0) + (bounds.padded ? 16 : 0),
    description: `${bounds.description ?? 'Decimal'}; decimal string, ${shape}`,
    ...(bounds.examples ? { examples: bounds.examples } : {}),
  });
}

/** An amount of money: numeric(18, 2) holds 16 digits before the point; 15 leaves room for sums. */
export const Money = (description: string, bounds: Partial<DecimalBounds> = {}) =>
  DecimalString({ digits: 15, places: 2, description, examples: ['12500.00'], ...bounds });

/** A quantity in a supplementary unit: numeric(18, 3). */
export const Quantity = (description: string, bounds: Partial<DecimalBounds> = {}) =>
  DecimalString({ digits: 14, places: 3, description, examples: ['120'], ...bounds });

/** A mass in kilograms: numeric(14, 3) holds 11 digits before the point. */
export const MassKg = (description: string, bounds: Partial<DecimalBounds> = {}) =>
  DecimalString({ digits: 11, places: 3, description, examples: ['12500.5'], ...bounds });

/** An exchange rate, KES per unit: numeric(18, 6); no currency is worth a billion shillings. */
export const ExchangeRate = (description: string, bounds: Partial<DecimalBounds> = {}) =>
  DecimalString({ digits: 9, places: 6, description, examples: ['129.45'], ...bounds });

interface TextBounds extends Described {
  minLength?: number;
  /** Free text (remarks, findings, reasons) may hold tabs and line breaks; names and references may not. */
  multiline?: boolean;
}

/** A text of at most `maxLength` characters, on one line unless `multiline`. */
export function Text(maxLength: number, bounds: TextBounds = {}): TString {
  return Type.String({
    maxLength,
    ...(bounds.minLength === undefined ? {} : { minLength: bounds.minLength }),
    ...(bounds.multiline ? {} : { pattern: singleLinePattern }),
    ...(bounds.description === undefined ? {} : { description: bounds.description }),
    ...(bounds.examples ? { examples: bounds.examples } : {}),
  });
}

/** Free text: tabs and line breaks allowed, other control characters refused by the input guard. */
export const FreeText = (maxLength: number, bounds: Omit<TextBounds, 'multiline'> = {}) => Text(maxLength, { ...bounds, multiline: true });

interface IntegerBounds {
  minimum?: number;
  maximum?: number;
  description?: string;
  default?: number;
}

/** A whole number within int4 (unless a smaller maximum is given); never Infinity or a fraction. */
export function Integer(bounds: IntegerBounds = {}): TInteger {
  return Type.Integer({
    minimum: bounds.minimum ?? 0,
    maximum: Math.min(bounds.maximum ?? INT4_MAX, INT4_MAX),
    ...(bounds.description === undefined ? {} : { description: bounds.description }),
    ...(bounds.default === undefined ? {} : { default: bounds.default }),
  });
}

/** A count of packages or pieces: 0 or more, fits int4. */
export const Count = (description: string, maximum = INT4_MAX) => Integer({ minimum: 0, maximum, description });

/** A calendar date YYYY-MM-DD in 1900..2200 (the 'date' format is checked that way, see formats.ts). */
export const IsoDate = (description = 'YYYY-MM-DD') => Type.String({ format: 'date', maxLength: 10, description });

/** An instant with its offset, e.g. 2026-06-15T10:30:00+03:00, in 1900..2200 (see formats.ts). */
export const IsoDateTime = (description = 'ISO 8601 date and time with its offset, e.g. 2026-06-15T10:30:00+03:00') =>
  Type.String({ format: 'date-time', maxLength: 40, description });

/** A UUID, as the database stores ids. */
export const Uuid = (description?: string) => Type.String({ format: 'uuid', maxLength: 36, ...(description === undefined ? {} : { description }) });
