// National settings are data with validity dates (VAT rate, levies, rounding, valuation method...).
// Each key has a parser that checks its value, so a bad setting is refused when it is loaded,
// not discovered in the middle of an assessment.
import { parseDecimal, type Dec, type RoundingMode } from '#platform/money.ts';
import { usedVehicleMethods, type DepreciationBand, type NationalRules, type RuleRef, type UsedVehicleFactors, type UsedVehicleMethod } from '#modules/assessment/index.ts';

type Parser<T> = (value: unknown) => T;

function percent(value: unknown): Dec {
  const d = typeof value === 'string' ? parseDecimal(value) : undefined;
  if (!d || d.isNegative() || d.greaterThan(1000)) {
    throw new Error('must be a percentage written as a decimal string, e.g. "2.5"');
  }
  return d;
}

function codes(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error('must be a list of codes, e.g. ["4000100"]');
  }
  return value;
}

function rounding(value: unknown): { scale: number; mode: RoundingMode } {
  const v = value as { scale?: unknown; mode?: unknown };
  const modes = ['half-up', 'half-even', 'down', 'up'];
  if (typeof v !== 'object' || !Number.isInteger(v.scale) || (v.scale as number) < 0 || (v.scale as number) > 4 || !modes.includes(v.mode as string)) {
    throw new Error(`must be {"scale": 0..4, "mode": one of ${modes.join(', ')}}`);
  }
  return { scale: v.scale as number, mode: v.mode as RoundingMode };
}

function method(value: unknown): UsedVehicleMethod {
  if (!usedVehicleMethods.includes(value as UsedVehicleMethod)) {
    throw new Error(`must be one of ${usedVehicleMethods.join(', ')}`);
  }
  return value as UsedVehicleMethod;
}

/**
 * Depreciation bands by age in months. A band written in years (maxAgeYears, the shape before
 * ages counted months) is read as that many twelve-month periods, so settings already loaded still parse.
 */
function depreciation(value: unknown): DepreciationBand[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error('must be a non-empty list of {"maxAgeMonths": n, "percent": "20"}');
  }
  return value.map((band: { maxAgeMonths?: unknown; maxAgeYears?: unknown; percent?: unknown }) => {
    const months = band.maxAgeMonths ?? (Number.isInteger(band.maxAgeYears) ? (band.maxAgeYears as number) * 12 : undefined);
    if (!Number.isInteger(months) || (months as number) < 0 || (months as number) > 1200) {
      throw new Error('each band needs a whole number maxAgeMonths from 0 to 1200');
    }
    return { maxAgeMonths: months as number, percent: percent(band.percent) };
  });
}

function vehicleFactors(value: unknown): UsedVehicleFactors {
  const v = value as { retailMarginPercent?: unknown } | null;
  if (typeof v !== 'object' || v === null || Object.keys(v).some((k) => k !== 'retailMarginPercent')) {
    throw new Error('must be {"retailMarginPercent": "0"}');
  }
  const margin = percent(v.retailMarginPercent ?? '0');
  if (margin.greaterThanOrEqualTo(100)) {
    throw new Error('retailMarginPercent must be below 100');
  }
  return { retailMarginPercent: margin };
}

function years(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new Error('must be a whole number of years');
  }
  return value as number;
}

/** Every national setting: its key, what it means and how its value is checked. */
export const settingSpecs = {
  'idf.preferential_rate': { field: 'idfPreferentialRate', parse: percent, about: 'IDF for the procedure codes in idf.preferential_cpcs' },
  'idf.preferential_cpcs': { field: 'idfPreferentialCpcs', parse: codes, about: 'Procedure codes that earn the preferential IDF' },
  'rdl.preferential_rate': { field: 'rdlPreferentialRate', parse: percent, about: 'RDL for the procedure codes in rdl.preferential_cpcs' },
  'rdl.preferential_cpcs': { field: 'rdlPreferentialCpcs', parse: codes, about: 'Procedure codes that earn the preferential RDL' },
  rounding: { field: 'rounding', parse: rounding, about: 'Rounding of each tax line and customs value' },
  'valuation.default_insurance_rate': { field: 'defaultInsuranceRate', parse: percent, about: 'Insurance as percent of C&F when none is declared' },
  'valuation.used_vehicle_method': { field: 'usedVehicleMethod', parse: method, about: 'How a used vehicle CRSP is reduced to a customs value' },
  'valuation.used_vehicle_factors': { field: 'usedVehicleFactors', parse: vehicleFactors, about: 'Factors of the used-vehicle method (dealer margin taken off the retail price)' },
  'valuation.vehicle_depreciation': { field: 'vehicleDepreciation', parse: depreciation, about: 'Age depreciation of the CRSP, by age in months from first registration' },
  'valuation.vehicle_max_age_years': { field: 'vehicleMaxAgeYears', parse: years, about: 'Oldest used vehicle admitted for home use (compared in months: years x 12)' },
  'valuation.vehicle_age_exempt_cpcs': { field: 'vehicleAgeExemptCpcs', parse: codes, about: 'Procedure codes that may bring in a vehicle over the age limit (returning residents)' },
} as const satisfies Record<string, { field: keyof NationalRules; parse: Parser<unknown>; about: string }>;

export type SettingKey = keyof typeof settingSpecs;
export const settingKeys = Object.keys(settingSpecs) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return key in settingSpecs;
}

export function parseSetting(key: SettingKey, value: unknown): unknown {
  return settingSpecs[key].parse(value);
}

export interface SettingRow {
  id: number | string;
  key: string;
  value: unknown;
  valid_from: string;
  valid_to: string | null;
}

/**
 * The rules in force: one row per key, already chosen for the date. Returns the keys that have
 * no row in force, so the caller can say which settings are missing instead of guessing a value.
 */
export function nationalRulesFrom(rows: SettingRow[]): { rules: NationalRules } | { missing: SettingKey[] } {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const missing = settingKeys.filter((k) => !byKey.has(k));
  if (missing.length > 0) {
    return { missing };
  }
  const rules: Record<string, { value: unknown; ref: RuleRef }> = {};
  for (const key of settingKeys) {
    const row = byKey.get(key) as SettingRow;
    const ref: RuleRef = { kind: 'setting', id: String(row.id), key, validFrom: row.valid_from, validTo: row.valid_to, value: row.value };
    rules[settingSpecs[key].field] = { value: settingSpecs[key].parse(row.value), ref };
  }
  return { rules: rules as unknown as NationalRules };
}

