// The assessment engine: pure functions from goods, valuation inputs and the rules in force to
// every charge with its base, rate and amount. No I/O: the same inputs always give the same
// result, which is what lets an assessment be reproduced and explained years later.
// Speed: the figures are Decs throughout, and Dec itself keeps units in a JS number while they are
// a safe integer (BigInt only past 2^53), so the engine reads as plain decimal arithmetic with no
// second numeric type; sums (bases, item and charge totals) run in a DecTotal, on a number, with a
// Dec made only for the result. What does not depend on the goods (the tax heads in order, each
// tariff line's scheduled rates and what it owes under each head) is worked out once per schedule
// and line (the Plan and LinePlan below), with the charges a line can owe listed so the others are
// not visited; a plain item (no preference, relief or preferential levy) on a line whose charges
// are each nil or ad valorem alone is assessed from the line's plain charges, made once with its
// plan (plainTaxes), with no due resolved charge by charge; the scratch of an assessment is reused
// (contextFor), rules already recorded are skipped by stamp, and the item path makes no closures,
// Maps or sorted copies. What it reads often
// has one hidden class (charges are planned as { rate, specific }): reading objects of many
// shapes goes through V8's megamorphic stub cache, and a shape new to it through the runtime,
// which cost more than the arithmetic. assess.identity.test.ts holds all of it to the exact
// BigInt path.
import { Dec, DecTotal, roundTo } from '#platform/money.ts';
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
  type TariffMeasure,
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
  let errors: FieldError[] | undefined;
  const { rules } = input;
  const plan = planFor(input.schedule);
  const fobs = input.freight || input.insurance ? fobsOf(input.items) : [];
  const freightShares = input.freight ? apportion(input.freight, fobs) : undefined;
  const insuranceShares = input.insurance ? apportion(input.insurance, fobs) : undefined;
  // Rule objects are shared by every item that uses them, so identity is enough to de-duplicate.
  const used = new RulesUsed();
  used.add(rules.rounding.ref);
  if (input.exchangeRate.ref.kind !== 'declared') {
    used.add(input.exchangeRate.ref);
  }

  const context = contextFor(plan, input, used);
  // Sized once: an assessment with no errors has every item (with errors, the items are dropped).
  const items = new Array<ItemAssessment>(input.items.length);
  for (let index = 0; index < input.items.length; index++) {
    const item = input.items[index] as ItemInput;
    const line = linePlan(plan, item.measure);
    if (line.stamp !== context.serial) {
      line.stamp = context.serial; // the line's rule is recorded once an assessment
      used.add(item.measure.ref);
    }
    const valuation = value(context, item, freightShares?.[index], insuranceShares?.[index]);
    if ('errors' in valuation) {
      errors = atItem(errors, index, valuation.errors);
      continue;
    }
    const taxes = computeTaxes(context, item, line, valuation.customsValue);
    if ('errors' in taxes) {
      errors = atItem(errors, index, taxes.errors);
      continue;
    }
    items[index] = { index, hsCode: item.measure.hsCode, valuation, customsValue: valuation.customsValue, taxes, total: context.itemTotal.value() };
  }
  if (errors !== undefined) {
    return { ok: false, errors };
  }
  return { ok: true, assessment: assessmentOf(context, items) };
}

/** The errors so far (made on the first: most assessments have none) with an item's own (never none), pointed at the item. */
function atItem(errors: FieldError[] | undefined, index: number, own: FieldError[]): FieldError[] {
  const all = errors ?? [];
  all.push(...own.map((e) => ({ ...e, pointer: `/items/${index}${e.pointer}` })));
  return all;
}

/** Each assessment's number, for the stamps that say what it has already done (see ItemContext.serial). */
let assessments = 0;

/**
 * The plan's item context, set for this assessment. One per plan, reused: the engine is
 * synchronous and never re-entered, and everything an assessment keeps is made afresh (the rules
 * used, the items, the totals' Decs); the rest is scratch, reset here or where it is used.
 */
