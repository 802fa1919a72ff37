import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Every API key expires, and a rotated key names its successor. Keys issued before this change
// are given a year from the upgrade, so no system loses access the day it is deployed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table api_key add column expires_at timestamptz;
    update api_key set expires_at = now() + interval '365 days';
    alter table api_key alter column expires_at set not null;
    alter table api_key add column replaced_by uuid references api_key (id)
  `,
  );
}
