import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Electronic seal (RECTS) operators report tracking events of transit movements: an organisation kind of their own.
// Added NOT VALID (no scan under the lock); the next migration validates it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table organisation drop constraint if exists organisation_kind_check;
    alter table organisation add constraint organisation_kind_check check (kind in ('customs', 'carrier', 'clearing_agent', 'trader', 'bank', 'terminal', 'tracker')) not valid
  `,
  );
}
