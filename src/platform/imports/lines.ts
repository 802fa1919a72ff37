// The shared version rules (versions.ts) worded for a file whose problems are reported by line
// number (CSV, or a JSON list whose entry n is line n): tariff, exchange rates, reliefs, CRSP.
import { isIsoDate } from '#platform/clock.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { importLimits, tooLong } from './limits.ts';
import { clashesWithinFile, headerProblems, planVersions, type Validity, type VersionPlan } from './versions.ts';

export interface LineError {
  line: number;
  field?: string;
  message: string;
}

export function headerErrors(header: string[], required: readonly string[], optional: readonly string[]): LineError[] {
  return headerProblems(header, required, optional).map((message) => ({ line: 1, message }));
}

/** Rows of one file for the same key must not overlap each other: give the earlier one a valid_to. */
export function checkWithinFile<T extends { line: number } & Validity>(rows: T[], keyOf: (r: T) => string, show: (r: T) => string, errors: LineError[]): void {
  for (const { row, earlier } of clashesWithinFile(rows, keyOf)) {
    errors.push({
      line: row.line,
      field: 'valid_from',
      message: `${show(row)} from ${row.valid_from} to ${row.valid_to ?? 'open'} overlaps line ${earlier.line} (${earlier.valid_from} to ${earlier.valid_to ?? 'open'}); give the earlier row a valid_to`,
    });
  }
}

/** planVersions, its refusals added to `errors`; `what` names a version in the refusal (a tariff version, a CRSP price). */
export function planLineVersions<T extends { line: number } & Validity, E extends { id: string | number } & Validity>(
  incoming: T[],
  existing: E[],
  keyOf: (r: T | E) => string,
  same: (a: T, b: E) => boolean,
  show: (r: T) => string,
  errors: LineError[],
  what = 'version',
): VersionPlan<T, E> {
  const plan = planVersions(incoming, existing, keyOf, same);
  for (const { row, existing: e, why } of plan.refused) {
    errors.push(
      why === 'rewrite'
        ? { line: row.line, field: 'valid_from', message: `${show(row)} already has a different ${what} from ${row.valid_from}; versions are never overwritten: load the change with a later valid_from` }
        : { line: row.line, field: 'valid_to', message: `${show(row)} from ${row.valid_from} to ${row.valid_to ?? 'open'} would overlap the version loaded from ${e.valid_from}; end it before then` },
    );
  }
  return plan;
}

/** Errors in line order; ok when there are none. */
export function finishReport<R extends { ok: boolean; errors: LineError[] }>(report: R): R {
  report.errors.sort((a, b) => a.line - b.line);
  report.ok = report.errors.length === 0;
  return report;
}

/** Who loaded which file when (data_import), the record every import leaves. */
export async function recordDataImport(tx: Tx, entry: { kind: string; file_name: string; checksum: string; rows_loaded: number; rows_unchanged: number; imported_by: string; note?: string | null }): Promise<number> {
  const row = await tx.insertInto('data_import').values({ ...entry, note: entry.note ?? null }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A row's validity and note, checked the same way in every dated file: valid_from a date, valid_to
 * blank (open-ended) or a date not before it, the note no longer than the limit. Problems go to
 * `err` by column.
 */
export function rowValidity(text: (column: string) => string, err: (field: string, message: string) => void): { validFrom: string; validTo: string | null; note: string | null } {
  const validFrom = text('valid_from');
  if (!isIsoDate(validFrom)) {
    err('valid_from', `"${validFrom}" is not a date written YYYY-MM-DD`);
  }
  const validTo = text('valid_to') || null;
  if (validTo !== null && (!isIsoDate(validTo) || validTo < validFrom)) {
    err('valid_to', `"${validTo}" is not a date written YYYY-MM-DD on or after valid_from (leave blank for open-ended)`);
  }
  const longNote = tooLong(text('note'), importLimits.maxNoteLength);
  if (longNote) {
    err('note', longNote);
  }
  return { validFrom, validTo, note: text('note') || null };
}
