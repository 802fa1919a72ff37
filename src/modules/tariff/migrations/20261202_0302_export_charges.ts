import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Export duties and levies: most exports pay nothing; a few tariff headings carry an ad valorem
// charge on the FOB value. Rates are data with validity dates, matched on the HS code's leading
// digits. The row shipped here is SAMPLE demonstration data (an export levy on raw hides and
// skins, headings 4101-4103, the kind of measure Kenya uses to keep raw hides for its tanneries),
// not the legal instrument: verify before use.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table export_charge (
      id serial primary key,
      code text not null check (code ~ '^[A-Z0-9]{2,8}$'),
      name text not null,
      hs_prefix text not null check (hs_prefix ~ '^[0-9]{2,10}$'),
      rate_percent numeric(7, 3) not null check (rate_percent >= 0 and rate_percent <= 1000),
      valid_from date not null,
      valid_to date,
      note text,
      check (valid_to is null or valid_to >= valid_from)
    );
    create index export_charge_prefix on export_charge (hs_prefix, valid_from);
    insert into export_charge (code, name, hs_prefix, rate_percent, valid_from, note) values
      ('EXL', 'Export levy on raw hides and skins', '4101', 80, '2019-07-01', 'SAMPLE: raw hides and skins of bovine or equine animals'),
      ('EXL', 'Export levy on raw hides and skins', '4102', 80, '2019-07-01', 'SAMPLE: raw skins of sheep or lambs'),
      ('EXL', 'Export levy on raw hides and skins', '4103', 80, '2019-07-01', 'SAMPLE: other raw hides and skins (goats, kids ...)')
  `,
  );
}
