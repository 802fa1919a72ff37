// The assessment engine: pure functions from goods, valuation inputs and the rules in force to
// every charge with its base, rate and amount. No I/O: the same inputs always give the same
// result, which is what lets an assessment be reproduced and explained years later.
// Speed: the figures are Decs throughout, and Dec itself keeps units in a JS number while they are
// a safe integer (BigInt only past 2^53), so the engine reads as plain decimal arithmetic with no
// second numeric type. What does not depend on the goods (the tax heads in order, each line's
// scheduled rates) is worked out once per schedule (the Plan below), and the item path makes no
// closures, Maps or sorted copies.
import { Dec, roundTo } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';
import {
  type Assessment,
  type AssessmentInput,
  type AssessmentResult,
  type Charge,
  type ChargeRateDef,
  type ChargeSchedule,
  type ChargeTypeDef,
  type ItemAssessment,
  type ItemInput,
  type NationalRules,
  type RuleRef,
  type SpecificRate,
  type TaxCode,
  type TaxLine,
  type Valuation,
} from './assessment.types.ts';
import { apportion } from './apportion.ts';
import { valueUsedVehicle } from './vehicle-valuation.ts';
import { chargeableQuantity } from './quantity.ts';
import { relieveLine } from './reliefs.ts';

const ZERO = new Dec(0);
const ONE = new Dec(1);
const HUNDRED = new Dec(100);

export function assess(input: AssessmentInput): AssessmentResult {
  const errors: FieldError[] = [];
  const { rules } = input;
  const plan = planFor(input.schedule);
  const national = rules.rounding.value;
  const fobs = input.freight || input.insurance ? fobsOf(input.items) : [];
  const freightShares = input.freight ? apportion(input.freight, fobs) : undefined;
  const insuranceShares = input.insurance ? apportion(input.insurance, fobs) : undefined;
  // Rule objects are shared by every item that uses them, so identity is enough to de-duplicate.
  const used = new Set<RuleRef>();
  const use: Use = used.add.bind(used);
  use(rules.rounding.ref);
  if (input.exchangeRate.ref.kind !== 'declared') {
    use(input.exchangeRate.ref);
  }

  const items: ItemAssessment[] = [];
  const context: ItemContext = {
    input,
    plan,
    national,
    roundings: roundingsOf(plan, national),
    levies: preferentialLevies(input),
    use,
    due: new Array<Dec | undefined>(plan.codes.length),
    errors: [],
  };
  for (let index = 0; index < input.items.length; index++) {
    const item = input.items[index] as ItemInput;
    const pointer = `/items/${index}`;
    use(item.measure.ref);
    const valuation = value(context, item, freightShares?.[index], insuranceShares?.[index]);
    if ('errors' in valuation) {
      errors.push(...valuation.errors.map((e) => ({ ...e, pointer: pointer + e.pointer })));
      continue;
    }
    const taxes = computeTaxes(context, item, valuation.customsValue);
    if ('errors' in taxes) {
      errors.push(...taxes.errors.map((e) => ({ ...e, pointer: pointer + e.pointer })));
      continue;
    }
    items.push({ index, hsCode: item.measure.hsCode, valuation, customsValue: valuation.customsValue, taxes, total: sumOf(taxes) });
  }
  if (errors.length > 0) {
    return { ok: false, errors };
  }
  return { ok: true, assessment: assessmentOf(input, items, used) };
}

function fobsOf(items: ItemInput[]): Dec[] {
  const fobs: Dec[] = [];
  for (const item of items) {
    fobs.push(item.fob);
  }
  return fobs;
}

/** Each planned type's rounding: its own, or the national rounding. */
function roundingsOf(plan: Plan, national: Rounding): Rounding[] {
  const roundings: Rounding[] = [];
  for (const { type } of plan.types) {
    roundings.push(type.rounding ?? national);
  }
  return roundings;
}

function assessmentOf(input: AssessmentInput, items: ItemAssessment[], used: Set<RuleRef>): Assessment {
  const totals: Record<TaxCode, Dec> = {};
  let total = ZERO;
  const warnings: string[] = [];
  for (const i of items) {
    for (const line of i.taxes) {
      totals[line.code] = (totals[line.code] ?? ZERO).plus(line.amount);
    }
    total = total.plus(i.total);
    for (const w of i.valuation.warnings) {
      warnings.push(`item ${i.index + 1}: ${w}`);
    }
  }
  return { date: input.date, items, totals, total, rulesUsed: [...used], warnings };
}

/** The sum of the lines' amounts. */
function sumOf(lines: TaxLine[]): Dec {
  let total = ZERO;
  for (const line of lines) {
    total = total.plus(line.amount);
  }
  return total;
}

type Rounding = NationalRules['rounding']['value'];
type Use = (ref: RuleRef) => void;

