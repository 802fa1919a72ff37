import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Tax heads are data: what each charge is levied on, how it is rounded and bounded, and whether
// it joins the VAT base (charge_type), and its rates by HS prefix (charge_rate), each with a
// validity period so an assessment can be reproduced with the law of its date.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table charge_type (
      id bigserial primary key,
      code varchar(8) not null,
      name text not null,
      base text not null check (base in ('customs_value', 'value_plus', 'vat_base', 'quantity')),
      plus jsonb not null default '[]',
      joins_vat_base boolean not null default false,
      rate_source text not null check (rate_source in ('tariff-duty', 'tariff-excise', 'schedule')),
      rounding_scale int,
      rounding_mode text,
      minimum numeric(18,2),
      maximum numeric(18,2),
      sequence int not null,
      valid_from date not null,
      valid_to date,
      note text,
      unique (code, valid_from)
    );
    create table charge_rate (
      id bigserial primary key,
      charge_code varchar(8) not null,
      hs_prefix varchar(10) not null default '',
      rate numeric(9,4),
      specific numeric(18,4),
      specific_unit text,
      specific_currency char(3) not null default 'KES',
      treatment text not null default 'standard' check (treatment in ('standard', 'reduced', 'zero', 'exempt')),
      valid_from date not null,
      valid_to date,
      note text,
      unique (charge_code, hs_prefix, valid_from)
    );
    create index charge_rate_code on charge_rate (charge_code, valid_from);
    `,
  );
}
