import type { Dec, RoundingMode } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';

/** Charge codes as they appear on an assessment notice and an e-slip (ID, EXD, VAT, IDF, RDL, EIPL...): data, see ChargeTypeDef. */
export type TaxCode = string;

/** Which rule a figure came from, so an assessment can be reproduced and explained. */
export interface RuleRef {
  kind: 'tariff-line' | 'setting' | 'exchange-rate' | 'charge-type' | 'charge-rate' | 'unit' | 'relief' | 'exemption-letter' | 'preference' | 'crsp';
  id: string;
  key: string;
  validFrom: string;
  validTo: string | null;
  value?: unknown;
}

export interface SpecificRate {
  amount: Dec;
  /** Unit of quantity the amount is charged per (UN/ECE Rec 20 code, CLPA for cl of pure alcohol). */
  unit: string;
  currency: string;
}

export interface Charge {
  rate?: Dec;
  specific?: SpecificRate;
}

/** A national tariff line version as the engine needs it. */
export interface TariffMeasure {
  ref: RuleRef;
  hsCode: string;
  description: string;
  unit: string;
  importDuty: Charge;
  excise: Charge;
  vat: 'standard' | 'exempt' | 'zero';
}

/**
 * What a charge is levied on, from a fixed set: the customs value; the customs value plus listed
 * charges (excise: plus import duty); the VAT base (customs value plus every charge that joins it);
 * or a quantity alone (a levy per litre).
 */
export type ChargeBase = 'customs_value' | 'value_plus' | 'vat_base' | 'quantity';

/** A tax head in force: charge types are data with validity, computed in `sequence` order. */
export interface ChargeTypeDef {
  code: string;
  name: string;
  base: ChargeBase;
  /** For value_plus: the charges added to the customs value. */
  plus: string[];
  joinsVatBase: boolean;
  /** Where the rate comes from: the tariff line's import duty or excise columns, or the charge-rate schedule by HS prefix. */
  rateSource: 'tariff-duty' | 'tariff-excise' | 'schedule';
  /** Rounding of this charge; default the national rounding. */
  rounding?: { scale: number; mode: RoundingMode };
  /** Bounds of the amount due, in KES. */
  minimum?: Dec;
  maximum?: Dec;
  sequence: number;
  ref: RuleRef;
}

/** One rate of a scheduled charge for the lines under an HS prefix ('' = every line); the longest prefix wins. */
export interface ChargeRateDef {
  charge: string;
  hsPrefix: string;
  rate?: Dec;
  specific?: SpecificRate;
  treatment: 'standard' | 'reduced' | 'zero' | 'exempt';
  ref: RuleRef;
}

export interface ChargeSchedule {
  types: ChargeTypeDef[];
  rates: ChargeRateDef[];
}

/** A unit of quantity: its kind (mass, count, volume, alcohol...) and how many of the kind's base unit it holds. */
export interface UnitDef {
  code: string;
  kind: string;
  factor: Dec;
}

export interface Setting<T> {
  value: T;
  ref: RuleRef;
}

export type UsedVehicleMethod = 'retail-less-all-taxes' | 'retail-less-duty-excise-vat' | 'depreciated-retail';
export const usedVehicleMethods: readonly UsedVehicleMethod[] = ['retail-less-all-taxes', 'retail-less-duty-excise-vat', 'depreciated-retail'];

export interface DepreciationBand {
  /** Upper bound of the vehicle's age in whole months from first registration (inclusive). */
  maxAgeMonths: number;
  percent: Dec;
}

/** The used-vehicle method's factors, as data, so an administration can match its published estimates. */
export interface UsedVehicleFactors {
  /** Share of the depreciated retail price taken off as the dealer's margin before the taxes are reduced out. */
  retailMarginPercent: Dec;
}

/** The national settings in force on the assessment date. */
export interface NationalRules {
  idfPreferentialRate: Setting<Dec>;
  idfPreferentialCpcs: Setting<string[]>;
  rdlPreferentialRate: Setting<Dec>;
  rdlPreferentialCpcs: Setting<string[]>;
  rounding: Setting<{ scale: number; mode: RoundingMode }>;
  /** Insurance as a percentage of C&F when none is declared. */
  defaultInsuranceRate: Setting<Dec>;
  usedVehicleMethod: Setting<UsedVehicleMethod>;
  vehicleDepreciation: Setting<DepreciationBand[]>;
  vehicleMaxAgeYears: Setting<number>;
  /** Procedure codes that may bring in a vehicle older than the limit (returning residents). */
  vehicleAgeExemptCpcs: Setting<string[]>;
  usedVehicleFactors: Setting<UsedVehicleFactors>;
}

