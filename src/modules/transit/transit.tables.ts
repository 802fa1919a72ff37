import type { ColumnType, Generated } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;
type Json<T = unknown> = ColumnType<T, string, string>;

export const transitKinds = ['IM8', 'TR'] as const;
/** IM8: regional transit to a partner state; TR: national transfer to an inland depot. */
export type TransitKind = (typeof transitKinds)[number];
export const guaranteeKinds = ['bond', 'regional'] as const;
/** bond: a licensed agent's customs bond account; regional: a COMESA/EAC regional customs transit guarantee (RCTG). */
export type GuaranteeKind = (typeof guaranteeKinds)[number];
export type MovementStatus = 'lodged' | 'departed' | 'arrived' | 'exited' | 'discharged' | 'cancelled' | 'overdue' | 'called';
export type EntryKind = 'registered' | 'top_up' | 'debit' | 'credit' | 'called';
export const sealEventKinds = ['position', 'speed', 'seal_opened', 'seal_tampered', 'off_route', 'stopped'] as const;
export type SealEventKind = (typeof sealEventKinds)[number];
export type AlertKind = 'seal_tampered' | 'seal_opened' | 'off_route' | 'stopped_too_long';
export type AlertStatus = 'open' | 'acknowledged';
/** Alert thresholds kept as data: minutes stopped, metres off the approved route. */
export type ThresholdKind = 'stopped_minutes' | 'off_route_metres';

export interface TransitItem {
  hsCode: string;
  description: string;
  quantity: string;
  unit: string;
  value: string;
  originCountry: string;
}

export interface TransitTables {
  transit_time_limit: {
    id: Generated<number>;
    kind: TransitKind;
    days: number;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
  };
  transit_alert_threshold: {
    id: Generated<number>;
    kind: ThresholdKind;
    value: Numeric;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
  };
  guarantee: {
    id: string;
    reference: string;
    kind: GuaranteeKind;
    holder_org_id: string;
    guarantor: string;
    /** The face amount: registered plus top-ups, less what was called. */
    amount: Numeric;
    currency: string;
    valid_from: string;
    valid_to: string;
    /** What is free to cover new movements: the sum of the ledger's effects. */
    balance: Numeric;
    created_at: Date;
    created_by: string;
  };
  guarantee_entry: {
    id: Generated<string>;
    guarantee_id: string;
    movement_id: string | null;
    kind: EntryKind;
    /** The figure of the entry (always >= 0). */
    amount: Numeric;
    /** Its effect on the balance: + registered, top-up, credit; - debit; 0 called (the debit becomes permanent). */
    effect: Numeric;
    balance_after: Numeric;
    at: Date;
    actor: string;
  };
  transit_movement: {
    id: string;
    reference: string;
    kind: TransitKind;
    status: MovementStatus;
    agent_org_id: string;
    guarantee_id: string;
    transport_document_id: string;
    transport_document_number: string;
    manifest_reference: string;
    packages: number;
    gross_mass_kg: Numeric;
    office_of_departure: string;
    office_of_exit: string | null;
    office_of_destination: string | null;
    destination_country: string;
    currency: string;
    items: Json<TransitItem[]>;
    seals: ColumnType<string[], string[], string[]>;
    /** Duties and taxes at stake, computed at departure at the rates then in force. */
    stake: Numeric | null;
    stake_detail: Json | null;
    time_limit_id: number | null;
    deadline: Date | null;
    lodged_at: Date;
    lodged_by: string;
    departed_at: Date | null;
    concluded_at: Date | null;
    concluded_office: string | null;
    discharged_at: Date | null;
    cancelled_at: Date | null;
    overdue_at: Date | null;
    called_at: Date | null;
    version: number;
  };
  transit_seal: {
    seal_id: string;
    movement_id: string;
    active: boolean;
  };
  transit_event: {
    id: string;
    operator_org_id: string;
    operator_event_id: string;
    movement_id: string;
    seal_id: string;
    kind: SealEventKind;
    at: Date;
    latitude: Numeric | null;
    longitude: Numeric | null;
    speed_kmh: Numeric | null;
    detail: Json;
    received_at: Date;
  };
  transit_alert: {
    id: string;
    movement_id: string;
    event_id: string;
    kind: AlertKind;
    message: string;
    raised_at: Date;
    status: AlertStatus;
    acknowledged_at: Date | null;
    acknowledged_by: string | null;
    note: string | null;
  };
}
