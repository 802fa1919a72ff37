import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The answer given to each EDIFACT interchange, by its key: the caller's Idempotency-Key, else the
// interchange's own (sender and control reference, UNB 0004 and 0020), so that a retried
// interchange gets the same CONTRL again and lodges nothing twice.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table exchange_interchange (
      organisation_id uuid not null,
      key text not null check (length(key) between 1 and 250),
      request_hash text not null,
      status int not null,
      answer text not null,
      manifests text,
      answered_at timestamptz not null,
      primary key (organisation_id, key)
    )
  `,
  );
}
