// The assessment engine: pure functions from goods, valuation inputs and the rules in force to
// every charge with its base, rate and amount. No I/O: the same inputs always give the same
// result, which is what lets an assessment be reproduced and explained years later.
import { Dec, roundTo, sum } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';
import {
  taxNames,
  type Assessment,
  type AssessmentInput,
  type AssessmentResult,
  type Charge,
  type ItemAssessment,
  type ItemInput,
  type NationalRules,
  type RuleRef,
  type TaxCode,
  type TaxLine,
  type Valuation,
} from './assessment.types.ts';
import { apportion } from './apportion.ts';
import { valueUsedVehicle } from './vehicle-valuation.ts';

const ZERO = new Dec(0);
const HUNDRED = new Dec(100);

export function assess(input: AssessmentInput): AssessmentResult {
  const errors: FieldError[] = [];
  const { rules } = input;
  const round = (d: Dec) => roundTo(d, rules.rounding.value.scale, rules.rounding.value.mode);
  const freightShares = input.freight ? apportion(input.freight, input.items.map((i) => i.fob)) : undefined;
  const insuranceShares = input.insurance ? apportion(input.insurance, input.items.map((i) => i.fob)) : undefined;
  // Rule objects are shared by every item that uses them, so identity is enough to de-duplicate.
  const used = new Set<RuleRef>();
  const use = (ref: RuleRef) => used.add(ref);
  for (const ref of [rules.rounding.ref, rules.vatBaseIncludesLevies.ref]) {
    use(ref);
  }
  if (input.exchangeRate.ref.kind !== 'declared') {
    use(input.exchangeRate.ref);
  }

  const items: ItemAssessment[] = [];
  input.items.forEach((item, index) => {
    const pointer = `/items/${index}`;
    use(item.measure.ref);
    const valuation = value(input, item, freightShares?.[index], insuranceShares?.[index], round, use);
    if ('errors' in valuation) {
      errors.push(...valuation.errors.map((e) => ({ ...e, pointer: pointer + e.pointer })));
      return;
    }
    const taxes = computeTaxes(input, item, valuation.customsValue, round, use);
    if ('errors' in taxes) {
      errors.push(...taxes.errors.map((e) => ({ ...e, pointer: pointer + e.pointer })));
      return;
    }
    items.push({
      index,
      hsCode: item.measure.hsCode,
      valuation,
      customsValue: valuation.customsValue,
      taxes,
      total: sum(taxes.map((t) => t.amount)),
    });
  });
  if (errors.length > 0) {
    return { ok: false, errors };
  }
  const totals: Partial<Record<TaxCode, Dec>> = {};
  for (const line of items.flatMap((i) => i.taxes)) {
    totals[line.code] = (totals[line.code] ?? ZERO).plus(line.amount);
  }
  const assessment: Assessment = {
    date: input.date,
    items,
    totals,
    total: sum(items.map((i) => i.total)),
    rulesUsed: [...used],
    warnings: items.flatMap((i) => i.valuation.warnings.map((w) => `item ${i.index + 1}: ${w}`)),
  };
  return { ok: true, assessment };
}

type Rounder = (d: Dec) => Dec;
type Use = (ref: RuleRef) => void;

/** Customs value: CIF in the invoice currency at the rate in force, or a used vehicle's list price less depreciation. */
function value(
  input: AssessmentInput,
  item: ItemInput,
  freightShare: Dec | undefined,
  insuranceShare: Dec | undefined,
  round: Rounder,
  use: Use,
): Valuation | { errors: FieldError[] } {
  const { rules } = input;
  const freight = item.freight ?? freightShare ?? ZERO;
  const declaredInsurance = item.insurance ?? insuranceShare;
  let insurance = declaredInsurance ?? ZERO;
  if (declaredInsurance === undefined) {
    use(rules.defaultInsuranceRate.ref);
    insurance = item.fob.plus(freight).percent(rules.defaultInsuranceRate.value);
  }
  const cif = item.fob.plus(freight).plus(insurance);
  const base: Valuation = {
    currency: input.currency,
    exchangeRate: input.exchangeRate.rate,
    fob: item.fob,
    freight,
    insurance,
    insuranceDefaulted: declaredInsurance === undefined,
    cif,
    customsValue: round(cif.times(input.exchangeRate.rate)),
    method: 'transaction-value',
    warnings: [],
  };
  // A used vehicle (first registration declared) is valued from the CRSP row the caller found.
  if (item.vehicle?.firstRegistration === undefined) {
    return base;
  }
  return valueUsedVehicle({
    vehicle: { ...item.vehicle, firstRegistration: item.vehicle.firstRegistration },
    cpc: input.cpc,
    date: input.date,
    rules,
    rates: adValoremRates(input, item, rules),
    base,
    round,
    use,
  });
}

