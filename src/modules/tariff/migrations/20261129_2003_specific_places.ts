import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Specific rates are published with up to six decimals (fuel excise KES 21.95302 per litre); four
// places rounded them when stored, and 100,000 litres then paid KES 2 less than the law says.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `alter table tariff_line alter column import_duty_specific type numeric(20,6);
     alter table tariff_line alter column excise_specific type numeric(20,6);`,
  );
}
