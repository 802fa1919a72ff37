// Used motor vehicles are valued from the published current retail selling price (CRSP) less
// age depreciation. How a retail price (which already carries the taxes) is reduced to a customs
// value is contested between sources, so the method is a named national setting, shown in the
// result, and its factors (valuation.used_vehicle_factors) are data too:
//   net price = CRSP x (100 - depreciation%) / 100 x (100 - retailMarginPercent) / 100
//   retail-less-all-taxes        CV = net price / the multiplier of every ad valorem charge
//                                (duty, excise, VAT, IDF, RDL): the taxes on CV add back up to the price
//   retail-less-duty-excise-vat  CV = net price / ((1+duty)(1+excise)(1+VAT))
//   depreciated-retail           CV = net price (the list price is taken as the value)
// Age counts whole calendar months from the month of first registration to the assessment date's
// month: the day of registration is not declared, so a month is the finest honest unit.
import { Dec } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';
import type { NationalRules, RuleRef, UsedVehicleMethod, Valuation, VehicleInput } from './assessment.types.ts';

export interface AdValoremRates {
  duty: Dec;
  excise: Dec;
  vat: Dec;
  idf: Dec;
  rdl: Dec;
}

export interface VehicleValuationInput {
  vehicle: VehicleInput & { firstRegistration: string };
  cpc: string;
  date: string;
  rules: NationalRules;
  /** Ad valorem rates (as fractions) that load the retail price. */
  rates: AdValoremRates;
  /** Whether the levies join the VAT base (the IDF charge type says). */
  leviesInVatBase: boolean;
  /** The transaction value the vehicle would otherwise have. */
  base: Valuation;
  round: (d: Dec) => Dec;
  use: (ref: RuleRef) => void;
}

const pointer = '/vehicle/firstRegistration';

/** Whole months from a YYYY-MM month to a YYYY-MM-DD date's month; undefined when malformed. */
export function ageInMonths(firstRegistration: string, date: string): number | undefined {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(firstRegistration);
  if (!m) {
    return undefined;
  }
  const months = (y: number, mo: number) => y * 12 + mo;
  return months(Number(date.slice(0, 4)), Number(date.slice(5, 7))) - months(Number(m[1]), Number(m[2]));
}

export function depreciationFor(ageMonths: number, rules: NationalRules): { percent: Dec; beyondSchedule: boolean } {
  const bands = [...rules.vehicleDepreciation.value].sort((a, b) => a.maxAgeMonths - b.maxAgeMonths);
  const band = bands.find((b) => ageMonths <= b.maxAgeMonths);
  if (band) {
    return { percent: band.percent, beyondSchedule: false };
  }
  return { percent: bands.at(-1)?.percent ?? new Dec(0), beyondSchedule: true };
}

export function divisorFor(method: UsedVehicleMethod, r: AdValoremRates, levieInVatBase: boolean): Dec {
  const one = new Dec(1);
  const dutyExcise = one.plus(r.duty).times(one.plus(r.excise));
  switch (method) {
    case 'depreciated-retail':
      return one;
    case 'retail-less-duty-excise-vat':
      return dutyExcise.times(one.plus(r.vat));
    case 'retail-less-all-taxes':
      return levieInVatBase
        ? dutyExcise.plus(r.idf).plus(r.rdl).times(one.plus(r.vat))
        : dutyExcise.times(one.plus(r.vat)).plus(r.idf).plus(r.rdl);
  }
}

/**
 * The age limit: older than valuation.vehicle_max_age_years (compared in months) is refused,
 * unless the procedure code is one of valuation.vehicle_age_exempt_cpcs (returning residents).
 */
function ageLimit(ageMonths: number, input: VehicleValuationInput): { errors: FieldError[] } | { warning?: string } {
  const { rules } = input;
  const maxMonths = rules.vehicleMaxAgeYears.value * 12;
  if (ageMonths <= maxMonths) {
    return {};
  }
  input.use(rules.vehicleMaxAgeYears.ref);
  input.use(rules.vehicleAgeExemptCpcs.ref);
  const exempt = rules.vehicleAgeExemptCpcs.value;
  if (exempt.includes(input.cpc)) {
    return { warning: `the vehicle is ${ageMonths} months old, over the ${maxMonths}-month limit; admitted under procedure code ${input.cpc}` };
  }
  return {
    errors: [
      {
        pointer,
        code: 'vehicle_too_old',
        message: `first registered ${input.vehicle.firstRegistration}, the vehicle is ${ageMonths} months old on ${input.date}; used vehicles older than ${rules.vehicleMaxAgeYears.value} years (${maxMonths} months) from first registration are not admitted for home use${exempt.length > 0 ? ` except under procedure code ${exempt.join(', ')}` : ''}`,
      },
    ],
  };
}

export function valueUsedVehicle(input: VehicleValuationInput): Valuation | { errors: FieldError[] } {
  const { rules, vehicle } = input;
  const ageMonths = ageInMonths(vehicle.firstRegistration, input.date);
  if (ageMonths === undefined) {
    return { errors: [{ pointer, code: 'invalid_month', message: `"${vehicle.firstRegistration}" is not a month written YYYY-MM` }] };
  }
  if (ageMonths < 0) {
    return { errors: [{ pointer, code: 'after_date', message: `${vehicle.firstRegistration} is after the assessment date ${input.date}` }] };
  }
  const limit = ageLimit(ageMonths, input);
  if ('errors' in limit) {
    return limit;
  }
  const warnings = limit.warning ? [limit.warning] : [];
  if (!vehicle.crsp) {
    // Only a declaration gets here (the calculator refuses): its value waits for an officer.
    const reason = `valuation: no CRSP row for ${[vehicle.make, vehicle.model, `${vehicle.engineCc} cc`, vehicle.fuel].filter(Boolean).join(' ')}; officer to value (provisionally the invoice value)`;
    return { ...input.base, vehicle: { firstRegistration: vehicle.firstRegistration, ageMonths }, pendingValuation: reason, warnings: [...warnings, reason] };
  }
  for (const ref of [vehicle.crsp.ref, rules.vehicleDepreciation.ref, rules.usedVehicleMethod.ref, rules.usedVehicleFactors.ref]) {
    input.use(ref);
  }
  const { percent, beyondSchedule } = depreciationFor(ageMonths, rules);
  if (beyondSchedule) {
    warnings.push(`age ${ageMonths} months is beyond the depreciation schedule; its last band (${percent.toString()}%) was applied`);
  }
  const method = rules.usedVehicleMethod.value;
  const margin = rules.usedVehicleFactors.value.retailMarginPercent;
  const hundred = new Dec(100);
  const depreciatedPrice = vehicle.crsp.price.times(hundred.minus(percent)).div(100);
  const netPrice = depreciatedPrice.times(hundred.minus(margin)).div(100);
  const divisor = divisorFor(method, input.rates, input.leviesInVatBase);
  return {
    ...input.base,
    customsValue: input.round(netPrice.div(divisor)),
    method,
    vehicle: {
      firstRegistration: vehicle.firstRegistration,
      ageMonths,
      crsp: vehicle.crsp,
      depreciationPercent: percent,
      depreciatedPrice: input.round(depreciatedPrice),
      retailMarginPercent: margin,
      divisor,
    },
    warnings,
  };
}
