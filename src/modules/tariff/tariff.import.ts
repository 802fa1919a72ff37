// Loading a tariff or exchange-rate file: the whole file is checked first and every bad line
// reported with its number; then it loads all-or-nothing in one transaction. A row never
// overwrites an earlier version: it closes the earlier one's validity the day before it starts.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { readCsv, sha256File, type CsvRecord } from '#platform/csv.ts';
import { isIsoDate } from '#platform/clock.ts';
import { parseDecimal } from '#platform/money.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { importTransaction } from '#platform/imports/versions.ts';
import { checkWithinFile, finishReport, headerErrors, planLineVersions, type LineError } from '#platform/imports/lines.ts';
import { importLimits, tooLong, tooManyRows } from '#platform/imports/limits.ts';
import { tariffWrites, type ExchangeRateRow, type TariffLineRow } from './tariff.repository.ts';
import { formatHsCode, normaliseHsCode } from './hs-code.ts';

export type { LineError };

export interface ImportReport {
  ok: boolean;
  file: string;
  rows: number;
  loaded: number;
  unchanged: number;
  closed: number;
  importId?: number;
  errors: LineError[];
}

export interface ImportOptions {
  importedBy: string;
  dryRun?: boolean;
  onProgress?: (message: string) => void;
  /** Most rows the file may have (default importLimits.maxRows). */
  maxRows?: number;
}

export const tariffColumns = [
  'hs_code', 'description', 'unit', 'import_duty_rate', 'import_duty_specific', 'import_duty_specific_unit',
  'excise_rate', 'excise_specific', 'excise_specific_unit', 'specific_currency', 'vat', 'valid_from', 'valid_to',
] as const;
const optionalTariffColumns = ['vehicle_fuel', 'engine_cc_min', 'engine_cc_max', 'note'];
export const vehicleFuels = ['petrol', 'diesel', 'hybrid-petrol', 'hybrid-diesel', 'plug-in-petrol', 'plug-in-diesel', 'electric'] as const;
const specificOnlyUnits = ['CLPA'];

type NewLine = Omit<TariffLineRow, 'id' | 'import_id'> & { line: number };
type NewRate = Omit<ExchangeRateRow, 'id' | 'import_id'> & { line: number };

export interface Known {
  units: Set<string>;
  /** The EAC CET's own notation (the units table's `symbol`: kg, u, 2u, 1000u, l, m2 ...) to the Rec 20 code. */
  cetNotation: Map<string, { code: string; symbol: string }>;
  currencies: Set<string>;
}

/** The units (both notations) and currencies a tariff or charges file is checked against. */
export async function knownCodes(db: Kysely<DB>): Promise<Known> {
  const [units, currencies] = await Promise.all([
    db.selectFrom('unit').select(['code', 'symbol']).orderBy('code').execute(),
    db.selectFrom('currency').select('code').execute(),
  ]);
  const codes = new Set(units.map((u) => u.code));
  return { units: codes, cetNotation: cetAliases(units, codes), currencies: new Set(currencies.map((c) => c.code)) };
}

/**
 * CET symbols as aliases of Rec 20 codes. Symbols are matched without regard to case (a file may
 * write `KG` or `L`); a symbol that reads as another unit's Rec 20 code is left out, so a code always
 * means itself.
 */
export function cetAliases(units: { code: string; symbol: string | null }[], codes: Set<string>): Map<string, { code: string; symbol: string }> {
  const aliases = new Map<string, { code: string; symbol: string }>();
  for (const u of units) {
    const symbol = u.symbol?.trim();
    if (symbol && !(codes.has(symbol.toUpperCase()) && symbol.toUpperCase() !== u.code)) {
      aliases.set(symbol.toLowerCase(), { code: u.code, symbol });
    }
  }
  return aliases;
}

/** A unit written as a Rec 20 code or in the CET notation, as the Rec 20 code; undefined when neither. */
export function unitCode(raw: string, known: Pick<Known, 'units'> & Partial<Pick<Known, 'cetNotation'>>): string | undefined {
  const code = raw.toUpperCase();
  return known.units.has(code) ? code : known.cetNotation?.get(raw.toLowerCase())?.code;
}

/** The refusal names both notations, so a file in either can be put right. */
export function unknownUnit(raw: string, known: Known, exclude: string[] = []): string {
  const codes = [...known.units].filter((u) => !exclude.includes(u));
  const symbols = [...known.cetNotation.values()].filter((a) => !exclude.includes(a.code)).map((a) => a.symbol);
  return `unknown unit "${raw}"; use a UN/ECE Rec 20 code (${codes.join(', ')}) or the CET notation (${symbols.join(', ')})`;
}

