// Loading a CRSP schedule file, the way the tariff is loaded: the whole file is checked first and
// every bad line reported with its number; then it loads all-or-nothing in one transaction. A
// new price never overwrites an earlier one: it closes the earlier version the day before it starts.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { readCsv, sha256File, type CsvRecord } from '#platform/csv.ts';
import { parseDecimal } from '#platform/money.ts';
import { clashesWithinFile, importTransaction } from '#platform/imports/versions.ts';
import { vehicleFuels, type ImportReport } from '#modules/tariff/index.ts';
import { finishReport as finish, headerErrors, planLineVersions, rowValidity, type LineError } from '#platform/imports/lines.ts';
import { importLimits, tooManyRows } from '#platform/imports/limits.ts';
import { vehicleWrites, type CrspRow, type NewCrspRow } from './vehicle.repository.ts';

export const crspColumns = ['make', 'model', 'engine_cc', 'fuel', 'price_kes', 'valid_from'] as const;
const optionalColumns = ['body', 'drive', 'valid_to', 'note'];

type NewEntry = Omit<NewCrspRow, 'import_id'> & { line: number };

export interface CrspImportOptions {
  importedBy: string;
  dryRun?: boolean;
  /** Most rows the file may have (default importLimits.maxRows). */
  maxRows?: number;
}

/** A variant, as the schedule tells one from another: compared without case. */
export function variantKey(r: { make: string; model: string; body: string | null; engine_cc: number; fuel: string; drive: string | null }): string {
  return [r.make, r.model, r.body ?? '', String(r.engine_cc), r.fuel, r.drive ?? ''].map((s) => s.toLowerCase()).join('|');
}

export function describeVariant(r: { make: string; model: string; body: string | null; engine_cc: number; fuel: string; drive: string | null }): string {
  return [r.make, r.model, r.body, `${r.engine_cc} cc`, r.fuel, r.drive].filter((s) => s !== null && s !== '').join(' ');
}

/** Checks one row; returns it to load or adds its errors. */
function parseRecord(rec: CsvRecord, errors: LineError[]): NewEntry | undefined {
  const before = errors.length;
  const err = (field: string, message: string) => errors.push({ line: rec.line, field, message });
  const text = (name: string) => (rec.values[name] ?? '').trim();
  const name = (field: string, max: number, required: boolean) => {
    const v = text(field);
    if (v === '' && required) {
      err(field, 'is required');
    } else if (v.length > max || /[\u0000-\u001f\u007f]/.test(v)) {
      err(field, `"${v.slice(0, 40)}" must be one line of at most ${max} characters`);
    }
    return v === '' ? null : v;
  };
  if (rec.values.__extra !== undefined) {
    err('', 'has more fields than the header (quote values that contain commas)');
  }
  const make = name('make', 60, true);
  const model = name('model', 80, true);
  const body = name('body', 40, false);
  const drive = name('drive', 10, false);
  const cc = text('engine_cc');
  if (!/^\d{1,5}$/.test(cc) || Number(cc) > 20000) {
    err('engine_cc', `"${cc}" is not a whole number of cubic centimetres from 0 to 20000`);
  }
  const fuel = text('fuel').toLowerCase();
  if (!(vehicleFuels as readonly string[]).includes(fuel)) {
    err('fuel', `"${text('fuel')}" is not allowed; use one of ${vehicleFuels.join(', ')}`);
  }
  const price = parseDecimal(text('price_kes'));
  if (!price || !price.isPositive() || price.isZero() || price.decimalPlaces() > 2 || price.greaterThanOrEqualTo('1e16')) {
    err('price_kes', `"${text('price_kes')}" is not a positive amount in KES with at most 2 decimals (e.g. 2150000)`);
  }
  const { validFrom, validTo, note } = rowValidity(text, err);
  if (errors.length > before) {
    return undefined;
  }
  return {
    line: rec.line,
    make: make as string,
    model: model as string,
    body,
    engine_cc: Number(cc),
    fuel,
    drive,
    price_kes: (price as NonNullable<typeof price>).toString(),
    valid_from: validFrom,
    valid_to: validTo,
    note,
  };
}

function checkWithinFile(entries: NewEntry[], errors: LineError[]): void {
  for (const { row, earlier } of clashesWithinFile(entries, variantKey)) {
    errors.push({ line: row.line, field: 'valid_from', message: `${describeVariant(row)} from ${row.valid_from} overlaps line ${earlier.line}; give the earlier row a valid_to` });
  }
}

const samePrice = (a: NewEntry, b: CrspRow) => parseDecimal(a.price_kes)?.equals(b.price_kes) === true && a.valid_to === b.valid_to && (a.note ?? null) === (b.note ?? null);

export async function importCrsp(db: Kysely<DB>, file: string, options: CrspImportOptions): Promise<ImportReport> {
  const maxRows = options.maxRows ?? importLimits.maxRows;
  const { header, records, tooManyRows: over } = await readCsv(file, { maxRows });
  const report: ImportReport = { ok: false, file: path.basename(file), rows: records.length, loaded: 0, unchanged: 0, closed: 0, errors: headerErrors(header, crspColumns, optionalColumns) };
  if (over) {
    report.errors.unshift({ line: 1, message: tooManyRows(file, maxRows) });
  }
  if (report.errors.length > 0) {
    return report;
  }
  const entries = records.map((r) => parseRecord(r, report.errors)).filter((e): e is NewEntry => e !== undefined);
  checkWithinFile(entries, report.errors);
  if (records.length === 0) {
    report.errors.push({ line: 1, message: 'the file has no rows' });
  }
  if (report.errors.length > 0) {
    return finish(report);
  }
  const checksum = sha256File(file);
  const checked = report.errors;
  const done = await importTransaction(db, async (tx) => {
    await vehicleWrites.lockCrsp(tx);
    const existing = await vehicleWrites.existingCrsp(tx, [...new Set(entries.map((e) => e.make.toLowerCase()))]);
    const errors = [...checked];
    const p = planLineVersions(entries, existing, variantKey, samePrice, describeVariant, errors, 'price');
    if (errors.length > 0 || options.dryRun) {
      return { commit: false, p, errors, importId: undefined };
    }
    const importId = await vehicleWrites.recordImport(tx, { file_name: report.file, checksum, rows_loaded: p.fresh.length, rows_unchanged: p.unchanged, imported_by: options.importedBy });
    for (const c of p.closes) {
      await vehicleWrites.closeCrsp(tx, c.id, c.validTo);
    }
    await vehicleWrites.insertCrsp(tx, p.fresh.map(({ line: _line, ...row }) => ({ ...row, import_id: importId })));
    return { commit: true, p, errors, importId };
  });
  Object.assign(report, { errors: done.errors, loaded: done.p.fresh.length, unchanged: done.p.unchanged, closed: done.p.closes.length });
  if (done.importId !== undefined) {
    report.importId = done.importId;
  }
  return finish(report);
}