function contextFor(plan: Plan, input: AssessmentInput, used: RulesUsed): ItemContext {
  const national = input.rules.rounding.value;
  let context = plan.context;
  if (context === undefined) {
    context = plan.context = {
      input,
      plan,
      national,
      roundings: [],
      levies: NO_LEVIES,
      used,
      serial: 0,
      insuranceRateUsed: false,
      totals: plan.codes.map(() => new DecTotal()),
      totalsStamp: plan.codes.map(() => 0),
      totalsOrder: [],
      totalsCount: 0,
      base: new DecTotal(),
      itemTotal: new DecTotal(),
      cif: new DecTotal(),
      errors: [],
      dueCharge: NO_CHARGE,
      dueRule: input.rules.rounding.ref,
      dueMethod: undefined,
      dueNilRate: undefined,
      dueExtraCpcs: undefined,
      dueExtraRule: undefined,
    };
  }
  context.input = input;
  context.national = national;
  context.roundings = roundingsOf(plan, national);
  context.levies = preferentialLevies(input);
  context.used = used;
  context.serial = ++assessments;
  context.insuranceRateUsed = false;
  context.totalsCount = 0;
  return context;
}

function fobsOf(items: ItemInput[]): Dec[] {
  const fobs = new Array<Dec>(items.length); // sized once: pushing from empty makes room for seventeen
  for (let i = 0; i < items.length; i++) {
    fobs[i] = (items[i] as ItemInput).fob;
  }
  return fobs;
}

/**
 * Each planned type's rounding: its own, or the national rounding. Kept with the plan for the
 * national rounding last asked for (the rules in force change far less often than assessments run).
 */
function roundingsOf(plan: Plan, national: Rounding): Rounding[] {
  if (plan.roundingsUnder === national) {
    return plan.roundings;
  }
  const roundings: Rounding[] = [];
  for (const { type } of plan.types) {
    roundings.push(type.rounding ?? national);
  }
  plan.roundings = roundings;
  plan.roundingsUnder = national;
  return roundings;
}

/**
 * The rules an assessment used, in first-use order, each once. A handful per assessment (the
 * rounding, the lines, the tax heads and their rates): an identity scan of a short array costs
 * less than hashing each rule into a Set, which takes over once the list grows.
 */
class RulesUsed {
  readonly list: RuleRef[] = [];
  private set: Set<RuleRef> | undefined;
  /** The same as add, as a function to hand to the vehicle valuation and the reliefs; made when first asked for. */
  private bound: Use | undefined;

  add(ref: RuleRef): void {
    const list = this.list;
    if (this.set !== undefined) {
      if (!this.set.has(ref)) {
        this.set.add(ref);
        list.push(ref);
      }
      return;
    }
    for (let i = 0; i < list.length; i++) {
      if (list[i] === ref) {
        return;
      }
    }
    list.push(ref);
    if (list.length > 32) {
      this.set = new Set(list);
    }
  }

  get use(): Use {
    return (this.bound ??= (ref: RuleRef) => this.add(ref));
  }
}

function assessmentOf(context: ItemContext, items: ItemAssessment[]): Assessment {
  const { input, used, plan } = context;
  // Each charge's total, in the order the charges first appear: summed by position as the lines
  // were made (computeTaxes), keyed by code once here.
  const totals: Record<TaxCode, Dec> = {};
  for (let k = 0; k < context.totalsCount; k++) {
    const slot = context.totalsOrder[k] as number;
    totals[plan.codes[slot] as string] = (context.totals[slot] as DecTotal).value();
  }
  const total = context.itemTotal.start();
  const warnings: string[] = [];
  for (const i of items) {
    total.add(i.total);
    for (const w of i.valuation.warnings) {
      warnings.push(`item ${i.index + 1}: ${w}`);
    }
  }
  return { date: input.date, items, totals, total: total.value(), rulesUsed: used.list, warnings };
}

type Rounding = NationalRules['rounding']['value'];
type Use = (ref: RuleRef) => void;

// Roundings are data ({ scale, mode }), not closures, on the item path: a closure made per item or
// per line costs more than the arithmetic (under tsx each one is also named at creation).
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
  /** Every position in `types`: the charges visited on an item with a preference. */
  everyType: number[];
  /** Distinct charge codes; an item's amounts due are kept by position in this list. */
  codes: string[];
  /** Whether the levies (IDF) join the VAT base under the charge types in force. */
  leviesInVatBase: boolean;
  /**
   * Per tariff line version: its dues under each planned type (by position). Kept by the measure
   * itself, so a lookup reads only the object the item already holds (no hash of the HS code's
   * text), and a version no longer used goes with its measure.
   */
  lines: WeakMap<TariffMeasure, LinePlan>;
  schedule: ChargeSchedule;
  /** Each type's rounding under the national rounding `roundingsUnder` (see roundingsOf). */
  roundings: Rounding[];
  roundingsUnder: Rounding | undefined;
  /** The item context, reused by every assessment under the plan (see contextFor). */
  context: ItemContext | undefined;
}

