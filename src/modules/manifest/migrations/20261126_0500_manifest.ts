import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Cargo manifests and their transport documents (B/L, AWB, road consignment notes).
// - manifest_version keeps every version of a manifest (original, amendments, supplementary) as
//   a snapshot, so what the carrier declared at any time can be shown after later changes.
// - Write-off counters live on the document and CHECK constraints hold them within the declared
//   packages and mass, so no code path (or racing gate-outs) can discharge more than was manifested.
// - Lodging deadlines are data with validity dates (manifest_deadline): the law changes them
//   (24 h in the statute, 48 h in practice for sea cargo) and each manifest names the row it used.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table manifest_deadline (
      id serial primary key,
      mode text not null check (mode in ('sea', 'air', 'road', 'rail')),
      hours_before_arrival int not null check (hours_before_arrival >= 0),
      valid_from date not null,
      valid_to date,
      note text,
      check (valid_to is null or valid_to >= valid_from),
      unique (mode, valid_from)
    );
    insert into manifest_deadline (mode, hours_before_arrival, valid_from, note) values
      ('sea', 48, '2005-01-01', 'Sea cargo manifests are due 48 hours before the vessel arrives (KRA practice; EACCMA allows at least 24 h)');

    create table manifest (
      id uuid primary key,
      reference text not null unique,
      carrier_org_id uuid not null references organisation (id),
      mode text not null check (mode in ('sea', 'air', 'road', 'rail')),
      conveyance_id text not null,
      conveyance_name text,
      voyage_number text not null,
      port_of_loading text not null references locode (code),
      port_of_discharge text not null references locode (code),
      office_code text not null references customs_office (code),
      expected_arrival timestamptz not null,
      actual_arrival timestamptz,
      status text not null default 'lodged' check (status in ('lodged', 'arrived', 'closed')),
      version int not null default 1 check (version >= 1),
      lodging_deadline timestamptz,
      deadline_rule_id int references manifest_deadline (id),
      created_at timestamptz not null default now(),
      created_by text not null,
      updated_at timestamptz not null default now(),
      check ((status = 'lodged') = (actual_arrival is null))
    );
    create index manifest_carrier_listing on manifest (carrier_org_id, created_at desc, id desc);
    create index manifest_listing on manifest (created_at desc, id desc);

    create table manifest_version (
      manifest_id uuid not null references manifest (id),
      version int not null,
      kind text not null check (kind in ('original', 'amendment', 'supplementary')),
      snapshot jsonb not null,
      reason text,
      created_at timestamptz not null default now(),
      created_by text not null,
      primary key (manifest_id, version)
    );

    create table transport_document (
      id uuid primary key,
      manifest_id uuid not null references manifest (id),
      line int not null check (line >= 1),
      carrier_org_id uuid not null references organisation (id),
      number text not null,
      kind text not null check (kind in ('BL', 'AWB', 'RCN')),
      master_id uuid references transport_document (id),
      shipper_name text not null,
      consignee_name text not null,
      consignee_pin text,
      notify_party text,
      packages int not null check (packages > 0),
      package_kind text not null,
      gross_mass_kg numeric(14, 3) not null check (gross_mass_kg > 0),
      description text not null,
      cargo_category text not null check (cargo_category in ('home_use', 'transit', 'transhipment', 'remaining_on_board')),
      containers jsonb not null default '[]',
      packages_written_off int not null default 0,
      mass_written_off numeric(14, 3) not null default 0,
      added_in_version int not null,
      removed_in_version int,
      status text not null default 'active' check (status in ('active', 'removed')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (packages_written_off >= 0 and packages_written_off <= packages),
      check (mass_written_off >= 0 and mass_written_off <= gross_mass_kg),
      check ((status = 'removed') = (removed_in_version is not null)),
      unique (manifest_id, line)
    );
    create unique index transport_document_number_per_carrier on transport_document (carrier_org_id, number) where status = 'active';
    create index transport_document_number on transport_document (number);
    create index transport_document_consignee on transport_document (consignee_pin) where consignee_pin is not null;
  `,
  );
}