/** Checks one tariff row; returns the row to load or adds its errors. */
function parseTariffRecord(rec: CsvRecord, known: Known, errors: LineError[]): NewLine | undefined {
  const v = rec.values;
  const before = errors.length;
  const err = (field: string, message: string) => errors.push({ line: rec.line, field, message });
  const text = (name: string) => (v[name] ?? '').trim();
  if (v.__extra !== undefined) {
    err('', 'has more fields than the header (quote descriptions that contain commas)');
  }
  const hs = normaliseHsCode(text('hs_code'));
  if (!hs) {
    err('hs_code', `"${text('hs_code')}" is not a national tariff line: 8 to 10 digits, optionally dotted like 8703.23.00`);
  }
  if (!text('description')) {
    err('description', 'is required');
  }
  for (const [field, limit] of [
    ['description', importLimits.maxDescriptionLength],
    ['note', importLimits.maxNoteLength],
  ] as const) {
    const long = tooLong(text(field), limit);
    if (long) {
      err(field, long);
    }
  }
  const unit = unitCode(text('unit'), known) ?? text('unit').toUpperCase();
  if (!known.units.has(unit) || specificOnlyUnits.includes(unit)) {
    err('unit', unknownUnit(text('unit'), known, specificOnlyUnits));
  }
  const rate = (name: string) => {
    const raw = text(name);
    if (raw === '') {
      return null;
    }
    const d = parseDecimal(raw.replace(/%$/, ''));
    if (!d || d.isNegative() || d.greaterThan(1000) || d.decimalPlaces() > 4) {
      err(name, `"${raw}" is not a percentage from 0 to 1000 with at most 4 decimals (write 25 for 25%)`);
      return null;
    }
    return d.toString();
  };
  const amount = (name: string) => {
    const raw = text(name);
    if (raw === '') {
      return null;
    }
    const d = parseDecimal(raw);
    if (!d || !d.isPositive() || d.isZero() || d.decimalPlaces() > 6 || d.greaterThanOrEqualTo(1e14)) {
      err(name, `"${raw}" is not a positive amount below 10^14 with at most 6 decimals`);
      return null;
    }
    return d.toString();
  };
  const specificUnit = (amountName: string, unitName: string) => {
    const written = text(unitName);
    const hasAmount = text(amountName) !== '';
    if (hasAmount && written === '') {
      err(unitName, `is required when ${amountName} is given`);
    } else if (!hasAmount && written !== '') {
      err(amountName, `is required when ${unitName} is given`);
    } else if (written !== '' && unitCode(written, known) === undefined) {
      err(unitName, unknownUnit(written, known));
    }
    return written === '' ? null : (unitCode(written, known) ?? written.toUpperCase());
  };
  const currency = text('specific_currency').toUpperCase() || 'KES';
  if (!known.currencies.has(currency)) {
    err('specific_currency', `"${currency}" is not an ISO 4217 currency code`);
  }
  const vat = text('vat').toLowerCase();
  if (!['standard', 'exempt', 'zero'].includes(vat)) {
    err('vat', `"${text('vat')}" is not allowed; use standard, exempt or zero`);
  }
  const validFrom = text('valid_from');
  if (!isIsoDate(validFrom)) {
    err('valid_from', `"${validFrom}" is not a date written YYYY-MM-DD`);
  }
  const validTo = text('valid_to') || null;
  if (validTo !== null && !isIsoDate(validTo)) {
    err('valid_to', `"${validTo}" is not a date written YYYY-MM-DD (leave blank for open-ended)`);
  } else if (validTo !== null && validTo < validFrom) {
    err('valid_to', `${validTo} is before valid_from ${validFrom}`);
  }
  const vehicle = parseVehicleColumns(text, err);
  const line: NewLine = {
    line: rec.line,
    hs_code: hs ?? '',
    description: text('description'),
    unit,
    import_duty_rate: rate('import_duty_rate'),
    import_duty_specific: amount('import_duty_specific'),
    import_duty_specific_unit: specificUnit('import_duty_specific', 'import_duty_specific_unit'),
    excise_rate: rate('excise_rate'),
    excise_specific: amount('excise_specific'),
    excise_specific_unit: specificUnit('excise_specific', 'excise_specific_unit'),
    specific_currency: currency,
    vat: vat as NewLine['vat'],
    valid_from: validFrom,
    valid_to: validTo,
    ...vehicle,
    note: text('note') || null,
  };
  if (line.import_duty_rate === null && line.import_duty_specific === null && errors.length === before) {
    err('import_duty_rate', 'a tariff line needs an import duty: a rate (0 for free), a specific amount, or both');
  }
  return errors.length === before ? line : undefined;
}

