import { sql, type Kysely } from 'kysely';

// Receipts of lodgements taken into the store-and-forward journal while the database was away,
// once replayed: the answer the route gave (status and body), read back by GET /api/v1/receipts/:receipt.
// A new table: nothing to lock.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table journal_receipt (
      receipt text primary key,
      scope text not null,
      route text not null,
      idempotency_key text not null,
      received_at timestamptz not null,
      applied_at timestamptz not null default now(),
      status int not null,
      response jsonb
    )`.execute(db);
}
