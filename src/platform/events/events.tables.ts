import type { ColumnType, Generated } from 'kysely';

export interface PlatformTables {
  outbox: {
    id: Generated<string>;
    topic: string;
    key: string;
    payload: ColumnType<unknown, string, string>;
    created_at: Generated<Date>;
    available_at: ColumnType<Date, Date | undefined, unknown>;
    attempts: Generated<number>;
    delivered_at: ColumnType<Date | null, never, unknown>;
    last_error: string | null;
  };
  idempotency_record: {
    scope: string;
    key: string;
    request_hash: string;
    status: number | null;
    response: ColumnType<unknown, string | null, string | null>;
    created_at: Generated<Date>;
  };
}
