import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Reliefs by procedure code are data with validity, loaded like the tariff (data_import);
// exemption letters carry a balance that declarations draw on. The balance never goes below zero
// (check), and each declaration's draw is kept per item so a re-assessment replaces it rather
// than adding to it, and a cancellation gives it back.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table relief (
      id bigserial primary key,
      cpc varchar(7) not null,
      document_code text,
      hs_prefix varchar(10),
      charge varchar(10) not null,
      kind text not null check (kind in ('full', 'rate')),
      rate numeric(9,4) check (rate >= 0 and rate <= 1000),
      required_document text,
      letter_required boolean not null default false,
      name text not null,
      valid_from date not null,
      valid_to date,
      note text,
      import_id int not null references data_import(id),
      check (valid_to is null or valid_to >= valid_from),
      check ((kind = 'rate') = (rate is not null)),
      check (not letter_required or required_document is not null or document_code is not null)
    );
    create unique index relief_version on relief (cpc, coalesce(document_code, ''), coalesce(hs_prefix, ''), charge, valid_from);
    create index relief_by_cpc on relief (cpc);
    create table exemption_letter (
      id uuid primary key,
      number text not null unique,
      document_code text not null,
      holder_pin text not null,
      holder_name text,
      procedure_codes jsonb not null,
      charges jsonb not null,
      cover text not null check (cover in ('value', 'quantity')),
      cover_limit numeric(20,6) not null check (cover_limit > 0),
      unit text,
      hs_prefix varchar(10),
      balance numeric(20,6) not null check (balance >= 0 and balance <= cover_limit),
      valid_from date not null,
      valid_to date,
      note text,
      created_by text not null,
      created_at timestamptz not null default now(),
      check (valid_to is null or valid_to >= valid_from),
      check ((cover = 'quantity') = (unit is not null))
    );
    create index exemption_letter_holder on exemption_letter (holder_pin);
    create table exemption_debit (
      letter_id uuid not null references exemption_letter(id),
      declaration_id uuid not null,
      item_no int not null,
      amount numeric(20,6) not null check (amount > 0),
      debited_at timestamptz not null,
      primary key (letter_id, declaration_id, item_no)
    );
    create index exemption_debit_declaration on exemption_debit (declaration_id);
  `,
  );
}
