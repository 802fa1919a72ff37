import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Single Customs Territory clearance over the partner exchange: at the destination, the
// declarations customs marked as SCT clearances of goods landed in a partner country; at the
// origin, the clearances a partner notified (paid there), each with the release order it gave.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table partner_sct_declaration (
      declaration_id uuid primary key,
      declaration_reference text not null check (length(declaration_reference) between 1 and 60),
      origin text not null check (origin ~ '^[A-Z]{2}$'),
      office text not null check (office ~ '^[A-Z]{3}$'),
      transport_document_number text not null check (length(transport_document_number) between 1 and 35),
      marked_by text not null,
      marked_at timestamptz not null
    );
    create table partner_sct_clearance (
      id uuid primary key,
      sender text not null check (sender ~ '^[A-Z]{2}$'),
      message_id uuid not null,
      declaration_reference text not null check (length(declaration_reference) between 1 and 60),
      transport_document_id uuid not null,
      transport_document_number text not null,
      packages integer not null check (packages > 0),
      gross_mass_kg numeric(14, 3) not null check (gross_mass_kg >= 0),
      amount_paid numeric(17, 2) not null check (amount_paid >= 0),
      currency text not null check (currency ~ '^[A-Z]{3}$'),
      prn text,
      paid_at timestamptz not null,
      release_order_number text not null,
      cleared_at timestamptz not null,
      unique (sender, declaration_reference)
    );
    create index partner_sct_clearance_document on partner_sct_clearance (transport_document_id)
  `,
  );
}
