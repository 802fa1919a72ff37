import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Every rate is a row with a validity period; a new version closes the previous one's period
// instead of overwriting it, so an assessment can be reproduced years later.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table data_import (
      id serial primary key,
      kind text not null,
      file_name text not null,
      checksum text not null,
      rows_loaded int not null,
      rows_unchanged int not null default 0,
      imported_at timestamptz not null default now(),
      imported_by text not null,
      note text
    );
    create table tariff_line (
      id bigserial primary key,
      hs_code varchar(12) not null,
      description text not null,
      unit text not null,
      import_duty_rate numeric(9,4),
      import_duty_specific numeric(18,4),
      import_duty_specific_unit text,
      excise_rate numeric(9,4),
      excise_specific numeric(18,4),
      excise_specific_unit text,
      specific_currency char(3) not null default 'KES',
      vat text not null check (vat in ('standard','exempt','zero')),
      valid_from date not null,
      valid_to date,
      vehicle_fuel text,
      engine_cc_min int,
      engine_cc_max int,
      note text,
      import_id int not null references data_import(id),
      check (valid_to is null or valid_to >= valid_from),
      unique (hs_code, valid_from)
    );
    create index tariff_line_vehicle on tariff_line (vehicle_fuel) where vehicle_fuel is not null;
    create table exchange_rate (
      id bigserial primary key,
      currency char(3) not null references currency(code),
      rate numeric(20,8) not null check (rate > 0),
      valid_from date not null,
      valid_to date,
      note text,
      import_id int not null references data_import(id),
      check (valid_to is null or valid_to >= valid_from),
      unique (currency, valid_from)
    );
    create table national_setting (
      id serial primary key,
      key text not null,
      value jsonb not null,
      valid_from date not null,
      valid_to date,
      note text,
      check (valid_to is null or valid_to >= valid_from),
      unique (key, valid_from)
    );
  `,
  );
}
