import type { ColumnType, Generated } from 'kysely';

type Json = ColumnType<unknown, string | null, string | null>;

export interface AuditTables {
  audit_event: {
    id: Generated<string>;
    stream: string;
    stream_seq: number;
    at: ColumnType<Date, Date | string | undefined, never>;
    actor_id: string;
    actor_name: string;
    actor_org: string | null;
    role: string;
    action: string;
    entity_type: string;
    entity_id: string;
    subject_refs: ColumnType<string[], string[] | undefined, never>;
    before: Json;
    after: Json;
    reason: string | null;
    request_id: string | null;
    prev_hash: string;
    hash: string;
    /** Transaction that wrote the record (xid8, as text): checkpoints cut by it. Not hashed. */
    xid: Generated<string>;
  };
  audit_stream: { stream: string; seq: number; head_hash: string };
  audit_checkpoint: {
    n: number;
    at: ColumnType<Date, Date | string, never>;
    /** The checkpoint's transaction cut (xmin is a reserved column name). */
    cut: string;
    events: ColumnType<string, number | string, never>;
    line_hash: string;
  };
}
