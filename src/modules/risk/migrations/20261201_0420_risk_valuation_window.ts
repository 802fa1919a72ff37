import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The valuation reference's window, as dated settings beside the others: values accepted in the
// last two years count, and of those the newest 2,000 (the rows a reference reads at most, per
// level). Analysts change them through the settings API like any other.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    insert into risk_setting (key, value, valid_from, note, created_by) values
      ('valuation.windowDays', '730', '2000-01-01', 'days back from the declaration''s date that accepted unit values count for the valuation reference', 'migration'),
      ('valuation.windowEntries', '2000', '2000-01-01', 'of those, the newest this many count: the rows a valuation reference reads at most', 'migration')
  `,
  );
}
