// Tax heads as data: the charge types (what each charge is levied on, its rounding, bounds and
// whether it joins the VAT base) and their scheduled rates by HS prefix, read from a JSON file.
// The whole file is checked first, every bad entry reported with its number; it then loads
// all-or-nothing in one transaction. History is never rewritten: an entry already loaded must
// match what is stored (an assessment may rest on it); a new open-ended version closes the
// previous open-ended one the day before it starts.
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { Dec, parseDecimal, type RoundingMode } from '#platform/money.ts';
import { addDays, isIsoDate } from '#platform/clock.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { ChargeRateDef, ChargeSchedule, ChargeTypeDef, RuleRef } from '#modules/assessment/index.ts';
import type { ChargeRateRow, ChargeTypeRow } from './tariff.repository.ts';
import { knownCodes, unitCode, type Known } from './tariff.import.ts';
import { importTransaction } from '#platform/imports/versions.ts';
import { recordDataImport } from '#platform/imports/lines.ts';
import { sha256File } from '#platform/csv.ts';
import { readJsonFile } from '#platform/imports/json.ts';

export interface ChargeTypeEntry {
  code: string;
  name: string;
  base: ChargeTypeDef['base'];
  plus?: string[];
  joinsVatBase?: boolean;
  rateSource: ChargeTypeDef['rateSource'];
  rounding?: { scale: number; mode: RoundingMode };
  minimum?: string;
  maximum?: string;
  sequence: number;
  validFrom: string;
  validTo?: string;
  note?: string;
}

export interface ChargeRateEntry {
  charge: string;
  hsPrefix?: string;
  rate?: string;
  specific?: string;
  unit?: string;
  currency?: string;
  treatment?: ChargeRateDef['treatment'];
  validFrom: string;
  validTo?: string;
  note?: string;
}

export interface ChargesFile {
  chargeTypes: ChargeTypeEntry[];
  chargeRates: ChargeRateEntry[];
}

/** Units (with their CET notation, when known) and currencies a charges file is checked against. */
type ChargeCodes = Pick<Known, 'units' | 'currencies'> & Partial<Pick<Known, 'cetNotation'>>;

const bases = ['customs_value', 'value_plus', 'vat_base', 'quantity'];
const sources = ['tariff-duty', 'tariff-excise', 'schedule'];
const treatments = ['standard', 'reduced', 'zero', 'exempt'];
const modes = ['half-up', 'half-even', 'down', 'up'];
const maxEntries = 20_000;

type TypeRow = Omit<ChargeTypeRow, 'id'>;
type RateRow = Omit<ChargeRateRow, 'id'>;

function decimal(raw: unknown, what: string, problems: string[], max = 100_000_000_000): string | null {
  if (raw === undefined || raw === null) {
    return null;
  }
  const d = typeof raw === 'string' && raw.length <= 30 ? parseDecimal(raw) : undefined;
  if (!d || d.isNegative() || d.greaterThan(max)) {
    problems.push(`${what} must be a non-negative decimal written as a string, e.g. "2.5"`);
    return null;
  }
  return d.toString();
}

function dates(e: { validFrom?: unknown; validTo?: unknown }, problems: string[]): { valid_from: string; valid_to: string | null } {
  const from = typeof e.validFrom === 'string' && isIsoDate(e.validFrom) ? e.validFrom : undefined;
  const to = e.validTo === undefined || e.validTo === null ? null : typeof e.validTo === 'string' && isIsoDate(e.validTo) ? e.validTo : undefined;
  if (!from || to === undefined || (to !== null && to < from)) {
    problems.push('validFrom and validTo must be dates YYYY-MM-DD, validTo (optional) on or after validFrom');
  }
  return { valid_from: from ?? '1900-01-01', valid_to: to ?? null };
}

const code = (v: unknown) => typeof v === 'string' && /^[A-Z][A-Z0-9]{1,7}$/.test(v);