export interface ExchangeRate {
  currency: string;
  /** Shillings per one unit of the currency. */
  rate: Dec;
  ref: RuleRef | { kind: 'declared' };
}

export interface VehicleInput {
  fuel: string;
  engineCc: number;
  make?: string;
  model?: string;
  /** Year and month of first registration, YYYY-MM: given, the vehicle is used. */
  firstRegistration?: string;
  /** The CRSP row in force for the vehicle, found by the caller; absent: no row, an officer values it. */
  crsp?: { price: Dec; ref: RuleRef; variant: string };
}

/**
 * A relief granted to one item, resolved by the caller from its procedure code, its documents and
 * any exemption letter; the engine only applies it. Charges whose base includes a relieved charge
 * are computed on what is actually due.
 */
export interface ReliefGrant {
  /** Charge code relieved, e.g. ID, EXD, VAT, IDF. */
  charge: string;
  /** full: nothing is due; rate: the charge is ad valorem at `rate` percent (any specific part falls away). */
  kind: 'full' | 'rate';
  rate?: Dec;
  /** Short name shown in the tax line's method, e.g. "diplomatic-privileges". */
  name: string;
  ref: RuleRef;
}

/** A tariff preference granted to one item (EAC origin, COMESA FTA...), resolved by the caller. */
export interface PreferenceGrant {
  /** Agreement code, e.g. EAC-CU, COMESA-FTA. */
  agreement: string;
  /** Charges the preference removes (import duty for EAC and COMESA). */
  charges: string[];
  ref: RuleRef;
}

export interface ItemInput {
  measure: TariffMeasure;
  originCountry?: string;
  preferentialOrigin?: boolean;
  fob: Dec;
  freight?: Dec;
  insurance?: Dec;
  quantity?: Dec;
  /** Unit the quantity is declared in; default the tariff line's supplementary unit. */
  unit?: string;
  netMassKg?: Dec;
  alcoholPercent?: Dec;
  vehicle?: VehicleInput;
  reliefs?: ReliefGrant[];
  preference?: PreferenceGrant;
}

export interface AssessmentInput {
  /** The date whose rules apply (arrival of the vessel, or the calculator's date). */
  date: string;
  cpc: string;
  /** Currency of the invoice; FOB, freight and insurance are in it. */
  currency: string;
  exchangeRate: ExchangeRate;
  /** Rates for currencies of specific duties (e.g. USD per tonne), by currency. */
  specificRates: ReadonlyMap<string, ExchangeRate>;
  /** Freight and insurance for the whole consignment, apportioned to items by FOB value. */
  freight?: Dec;
  insurance?: Dec;
  items: ItemInput[];
  rules: NationalRules;
  /** Tax heads and their scheduled rates in force on the date. */
  schedule: ChargeSchedule;
  units: ReadonlyMap<string, UnitDef>;
}

export interface TaxLine {
  code: TaxCode;
  name: string;
  base: Dec;
  /** Percent, when the charge is ad valorem. */
  rate?: Dec;
  /** Per-unit amount, when the charge is specific. */
  specific?: SpecificRate & { quantity: Dec; rateKes: Dec };
  amount: Dec;
  /** How the amount was reached: ad-valorem, specific, higher-of: ..., exempt, zero-rated, preference: EAC-CU, relief: ..., with (minimum)/(maximum). */
  method: string;
  rule: RuleRef;
}

export interface Valuation {
  currency: string;
  exchangeRate: Dec;
  fob: Dec;
  freight: Dec;
  insurance: Dec;
  insuranceDefaulted: boolean;
  cif: Dec;
  customsValue: Dec;
  method: 'transaction-value' | UsedVehicleMethod;
  vehicle?: UsedVehicleValuation;
  /** Why the value is provisional and waits for an officer (a used vehicle with no CRSP row). */
  pendingValuation?: string;
  warnings: string[];
}

export interface UsedVehicleValuation {
  firstRegistration: string;
  ageMonths: number;
  /** Absent when the list has no row for the vehicle. */
  crsp?: { price: Dec; variant: string; ref: RuleRef };
  depreciationPercent?: Dec;
  depreciatedPrice?: Dec;
  retailMarginPercent?: Dec;
  divisor?: Dec;
}

export interface ItemAssessment {
  index: number;
  hsCode: string;
  valuation: Valuation;
  customsValue: Dec;
  taxes: TaxLine[];
  total: Dec;
}

export interface Assessment {
  date: string;
  items: ItemAssessment[];
  totals: Record<TaxCode, Dec>;
  total: Dec;
  rulesUsed: RuleRef[];
  warnings: string[];
}

export type AssessmentResult = { ok: true; assessment: Assessment } | { ok: false; errors: FieldError[] };
