import type { ColumnType, Selectable } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;
type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;
type Timestamp = ColumnType<Date, Date | undefined, Date>;
type OptionalTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export const taskKinds = ['documentary', 'physical', 'post_clearance'] as const;
export type TaskKind = (typeof taskKinds)[number];

export const taskStatuses = ['open', 'assigned', 'awaiting_declarant', 'escalated', 'awaiting_payment', 'closed'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/** How a closed task ended. */
export type TaskOutcome = 'no_discrepancy' | 'discrepancy_settled' | 'overturned' | 'withdrawn' | 'carried_over';

/** The review of a payment under protest: it stays pending after the goods are released. */
export type ReviewStatus = 'pending' | 'upheld' | 'overturned';

export interface InspectionTables {
  verification_task: {
    id: string;
    /** Reads like the trade's references: 2026MBAVT000123. */
    number: string;
    declaration_id: string;
    declaration_reference: string;
    transport_document_number: string;
    /** The transport document by id (null only for tasks older than the column). */
    transport_document_id: ColumnType<string | null, string | null | undefined, string | null>;
    /** The task of a cancelled declaration this one continues, with its officer. */
    carried_from: ColumnType<string | null, string | null | undefined, string | null>;
    declarant_org_id: string;
    importer_org_id: string;
    office_code: string;
    kind: TaskKind;
    channel: 'yellow' | 'red' | 'blue';
    /** Why the declaration was selected: customs only, never shown to the trade. */
    risk_reasons: Json;
    status: TaskStatus;
    assigned_officer_id: string | null;
    assigned_officer_name: string | null;
    assigned_at: OptionalTimestamp;
    /** { result, corrections, remarks, officerId, officerName, at } */
    findings: NullableJson;
    /** The officer's corrections as an amendment: per item and field, before and after; totals before and after. */
    amendment: NullableJson;
    /** Additional duties and taxes the corrections assess (KES; negative when they lower them). */
    difference: Numeric | null;
    /** { response, reason, by, at } of the declarant. */
    response: NullableJson;
    /** The supervisor's decision on a rejection or a protest: { uphold, reason, by, at }. */
    decision: NullableJson;
    review_status: ReviewStatus | null;
    /** The PRN the declarant pays for the corrected assessment (replacement or supplementary). */
    prn: string | null;
    prn_amount: Numeric | null;
    outcome: TaskOutcome | null;
    /** Every step: [{ at, action, from, to, by: { id, name, role }, reason?, officerId? }]. */
    history: Json;
    version: ColumnType<number, number | undefined, number>;
    created_at: Timestamp;
    updated_at: Timestamp;
    closed_at: OptionalTimestamp;
  };
  officer_duty: {
    user_id: string;
    officer_name: string;
    office_code: string;
    on_duty: boolean;
    since: Date;
    updated_by: string;
  };
}

export type TaskRow = Selectable<InspectionTables['verification_task']>;
export type DutyRow = Selectable<InspectionTables['officer_duty']>;
