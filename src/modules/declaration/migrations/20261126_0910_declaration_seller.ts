import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The seller (consignor) on the invoice and the country of dispatch: facts the risk engine's
// seller and departure-country criteria, watchlists and learned profiles look at. Optional:
// declarations lodged before them have none.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table declaration add column seller_name text;
    alter table declaration add column seller_country text;
    alter table declaration add column departure_country text
  `,
  );
}
