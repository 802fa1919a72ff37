import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Validates the widened organisation kind check (expand/contract: VALIDATE takes a lock that lets reads and writes go on).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `alter table organisation validate constraint organisation_kind_check`);
}
