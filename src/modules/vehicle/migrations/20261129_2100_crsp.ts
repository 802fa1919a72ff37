import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The CRSP schedule as dated data, loaded like the tariff (data_import records each file). A
// variant is make + model + body + engine cc + fuel + drive, compared without case; a new price
// closes the earlier version's validity instead of overwriting it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table crsp_entry (
      id bigserial primary key,
      make text not null check (length(make) between 1 and 60),
      model text not null check (length(model) between 1 and 80),
      body text check (length(body) between 1 and 40),
      engine_cc int not null check (engine_cc between 0 and 20000),
      fuel text not null check (fuel in ('petrol','diesel','hybrid-petrol','hybrid-diesel','plug-in-petrol','plug-in-diesel','electric')),
      drive text check (length(drive) between 1 and 10),
      price_kes numeric(18,2) not null check (price_kes > 0),
      valid_from date not null,
      valid_to date,
      note text,
      import_id int not null references data_import(id),
      check (valid_to is null or valid_to >= valid_from)
    );
    create unique index crsp_entry_version on crsp_entry (lower(make), lower(model), lower(coalesce(body, '')), engine_cc, fuel, lower(coalesce(drive, '')), valid_from);
    create index crsp_entry_lookup on crsp_entry (lower(make), lower(model));
  `,
  );
}