/** The ad valorem rates that load a retail price, for reducing a CRSP to a customs value. */
function adValoremRates(input: AssessmentInput, item: ItemInput, rules: NationalRules) {
  const preferred = eacPreference(item, rules);
  const levies = leviesFor(input.cpc, rules);
  return {
    duty: preferred ? ZERO : (item.measure.importDuty.rate ?? ZERO).div(HUNDRED),
    excise: (item.measure.excise.rate ?? ZERO).div(HUNDRED),
    vat: item.measure.vat === 'standard' ? rules.vatRate.value.div(HUNDRED) : ZERO,
    idf: levies.idf.rate.div(HUNDRED),
    rdl: levies.rdl.rate.div(HUNDRED),
  };
}

function eacPreference(item: ItemInput, rules: NationalRules): boolean {
  return item.preferentialOrigin === true && item.originCountry !== undefined && rules.eacPartnerStates.value.includes(item.originCountry);
}

function leviesFor(cpc: string, rules: NationalRules) {
  const idfPreferential = rules.idfPreferentialCpcs.value.includes(cpc);
  const rdlPreferential = rules.rdlPreferentialCpcs.value.includes(cpc);
  return {
    idf: idfPreferential
      ? { rate: rules.idfPreferentialRate.value, refs: [rules.idfPreferentialRate.ref, rules.idfPreferentialCpcs.ref], method: 'preferential-cpc' }
      : { rate: rules.idfRate.value, refs: [rules.idfRate.ref], method: 'ad-valorem' },
    rdl: rdlPreferential
      ? { rate: rules.rdlPreferentialRate.value, refs: [rules.rdlPreferentialRate.ref, rules.rdlPreferentialCpcs.ref], method: 'preferential-cpc' }
      : { rate: rules.rdlRate.value, refs: [rules.rdlRate.ref], method: 'ad-valorem' },
  };
}

function computeTaxes(input: AssessmentInput, item: ItemInput, customsValue: Dec, round: Rounder, use: Use): TaxLine[] | { errors: FieldError[] } {
  const { rules, measure } = { rules: input.rules, measure: item.measure };
  const errors: FieldError[] = [];
  const lines: TaxLine[] = [];

  let duty: TaxLine;
  if (eacPreference(item, rules)) {
    use(rules.eacPartnerStates.ref);
    duty = { code: 'ID', name: taxNames.ID, base: customsValue, rate: ZERO, amount: ZERO, method: 'eac-preference', rule: rules.eacPartnerStates.ref };
  } else {
    const charged = charge('ID', measure.importDuty, customsValue, input, item, round, errors);
    duty = charged ?? { code: 'ID', name: taxNames.ID, base: customsValue, rate: ZERO, amount: ZERO, method: 'free', rule: measure.ref };
  }
  lines.push(duty);

  const exciseBase = customsValue.plus(duty.amount);
  const excise = charge('EXD', measure.excise, exciseBase, input, item, round, errors);
  if (excise) {
    lines.push(excise);
  }

  const levies = leviesFor(input.cpc, rules);
  const idf = leviesLine('IDF', customsValue, levies.idf, round, use);
  const rdl = leviesLine('RDL', customsValue, levies.rdl, round, use);

  let vatBase = exciseBase.plus(excise?.amount ?? ZERO);
  if (rules.vatBaseIncludesLevies.value) {
    vatBase = vatBase.plus(idf.amount).plus(rdl.amount);
  }
  lines.push(vatLine(measure.vat, vatBase, rules, round, use));
  lines.push(idf, rdl);
  return errors.length > 0 ? { errors } : lines;
}

