import type { ColumnType, Generated } from 'kysely';

export interface JournalTables {
  journal_receipt: {
    receipt: string;
    scope: string;
    route: string;
    idempotency_key: string;
    received_at: Date;
    applied_at: Generated<Date>;
    status: number;
    response: ColumnType<unknown, string | null, string | null>;
  };
}
