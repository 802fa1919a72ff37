// The assessment engine: pure functions from goods, valuation inputs and the rules in force to
// every charge with its base, rate and amount. No I/O: the same inputs always give the same
// result, which is what lets an assessment be reproduced and explained years later.
import { Dec, roundTo, sum } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';
import {
  type Assessment,
  type AssessmentInput,
  type AssessmentResult,
  type Charge,
  type ChargeRateDef,
  type ChargeTypeDef,
  type ItemAssessment,
  type ItemInput,
  type RuleRef,
  type TaxCode,
  type TaxLine,
  type Valuation,
} from './assessment.types.ts';
import { apportion } from './apportion.ts';
import { valueUsedVehicle } from './vehicle-valuation.ts';
import { chargeableQuantity } from './quantity.ts';
import { relieveLine } from './reliefs.ts';

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
  use(rules.rounding.ref);
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
  const totals: Record<TaxCode, Dec> = {};
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
    rates: adValoremRates(input, item),
    leviesInVatBase: leviesInVatBase(input),
    base,
    round,
    use,
  });
}

/** The ad valorem rates that load a retail price, for reducing a CRSP to a customs value. */
function adValoremRates(input: AssessmentInput, item: ItemInput) {
  const fraction = (code: string) => {
    const type = input.schedule.types.find((t) => t.code === code);
    const due = type ? dueRate(type, input, item) : undefined;
    return due?.kind === 'charged' ? (due.charge.rate ?? ZERO).div(HUNDRED) : ZERO;
  };
  return { duty: fraction('ID'), excise: fraction('EXD'), vat: fraction('VAT'), idf: fraction('IDF'), rdl: fraction('RDL') };
}

/** Whether the levies (IDF) join the VAT base under the charge types in force. */
export function leviesInVatBase(input: AssessmentInput): boolean {
  return input.schedule.types.some((t) => t.code === 'IDF' && t.joinsVatBase);
}

/** The scheduled rate for a line: the row under the longest HS prefix of the charge's rows in force. */
function scheduledRate(input: AssessmentInput, code: string, hsCode: string): ChargeRateDef | undefined {
  const digits = hsCode.replace(/\D/g, '');
  let best: ChargeRateDef | undefined;
  for (const r of input.schedule.rates) {
    if (r.charge === code && digits.startsWith(r.hsPrefix) && (!best || r.hsPrefix.length > best.hsPrefix.length)) {
      best = r;
    }
  }
  return best;
}

/** Why a charge is not levied on an item, or the rate it is levied at. */
type Due =
  | { kind: 'none' }
  | { kind: 'nil'; method: string; rule: RuleRef; rate?: Dec }
  | { kind: 'charged'; charge: Charge; method?: string; rule: RuleRef; extraRefs: RuleRef[] };

function dueRate(type: ChargeTypeDef, input: AssessmentInput, item: ItemInput): Due {
  const { measure } = item;
  const preference = item.preference?.charges.includes(type.code) ? item.preference : undefined;
  if (preference) {
    return { kind: 'nil', method: `preference: ${preference.agreement}`, rule: preference.ref, rate: ZERO };
  }
  let charge: Charge;
  let rule: RuleRef;
  let treatment: ChargeRateDef['treatment'] = 'standard';
  if (type.rateSource === 'schedule') {
    const row = scheduledRate(input, type.code, measure.hsCode);
    if (!row) {
      return { kind: 'none' };
    }
    charge = { ...(row.rate === undefined ? {} : { rate: row.rate }), ...(row.specific ? { specific: row.specific } : {}) };
    rule = row.ref;
    treatment = row.treatment;
  } else {
    charge = type.rateSource === 'tariff-duty' ? measure.importDuty : measure.excise;
    rule = measure.ref;
  }
  // The tariff line says whether its goods are exempt from or zero-rated for VAT.
  if (type.base === 'vat_base' && measure.vat !== 'standard') {
    treatment = measure.vat;
    rule = measure.ref;
  }
  if (treatment === 'exempt' || treatment === 'zero') {
    return { kind: 'nil', method: treatment === 'exempt' ? 'exempt' : 'zero-rated', rule, rate: ZERO };
  }
  const preferential = preferentialLevy(type.code, input);
  if (preferential) {
    return { kind: 'charged', charge: { rate: preferential.rate.value }, method: 'preferential-cpc', rule: preferential.rate.ref, extraRefs: [preferential.cpcs.ref, rule] };
  }
  if (charge.rate === undefined && charge.specific === undefined) {
    return type.code === 'ID' ? { kind: 'nil', method: 'free', rule, rate: ZERO } : { kind: 'none' };
  }
  return { kind: 'charged', charge, ...(treatment === 'reduced' ? { method: 'reduced-rate' } : {}), rule, extraRefs: [] };
}

/** IDF and RDL at their preferential rate for the procedure codes listed in the national settings. */
function preferentialLevy(code: string, input: AssessmentInput) {
  const { rules, cpc } = input;
  if (code === 'IDF' && rules.idfPreferentialCpcs.value.includes(cpc)) {
    return { rate: rules.idfPreferentialRate, cpcs: rules.idfPreferentialCpcs };
  }
  if (code === 'RDL' && rules.rdlPreferentialCpcs.value.includes(cpc)) {
    return { rate: rules.rdlPreferentialRate, cpcs: rules.rdlPreferentialCpcs };
  }
  return undefined;
}

