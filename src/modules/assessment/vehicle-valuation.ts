// Used motor vehicles are valued from the published current retail selling price (CRSP) less
// age depreciation. How a retail price (which already carries the taxes) is reduced to a customs
// value is contested between sources, so the method is a named national setting, shown in the result:
//   retail-less-all-taxes        CV = depreciated CRSP / the multiplier of every ad valorem charge
//                                (duty, excise, VAT, IDF, RDL): the taxes on CV add back up to the price
//   retail-less-duty-excise-vat  CV = depreciated CRSP / ((1+duty)(1+excise)(1+VAT))
//   depreciated-retail           CV = depreciated CRSP (the list price is taken as the value)
import { Dec } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';
import type { NationalRules, RuleRef, UsedVehicleMethod, Valuation } from './assessment.types.ts';

export interface AdValoremRates {
  duty: Dec;
  excise: Dec;
  vat: Dec;
  idf: Dec;
  rdl: Dec;
}

export interface VehicleValuationInput {
  crsp: Dec;
  firstRegistrationYear: number | undefined;
  date: string;
  rules: NationalRules;
  /** Ad valorem rates (as fractions) that load the retail price. */
  rates: AdValoremRates;
  /** Whether the levies join the VAT base (the IDF charge type says). */
  leviesInVatBase: boolean;
  round: (d: Dec) => Dec;
  use: (ref: RuleRef) => void;
}

export function depreciationFor(ageYears: number, rules: NationalRules): { percent: Dec; beyondSchedule: boolean } {
  const bands = [...rules.vehicleDepreciation.value].sort((a, b) => a.maxAgeYears - b.maxAgeYears);
  const band = bands.find((b) => ageYears <= b.maxAgeYears);
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

export function valueUsedVehicle(input: VehicleValuationInput):
  | { customsValue: Dec; method: UsedVehicleMethod; detail: NonNullable<Valuation['vehicle']>; warnings: string[] }
  | { errors: FieldError[] } {
  const { rules } = input;
  if (input.firstRegistrationYear === undefined) {
    return {
      errors: [{ pointer: '/vehicle/firstRegistrationYear', code: 'required', message: 'is required to depreciate a retail price (CRSP)' }],
    };
  }
  const ageYears = Number(input.date.slice(0, 4)) - input.firstRegistrationYear;
  if (ageYears < 0) {
    return {
      errors: [{ pointer: '/vehicle/firstRegistrationYear', code: 'after_date', message: `${input.firstRegistrationYear} is after the assessment date ${input.date}` }],
    };
  }
  input.use(rules.vehicleDepreciation.ref);
  input.use(rules.usedVehicleMethod.ref);
  const warnings: string[] = [];
  const { percent, beyondSchedule } = depreciationFor(ageYears, rules);
  if (ageYears > rules.vehicleMaxAgeYears.value) {
    input.use(rules.vehicleMaxAgeYears.ref);
    warnings.push(
      `the vehicle is ${ageYears} years old; vehicles older than ${rules.vehicleMaxAgeYears.value} years from first registration may not be imported for home use`,
    );
  }
  if (beyondSchedule) {
    warnings.push(`age ${ageYears} is beyond the depreciation schedule; its last band (${percent.toString()}%) was applied`);
  }
  const method = rules.usedVehicleMethod.value;
  const depreciatedPrice = input.crsp.times(new Dec(100).minus(percent)).div(100);
  const divisor = divisorFor(method, input.rates, input.leviesInVatBase);
  return {
    customsValue: input.round(depreciatedPrice.div(divisor)),
    method,
    detail: { crsp: input.crsp, ageYears, depreciationPercent: percent, depreciatedPrice: input.round(depreciatedPrice), divisor },
    warnings,
  };
}
