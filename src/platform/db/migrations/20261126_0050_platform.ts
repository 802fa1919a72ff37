import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Platform tables: the outbox (events written with
// the change that caused them) and idempotency records (the first answer to a keyed request).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table outbox (
      id bigserial primary key,
      topic text not null,
      key text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      available_at timestamptz not null default now(),
      attempts int not null default 0,
      delivered_at timestamptz,
      last_error text
    );
    create index outbox_due on outbox (id) where delivered_at is null;
    create table idempotency_record (
      scope text not null,
      key text not null,
      request_hash text not null,
      status int,
      response jsonb,
      created_at timestamptz not null default now(),
      primary key (scope, key)
    );
  `,
  );
}
