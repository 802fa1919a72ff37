import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Partner exchange: the message log (outgoing queue and idempotent inbox, keyed by sender and
// message id), movements announced by a partner, and messages refused at the door.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table partner_message (
      id uuid not null,
      sender text not null check (sender ~ '^[A-Z]{2}$'),
      receiver text not null check (receiver ~ '^[A-Z]{2}$'),
      direction text not null check (direction in ('out', 'in')),
      type text not null check (length(type) between 1 and 40),
      subject text not null check (length(subject) between 1 and 60),
      source_event text unique,
      body jsonb not null,
      jws text not null check (length(jws) <= 65536),
      status text not null check (status in ('pending', 'acknowledged', 'applied', 'rejected')),
      attempts integer not null default 0,
      last_error text,
      last_attempt_at timestamptz,
      answer jsonb,
      created_at timestamptz not null,
      acknowledged_at timestamptz,
      primary key (sender, id)
    );
    create index partner_message_log on partner_message (created_at desc, id);
    create index partner_message_subject on partner_message (subject);
    create table partner_movement (
      id uuid primary key,
      origin text not null check (origin ~ '^[A-Z]{2}$'),
      reference text not null check (length(reference) between 1 and 60),
      status text not null check (status in ('expected', 'arrived')),
      detail jsonb not null,
      stake numeric(18, 2),
      currency text not null,
      seals text[] not null,
      deadline timestamptz,
      alerts integer not null default 0,
      last_alert jsonb,
      origin_status text not null,
      announced_at timestamptz not null,
      arrived_at timestamptz,
      arrived_by text,
      version integer not null default 1,
      unique (origin, reference)
    );
    create table partner_refusal (
      id bigserial primary key,
      at timestamptz not null,
      claimed_sender text,
      reason text not null,
      remote_address text not null,
      request_id text not null
    )
  `,
  );
}
