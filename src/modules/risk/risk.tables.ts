import type { ColumnType, Generated, Selectable } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;
type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;
type Timestamp = ColumnType<Date, Date | undefined, Date>;
type OptionalTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export type RiskChannel = 'green' | 'yellow' | 'red' | 'blue';
export type WatchlistKind = 'importer' | 'declarant' | 'seller' | 'hs';

export interface RiskTables {
  /** Selectivity rules: every change is a new version; the current one has superseded_at null. */
  risk_rule: {
    id: string;
    version: number;
    code: string;
    name: string;
    reason: string;
    channel: RiskChannel;
    priority: number;
    offices: ColumnType<string[], string[], string[]>;
    criteria: Json;
    valid_from: string;
    valid_to: string | null;
    active: boolean;
    created_at: Timestamp;
    created_by: string;
    change_reason: string | null;
    superseded_at: OptionalTimestamp;
  };
  /** A list of parties or goods under watch; its entries carry their own validity. */
  risk_watchlist: {
    id: string;
    code: string;
    name: string;
    kind: WatchlistKind;
    channel: RiskChannel;
    reason: string;
    active: boolean;
    created_at: Timestamp;
    created_by: string;
    updated_at: Timestamp;
  };
  risk_watchlist_entry: {
    id: string;
    watchlist_id: string;
    /** PIN or organisation id (parties), seller name (kept as given; matched case-insensitively), or HS prefix. */
    value: string;
    note: string | null;
    valid_from: string;
    valid_to: string | null;
    created_at: Timestamp;
    created_by: string;
  };
  /** Prohibited and restricted goods: a hit always stops the goods (red), AEO or not. */
  risk_prohibited_goods: {
    id: string;
    hs_prefix: string;
    reason: string;
    valid_from: string;
    valid_to: string | null;
    created_at: Timestamp;
    created_by: string;
  };
  /** Settings of the engine as dated data: one row per key and validity period. */
  risk_setting: {
    id: Generated<number>;
    key: string;
    value: Json;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
    created_at: Timestamp;
    created_by: string;
  };
  risk_model: {
    id: string;
    version: number;
    created_at: Timestamp;
    created_by: string;
    /** { source: 'csv' | 'database', files?, rows, trainRows, validationRows, from, to } */
    trained_on: Json;
    /** Held-out figures: precision/recall at 1/2/5/10 %, AUC, fraud rate, train seconds. */
    metrics: Json;
    /** RiskModel.toJSON() */
    model: Json;
    active: ColumnType<boolean, boolean | undefined, boolean>;
    activated_at: OptionalTimestamp;
    /** Target rates per channel, score cut-offs and the score sample they were derived from. */
    thresholds: Json;
  };
  /** The engine's decision per declaration; an amendment's new decision supersedes the old. */
  risk_selection: {
    id: string;
    declaration_id: string;
    reference: string;
    decided_at: Date;
    decision_date: string;
    office_code: string;
    channel: RiskChannel;
    score: number | null;
    model_id: string | null;
    model_version: number | null;
    /** [{ id, version, code, channel }] of every rule that hit */
    rules: Json;
    /** [{ id, version, code, entryId, channel }] */
    watchlists: Json;
    prohibited: Json;
    valuation: Json;
    random: boolean;
    /** The cryptographic draw at lodgement: { selection, channel, rate, redShare } (null when not drawn). */
    random_draw: NullableJson;
    /** Earlier declarations of the consignment whose channel this one inherited: [{ declarationId, reference, channel, status, relation }]. */
    consignment: ColumnType<unknown, string | undefined, string>;
    aeo: boolean;
    /** Which checks asked for the final channel: prohibited, consignment, rule, watchlist, valuation, model, random. */
    selected_by: ColumnType<string[], string[], string[]>;
    reasons: Json;
    /** The facts the engine saw (DeclarationForRisk): the features of the next training. */
    input: Json;
    superseded_at: OptionalTimestamp;
  };
  /** Inspection outcome per declaration: the label the model learns from. */
  risk_outcome: {
    declaration_id: string;
    inspected: boolean;
    discrepancy: boolean;
    extra_revenue: Numeric;
    findings: NullableJson;
    officer_id: string | null;
    recorded_at: Timestamp;
    updated_at: Timestamp;
  };
}

export type RuleRow = Selectable<RiskTables['risk_rule']>;
export type WatchlistRow = Selectable<RiskTables['risk_watchlist']>;
export type WatchlistEntryRow = Selectable<RiskTables['risk_watchlist_entry']>;
export type ProhibitedRow = Selectable<RiskTables['risk_prohibited_goods']>;
export type SettingRow = Selectable<RiskTables['risk_setting']>;
export type ModelRow = Selectable<RiskTables['risk_model']>;
export type SelectionRow = Selectable<RiskTables['risk_selection']>;
export type OutcomeRow = Selectable<RiskTables['risk_outcome']>;