function parseType(e: ChargeTypeEntry, problems: string[]): TypeRow {
  if (!code(e.code)) {
    problems.push('code must be 2 to 8 capital letters or digits, e.g. EIPL');
  }
  if (typeof e.name !== 'string' || e.name.length < 2 || e.name.length > 100) {
    problems.push('name must be 2 to 100 characters');
  }
  if (!bases.includes(e.base)) {
    problems.push(`base must be one of ${bases.join(', ')}`);
  }
  const plus = e.plus ?? [];
  if (!Array.isArray(plus) || plus.length > 20 || !plus.every(code) || (e.base === 'value_plus') !== plus.length > 0) {
    problems.push('plus lists the charge codes added to the customs value, for (and only for) base value_plus');
  }
  if (!sources.includes(e.rateSource)) {
    problems.push(`rateSource must be one of ${sources.join(', ')}`);
  }
  if (e.rounding !== undefined && (!Number.isInteger(e.rounding.scale) || e.rounding.scale < 0 || e.rounding.scale > 4 || !modes.includes(e.rounding.mode))) {
    problems.push(`rounding must be {"scale": 0..4, "mode": one of ${modes.join(', ')}}`);
  }
  if (!Number.isInteger(e.sequence) || e.sequence < 0 || e.sequence > 10_000) {
    problems.push('sequence must be a whole number 0..10000 (charges are computed in this order)');
  }
  const minimum = decimal(e.minimum, 'minimum', problems);
  const maximum = decimal(e.maximum, 'maximum', problems);
  if (minimum !== null && maximum !== null && new Dec(minimum).greaterThan(new Dec(maximum))) {
    problems.push('minimum must not exceed maximum');
  }
  return {
    code: e.code,
    name: e.name,
    base: e.base,
    plus: plus,
    joins_vat_base: e.joinsVatBase === true,
    rate_source: e.rateSource,
    rounding_scale: e.rounding?.scale ?? null,
    rounding_mode: e.rounding?.mode ?? null,
    minimum,
    maximum,
    sequence: e.sequence,
    ...dates(e, problems),
    note: typeof e.note === 'string' ? e.note.slice(0, 1000) : null,
  };
}

function parseRate(e: ChargeRateEntry, known: ChargeCodes, problems: string[]): RateRow {
  if (!code(e.charge)) {
    problems.push('charge must be a charge code, e.g. VAT');
  }
  const prefix = (e.hsPrefix ?? '').replace(/[.\s]/g, '');
  if (!/^\d{0,10}$/.test(prefix)) {
    problems.push('hsPrefix must be up to 10 digits ("" for every line), e.g. 2523.10');
  }
  const rate = decimal(e.rate, 'rate', problems, 1000);
  const specific = decimal(e.specific, 'specific', problems);
  const treatment = e.treatment ?? 'standard';
  if (!treatments.includes(treatment)) {
    problems.push(`treatment must be one of ${treatments.join(', ')}`);
  }
  if (rate === null && specific === null && (treatment === 'standard' || treatment === 'reduced')) {
    problems.push('rate or specific (or both: the higher applies) is required unless the treatment is zero or exempt');
  }
  const unit = typeof e.unit === 'string' ? (unitCode(e.unit, known) ?? e.unit) : null;
  if ((specific === null) !== (unit === null) || (unit !== null && !known.units.has(unit))) {
    problems.push(`specific and unit go together; unit must be a UN/ECE Rec 20 code (${[...known.units].join(', ')}) or its CET notation`);
  }
  const currency = (e.currency ?? 'KES').toUpperCase();
  if (!known.currencies.has(currency)) {
    problems.push(`currency "${e.currency}" is not an ISO 4217 code`);
  }
  return {
    charge_code: e.charge,
    hs_prefix: prefix,
    rate,
    specific,
    specific_unit: unit,
    specific_currency: currency,
    treatment,
    ...dates(e, problems),
    note: typeof e.note === 'string' ? e.note.slice(0, 1000) : null,
  };
}

export interface ChargesReport {
  ok: boolean;
  file: string;
  entries: number;
  loaded: number;
  unchanged: number;
  closed: number;
  errors: string[];
}