interface PlannedType {
  type: ChargeTypeDef;
  /** Position of the type's code in Plan.codes. */
  slot: number;
  /** The assessment that last recorded the type's rule as used. */
  stamp: number;
  /** Positions in Plan.codes of the amounts added to the customs value to make the base. */
  baseSlots: number[];
  /** The type's scheduled rows, by the rate row they levy (see scheduledRow). */
  rows: Map<ChargeRateDef, ScheduledRow>;
  /** The due on a line the type's schedule has no row for, shared by all such lines. */
  unscheduled: LineDue | undefined;
}

/** A scheduled rate row with the charge it levies, built once. */
interface ScheduledRow {
  row: ChargeRateDef;
  charge: PlannedCharge;
  /** The assessment that last recorded the row's rule as used. */
  stamp: number;
  /** What a line under the row owes when its own VAT treatment does not decide (see linePlan). */
  due: LineDue | undefined;
}

const plans = new WeakMap<ChargeSchedule, Plan>();

/**
 * The plan last asked for: assessments run under one schedule for days, so the WeakMap is asked
 * only when it changes (it keeps that one schedule alive until another is used).
 */
let lastPlan: Plan | undefined;

function planFor(schedule: ChargeSchedule): Plan {
  if (lastPlan !== undefined && lastPlan.schedule === schedule) {
    return lastPlan;
  }
  let plan = plans.get(schedule);
  if (!plan) {
    plan = makePlan(schedule);
    plans.set(schedule, plan);
  }
  lastPlan = plan;
  return plan;
}

