// The rules every reference-data import shares (tariff, exchange rates, reliefs, CRSP, origin
// memberships): rows of one file for the same key must not overlap; a new version closes the
// open earlier one the day before it starts; an identical row is left alone; a different row for
// the same start date, or one that would overlap a later version, is refused so no history is
// ever rewritten silently. Each import keeps its own row checks and words its own messages.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { addDays } from '#platform/clock.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';

export interface Validity {
  valid_from: string;
  valid_to: string | null;
}

export function overlaps(a: Validity, b: Validity): boolean {
  return a.valid_from <= (b.valid_to ?? '9999-12-31') && b.valid_from <= (a.valid_to ?? '9999-12-31');
}

/** Rows of one file whose validity overlaps an earlier row's for the same key, each with that earlier row. */
export function clashesWithinFile<T extends Validity>(rows: T[], keyOf: (r: T) => string): { row: T; earlier: T }[] {
  const byKey = new Map<string, T[]>();
  const clashes: { row: T; earlier: T }[] = [];
  for (const row of rows) {
    const earlier = byKey.get(keyOf(row)) ?? [];
    const clash = earlier.find((e) => overlaps(e, row));
    if (clash) {
      clashes.push({ row, earlier: clash });
    }
    earlier.push(row);
    byKey.set(keyOf(row), earlier);
  }
  return clashes;
}

export interface VersionPlan<T, E> {
  /** Earlier open versions to end the day before a new one starts. */
  closes: { id: string; validTo: string }[];
  unchanged: number;
  fresh: T[];
  /** rewrite: a different row for a start already loaded; overlap: a row reaching into a later loaded version. */
  refused: { row: T; existing: E; why: 'rewrite' | 'overlap' }[];
}

/** How incoming rows fit the versions already loaded (see the file's header). `existing` rows that get closed have valid_to updated. */
export function planVersions<T extends Validity, E extends Validity & { id: string | number }>(
  incoming: T[],
  existing: E[],
  keyOf: (r: T | E) => string,
  same: (a: T, b: E) => boolean,
): VersionPlan<T, E> {
  const byKey = new Map<string, E[]>();
  for (const e of existing) {
    const versions = byKey.get(keyOf(e));
    if (versions) {
      versions.push(e);
    } else {
      byKey.set(keyOf(e), [e]);
    }
  }
  const plan: VersionPlan<T, E> = { closes: [], unchanged: 0, fresh: [], refused: [] };
  for (const row of [...incoming].sort((a, b) => a.valid_from.localeCompare(b.valid_from))) {
    const versions = byKey.get(keyOf(row)) ?? [];
    const sameStart = versions.find((e) => e.valid_from === row.valid_from);
    if (sameStart) {
      if (same(row, sameStart)) {
        plan.unchanged++;
      } else {
        plan.refused.push({ row, existing: sameStart, why: 'rewrite' });
      }
      continue;
    }
    for (const e of versions) {
      if (!overlaps(e, row)) {
        continue;
      }
      if (e.valid_from < row.valid_from) {
        const validTo = addDays(row.valid_from, -1);
        plan.closes.push({ id: String(e.id), validTo });
        e.valid_to = validTo;
      } else {
        plan.refused.push({ row, existing: e, why: 'overlap' });
      }
    }
    plan.fresh.push(row);
  }
  return plan;
}

/**
 * Runs an import's planning and writing in one transaction; commits only when `work` answers
 * `commit: true` (a dry run or a refused plan rolls back), and returns what it answered. The work
 * may run again on a retryable failure, so it should build its results afresh each time rather
 * than append to something outside.
 */
export async function importTransaction<T extends { commit: boolean }>(db: Kysely<DB>, work: (tx: Tx) => Promise<T>): Promise<T> {
  let result: T | undefined;
  const rollback = new Error('import rolled back');
  try {
    await inTransaction(db, async (tx) => {
      result = await work(tx);
      if (!result.commit) {
        throw rollback;
      }
    });
  } catch (err) {
    if (err !== rollback) {
      throw err;
    }
  }
  return result as T;
}

/** Header check for a CSV import: missing required columns, and columns that are neither required nor optional. */
export function headerProblems(header: string[], required: readonly string[], optional: readonly string[]): string[] {
  const problems: string[] = [];
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    problems.push(`missing column(s): ${missing.join(', ')}; the header must have ${required.join(',')}`);
  }
  const unknown = header.filter((c) => !required.includes(c) && !optional.includes(c));
  if (unknown.length > 0) {
    problems.push(`unknown column(s): ${unknown.join(', ')}; allowed: ${[...required, ...optional].join(', ')}`);
  }
  return problems;
}