/** Checks a charges file; the rows to load, or every problem with its entry number. */
export function parseChargesFile(file: ChargesFile, known: ChargeCodes): { types: TypeRow[]; rates: RateRow[]; errors: string[] } {
  const errors: string[] = [];
  const typeEntries: unknown = file.chargeTypes;
  const rateEntries: unknown = file.chargeRates;
  if (!Array.isArray(typeEntries) || !Array.isArray(rateEntries)) {
    return { types: [], rates: [], errors: ['the file must be {"chargeTypes": [...], "chargeRates": [...]}'] };
  }
  if (typeEntries.length + rateEntries.length > maxEntries) {
    return { types: [], rates: [], errors: [`a charges file holds at most ${maxEntries} entries`] };
  }
  const collect = <T, R>(entries: T[], label: string, parse: (e: T, p: string[]) => R): R[] =>
    entries.map((e, i) => {
      const problems: string[] = [];
      const row = typeof e === 'object' && e !== null ? parse(e, problems) : (problems.push('must be an object'), undefined);
      errors.push(...problems.map((p) => `${label} ${i + 1}: ${p}`));
      return row as R;
    });
  const types = collect(typeEntries as ChargeTypeEntry[], 'chargeTypes entry', parseType);
  const rates = collect(rateEntries as ChargeRateEntry[], 'chargeRates entry', (e, p) => parseRate(e, known, p));
  const codes = new Set(types.map((t) => t.code));
  rates.forEach((r, i) => {
    if (r && !codes.has(r.charge_code)) {
      errors.push(`chargeRates entry ${i + 1}: charge ${r.charge_code} is not among the file's chargeTypes`);
    }
  });
  return { types, rates, errors };
}

const typeKey = (r: Pick<TypeRow, 'code' | 'valid_from'>) => `${r.code}@${r.valid_from}`;
const rateKey = (r: Pick<RateRow, 'charge_code' | 'hs_prefix' | 'valid_from'>) => `${r.charge_code}/${r.hs_prefix}@${r.valid_from}`;
const typeFigures = (r: TypeRow | ChargeTypeRow) =>
  JSON.stringify([r.name, r.base, r.plus, r.joins_vat_base, r.rate_source, r.rounding_scale, r.rounding_mode, num(r.minimum), num(r.maximum), r.sequence]);
const rateFigures = (r: RateRow | ChargeRateRow) => JSON.stringify([num(r.rate), num(r.specific), r.specific_unit, r.specific_currency, r.treatment]);
const num = (v: string | null) => (v === null ? null : new Dec(v).toString());

/**
 * Loads a charges file. strict (the CLI): an entry already stored with other figures is an error.
 * Not strict (start-up, loading the shipped schedule): only entries not yet stored are added.
 */
export async function importCharges(db: Kysely<DB>, fileName: string, opts: { dryRun?: boolean; strict: boolean; importedBy: string }): Promise<ChargesReport> {
  const report: ChargesReport = { ok: false, file: path.basename(fileName), entries: 0, loaded: 0, unchanged: 0, closed: 0, errors: [] };
  const read = readJsonFile(fileName);
  if ('problem' in read) {
    report.errors.push(`not a readable JSON file: ${read.problem}`);
    return report;
  }
  const file = read.value as ChargesFile;
  const parsed = parseChargesFile(file, await knownCodes(db));
  report.entries = parsed.types.length + parsed.rates.length;
  if (parsed.errors.length > 0) {
    report.errors = parsed.errors;
    return report;
  }
  // Built afresh on every attempt: the transaction may run again after a retryable failure.
  const write = async (tx: Tx) => {
    // One loader at a time: servers starting together each add the shipped schedule's new entries.
    await sql`lock table charge_type, charge_rate in share row exclusive mode`.execute(tx);
    const [types, rates] = await Promise.all([tx.selectFrom('charge_type').selectAll().execute(), tx.selectFrom('charge_rate').selectAll().execute()]);
    const storedTypes = new Map(types.map((t) => [typeKey(t), t]));
    const storedRates = new Map(rates.map((r) => [rateKey(r), r]));
    const errors: string[] = [];
    const newTypes = parsed.types.filter((t) => {
      const stored = storedTypes.get(typeKey(t));
      if (stored && opts.strict && typeFigures(stored) !== typeFigures(t)) {
        errors.push(`charge type ${t.code} from ${t.valid_from} is already loaded with other figures; give the change a new validFrom`);
      }
      return !stored;
    });
    const newRates = parsed.rates.filter((r) => {
      const stored = storedRates.get(rateKey(r));
      if (stored && opts.strict && rateFigures(stored) !== rateFigures(r)) {
        errors.push(`${r.charge_code} rate for "${r.hs_prefix}" from ${r.valid_from} is already loaded with other figures; give the change a new validFrom`);
      }
      return !stored;
    });
    const outcome = { commit: false, errors, loaded: newTypes.length + newRates.length, unchanged: report.entries - newTypes.length - newRates.length, closed: 0 };
    if (errors.length > 0) {
      return outcome;
    }
    for (const t of newTypes) {
      outcome.closed += await closeOpenType(tx, t);
      await tx.insertInto('charge_type').values({ ...t, plus: JSON.stringify(t.plus) }).execute();
    }
    for (const r of newRates) {
      outcome.closed += await closeOpenRate(tx, r);
      await tx.insertInto('charge_rate').values(r).execute();
    }
    if (outcome.loaded > 0) {
      // Who loaded which file when: the same record the other imports leave.
      await recordDataImport(tx, { kind: 'charges', file_name: report.file, checksum: sha256File(fileName), rows_loaded: outcome.loaded, rows_unchanged: outcome.unchanged, imported_by: opts.importedBy });
    }
    return { ...outcome, commit: opts.dryRun !== true };
  };
  const outcome = await importTransaction(db, write);
  Object.assign(report, { errors: outcome.errors, loaded: outcome.loaded, unchanged: outcome.unchanged, closed: outcome.closed, ok: outcome.errors.length === 0 });
  return report;
}

