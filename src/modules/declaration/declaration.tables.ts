import type { CalculatorVehicle } from '#modules/assessment/index.ts';
import type { ColumnType, Selectable } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;
type Timestamp = ColumnType<Date, Date | undefined, Date>;
type OptionalTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export const declarationStatuses = ['draft', 'lodged', 'assessed', 'queried', 'registered', 'paid', 'released', 'exited', 'cancelled', 'rejected'] as const;
export type DeclarationStatus = (typeof declarationStatuses)[number];
export type ControlStatus = 'none' | 'pending' | 'passed' | 'failed';
export type AssessmentBasis = 'expected-arrival' | 'actual-arrival';

export type RequestKind = 'cancel' | 'amend';
export type RequestStatus = 'pending' | 'approved' | 'refused' | 'withdrawn';

export interface DeclaredDocument {
  code: string;
  reference: string;
}

/** A vehicle as declared: what the calculator takes (one item model), and its chassis number. */
export type DeclaredVehicle = CalculatorVehicle & { chassisNumber?: string };

export interface DeclarationTables {
  declaration: {
    id: string;
    reference: string | null;
    status: DeclarationStatus;
    regime: string;
    cpc: string;
    office_code: string;
    declarant_org_id: string;
    declarant_user_id: string;
    importer_pin: string;
    importer_org_id: string | null;
    transport_document_id: string | null;
    transport_document_number: string;
    /** The carrier (organisation code) or manifest (reference) that names the document, when the declarant gave one. */
    carrier_code: ColumnType<string | null, string | null | undefined, string | null>;
    manifest_reference: ColumnType<string | null, string | null | undefined, string | null>;
    invoice_currency: string;
    invoice_amount: Numeric;
    incoterm: string;
    freight: Numeric | null;
    insurance: Numeric | null;
    exchange_rate: Numeric | null;
    /** Seller (consignor) named on the invoice, and its country; country of dispatch. */
    seller_name: ColumnType<string | null, string | null | undefined, string | null>;
    seller_country: ColumnType<string | null, string | null | undefined, string | null>;
    departure_country: ColumnType<string | null, string | null | undefined, string | null>;
    documents: ColumnType<DeclaredDocument[], string | undefined, string>;
    assessment: NullableJson;
    /** 'YYYY-MM-DD': the date whose rules the assessment used. */
    assessment_date: string | null;
    assessment_basis: AssessmentBasis | null;
    assessed_total: Numeric | null;
    additional_due: Numeric | null;
    refund_due: Numeric | null;
    channel: 'green' | 'yellow' | 'red' | 'blue' | null;
    channel_reasons: NullableJson;
    risk_score: number | null;
    selectivity_version: string | null;
    control_status: ColumnType<ControlStatus, ControlStatus | undefined, ControlStatus>;
    control: NullableJson;
    prn: string | null;
    release_order_number: string | null;
    query: NullableJson;
    status_reason: string | null;
    version: ColumnType<number, number | undefined, number>;
    created_at: Timestamp;
    updated_at: Timestamp;
    lodged_at: OptionalTimestamp;
    assessed_at: OptionalTimestamp;
    registered_at: OptionalTimestamp;
    paid_at: OptionalTimestamp;
    released_at: OptionalTimestamp;
    exited_at: OptionalTimestamp;
    cancelled_at: OptionalTimestamp;
    /** Exports (EX1, EX3): where the goods leave Kenya, where they go, where they wait before loading. */
    exit_office_code: ColumnType<string | null, string | null | undefined, string | null>;
    destination_country: ColumnType<string | null, string | null | undefined, string | null>;
    goods_location: ColumnType<string | null, string | null | undefined, string | null>;
    /** Exports: who confirmed the exit, where, and the outbound manifest or crossing record. */
    exit_confirmation: NullableJson;
  };
  /** After registration the declarant asks to amend or cancel; an officer decides. */
  declaration_request: {
    id: string;
    /** Order of asking (requests of one declaration are listed newest first). */
    seq: ColumnType<string, never, never>;
    declaration_id: string;
    kind: RequestKind;
    status: RequestStatus;
    reason: string;
    /** The amended declaration (amend), in the API's shape. */
    body: NullableJson;
    /** What the amendment would change, worked out when it was asked (totals and difference). */
    preview: NullableJson;
    requested_by_org: string;
    requested_by_id: string;
    requested_by_name: string;
    requested_at: Date;
    decided_by_id: string | null;
    decided_by_name: string | null;
    decided_at: Date | null;
    decision_reason: string | null;
    /** What the approval did (refund due, new PRN, ...). */
    effect: NullableJson;
  };
  declaration_item: {
    declaration_id: string;
    item_no: number;
    hs_code: string;
    description: string;
    origin_country: string;
    preferential_origin: ColumnType<boolean, boolean | undefined, boolean>;
    quantity: Numeric;
    unit: string;
    alcohol_percent: ColumnType<Numeric | null, Numeric | null | undefined, Numeric | null>;
    net_mass_kg: Numeric;
    gross_mass_kg: Numeric;
    packages: number;
    item_price: Numeric;
    cpc: string | null;
    vehicle: ColumnType<DeclaredVehicle | null, string | null, string | null>;
    /** Re-exports (EX3): the import declaration item these goods are (what remains of it is written off on exit). */
    source_declaration_id: ColumnType<string | null, string | null | undefined, string | null>;
    source_item_no: ColumnType<number | null, number | null | undefined, number | null>;
  };
  /**
   * Accepted unit values, per item and basis (`per`: 'kg', or the unit of quantity): the valuation
   * reference's history, kept by an outbox consumer (declaration.reads.ts).
   */
  declaration_unit_value: {
    declaration_id: string;
    item_no: number;
    per: string;
    hs_code: string;
    hs6: string;
    hs4: string;
    origin: string;
    unit: string;
    customs_value: Numeric;
    unit_value: Numeric;
    accepted_on: string;
  };
}

export type DeclarationRow = Selectable<DeclarationTables['declaration']>;
export type DeclarationRequestRow = Selectable<DeclarationTables['declaration_request']>;
export type DeclarationItemRow = Selectable<DeclarationTables['declaration_item']>;
