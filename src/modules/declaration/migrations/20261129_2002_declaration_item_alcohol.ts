import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Spirits, wine and beer pay excise per litre of pure alcohol: the declared strength is part of the item.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `alter table declaration_item add column alcohol_percent numeric(5,2);`);
}