function parseVehicleColumns(text: (n: string) => string, err: (f: string, m: string) => void) {
  const fuel = text('vehicle_fuel').toLowerCase() || null;
  const cc = (name: string) => {
    const raw = text(name);
    if (raw === '') {
      return null;
    }
    if (!/^\d+$/.test(raw)) {
      err(name, `"${raw}" is not a whole number of cubic centimetres`);
      return null;
    }
    return Number(raw);
  };
  const min = cc('engine_cc_min');
  const max = cc('engine_cc_max');
  if (fuel !== null && !(vehicleFuels as readonly string[]).includes(fuel)) {
    err('vehicle_fuel', `"${fuel}" is not allowed; use one of ${vehicleFuels.join(', ')}`);
  }
  if (fuel === null && (min !== null || max !== null)) {
    err('vehicle_fuel', 'is required when an engine capacity range is given');
  }
  if (min !== null && max !== null && max < min) {
    err('engine_cc_max', `${max} is below engine_cc_min ${min}`);
  }
  return { vehicle_fuel: fuel, engine_cc_min: fuel === null ? null : (min ?? 0), engine_cc_max: max };
}

const sameLine = (a: NewLine, b: TariffLineRow) =>
  (['description', 'unit', 'import_duty_specific_unit', 'excise_specific_unit', 'specific_currency', 'vat', 'valid_to', 'vehicle_fuel', 'engine_cc_min', 'engine_cc_max'] as const).every(
    (k) => (a[k] ?? null) === (b[k] ?? null),
  ) &&
  (['import_duty_rate', 'import_duty_specific', 'excise_rate', 'excise_specific'] as const).every(
    (k) => (a[k] === null ? null : parseDecimal(a[k])?.toString()) === (b[k] === null ? null : parseDecimal(b[k])?.toString()),
  );

export async function importTariff(db: Kysely<DB>, file: string, options: ImportOptions): Promise<ImportReport> {
  const progress = options.onProgress ?? (() => undefined);
  const maxRows = options.maxRows ?? importLimits.maxRows;
  const { header, records, tooManyRows: over } = await readCsv(file, { onProgress: (n) => progress(`read ${n} rows`), maxRows });
  const report: ImportReport = { ok: false, file: path.basename(file), rows: records.length, loaded: 0, unchanged: 0, closed: 0, errors: headerErrors(header, tariffColumns, optionalTariffColumns) };
  if (over) {
    report.errors.unshift({ line: 1, message: tooManyRows(file, maxRows) });
  }
  if (report.errors.length > 0) {
    return report;
  }
  const known = await knownCodes(db);
  const lines: NewLine[] = [];
  for (const rec of records) {
    const line = parseTariffRecord(rec, known, report.errors);
    if (line) {
      lines.push(line);
    }
  }
  checkWithinFile(lines, (l) => l.hs_code, (l) => formatHsCode(l.hs_code), report.errors);
  if (report.errors.length > 0 || records.length === 0) {
    if (records.length === 0) {
      report.errors.push({ line: 1, message: 'the file has no rows' });
    }
    return finishReport(report);
  }
  progress(`checked ${lines.length} rows`);
  const checksum = sha256File(file);
  return load(db, report, options, async (tx, errors) => {
    await tariffWrites.lockTariff(tx);
    const existing = await tariffWrites.existingLines(tx, [...new Set(lines.map((l) => l.hs_code))]);
    const plan = planLineVersions(lines, existing, (r) => r.hs_code, sameLine, (l) => formatHsCode(l.hs_code), errors);
    if (errors.length > 0 || options.dryRun) {
      return plan;
    }
    const importId = await tariffWrites.recordImport(tx, { kind: 'tariff', file_name: report.file, checksum, rows_loaded: plan.fresh.length, rows_unchanged: plan.unchanged, imported_by: options.importedBy, note: null });
    for (const c of plan.closes) {
      await tariffWrites.closeLine(tx, c.id, c.validTo);
    }
    await tariffWrites.insertLines(tx, plan.fresh.map(({ line: _line, ...row }) => ({ ...row, import_id: importId })));
    progress(`loaded ${plan.fresh.length} rows`);
    return { ...plan, importId };
  });
}

/**
 * Plans and writes in one transaction (the shared importTransaction): rolled back on a dry run or
 * any refusal. The plan's refusals are worded into a fresh list each attempt, as the transaction
 * may run again.
 */