// Roundings are data ({ scale, mode }), not closures, on the item path: a closure made per item or
// per line costs more than the arithmetic (under tsx each one is also named at creation).
function round(d: Dec, rounding: Rounding): Dec {
  return roundTo(d, rounding.scale, rounding.mode);
}
function rounder(rounding: Rounding): (d: Dec) => Dec {
  return (d) => roundTo(d, rounding.scale, rounding.mode);
}

/**
 * What the schedule of charges says once, whatever the goods: the tax heads in sequence, each
 * with the positions of the charges its base adds up, and each tariff line's scheduled rates. Worked out on the first assessment under a schedule and kept with it (a
 * schedule is a value: a new version of the charges is a new object), so an item costs only its
 * own arithmetic.
 */
interface Plan {
  types: PlannedType[];
  /** Distinct charge codes; an item's amounts due are kept by position in this list. */
  codes: string[];
  /** Whether the levies (IDF) join the VAT base under the charge types in force. */
  leviesInVatBase: boolean;
  /** Per HS code: the scheduled rate row of each planned type (by position), when it has one. */
  rowsByHsCode: Map<string, (ScheduledRow | undefined)[]>;
  schedule: ChargeSchedule;
}

interface PlannedType {
  type: ChargeTypeDef;
  /** Position of the type's code in Plan.codes. */
  slot: number;
  /** Positions in Plan.codes of the amounts added to the customs value to make the base. */
  baseSlots: number[];
}

/** A scheduled rate row with the charge it levies, built once. */
interface ScheduledRow {
  row: ChargeRateDef;
  charge: Charge;
}

const plans = new WeakMap<ChargeSchedule, Plan>();
/** HS codes remembered per schedule: far more than a tariff has lines, a bound against misuse. */
const MAX_REMEMBERED_HS_CODES = 50_000;

function planFor(schedule: ChargeSchedule): Plan {
  let plan = plans.get(schedule);
  if (!plan) {
    plan = makePlan(schedule);
    plans.set(schedule, plan);
  }
  return plan;
}

function makePlan(schedule: ChargeSchedule): Plan {
  const sorted = [...schedule.types].sort((a, b) => a.sequence - b.sequence);
  const codes = [...new Set(sorted.map((t) => t.code))];
  const slotOf = (code: string) => codes.indexOf(code);
  const types = sorted.map((type): PlannedType => ({ type, slot: slotOf(type.code), baseSlots: baseCodes(type, sorted).map(slotOf).filter((slot) => slot >= 0) }));
  const leviesInVatBase = schedule.types.some((t) => t.code === 'IDF' && t.joinsVatBase);
  return { types, codes, leviesInVatBase, rowsByHsCode: new Map(), schedule };
}

/** The charges whose amounts join the customs value in a type's base, in the order they are added. */
function baseCodes(type: ChargeTypeDef, types: ChargeTypeDef[]): string[] {
  switch (type.base) {
    case 'customs_value':
    case 'quantity':
      return [];
    case 'value_plus':
      return type.plus;
    case 'vat_base':
      return types.filter((t) => t.joinsVatBase && t.code !== type.code).map((t) => t.code);
  }
}

/** The scheduled rate row of each planned type for a tariff line, looked up once per line. */
function scheduledRows(plan: Plan, hsCode: string): (ScheduledRow | undefined)[] {
  let rows = plan.rowsByHsCode.get(hsCode);
  if (!rows) {
    rows = plan.types.map(({ type }) => {
      const row = type.rateSource === 'schedule' ? scheduledRate(plan.schedule, type.code, hsCode) : undefined;
      return row && { row, charge: { ...(row.rate === undefined ? {} : { rate: row.rate }), ...(row.specific ? { specific: row.specific } : {}) } };
    });
    if (plan.rowsByHsCode.size >= MAX_REMEMBERED_HS_CODES) {
      plan.rowsByHsCode.clear();
    }
    plan.rowsByHsCode.set(hsCode, rows);
  }
  return rows;
}

/** What every item of one assessment shares. */
interface ItemContext {
  input: AssessmentInput;
  plan: Plan;
  national: Rounding;
  /** The rounding of each planned type: its own, or the national rounding. */
  roundings: Rounding[];
  levies: PreferentialLevies;
  use: Use;
  /** Scratch: the amount due under each charge code so far on the item being assessed. */
  due: (Dec | undefined)[];
  /** Scratch: what stops the item being assessed, copied out when there is anything. */
  errors: FieldError[];
}

/** Customs value: CIF in the invoice currency at the rate in force, or a used vehicle's list price less depreciation. */
function value(context: ItemContext, item: ItemInput, freightShare: Dec | undefined, insuranceShare: Dec | undefined): Valuation | { errors: FieldError[] } {
  const { input, use } = context;
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
    customsValue: round(cif.times(input.exchangeRate.rate), context.national),
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
    rates: adValoremRates(context, item),
    leviesInVatBase: context.plan.leviesInVatBase,
    base,
    round: rounder(context.national),
    use,
  });
}

