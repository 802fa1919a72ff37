// The exchange module's tables: how partners' codes map to ours (data with validity dates), and
// the EDIFACT messages we render for systems that read EDIFACT (CUSRES to terminals).
import type { ColumnType, Generated } from 'kysely';

export const codeKinds = ['party', 'office', 'location', 'procedure', 'commodity', 'document', 'package', 'port'] as const;
export type CodeKind = (typeof codeKinds)[number];

export interface ExchangeTables {
  exchange_code_map: {
    kind: CodeKind;
    /** The partner's code as it appears in the message (an EORI, a location code, a DE 1/10 pair...). */
    external_code: string;
    /** Ours: an organisation code (party), an office code, a CPC, a national tariff line, a document code. */
    internal_code: string;
    valid_from: ColumnType<string, string, string>;
    valid_to: ColumnType<string | null, string | null, string | null>;
    note: string | null;
  };
  exchange_edifact_message: {
    id: Generated<string>;
    message_type: string;
    /** The release order (CUSRES): one message per order, so a redelivered event renders it once. */
    release_order_number: string;
    declaration_reference: string;
    office_code: string;
    interchange: string;
    created_at: ColumnType<Date, Date, never>;
  };
  /** The answer given to an EDIFACT interchange, by the caller's Idempotency-Key or the interchange's own reference. */
  exchange_interchange: {
    organisation_id: string;
    /** "key:<Idempotency-Key>" or "unb:<sender>:<control reference>". */
    key: string;
    /** sha256 of the interchange as received: a replay must be the same bytes. */
    request_hash: string;
    status: number;
    /** The CONTRL sent back. */
    answer: string;
    /** The references of the manifests lodged (the forodha-manifests header), if any. */
    manifests: string | null;
    answered_at: ColumnType<Date, Date, Date>;
  };
}
