import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Signed checkpoints of every chain head (see audit.checkpoint.ts) need to know which records a
// checkpoint covers. Record ids are taken before commit, so a cut by id could pass over a record
// whose transaction commits later; a cut by transaction id cannot: every transaction below the
// snapshot's xmin has finished. Existing records get this migration's transaction id, so the
// first checkpoint covers them all. audit_checkpoint remembers each checkpoint line's hash, so a
// checkpoint file cut short shows up. TRUNCATE fires no row trigger: a statement trigger refuses
// it (the application role has no TRUNCATE privilege either; this guards the owner's mistakes).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table audit_event add column xid xid8 not null default pg_current_xact_id();
    create index audit_event_xid on audit_event (xid);
    create table audit_checkpoint (
      n int primary key,
      at timestamptz not null,
      cut xid8 not null,
      events bigint not null,
      line_hash text not null
    );
    create trigger audit_checkpoint_append_only before update or delete on audit_checkpoint
      for each row execute function audit_append_only();
    create trigger audit_event_no_truncate before truncate on audit_event
      for each statement execute function audit_append_only();
    create trigger audit_stream_no_truncate before truncate on audit_stream
      for each statement execute function audit_append_only();
    create trigger audit_checkpoint_no_truncate before truncate on audit_checkpoint
      for each statement execute function audit_append_only();
  `,
  );
}
