import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The audit trail is append-only: a trigger refuses updates and deletes. Each stream (one
// declaration, one manifest, ...) is a hash chain whose head is kept in audit_stream, so removing
// or changing any record breaks a chain that `forodha audit verify` recomputes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table audit_event (
      id bigserial primary key,
      stream text not null,
      stream_seq int not null,
      at timestamptz not null default now(),
      actor_id text not null,
      actor_name text not null,
      actor_org text,
      role text not null,
      action text not null,
      entity_type text not null,
      entity_id text not null,
      subject_refs text[] not null default '{}',
      before jsonb,
      after jsonb,
      reason text,
      request_id text,
      prev_hash text not null,
      hash text not null,
      unique (stream, stream_seq)
    );
    create index audit_event_subject on audit_event using gin (subject_refs);
    create table audit_stream (
      stream text primary key,
      seq int not null,
      head_hash text not null
    );
    create function audit_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'the audit trail is append-only';
    end $$;
    create trigger audit_event_append_only before update or delete on audit_event
      for each row execute function audit_append_only();
  `,
  );
}
