// Bounds on what an import file may hold, so a wrong or hostile file is refused with a clear
// error instead of filling memory or the database: rows per file, and the length of free text.
// Generous for the real files (a national tariff is about 7,000 lines, a CRSP schedule a few
// thousand rows); a caller may pass a lower row limit (tests do).
import path from 'node:path';

export const importLimits = {
  /** Rows (CSV records, or entries of a JSON list) in one import file. */
  maxRows: 200_000,
  /** A tariff line's description. */
  maxDescriptionLength: 1_000,
  /** A note on a row (tariff line, exchange rate, relief, CRSP price). */
  maxNoteLength: 1_000,
} as const;

/** The refusal of a file with more rows than `limit`, naming the file and the limit. */
export function tooManyRows(file: string, limit: number): string {
  return `${path.basename(file)} has more than ${limit.toLocaleString('en')} rows, the most an import file may have; split it into several files`;
}

/** The refusal of a text longer than `limit` characters, or undefined when it fits. */
export function tooLong(text: string, limit: number): string | undefined {
  return text.length > limit ? `is ${text.length.toLocaleString('en')} characters long; at most ${limit.toLocaleString('en')} are allowed` : undefined;
}
