import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Goods declarations ("entries") and their items. A declaration gets its trade reference
// (2026MBAIM4000123) when it is lodged; before that it is a draft known by its id. The assessment
// is stored as the calculator's JSON, with the date whose rules it used, so it can be shown and
// explained exactly as it was computed. `version` increases with every change (ETag / If-Match).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table declaration (
      id uuid primary key,
      reference text unique,
      status text not null check (status in ('draft', 'lodged', 'assessed', 'queried', 'registered', 'paid', 'released', 'exited', 'cancelled', 'rejected')),
      regime text not null,
      cpc text not null,
      office_code text not null,
      declarant_org_id uuid not null references organisation (id),
      declarant_user_id text not null,
      importer_pin text not null,
      importer_org_id uuid references organisation (id),
      transport_document_id uuid references transport_document (id),
      transport_document_number text not null,
      invoice_currency text not null,
      invoice_amount numeric(18, 2) not null,
      incoterm text not null,
      freight numeric(18, 2),
      insurance numeric(18, 2),
      exchange_rate numeric(18, 6),
      documents jsonb not null default '[]',
      assessment jsonb,
      assessment_date date,
      assessment_basis text check (assessment_basis in ('expected-arrival', 'actual-arrival')),
      assessed_total numeric(18, 2),
      additional_due numeric(18, 2),
      refund_due numeric(18, 2),
      channel text check (channel in ('green', 'yellow', 'red', 'blue')),
      channel_reasons jsonb,
      risk_score double precision,
      selectivity_version text,
      control_status text not null default 'none' check (control_status in ('none', 'pending', 'passed', 'failed')),
      control jsonb,
      prn text,
      release_order_number text,
      query jsonb,
      status_reason text,
      version int not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      lodged_at timestamptz,
      assessed_at timestamptz,
      registered_at timestamptz,
      paid_at timestamptz,
      released_at timestamptz,
      exited_at timestamptz,
      cancelled_at timestamptz,
      check ((status = 'draft') = (reference is null))
    );
    create index declaration_declarant on declaration (declarant_org_id, created_at desc, id desc);
    create index declaration_importer on declaration (importer_org_id, created_at desc, id desc);
    create index declaration_created on declaration (created_at desc, id desc);
    create index declaration_transport_document on declaration (transport_document_number);
    create index declaration_transport_document_id on declaration (transport_document_id) where transport_document_id is not null;
    create index declaration_prn on declaration (prn) where prn is not null;
    create table declaration_item (
      declaration_id uuid not null references declaration (id) on delete cascade,
      item_no int not null check (item_no >= 1),
      hs_code text not null,
      description text not null,
      origin_country text not null,
      preferential_origin boolean not null default false,
      quantity numeric(18, 3) not null,
      unit text not null,
      net_mass_kg numeric(14, 3) not null,
      gross_mass_kg numeric(14, 3) not null,
      packages int not null,
      item_price numeric(18, 2) not null,
      cpc text,
      vehicle jsonb,
      primary key (declaration_id, item_no)
    )
  `,
  );
}
