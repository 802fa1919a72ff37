import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// A transport document is named without ambiguity: with its carrier (code) or manifest
// (reference) besides its number, since two carriers may use one number.
// Once a declaration is registered (its PRN issued), the declarant no longer amends or cancels it
// alone: it asks, and an officer approves or refuses with a reason. One request at a time.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table declaration add column carrier_code text;
    alter table declaration add column manifest_reference text;
    create table declaration_request (
      id uuid primary key,
      seq bigserial not null,
      declaration_id uuid not null references declaration (id),
      kind text not null check (kind in ('cancel', 'amend')),
      status text not null check (status in ('pending', 'approved', 'refused', 'withdrawn')),
      reason text not null,
      body jsonb,
      preview jsonb,
      requested_by_org uuid not null,
      requested_by_id text not null,
      requested_by_name text not null,
      requested_at timestamptz not null,
      decided_by_id text,
      decided_by_name text,
      decided_at timestamptz,
      decision_reason text,
      effect jsonb,
      check ((status = 'pending') = (decided_at is null)),
      check (kind <> 'amend' or body is not null)
    );
    create unique index declaration_request_pending on declaration_request (declaration_id) where status = 'pending';
    create index declaration_request_of on declaration_request (declaration_id, seq desc);
    create index declaration_importer_cancelled on declaration (importer_org_id, cancelled_at) where status in ('cancelled', 'rejected')
  `,
  );
}