function makePlan(schedule: ChargeSchedule): Plan {
  const sorted = [...schedule.types].sort((a, b) => a.sequence - b.sequence);
  const codes = [...new Set(sorted.map((t) => t.code))];
  const slotOf = (code: string) => codes.indexOf(code);
  const types = sorted.map((type): PlannedType => ({ type, stamp: 0, slot: slotOf(type.code), baseSlots: baseCodes(type, sorted).map(slotOf).filter((slot) => slot >= 0), rows: new Map(), unscheduled: undefined }));
  const leviesInVatBase = schedule.types.some((t) => t.code === 'IDF' && t.joinsVatBase);
  return { types, everyType: types.map((_, at) => at), codes, leviesInVatBase, lines: new WeakMap(), schedule, roundings: [], roundingsUnder: undefined, context: undefined };
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

/**
 * A tariff line under the plan: each planned type's scheduled rate row, and what the line owes
 * under it before anything particular to an item or a procedure code (see lineDue). Worked out on
 * the line's first item and kept with the plan for that version of the line.
 */
interface LinePlan {
  /** The assessment that last recorded the line's rule as used. */
  stamp: number;
  /** By planned type: what the line owes under it, with its scheduled row. */
  dues: LineDue[];
  /**
   * Positions of the planned types the line can owe on an item without a preference: those it
   * owes (or is nil under), and the levies a procedure code may make due (see resolveDue).
   */
  mayOwe: number[];
  /**
   * The line's charges on a plain item (no preference, relief or preferential levy), when each is
   * nil or ad valorem alone: worked out here, so such an item costs only its arithmetic and its
   * result (see plainTaxes). Undefined when any needs more (a specific rate, a bound, a quantity base).
   */
  plain: PlainCharge[] | undefined;
}

/**
 * A charge on a plain item of one line: what its tax line says besides the base and the amount,
 * and where its base comes from.
 */
interface PlainCharge {
  planned: PlannedType;
  /** The type's code, name and rule, and the position of its code: read here, from one object of one shape. */
  code: string;
  name: string;
  typeRef: RuleRef;
  slot: number;
  /** Position of the planned type, for its rounding. */
  at: number;
  /** The charge is levied at `rate` (CHARGED), or shown nil (NIL) with `rate` if it has one. */
  kind: typeof NIL | typeof CHARGED;
  rate: Dec | undefined;
  method: string;
  rule: RuleRef;
  scheduled: ScheduledRow | undefined;
  /** Positions, among the line's plain charges, of the amounts added to the customs value for its base (none: the customs value). */
  baseFrom: number[];
}

function linePlan(plan: Plan, measure: TariffMeasure): LinePlan {
  const known = plan.lines.get(measure);
  if (known !== undefined) {
    return known;
  }
  const dues = plan.types.map((planned) => {
    const { type } = planned;
    if (type.rateSource !== 'schedule') {
      return lineDue(type, undefined, measure);
    }
    // A scheduled charge's due is the same on every line under the same row (or under none),
    // unless the line's own VAT treatment decides: worked out once and shared, as the row is, so
    // an item touches few objects of its own.
    const scheduled = scheduledRow(plan, planned, measure.hsCode);
    if (scheduled === undefined) {
      return (planned.unscheduled ??= lineDue(type, undefined, measure));
    }
    if (type.base === 'vat_base' && measure.vat !== 'standard') {
      return lineDue(type, scheduled, measure);
    }
    return (scheduled.due ??= lineDue(type, scheduled, measure));
  });
  const mayOwe: number[] = [];
  dues.forEach((due, at) => {
    if (due.kind !== NOT_DUE || (due.levyable && hasPreferentialLevy((plan.types[at] as PlannedType).type.code))) {
      mayOwe.push(at);
    }
  });
  const line = { stamp: 0, dues, mayOwe, plain: plainCharges(plan, dues, mayOwe) };
  plan.lines.set(measure, line);
  return line;
}

/**
 * The line's charges on a plain item, in sequence: the charges it owes or is nil under (a levy a
 * procedure code could make due is not due on a plain item). Undefined when one is not plain.
 */
function plainCharges(plan: Plan, dues: LineDue[], mayOwe: number[]): PlainCharge[] | undefined {
  const charges: PlainCharge[] = [];
  for (const at of mayOwe) {
    const planned = plan.types[at] as PlannedType;
    const due = dues[at] as LineDue;
    const { type } = planned;
    if (due.kind === NOT_DUE) {
      continue;
    }
    if (due.kind === CHARGED && (due.charge.specific !== undefined || type.base === 'quantity' || type.minimum !== undefined || type.maximum !== undefined)) {
      return undefined;
    }
    // The amounts in the base are those of the charges before it with the codes its base adds
    // (the last of each, as amounts due are kept by code).
    const baseFrom: number[] = [];
    for (const slot of planned.baseSlots) {
      const from = charges.findLastIndex((c) => c.planned.slot === slot);
      if (from >= 0) {
        baseFrom.push(from);
      }
    }
    const charged = due.kind === CHARGED;
    charges.push({
      planned,
      code: type.code,
      name: type.name,
      typeRef: type.ref,
      slot: planned.slot,
      at,
      kind: due.kind,
      rate: charged ? due.charge.rate : due.nilRate,
      method: charged ? (due.method ?? 'ad-valorem') : (due.method as string),
      rule: due.rule,
      scheduled: due.scheduled,
      baseFrom,
    });
  }
  return charges;
}

/** What every item of one assessment shares. */
interface ItemContext {
  input: AssessmentInput;
  plan: Plan;
  national: Rounding;
  /** The rounding of each planned type: its own, or the national rounding. */
  roundings: Rounding[];
  levies: PreferentialLevies;
  /** The rules used so far, in first-use order. */
  used: RulesUsed;
  /** This assessment's number: a stamp equal to it says the stamped work is done for this assessment. */
  serial: number;
  /** Whether the default insurance rate is recorded as used yet. */
  insuranceRateUsed: boolean;
  /** Each charge's total over the items so far, by position in Plan.codes, and those positions in order of first appearance. */
  totals: DecTotal[];
  /** The assessment that last started each total. */
  totalsStamp: number[];
  /** Scratch: the first `totalsCount` are those positions. */
  totalsOrder: number[];
  totalsCount: number;
  /** Scratch: the base of the charge being worked out, and the item's total so far (sums without a Dec per step). */
  base: DecTotal;
  itemTotal: DecTotal;
  /** Scratch: the item's CIF. */
  cif: DecTotal;
  /** Scratch: what stops the item being assessed, copied out when there is anything. */
  errors: FieldError[];
  /**
   * Scratch: the due of the charge being worked out (see resolveDue), kept here rather than in an
   * object per tax line: the item path allocates only what the assessment keeps.
   */
  dueCharge: PlannedCharge;
  dueRule: RuleRef;
  dueMethod: string | undefined;
  /** The nil rate shown on a line that is not levied (exempt, zero-rated, free, a preference). */
  dueNilRate: Dec | undefined;
  /** Rules a preferential levy rests on besides its rate: the procedure codes listed, then the line's own rule. */
  dueExtraCpcs: RuleRef | undefined;
  dueExtraRule: RuleRef | undefined;
}

/**
 * A charge as the engine levies it: both fields always present, so every charge read on the item
 * path has one hidden class. The tariff's and the schedule's charges come in several (a rate, a
 * specific rate, both, neither), which made reading them a megamorphic lookup.
 */
interface PlannedCharge {
  rate: Dec | undefined;
  specific: SpecificRate | undefined;
}

function plannedCharge(charge: Charge): PlannedCharge {
  return { rate: charge.rate, specific: charge.specific };
}

const NO_CHARGE: PlannedCharge = { rate: undefined, specific: undefined };

/** Customs value: CIF in the invoice currency at the rate in force, or a used vehicle's list price less depreciation. */
function value(context: ItemContext, item: ItemInput, freightShare: Dec | undefined, insuranceShare: Dec | undefined): Valuation | { errors: FieldError[] } {
  const { input, used, national } = context;
  const { rules } = input;
  const freight = item.freight ?? freightShare ?? ZERO;
  const declaredInsurance = item.insurance ?? insuranceShare;
  let insurance: Dec;
  let cif: Dec;
  if (declaredInsurance === undefined) {
    if (!context.insuranceRateUsed) {
      context.insuranceRateUsed = true;
      used.add(rules.defaultInsuranceRate.ref);
    }
    const costAndFreight = item.fob.plus(freight);
    insurance = costAndFreight.percent(rules.defaultInsuranceRate.value);
    cif = costAndFreight.plus(insurance);
  } else {
    // Declared insurance: C&F is not shown, so CIF is summed without a Dec for it.
    insurance = declaredInsurance;
    const sum = context.cif.start();
    sum.add(item.fob);
    sum.add(freight);
    sum.add(insurance);
    cif = sum.value();
  }
  const base: Valuation = {
    currency: input.currency,
    exchangeRate: input.exchangeRate.rate,
    fob: item.fob,
    freight,
    insurance,
    insuranceDefaulted: declaredInsurance === undefined,
    cif,
    customsValue: cif.timesRounded(input.exchangeRate.rate, 0, national.scale, national.mode),
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
    use: context.used.use,
  });
}