function leviesLine(code: 'IDF' | 'RDL', base: Dec, levy: { rate: Dec; refs: RuleRef[]; method: string }, round: Rounder, use: Use): TaxLine {
  levy.refs.forEach(use);
  const rule = levy.refs[0] as RuleRef;
  return { code, name: taxNames[code], base, rate: levy.rate, amount: round(base.percent(levy.rate)), method: levy.method, rule };
}

function vatLine(kind: 'standard' | 'exempt' | 'zero', base: Dec, rules: NationalRules, round: Rounder, use: Use): TaxLine {
  const line = { code: 'VAT' as const, name: taxNames.VAT, base };
  if (kind === 'standard') {
    use(rules.vatRate.ref);
    return { ...line, rate: rules.vatRate.value, amount: round(base.percent(rules.vatRate.value)), method: 'ad-valorem', rule: rules.vatRate.ref };
  }
  return { ...line, rate: ZERO, amount: ZERO, method: kind === 'exempt' ? 'exempt' : 'zero-rated', rule: rules.vatRate.ref };
}

/**
 * One duty or excise charge: ad valorem, specific per unit, or, when the tariff gives both,
 * the higher of the two (as the EAC CET does for sensitive goods).
 */
function charge(
  code: 'ID' | 'EXD',
  rule: Charge,
  base: Dec,
  input: AssessmentInput,
  item: ItemInput,
  round: Rounder,
  errors: FieldError[],
): TaxLine | undefined {
  const ref = item.measure.ref;
  const adValorem = rule.rate === undefined ? undefined : round(base.percent(rule.rate));
  let specific: TaxLine['specific'];
  let specificAmount: Dec | undefined;
  if (rule.specific) {
    const quantity = chargeableQuantity(rule.specific.unit, item, item.measure.hsCode, errors);
    const fx = rule.specific.currency === 'KES' ? new Dec(1) : input.specificRates.get(rule.specific.currency)?.rate;
    if (fx === undefined) {
      errors.push({
        pointer: '/hsCode',
        code: 'exchange_rate_missing',
        message: `no exchange rate for ${rule.specific.currency} on ${input.date}, needed for the specific ${code} of ${item.measure.hsCode}`,
      });
      return undefined;
    }
    if (quantity === undefined) {
      return undefined;
    }
    const rateKes = rule.specific.amount.times(fx);
    specific = { ...rule.specific, quantity, rateKes };
    specificAmount = round(quantity.times(rateKes));
  }
  const line = { code, name: taxNames[code], base, rule: ref };
  if (adValorem !== undefined && specificAmount !== undefined && specific) {
    return specificAmount.greaterThan(adValorem)
      ? { ...line, specific, amount: specificAmount, method: 'higher-of: specific' }
      : { ...line, rate: rule.rate as Dec, amount: adValorem, method: 'higher-of: ad-valorem' };
  }
  if (adValorem !== undefined) {
    return { ...line, rate: rule.rate as Dec, amount: adValorem, method: 'ad-valorem' };
  }
  if (specificAmount !== undefined && specific) {
    return { ...line, specific, amount: specificAmount, method: 'specific' };
  }
  return undefined;
}

/** The quantity a specific rate is charged on, in that rate's unit, from what the item declares. */
function chargeableQuantity(unit: string, item: ItemInput, hsCode: string, errors: FieldError[]): Dec | undefined {
  const need = (field: string, what: string) => {
    errors.push({ pointer: `/${field}`, code: 'required', message: `is required: ${hsCode} has a specific charge per ${what}` });
    return undefined;
  };
  switch (unit) {
    case 'KGM':
      return item.netMassKg ?? need('netMassKg', 'kg of net mass');
    case 'TNE':
      return item.netMassKg ? item.netMassKg.div(1000) : need('netMassKg', 'tonne of net mass');
    case 'MIL':
      return item.quantity ? item.quantity.div(1000) : need('quantity', '1000 items (declare the number of items)');
    case 'LPA':
    case 'CLPA': {
      if (!item.quantity) {
        return need('quantity', 'litre of pure alcohol (declare litres)');
      }
      if (!item.alcoholPercent) {
        return need('alcoholPercent', 'litre of pure alcohol (declare the alcoholic strength in % vol)');
      }
      const litres = item.quantity.percent(item.alcoholPercent);
      return unit === 'LPA' ? litres : litres.times(100);
    }
    default:
      return item.quantity ?? need('quantity', `${unit} (declare the quantity in ${unit})`);
  }
}
