import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// A B/L may be split between regimes (part home use, part transit...): each regime's packages and
// mass, and what has been written off of each. Documents written off before this count wholly
// under their own cargo category.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table transport_document add column regime_shares jsonb;
    alter table transport_document add column regime_written_off jsonb not null default '{}'::jsonb;
    update transport_document set regime_written_off = jsonb_build_object(cargo_category, jsonb_build_object('packages', packages_written_off, 'grossMassKg', mass_written_off::text))
      where packages_written_off > 0 or mass_written_off > 0
  `,
  );
}