/** Closes the open-ended earlier version a new version follows, the day before the new one starts. */
async function closeOpenType(tx: Tx, t: TypeRow): Promise<number> {
  const result = await tx
    .updateTable('charge_type')
    .set({ valid_to: addDays(t.valid_from, -1) })
    .where('code', '=', t.code)
    .where('valid_to', 'is', null)
    .where('valid_from', '<', t.valid_from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

async function closeOpenRate(tx: Tx, r: RateRow): Promise<number> {
  const result = await tx
    .updateTable('charge_rate')
    .set({ valid_to: addDays(r.valid_from, -1) })
    .where('charge_code', '=', r.charge_code)
    .where('hs_prefix', '=', r.hs_prefix)
    .where('valid_to', 'is', null)
    .where('valid_from', '<', r.valid_from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The schedule the engine takes, from the rows in force on a date. */
export function scheduleFrom(rows: { types: ChargeTypeRow[]; rates: ChargeRateRow[] }): ChargeSchedule {
  const ref = (kind: RuleRef['kind'], id: string, key: string, r: { valid_from: string; valid_to: string | null }): RuleRef => ({ kind, id, key, validFrom: r.valid_from, validTo: r.valid_to });
  return {
    types: rows.types.map((t) => ({
      code: t.code,
      name: t.name,
      base: t.base,
      plus: t.plus,
      joinsVatBase: t.joins_vat_base,
      rateSource: t.rate_source,
      ...(t.rounding_scale === null ? {} : { rounding: { scale: t.rounding_scale, mode: (t.rounding_mode ?? 'half-up') as RoundingMode } }),
      ...(t.minimum === null ? {} : { minimum: new Dec(t.minimum) }),
      ...(t.maximum === null ? {} : { maximum: new Dec(t.maximum) }),
      sequence: t.sequence,
      ref: ref('charge-type', String(t.id), t.code, t),
    })),
    rates: rows.rates.map((r) => ({
      charge: r.charge_code,
      hsPrefix: r.hs_prefix,
      ...(r.rate === null ? {} : { rate: new Dec(r.rate) }),
      ...(r.specific === null || r.specific_unit === null ? {} : { specific: { amount: new Dec(r.specific), unit: r.specific_unit, currency: r.specific_currency } }),
      treatment: r.treatment,
      ref: { ...ref('charge-rate', String(r.id), `${r.charge_code} ${r.hs_prefix === '' ? 'all lines' : r.hs_prefix}`, r), value: new Dec((r.rate ?? r.specific) ?? '0').toString() },
    })),
  };
}