/** The ad valorem rates that load a retail price, for reducing a CRSP to a customs value. */
function adValoremRates(context: ItemContext, item: ItemInput) {
  const line = linePlan(context.plan, item.measure);
  const fraction = (code: string) => {
    const type = context.input.schedule.types.find((t) => t.code === code);
    const at = context.plan.types.findIndex((p) => p.type === type);
    return at >= 0 && resolveDue(context, at, line, item) === CHARGED ? (context.dueCharge.rate ?? ZERO).div(HUNDRED) : ZERO;
  };
  return { duty: fraction('ID'), excise: fraction('EXD'), vat: fraction('VAT'), idf: fraction('IDF'), rdl: fraction('RDL') };
}

/** The planned type's scheduled row for a line, one object per rate row whatever the lines under it. */
function scheduledRow(plan: Plan, planned: PlannedType, hsCode: string): ScheduledRow | undefined {
  const row = scheduledRate(plan.schedule, planned.type.code, hsCode);
  if (row === undefined) {
    return undefined;
  }
  let scheduled = planned.rows.get(row);
  if (scheduled === undefined) {
    scheduled = { row, stamp: 0, due: undefined, charge: plannedCharge(row) };
    planned.rows.set(row, scheduled);
  }
  return scheduled;
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

/** Why a charge is not levied on an item (NOT_DUE, NIL), or that it is levied (CHARGED). */
const NOT_DUE = 0;
const NIL = 1;
const CHARGED = 2;
type DueKind = typeof NOT_DUE | typeof NIL | typeof CHARGED;

/**
 * What a tariff line owes under one planned type, whatever the item and the procedure code: the
 * kind, with the charge, rule, method and nil rate to leave in the context. `levyable`: the line
 * reaches the preferential levies (its charge is not missing from the schedule, exempt or
 * zero-rated), which a listed procedure code then decides for IDF and RDL, resting on `rule`.
 */
interface LineDue {
  kind: DueKind;
  charge: PlannedCharge;
  rule: RuleRef;
  method: string | undefined;
  nilRate: Dec | undefined;
  levyable: boolean;
  /** The scheduled rate row it comes from, for a scheduled charge that has one for the line. */
  scheduled: ScheduledRow | undefined;
}

function lineDue(type: ChargeTypeDef, scheduled: ScheduledRow | undefined, measure: TariffMeasure): LineDue {
  const due = (kind: DueKind, charge: PlannedCharge, rule: RuleRef, method: string | undefined, levyable: boolean): LineDue => ({
    kind,
    charge,
    rule,
    method,
    nilRate: kind === NIL ? ZERO : undefined,
    levyable,
    scheduled,
  });
  let charge: PlannedCharge;
  let rule: RuleRef;
  let treatment: ChargeRateDef['treatment'] = 'standard';
  if (type.rateSource === 'schedule') {
    if (!scheduled) {
      // No row for the line: nothing due, whatever the line (the rule is never read for NOT_DUE).
      return due(NOT_DUE, NO_CHARGE, type.ref, undefined, false);
    }
    charge = scheduled.charge;
    rule = scheduled.row.ref;
    treatment = scheduled.row.treatment;
  } else {
    charge = plannedCharge(type.rateSource === 'tariff-duty' ? measure.importDuty : measure.excise);
    rule = measure.ref;
  }
  // The tariff line says whether its goods are exempt from or zero-rated for VAT.
  if (type.base === 'vat_base' && measure.vat !== 'standard') {
    treatment = measure.vat;
    rule = measure.ref;
  }
  if (treatment === 'exempt' || treatment === 'zero') {
    return due(NIL, NO_CHARGE, rule, treatment === 'exempt' ? 'exempt' : 'zero-rated', false);
  }
  if (charge.rate === undefined && charge.specific === undefined) {
    return type.code === 'ID' ? due(NIL, NO_CHARGE, rule, 'free', true) : due(NOT_DUE, NO_CHARGE, rule, undefined, true);
  }
  return due(CHARGED, charge, rule, treatment === 'reduced' ? 'reduced-rate' : undefined, true);
}

/**
 * The due of the planned type at position `at` on the item of tariff line `line`. Returns its
 * kind; for NIL and CHARGED the rule, method, charge (CHARGED) or nil rate (NIL) and any further
 * rules are left in the context's due fields. A preference the item was granted comes first, then
 * the preferential levies of a listed procedure code, then what the line owes (LineDue).
 */
function resolveDue(context: ItemContext, at: number, line: LinePlan, item: ItemInput): DueKind {
  const { type } = context.plan.types[at] as PlannedType;
  context.dueExtraCpcs = undefined;
  context.dueExtraRule = undefined;
  const preference = item.preference !== undefined && item.preference.charges.includes(type.code) ? item.preference : undefined;
  if (preference) {
    return nil(context, `preference: ${preference.agreement}`, preference.ref, ZERO);
  }
  const due = line.dues[at] as LineDue;
  if (due.levyable && context.levies !== NO_LEVIES) {
    const preferential = preferentialLevy(context.levies, type.code);
    if (preferential) {
      context.dueCharge = preferential.charge;
      context.dueRule = preferential.rate.ref;
      context.dueMethod = 'preferential-cpc';
      context.dueExtraCpcs = preferential.cpcs.ref;
      context.dueExtraRule = due.rule;
      return CHARGED;
    }
  }
  if (due.kind !== NOT_DUE) {
    context.dueCharge = due.charge;
    context.dueRule = due.rule;
    context.dueMethod = due.method;
    if (due.kind === NIL) {
      context.dueNilRate = due.nilRate;
    }
  }
  return due.kind;
}

function nil(context: ItemContext, method: string, rule: RuleRef, rate: Dec | undefined): DueKind {
  context.dueCharge = NO_CHARGE;
  context.dueRule = rule;
  context.dueMethod = method;
  context.dueNilRate = rate;
  return NIL;
}

interface PreferentialLevy {
  rate: NationalRules['idfPreferentialRate'];
  cpcs: NationalRules['idfPreferentialCpcs'];
  charge: PlannedCharge;
}
type PreferentialLevies = { idf?: PreferentialLevy; rdl?: PreferentialLevy };
/** The preferential levy a listed procedure code gives a charge: IDF and RDL only. */
function preferentialLevy(levies: PreferentialLevies, code: string): PreferentialLevy | undefined {
  return code === 'IDF' ? levies.idf : code === 'RDL' ? levies.rdl : undefined;
}

function hasPreferentialLevy(code: string): boolean {
  return code === 'IDF' || code === 'RDL';
}

/** Most procedure codes have no preferential levy: one shared, never-changed answer for them. */
const NO_LEVIES: PreferentialLevies = Object.freeze({});

/** IDF and RDL at their preferential rate, when the procedure code is listed in the national settings. */
function preferentialLevies(input: AssessmentInput): PreferentialLevies {
  const { rules, cpc } = input;
  if (!rules.idfPreferentialCpcs.value.includes(cpc) && !rules.rdlPreferentialCpcs.value.includes(cpc)) {
    return NO_LEVIES;
  }
  const levies: PreferentialLevies = {};
  if (rules.idfPreferentialCpcs.value.includes(cpc)) {
    levies.idf = { rate: rules.idfPreferentialRate, cpcs: rules.idfPreferentialCpcs, charge: { rate: rules.idfPreferentialRate.value, specific: undefined } };
  }
  if (rules.rdlPreferentialCpcs.value.includes(cpc)) {
    levies.rdl = { rate: rules.rdlPreferentialRate, cpcs: rules.rdlPreferentialCpcs, charge: { rate: rules.rdlPreferentialRate.value, specific: undefined } };
  }
  return levies;
}

/** Every charge in force on the item, in sequence: each base built from what earlier charges actually made due. */
function computeTaxes(context: ItemContext, item: ItemInput, line: LinePlan, customsValue: Dec): TaxLine[] | { errors: FieldError[] } {
  if (line.plain !== undefined && item.preference === undefined && !item.reliefs?.length && context.levies === NO_LEVIES) {
    return plainTaxes(context, item, line.plain, customsValue);
  }
  const { plan, errors, used } = context;
  // The item's lines, and the amount due under each charge code so far, in arrays of the item's
  // own: made young, they take no write barrier, which a store of each line's objects into
  // scratch held by the long-lived context does.
  const lines: TaxLine[] = [];
  const due = new Array<Dec | undefined>(plan.codes.length);
  if (errors.length !== 0) {
    errors.length = 0; // a call into the runtime even when already empty
  }
  const itemTotal = context.itemTotal.start();
  const types = plan.types;
  // A preference may name any charge (it is then shown as nil); without one, only the charges
  // the line can owe are visited.
  const visit = item.preference === undefined ? line.mayOwe : plan.everyType;
  for (let k = 0; k < visit.length; k++) {
    const at = visit[k] as number;
    const planned = types[at] as PlannedType;
    const taxLine = chargeLine(context, at, line, baseOf(context, due, planned, customsValue), item, errors);
    if (taxLine) {
      if (planned.stamp !== context.serial) {
        planned.stamp = context.serial; // its type's rule is recorded once an assessment
        used.add(planned.type.ref);
      }
      lines.push(taxLine);
      due[planned.slot] = taxLine.amount;
      itemTotal.add(taxLine.amount);
      addToTotal(context, planned.slot, taxLine.amount);
    }
  }
  return errors.length > 0 ? { errors: [...errors] } : lines;
}

/**
 * The charges on a plain item (see LinePlan.plain): the same lines, amounts and rules used as
 * computeTaxes gives it, each line made at once from what its line plan says.
 */
function plainTaxes(context: ItemContext, item: ItemInput, charges: PlainCharge[], customsValue: Dec): TaxLine[] {
  const lines = new Array<TaxLine>(charges.length);
  const itemTotal = context.itemTotal.start();
  for (let k = 0; k < charges.length; k++) {
    const charge = charges[k] as PlainCharge;
    const { code, name } = charge;
    const base = charge.baseFrom.length === 0 ? customsValue : plainBase(context, customsValue, lines, charge.baseFrom);
    let taxLine: TaxLine;
    if (charge.kind === CHARGED) {
      const rounding = context.roundings[charge.at] as Rounding;
      const amount = base.timesRounded(charge.rate as Dec, 2, rounding.scale, rounding.mode);
      taxLine = { code, name, base, rate: charge.rate as Dec, amount, method: charge.method, rule: charge.rule };
    } else {
      taxLine = charge.rate
        ? { code, name, base, rate: charge.rate, amount: ZERO, method: charge.method, rule: charge.rule }
        : { code, name, base, amount: ZERO, method: charge.method, rule: charge.rule };
    }
    lines[k] = taxLine;
    recordRule(context, charge.rule, charge.scheduled, item);
    const planned = charge.planned;
    if (planned.stamp !== context.serial) {
      planned.stamp = context.serial; // its type's rule is recorded once an assessment
      context.used.add(charge.typeRef);
    }
    itemTotal.add(taxLine.amount);
    addToTotal(context, charge.slot, taxLine.amount);
  }
  return lines;
}

/** The customs value plus the amounts of the item's earlier lines at `from`. */
function plainBase(context: ItemContext, customsValue: Dec, lines: TaxLine[], from: number[]): Dec {
  const sum = context.base.start();
  sum.add(customsValue);
  for (let k = 0; k < from.length; k++) {
    sum.add((lines[from[k] as number] as TaxLine).amount);
  }
  return sum.value();
}

/** Adds an amount to its charge's total over the assessment, started on the charge's first amount. */
function addToTotal(context: ItemContext, slot: number, amount: Dec): void {
  const total = context.totals[slot] as DecTotal;
  if (context.totalsStamp[slot] !== context.serial) {
    context.totalsStamp[slot] = context.serial;
    context.totalsOrder[context.totalsCount++] = slot;
    total.start();
  }
  total.add(amount);
}

/** The customs value plus the amounts due so far under the charges the planned type's base adds. */
function baseOf(context: ItemContext, due: (Dec | undefined)[], planned: PlannedType, customsValue: Dec): Dec {
  const baseSlots = planned.baseSlots;
  let sum: DecTotal | undefined;
  for (let k = 0; k < baseSlots.length; k++) {
    const amount = due[baseSlots[k] as number];
    if (amount !== undefined) {
      if (sum === undefined) {
        sum = context.base.start();
        sum.add(customsValue);
      }
      sum.add(amount);
    }
  }
  return sum === undefined ? customsValue : sum.value();
}

function chargeLine(context: ItemContext, at: number, linePlan: LinePlan, base: Dec, item: ItemInput, errors: FieldError[]): TaxLine | undefined {
  const { type } = context.plan.types[at] as PlannedType;
  const { used } = context;
  const scheduled = (linePlan.dues[at] as LineDue).scheduled;
  const kind = resolveDue(context, at, linePlan, item);
  if (kind === NOT_DUE) {
    return undefined;
  }
  const rule = context.dueRule;
  recordRule(context, rule, scheduled, item);
  if (kind === NIL) {
    const rate = context.dueNilRate;
    const method = context.dueMethod as string;
    return rate
      ? { code: type.code, name: type.name, base, rate, amount: ZERO, method, rule }
      : { code: type.code, name: type.name, base, amount: ZERO, method, rule };
  }
  const method = context.dueMethod;
  if (context.dueExtraCpcs !== undefined) {
    used.add(context.dueExtraCpcs);
    used.add(context.dueExtraRule as RuleRef);
  }
  const rounding = context.roundings[at] as Rounding;
  const line = levy(type, context.dueCharge, base, context.input, item, rounding, errors);
  if (!line) {
    return undefined;
  }
  line.rule = rule;
  if (method !== undefined) {
    line.method = method;
  }
  if (type.minimum !== undefined || type.maximum !== undefined) {
    bound(type, line);
  }
  // A relief applies to the charge as due, before the next base is built on it.
  return item.reliefs?.length ? relieveLine(line, item.reliefs, rounder(rounding), context.used.use) : line;
}

/**
 * Records a line's rule as used, skipping the scan of the rules used when this assessment has
 * already recorded it: the item's own tariff line (recorded as the item starts), or a scheduled
 * rate row stamped with this assessment.
 */
function recordRule(context: ItemContext, rule: RuleRef, scheduled: ScheduledRow | undefined, item: ItemInput): void {
  if (rule === item.measure.ref) {
    return;
  }
  if (scheduled !== undefined && rule === scheduled.row.ref) {
    if (scheduled.stamp !== context.serial) {
      scheduled.stamp = context.serial;
      context.used.add(rule);
    }
    return;
  }
  context.used.add(rule);
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
function levy(type: ChargeTypeDef, charge: PlannedCharge, base: Dec, input: AssessmentInput, item: ItemInput, rounding: Rounding, errors: FieldError[]): TaxLine | undefined {
  const { code, name } = type;
  const rate = type.base === 'quantity' ? undefined : charge.rate;
  const adValorem = rate === undefined ? undefined : base.timesRounded(rate, 2, rounding.scale, rounding.mode);
  if (!charge.specific) {
    return adValorem === undefined ? undefined : { code, name, base, rate: rate as Dec, amount: adValorem, method: 'ad-valorem', rule: type.ref };
  }
  const specific = specificCharge(type, charge.specific, input, item, errors);
  if (!specific) {
    return undefined;
  }
  const specificAmount = specific.quantity.timesRounded(specific.rateKes, 0, rounding.scale, rounding.mode);
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
