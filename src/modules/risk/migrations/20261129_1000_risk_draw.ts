import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The random draw is taken from a cryptographic generator at lodgement and kept with the
// decision ({selection, channel, rate, redShare}), so a random selection can be checked from the
// record; the public seed it replaced ends. Selections inherited from earlier declarations of the
// same consignment say which ones (consignment).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table risk_selection add column random_draw jsonb;
    alter table risk_selection add column consignment jsonb not null default '[]';
    update risk_setting set valid_to = current_date - 1 where key = 'random.seed' and valid_to is null and valid_from < current_date;
    insert into risk_setting (key, value, valid_from, note, created_by)
      values ('consignment.inheritDays', '90', '2000-01-01', 'days a cancelled declaration''s channel follows the same goods of the same importer', 'migration')
  `,
  );
}