/** The ad valorem rates that load a retail price, for reducing a CRSP to a customs value. */
function adValoremRates(context: ItemContext, item: ItemInput) {
  const rows = scheduledRows(context.plan, item.measure.hsCode);
  const fraction = (code: string) => {
    const type = context.input.schedule.types.find((t) => t.code === code);
    const at = context.plan.types.findIndex((p) => p.type === type);
    const due = at >= 0 ? dueRate(context, at, rows[at], item) : undefined;
    return due?.kind === 'charged' ? (due.charge.rate ?? ZERO).div(HUNDRED) : ZERO;
  };
  return { duty: fraction('ID'), excise: fraction('EXD'), vat: fraction('VAT'), idf: fraction('IDF'), rdl: fraction('RDL') };
}

/** The scheduled rate for a line: the row under the longest HS prefix of the charge's rows in force. */
function scheduledRate(schedule: ChargeSchedule, code: string, hsCode: string): ChargeRateDef | undefined {
  const digits = hsCode.replace(/\D/g, '');
  let best: ChargeRateDef | undefined;
  for (const r of schedule.rates) {
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

const NONE: Due = { kind: 'none' };
const NO_REFS: RuleRef[] = [];

/** The due of the planned type at position `at` on the item; `scheduled` is its scheduled rate row for the line. */
function dueRate(context: ItemContext, at: number, scheduled: ScheduledRow | undefined, item: ItemInput): Due {
  const { type } = context.plan.types[at] as PlannedType;
  const { measure } = item;
  const preference = item.preference?.charges.includes(type.code) ? item.preference : undefined;
  if (preference) {
    return { kind: 'nil', method: `preference: ${preference.agreement}`, rule: preference.ref, rate: ZERO };
  }
  let charge: Charge;
  let rule: RuleRef;
  let treatment: ChargeRateDef['treatment'] = 'standard';
  if (type.rateSource === 'schedule') {
    if (!scheduled) {
      return NONE;
    }
    charge = scheduled.charge;
    rule = scheduled.row.ref;
    treatment = scheduled.row.treatment;
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
  const preferential = type.code === 'IDF' ? context.levies.idf : type.code === 'RDL' ? context.levies.rdl : undefined;
  if (preferential) {
    return { kind: 'charged', charge: preferential.charge, method: 'preferential-cpc', rule: preferential.rate.ref, extraRefs: [preferential.cpcs.ref, rule] };
  }
  if (charge.rate === undefined && charge.specific === undefined) {
    return type.code === 'ID' ? { kind: 'nil', method: 'free', rule, rate: ZERO } : NONE;
  }
  return treatment === 'reduced' ? { kind: 'charged', charge, method: 'reduced-rate', rule, extraRefs: NO_REFS } : { kind: 'charged', charge, rule, extraRefs: NO_REFS };
}

interface PreferentialLevy {
  rate: NationalRules['idfPreferentialRate'];
  cpcs: NationalRules['idfPreferentialCpcs'];
  charge: Charge;
}
type PreferentialLevies = { idf?: PreferentialLevy; rdl?: PreferentialLevy };

/** IDF and RDL at their preferential rate, when the procedure code is listed in the national settings. */
function preferentialLevies(input: AssessmentInput): PreferentialLevies {
  const { rules, cpc } = input;
  const levies: PreferentialLevies = {};
  if (rules.idfPreferentialCpcs.value.includes(cpc)) {
    levies.idf = { rate: rules.idfPreferentialRate, cpcs: rules.idfPreferentialCpcs, charge: { rate: rules.idfPreferentialRate.value } };
  }
  if (rules.rdlPreferentialCpcs.value.includes(cpc)) {
    levies.rdl = { rate: rules.rdlPreferentialRate, cpcs: rules.rdlPreferentialCpcs, charge: { rate: rules.rdlPreferentialRate.value } };
  }
  return levies;
}

/** Every charge in force on the item, in sequence: each base built from what earlier charges actually made due. */
function computeTaxes(context: ItemContext, item: ItemInput, customsValue: Dec): TaxLine[] | { errors: FieldError[] } {
  const { plan, due, errors } = context;
  const lines: TaxLine[] = [];
  errors.length = 0;
  due.fill(undefined);
  const rows = scheduledRows(plan, item.measure.hsCode);
  for (let at = 0; at < plan.types.length; at++) {
    const planned = plan.types[at] as PlannedType;
    const scheduled = rows[at];
    // Most scheduled charges (a levy on fuel, on listed goods) have no row for most lines: nothing
    // is due, unless a preference names the charge (it is then shown as nil).
    if (scheduled === undefined && planned.type.rateSource === 'schedule' && item.preference === undefined) {
      continue;
    }
    let base = customsValue;
    for (const slot of planned.baseSlots) {
      const amount = due[slot];
      base = amount === undefined ? base : base.plus(amount);
    }
    const line = chargeLine(context, at, scheduled, base, item, errors);
    if (line) {
      context.use(planned.type.ref);
      lines.push(line);
      due[planned.slot] = line.amount;
    }
  }
  return errors.length > 0 ? { errors: [...errors] } : lines;
}

function chargeLine(context: ItemContext, at: number, scheduled: ScheduledRow | undefined, base: Dec, item: ItemInput, errors: FieldError[]): TaxLine | undefined {
  const { type } = context.plan.types[at] as PlannedType;
  const { use } = context;
  const due = dueRate(context, at, scheduled, item);
  if (due.kind === 'none') {
    return undefined;
  }
  use(due.rule);
  if (due.kind === 'nil') {
    return due.rate
      ? { code: type.code, name: type.name, base, rate: due.rate, amount: ZERO, method: due.method, rule: due.rule }
      : { code: type.code, name: type.name, base, amount: ZERO, method: due.method, rule: due.rule };
  }
  for (const ref of due.extraRefs) {
    use(ref);
  }
  const rounding = context.roundings[at] as Rounding;
  const line = levy(type, due.charge, base, context.input, item, rounding, errors);
  if (!line) {
    return undefined;
  }
  line.rule = due.rule;
  if (due.method !== undefined) {
    line.method = due.method;
  }
  bound(type, line);
  // A relief applies to the charge as due, before the next base is built on it.
  return item.reliefs?.length ? relieveLine(line, item.reliefs, rounder(rounding), use) : line;
}

/** Holds a charge within its type's minimum and maximum, in KES, when it has them. */
function bound(type: ChargeTypeDef, line: TaxLine): void {
  if (type.minimum && line.amount.lessThan(type.minimum)) {
    line.amount = type.minimum;
    line.method += ` (minimum KES ${type.minimum.toFixed(2)})`;
  } else if (type.maximum && line.amount.greaterThan(type.maximum)) {
    line.amount = type.maximum;
    line.method += ` (maximum KES ${type.maximum.toFixed(2)})`;
  }
}

/**
 * One charge at its rate: ad valorem, specific per unit, or, when both are given, the higher of
 * the two (as the EAC CET does for sensitive goods). The line's rule is the levying type's; the
 * caller sets the rule the rate came from.
 */
function levy(type: ChargeTypeDef, charge: Charge, base: Dec, input: AssessmentInput, item: ItemInput, rounding: Rounding, errors: FieldError[]): TaxLine | undefined {
  const { code, name } = type;
  const rate = type.base === 'quantity' ? undefined : charge.rate;
  const adValorem = rate === undefined ? undefined : round(base.percent(rate), rounding);
  if (!charge.specific) {
    return adValorem === undefined ? undefined : { code, name, base, rate: rate as Dec, amount: adValorem, method: 'ad-valorem', rule: type.ref };
  }
  const specific = specificCharge(type, charge.specific, input, item, errors);
  if (!specific) {
    return undefined;
  }
  const specificAmount = round(specific.quantity.times(specific.rateKes), rounding);
  if (adValorem === undefined) {
    return { code, name, base, specific, amount: specificAmount, method: 'specific', rule: type.ref };
  }
  return specificAmount.greaterThan(adValorem)
    ? { code, name, base, specific, amount: specificAmount, method: 'higher-of: specific', rule: type.ref }
    : { code, name, base, rate: rate as Dec, amount: adValorem, method: 'higher-of: ad-valorem', rule: type.ref };
}

/** A specific rate in shillings and the quantity it is levied on, or why it cannot be. */
function specificCharge(type: ChargeTypeDef, rate: SpecificRate, input: AssessmentInput, item: ItemInput, errors: FieldError[]): TaxLine['specific'] | undefined {
  const fx = rate.currency === 'KES' ? ONE : input.specificRates.get(rate.currency)?.rate;
  if (fx === undefined) {
    errors.push({
      pointer: '/hsCode',
      code: 'exchange_rate_missing',
      message: `no exchange rate for ${rate.currency} on ${input.date}, needed for the specific ${type.code} of ${item.measure.hsCode}`,
    });
    return undefined;
  }
  const counted = chargeableQuantity(rate.unit, item, input.units);
  if ('error' in counted) {
    errors.push(counted.error);
    return undefined;
  }
  return { amount: rate.amount, unit: rate.unit, currency: rate.currency, quantity: counted.quantity, rateKes: rate.amount.times(fx) };
}
