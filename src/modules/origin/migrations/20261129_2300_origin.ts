import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Preference agreements and their members by date: a state's goods earn a preference only from
// the day it applies the agreement (the EAC Customs Union for Rwanda and Burundi from 1 Jul 2009,
// not from their accession), so membership is a row with a validity period, never a flag.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table preference_agreement (
      code text primary key check (code ~ '^[A-Z][A-Z0-9-]{1,19}$'),
      name text not null,
      removes jsonb not null,
      proof_document text not null references document_code(code),
      precedence int not null check (precedence between 1 and 99),
      source text not null,
      note text,
      import_id int not null references data_import(id)
    );
    create table agreement_member (
      id bigserial primary key,
      agreement text not null references preference_agreement(code),
      country char(2) not null references country(code),
      valid_from date not null,
      valid_to date,
      note text,
      import_id int not null references data_import(id),
      check (valid_to is null or valid_to >= valid_from),
      unique (agreement, country, valid_from)
    );
    create index agreement_member_country on agreement_member (country);
    `,
  );
}
