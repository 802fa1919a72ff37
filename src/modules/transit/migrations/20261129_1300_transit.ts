import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Transit: guarantees and their ledger (the balance is the ledger's sum, and never negative: the
// conditional debit is what makes two movements racing for the last of a guarantee safe),
// movements, their electronic seals (a seal is on at most one live movement), the tracking
// operators' events (one per operator event id) and the officers' alerts. Time limits and alert
// thresholds are data with validity dates.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table transit_time_limit (
      id serial primary key,
      kind text not null check (kind in ('IM8', 'TR')),
      days int not null check (days between 1 and 365),
      valid_from date not null,
      valid_to date,
      note text,
      check (valid_to is null or valid_to >= valid_from)
    );
    insert into transit_time_limit (kind, days, valid_from, note) values
      ('IM8', 30, '2020-01-01', 'EAC/COMESA regional transit: goods leave the customs territory within 30 days'),
      ('TR', 7, '2020-01-01', 'national transfer from the port to an inland container depot');
    create table transit_alert_threshold (
      id serial primary key,
      kind text not null check (kind in ('stopped_minutes', 'off_route_metres')),
      value numeric(12, 2) not null check (value >= 0),
      valid_from date not null,
      valid_to date,
      note text,
      check (valid_to is null or valid_to >= valid_from)
    );
    insert into transit_alert_threshold (kind, value, valid_from, note) values
      ('stopped_minutes', 120, '2020-01-01', 'a truck stopped this long outside a designated parking yard raises an alert'),
      ('off_route_metres', 500, '2020-01-01', 'a deviation from the approved route beyond this raises an alert');
    create table guarantee (
      id uuid primary key,
      reference text not null unique,
      kind text not null check (kind in ('bond', 'regional')),
      holder_org_id uuid not null references organisation (id),
      guarantor text not null,
      amount numeric(18, 2) not null check (amount >= 0),
      currency text not null check (currency = 'KES'),
      valid_from date not null,
      valid_to date not null check (valid_to >= valid_from),
      balance numeric(18, 2) not null check (balance >= 0 and balance <= amount),
      created_at timestamptz not null,
      created_by text not null
    );
    create index guarantee_holder on guarantee (holder_org_id);
    create table guarantee_entry (
      id bigserial primary key,
      guarantee_id uuid not null references guarantee (id),
      movement_id uuid,
      kind text not null check (kind in ('registered', 'top_up', 'debit', 'credit', 'called')),
      amount numeric(18, 2) not null check (amount >= 0),
      effect numeric(18, 2) not null,
      balance_after numeric(18, 2) not null check (balance_after >= 0),
      at timestamptz not null,
      actor text not null,
      check ((movement_id is null) = (kind in ('registered', 'top_up')))
    );
    create index guarantee_entry_guarantee on guarantee_entry (guarantee_id, id);
    create unique index guarantee_entry_movement on guarantee_entry (movement_id, kind) where movement_id is not null;
    create table transit_movement (
      id uuid primary key,
      reference text not null unique,
      kind text not null check (kind in ('IM8', 'TR')),
      status text not null check (status in ('lodged', 'departed', 'arrived', 'exited', 'discharged', 'cancelled', 'overdue', 'called')),
      agent_org_id uuid not null references organisation (id),
      guarantee_id uuid not null references guarantee (id),
      transport_document_id uuid not null,
      transport_document_number text not null,
      manifest_reference text not null,
      packages int not null check (packages > 0),
      gross_mass_kg numeric(14, 3) not null check (gross_mass_kg > 0),
      office_of_departure text not null,
      office_of_exit text,
      office_of_destination text,
      destination_country text not null,
      currency text not null,
      items jsonb not null,
      seals text[] not null,
      stake numeric(18, 2) check (stake >= 0),
      stake_detail jsonb,
      time_limit_id int references transit_time_limit (id),
      deadline timestamptz,
      lodged_at timestamptz not null,
      lodged_by text not null,
      departed_at timestamptz,
      concluded_at timestamptz,
      concluded_office text,
      discharged_at timestamptz,
      cancelled_at timestamptz,
      overdue_at timestamptz,
      called_at timestamptz,
      version int not null default 1,
      check ((office_of_exit is null) <> (office_of_destination is null)),
      check ((status in ('lodged', 'cancelled')) = (departed_at is null)),
      check ((departed_at is null) = (deadline is null) and (departed_at is null) = (stake is null))
    );
    create index transit_movement_document on transit_movement (transport_document_id);
    create index transit_movement_agent on transit_movement (agent_org_id, lodged_at);
    create index transit_movement_live on transit_movement (deadline) where status = 'departed';
    create table transit_seal (
      seal_id text not null,
      movement_id uuid not null references transit_movement (id),
      active boolean not null,
      primary key (movement_id, seal_id)
    );
    create unique index transit_seal_live on transit_seal (seal_id) where active;
    create table transit_event (
      id uuid primary key,
      operator_org_id uuid not null references organisation (id),
      operator_event_id text not null,
      movement_id uuid not null references transit_movement (id),
      seal_id text not null,
      kind text not null check (kind in ('position', 'speed', 'seal_opened', 'seal_tampered', 'off_route', 'stopped')),
      at timestamptz not null,
      latitude numeric(9, 6),
      longitude numeric(9, 6),
      speed_kmh numeric(6, 1),
      detail jsonb not null,
      received_at timestamptz not null,
      unique (operator_org_id, operator_event_id)
    );
    create index transit_event_movement on transit_event (movement_id, at);
    create table transit_alert (
      id uuid primary key,
      movement_id uuid not null references transit_movement (id),
      event_id uuid not null unique references transit_event (id),
      kind text not null check (kind in ('seal_tampered', 'seal_opened', 'off_route', 'stopped_too_long')),
      message text not null,
      raised_at timestamptz not null,
      status text not null check (status in ('open', 'acknowledged')),
      acknowledged_at timestamptz,
      acknowledged_by text,
      note text
    );
    create index transit_alert_open on transit_alert (raised_at) where status = 'open';
    create sequence if not exists serial_transit_movement;
    create sequence if not exists serial_guarantee
  `,
  );
}
