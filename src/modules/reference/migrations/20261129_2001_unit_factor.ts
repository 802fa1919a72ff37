import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// How many of its kind's base unit (kg, item, litre, litre of pure alcohol...) one unit holds, so a
// quantity declared in one unit can be charged per another (items to mille, ml to l, g to kg).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `alter table unit add column factor numeric(24,12);`);
}