/** Every charge in force on the item, in sequence: each base built from what earlier charges actually made due. */
function computeTaxes(input: AssessmentInput, item: ItemInput, customsValue: Dec, round: Rounder, use: Use): TaxLine[] | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const lines: TaxLine[] = [];
  const due = new Map<string, Dec>();
  const types = [...input.schedule.types].sort((a, b) => a.sequence - b.sequence);
  for (const type of types) {
    const base = baseOf(type, customsValue, due, types);
    const line = chargeLine(type, base, input, item, type.rounding ? (d: Dec) => roundTo(d, type.rounding!.scale, type.rounding!.mode) : round, use, errors);
    if (line) {
      use(type.ref);
      lines.push(line);
      due.set(type.code, line.amount);
    }
  }
  return errors.length > 0 ? { errors } : lines;
}

function baseOf(type: ChargeTypeDef, customsValue: Dec, due: ReadonlyMap<string, Dec>, types: ChargeTypeDef[]): Dec {
  switch (type.base) {
    case 'customs_value':
    case 'quantity':
      return customsValue;
    case 'value_plus':
      return sum([customsValue, ...type.plus.map((c) => due.get(c) ?? ZERO)]);
    case 'vat_base':
      return sum([customsValue, ...types.filter((t) => t.joinsVatBase && t.code !== type.code).map((t) => due.get(t.code) ?? ZERO)]);
  }
}

function chargeLine(type: ChargeTypeDef, base: Dec, input: AssessmentInput, item: ItemInput, round: Rounder, use: Use, errors: FieldError[]): TaxLine | undefined {
  const due = dueRate(type, input, item);
  if (due.kind === 'none') {
    return undefined;
  }
  use(due.rule);
  const line = { code: type.code, name: type.name, base };
  if (due.kind === 'nil') {
    return { ...line, ...(due.rate ? { rate: due.rate } : {}), amount: ZERO, method: due.method, rule: due.rule };
  }
  due.extraRefs.forEach(use);
  const charged = levy(type, due.charge, base, input, item, round, errors);
  if (!charged) {
    return undefined;
  }
  const bounded = bound(type, charged.amount);
  const method = (due.method ?? charged.method) + (bounded.method ? ` (${bounded.method})` : '');
  // A relief applies to the charge as due, before the next base is built on it.
  return relieveLine({ ...line, ...charged, amount: bounded.amount, method, rule: due.rule }, item.reliefs, round, use);
}

/** A charge's minimum and maximum, in KES, when its type has them. */
function bound(type: ChargeTypeDef, amount: Dec): { amount: Dec; method?: string } {
  if (type.minimum && amount.lessThan(type.minimum)) {
    return { amount: type.minimum, method: `minimum KES ${type.minimum.toFixed(2)}` };
  }
  if (type.maximum && amount.greaterThan(type.maximum)) {
    return { amount: type.maximum, method: `maximum KES ${type.maximum.toFixed(2)}` };
  }
  return { amount };
}

/**
 * One charge at its rate: ad valorem, specific per unit, or, when both are given, the higher of
 * the two (as the EAC CET does for sensitive goods).
 */
function levy(
  type: ChargeTypeDef,
  rule: Charge,
  base: Dec,
  input: AssessmentInput,
  item: ItemInput,
  round: Rounder,
  errors: FieldError[],
): Pick<TaxLine, 'rate' | 'specific' | 'amount' | 'method'> | undefined {
  const adValorem = rule.rate === undefined || type.base === 'quantity' ? undefined : round(base.percent(rule.rate));
  let specific: TaxLine['specific'];
  let specificAmount: Dec | undefined;
  if (rule.specific) {
    const fx = rule.specific.currency === 'KES' ? new Dec(1) : input.specificRates.get(rule.specific.currency)?.rate;
    if (fx === undefined) {
      errors.push({
        pointer: '/hsCode',
        code: 'exchange_rate_missing',
        message: `no exchange rate for ${rule.specific.currency} on ${input.date}, needed for the specific ${type.code} of ${item.measure.hsCode}`,
      });
      return undefined;
    }
    const counted = chargeableQuantity(rule.specific.unit, item, input.units);
    if ('error' in counted) {
      errors.push(counted.error);
      return undefined;
    }
    const rateKes = rule.specific.amount.times(fx);
    specific = { ...rule.specific, quantity: counted.quantity, rateKes };
    specificAmount = round(counted.quantity.times(rateKes));
  }
  if (adValorem !== undefined && specificAmount !== undefined && specific) {
    return specificAmount.greaterThan(adValorem)
      ? { specific, amount: specificAmount, method: 'higher-of: specific' }
      : { rate: rule.rate as Dec, amount: adValorem, method: 'higher-of: ad-valorem' };
  }
  if (adValorem !== undefined) {
    return { rate: rule.rate as Dec, amount: adValorem, method: 'ad-valorem' };
  }
  if (specificAmount !== undefined && specific) {
    return { specific, amount: specificAmount, method: 'specific' };
  }
  return undefined;
}
