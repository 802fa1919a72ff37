import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// A consignment's timeline reads a dozen audit records through the GIN index on subject_refs.
// PostgreSQL cannot estimate `subject_refs && array[...]` for references that each occur a handful
// of times, so it assumes 0.5% of the table per reference: on ten years of history that is
// hundreds of thousands of rows, for which it starts parallel workers and a Gather Merge, costing
// more than the dozen rows themselves (tens of ms on a busy 2-core machine; docs/history-plans.md).
// No query on this append-only table gains from parallel workers: verification walks it in order.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `alter table audit_event set (parallel_workers = 0)`);
}
