import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Partner code mappings (dated, so a change of a partner's code list is a new row, not an edit)
// and the EDIFACT messages rendered for terminals (one CUSRES per release order).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table exchange_code_map (
      kind text not null check (kind in ('party', 'office', 'location', 'procedure', 'commodity', 'document', 'package', 'port')),
      external_code text not null check (length(external_code) between 1 and 70),
      internal_code text not null check (length(internal_code) between 1 and 35),
      valid_from date not null,
      valid_to date,
      note text,
      primary key (kind, external_code, valid_from),
      check (valid_to is null or valid_to >= valid_from)
    );
    create table exchange_edifact_message (
      id bigserial primary key,
      message_type text not null check (message_type in ('CUSRES')),
      release_order_number text not null unique,
      declaration_reference text not null,
      office_code text not null,
      interchange text not null,
      created_at timestamptz not null
    );
    create index exchange_edifact_message_office on exchange_edifact_message (office_code, id)
  `,
  );
}
