import type { ColumnType, Generated } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;

export interface TariffTables {
  data_import: {
    id: Generated<number>;
    kind: string;
    file_name: string;
    checksum: string;
    rows_loaded: number;
    rows_unchanged: Generated<number>;
    imported_at: Generated<Date>;
    imported_by: string;
    note: string | null;
  };
  tariff_line: {
    id: Generated<string>;
    hs_code: string;
    description: string;
    unit: string;
    import_duty_rate: Numeric | null;
    import_duty_specific: Numeric | null;
    import_duty_specific_unit: string | null;
    excise_rate: Numeric | null;
    excise_specific: Numeric | null;
    excise_specific_unit: string | null;
    specific_currency: string;
    vat: 'standard' | 'exempt' | 'zero';
    valid_from: string;
    valid_to: string | null;
    vehicle_fuel: string | null;
    engine_cc_min: number | null;
    engine_cc_max: number | null;
    note: string | null;
    import_id: number;
  };
  exchange_rate: {
    id: Generated<string>;
    currency: string;
    rate: Numeric;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
    import_id: number;
  };
  charge_type: {
    id: Generated<string>;
    code: string;
    name: string;
    base: 'customs_value' | 'value_plus' | 'vat_base' | 'quantity';
    plus: ColumnType<string[], string, string>;
    joins_vat_base: boolean;
    rate_source: 'tariff-duty' | 'tariff-excise' | 'schedule';
    rounding_scale: number | null;
    rounding_mode: string | null;
    minimum: Numeric | null;
    maximum: Numeric | null;
    sequence: number;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
  };
  charge_rate: {
    id: Generated<string>;
    charge_code: string;
    hs_prefix: string;
    rate: Numeric | null;
    specific: Numeric | null;
    specific_unit: string | null;
    specific_currency: string;
    treatment: 'standard' | 'reduced' | 'zero' | 'exempt';
    valid_from: string;
    valid_to: string | null;
    note: string | null;
  };
  national_setting: {
    id: Generated<number>;
    key: string;
    value: ColumnType<unknown, string, string>;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
  };
}
