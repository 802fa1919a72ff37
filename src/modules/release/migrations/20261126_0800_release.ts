import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Release orders (one per declaration: the unique constraint is what makes racing releases
// safe), the gate-out that ends them, and the terminal's inbox of release messages (one per
// order and kind, so a redelivered event never posts a message twice).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table release_order (
      id uuid primary key,
      number text not null unique,
      declaration_id uuid not null unique,
      declaration_reference text not null,
      declarant_org_id uuid not null,
      importer_org_id uuid not null,
      transport_document_id uuid not null,
      transport_document_number text not null,
      office_code text not null,
      packages int not null check (packages >= 0),
      gross_mass_kg numeric(14, 3) not null check (gross_mass_kg >= 0),
      released_at timestamptz not null,
      released_by text not null,
      status text not null check (status in ('released', 'exited')),
      exited_at timestamptz,
      check ((status = 'exited') = (exited_at is not null))
    );
    create index release_order_transport_document on release_order (transport_document_id);
    create table gate_out (
      id uuid primary key,
      release_order_id uuid not null unique references release_order (id),
      at timestamptz not null,
      gate_reference text not null,
      packages int not null check (packages >= 0),
      gross_mass_kg numeric(14, 3) not null check (gross_mass_kg >= 0),
      recorded_by text not null,
      recorded_at timestamptz not null
    );
    create table terminal_message (
      id bigserial primary key,
      release_order_number text not null references release_order (number),
      kind text not null check (kind in ('release', 'cancel')),
      payload jsonb not null,
      created_at timestamptz not null default now(),
      delivered_at timestamptz,
      acknowledged_at timestamptz,
      unique (release_order_number, kind)
    );
    create index terminal_message_undelivered on terminal_message (id) where delivered_at is null;
    create sequence if not exists serial_release_order
  `,
  );
}
