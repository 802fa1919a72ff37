import type { ColumnType, Generated } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;
type Json = ColumnType<unknown, string, string>;

export const transportModes = ['sea', 'air', 'road', 'rail'] as const;
export type TransportMode = (typeof transportModes)[number];
export const documentKinds = ['BL', 'AWB', 'RCN'] as const;
export type DocumentKind = (typeof documentKinds)[number];
export const cargoCategories = ['home_use', 'transit', 'transhipment', 'remaining_on_board'] as const;
export type CargoCategory = (typeof cargoCategories)[number];
export type ManifestStatus = 'lodged' | 'arrived' | 'closed';
export type VersionKind = 'original' | 'amendment' | 'supplementary';

/** One regime's share of a transport document split between regimes (e.g. part home use, part transit). */
export interface RegimeShare {
  cargoCategory: CargoCategory;
  packages: number;
  /** Decimal kilograms, 3 places. */
  grossMassKg: string;
}

/** What has been written off a document, per regime (cargo category). */
export type RegimeWrittenOff = Partial<Record<CargoCategory, { packages: number; grossMassKg: string }>>;

export interface Container {
  number: string;
  sizeType: string;
  seals: string[];
}

export interface ManifestTables {
  manifest_deadline: {
    id: Generated<number>;
    mode: TransportMode;
    hours_before_arrival: number;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
  };
  manifest: {
    id: string;
    reference: string;
    carrier_org_id: string;
    mode: TransportMode;
    conveyance_id: string;
    conveyance_name: string | null;
    voyage_number: string;
    port_of_loading: string;
    port_of_discharge: string;
    office_code: string;
    expected_arrival: Date;
    actual_arrival: Date | null;
    status: ManifestStatus;
    version: number;
    lodging_deadline: Date | null;
    deadline_rule_id: number | null;
    created_at: Date;
    created_by: string;
    updated_at: Date;
  };
  manifest_version: {
    manifest_id: string;
    version: number;
    kind: VersionKind;
    snapshot: Json;
    reason: string | null;
    created_at: Date;
    created_by: string;
  };
  transport_document: {
    id: string;
    manifest_id: string;
    /** Line of the manifest, in the order the carrier listed the documents. */
    line: number;
    carrier_org_id: string;
    number: string;
    kind: DocumentKind;
    master_id: string | null;
    shipper_name: string;
    consignee_name: string;
    consignee_pin: string | null;
    notify_party: string | null;
    packages: number;
    package_kind: string;
    gross_mass_kg: Numeric;
    description: string;
    cargo_category: CargoCategory;
    containers: ColumnType<Container[], string, string>;
    /** The B/L split between regimes; null: all of it is of cargo_category. */
    regime_shares: ColumnType<RegimeShare[] | null, string | null | undefined, string | null>;
    /** Written off per regime; the totals below are their sums. */
    regime_written_off: ColumnType<RegimeWrittenOff, string | undefined, string>;
    packages_written_off: ColumnType<number, number | undefined, number>;
    mass_written_off: ColumnType<Numeric, Numeric | undefined, Numeric>;
    added_in_version: number;
    removed_in_version: number | null;
    status: ColumnType<'active' | 'removed', 'active' | 'removed' | undefined, 'active' | 'removed'>;
    created_at: Date;
    updated_at: Date;
  };
}