async function load(
  db: Kysely<DB>,
  report: ImportReport,
  options: ImportOptions,
  work: (tx: Tx, errors: LineError[]) => Promise<{ fresh: unknown[]; closes: unknown[]; unchanged: number; importId?: number }>,
): Promise<ImportReport> {
  const checked = report.errors;
  const outcome = await importTransaction(db, async (tx) => {
    const errors = [...checked];
    const plan = await work(tx, errors);
    return { commit: errors.length === 0 && !options.dryRun, plan, errors };
  });
  report.errors = outcome.errors;
  report.loaded = outcome.plan.fresh.length;
  report.unchanged = outcome.plan.unchanged;
  report.closed = outcome.plan.closes.length;
  if (outcome.plan.importId !== undefined) {
    report.importId = outcome.plan.importId;
  }
  return finishReport(report);
}

const rateColumns = ['currency', 'rate', 'valid_from'] as const;

export async function importRates(db: Kysely<DB>, file: string, options: ImportOptions): Promise<ImportReport> {
  const progress = options.onProgress ?? (() => undefined);
  const maxRows = options.maxRows ?? importLimits.maxRows;
  const { header, records, tooManyRows: over } = await readCsv(file, { onProgress: (n) => progress(`read ${n} rows`), maxRows });
  const report: ImportReport = { ok: false, file: path.basename(file), rows: records.length, loaded: 0, unchanged: 0, closed: 0, errors: headerErrors(header, rateColumns, ['valid_to', 'note']) };
  if (over) {
    report.errors.unshift({ line: 1, message: tooManyRows(file, maxRows) });
  }
  if (report.errors.length > 0) {
    return report;
  }
  const known = await knownCodes(db);
  const rates: NewRate[] = [];
  for (const rec of records) {
    const before = report.errors.length;
    const err = (field: string, message: string) => report.errors.push({ line: rec.line, field, message });
    const text = (name: string) => (rec.values[name] ?? '').trim();
    const currency = text('currency').toUpperCase();
    if (!known.currencies.has(currency) || currency === 'KES') {
      err('currency', `"${text('currency')}" is not an ISO 4217 currency code other than KES`);
    }
    const rate = parseDecimal(text('rate'));
    if (!rate || !rate.isPositive() || rate.isZero()) {
      err('rate', `"${text('rate')}" is not a positive decimal number of KES per unit`);
    }
    const validFrom = text('valid_from');
    if (!isIsoDate(validFrom)) {
      err('valid_from', `"${validFrom}" is not a date written YYYY-MM-DD`);
    }
    const validTo = text('valid_to') || null;
    if (validTo !== null && (!isIsoDate(validTo) || validTo < validFrom)) {
      err('valid_to', `"${validTo}" is not a date written YYYY-MM-DD on or after valid_from`);
    }
    const longNote = tooLong(text('note'), importLimits.maxNoteLength);
    if (longNote) {
      err('note', longNote);
    }
    if (report.errors.length === before) {
      rates.push({ line: rec.line, currency, rate: (rate as NonNullable<typeof rate>).toString(), valid_from: validFrom, valid_to: validTo, note: text('note') || null });
    }
  }
  checkWithinFile(rates, (r) => r.currency, (r) => r.currency, report.errors);
  if (report.errors.length > 0 || records.length === 0) {
    if (records.length === 0) {
      report.errors.push({ line: 1, message: 'the file has no rows' });
    }
    return finishReport(report);
  }
  const checksum = sha256File(file);
  return load(db, report, options, async (tx, errors) => {
    await tariffWrites.lockRates(tx);
    const existing = await tariffWrites.existingRates(tx, [...new Set(rates.map((r) => r.currency))]);
    const plan = planLineVersions(
      rates,
      existing,
      (r) => r.currency,
      (a, b) => parseDecimal(a.rate)?.equals(b.rate) === true && a.valid_to === b.valid_to,
      (r) => r.currency,
      errors,
    );
    if (errors.length > 0 || options.dryRun) {
      return plan;
    }
    const importId = await tariffWrites.recordImport(tx, { kind: 'exchange-rates', file_name: report.file, checksum, rows_loaded: plan.fresh.length, rows_unchanged: plan.unchanged, imported_by: options.importedBy, note: null });
    for (const c of plan.closes) {
      await tariffWrites.closeRate(tx, c.id, c.validTo);
    }
    await tariffWrites.insertRates(tx, plan.fresh.map(({ line: _line, ...row }) => ({ ...row, import_id: importId })));
    return { ...plan, importId };
  });
}
