// Loading relief rules from CSV or JSON: the whole file is checked first and every bad line
// reported with its number (JSON: its entry number); then it loads all-or-nothing in one
// transaction. A new version of a rule closes the open earlier one the day before it starts;
// an identical row is left alone; history is never rewritten.
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { readJsonFile } from '#platform/imports/json.ts';
import { importLimits, tooManyRows } from '#platform/imports/limits.ts';
import { readCsv, sha256File, type CsvRecord } from '#platform/csv.ts';
import { parseDecimal } from '#platform/money.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { clashesWithinFile, importTransaction } from '#platform/imports/versions.ts';
import type { ImportReport } from '#modules/tariff/index.ts';
import { finishReport as finish, headerErrors, planLineVersions, rowValidity, recordDataImport, type LineError } from '#platform/imports/lines.ts';
import { reliefRepository as repo, type NewReliefRow, type ReliefRow } from './relief.repository.ts';
import { forgetReliefRules } from './relief.cache.ts';

export const reliefColumns = ['cpc', 'charge', 'kind', 'name', 'valid_from'] as const;
const optionalColumns = ['document_code', 'hs_prefix', 'rate', 'required_document', 'letter_required', 'valid_to', 'note'];

type Parsed = Omit<NewReliefRow, 'import_id'> & { line: number };

interface Known {
  cpcs: Set<string>;
  documents: Set<string>;
}

const cellText = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/** CSV rows, or a JSON array of objects with the same keys (entry n is reported as line n). */
async function readRows(file: string, maxRows: number): Promise<{ header: string[]; records: CsvRecord[] } | string> {
  if (!file.toLowerCase().endsWith('.json')) {
    const read = await readCsv(file, { maxRows });
    return read.tooManyRows ? tooManyRows(file, maxRows) : read;
  }
  const read = readJsonFile(file);
  if ('problem' in read) {
    return `not valid JSON: ${read.problem}`;
  }
  const parsed = read.value;
  const entries = Array.isArray(parsed) ? parsed : (parsed as { reliefs?: unknown })?.reliefs;
  if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'object' || e === null || Array.isArray(e))) {
    return 'a JSON relief file is an array of objects (or {"reliefs": [...]}) with the CSV column names as keys';
  }
  if (entries.length > maxRows) {
    return tooManyRows(file, maxRows);
  }
  const header = [...new Set(entries.flatMap((e: object) => Object.keys(e)))];
  const records = entries.map((e: Record<string, unknown>, i) => ({
    line: i + 1,
    values: Object.fromEntries(Object.entries(e).map(([k, v]) => [k, cellText(v)])),
  }));
  return { header, records };
}

function parseRecord(rec: CsvRecord, known: Known, errors: LineError[]): Parsed | undefined {
  const before = errors.length;
  const err = (field: string, message: string) => errors.push({ line: rec.line, field, message });
  const text = (name: string) => (rec.values[name] ?? '').trim();
  if (rec.values.__extra !== undefined) {
    err('', 'has more fields than the header (quote names and notes that contain commas)');
  }
  const cpc = text('cpc');
  if (!known.cpcs.has(cpc)) {
    err('cpc', `"${cpc}" is not a procedure code in the reference list (src/modules/reference/data/procedure-codes.csv)`);
  }
  const doc = (name: string) => {
    const code = text(name).toUpperCase();
    if (code !== '' && !known.documents.has(code)) {
      err(name, `"${text(name)}" is not a document code in the reference list (e.g. EXL, DIPN, RRES, NCPD, DRL, CEAC)`);
    }
    return code === '' ? null : code;
  };
  const documentCode = doc('document_code');
  const requiredDocument = doc('required_document');
  const hsPrefix = text('hs_prefix').replace(/[.\s]/g, '');
  if (hsPrefix !== '' && !/^\d{2,10}$/.test(hsPrefix)) {
    err('hs_prefix', `"${text('hs_prefix')}" is not the start of an HS code: 2 to 10 digits, dots allowed (e.g. 8703 or 87.03)`);
  }
  const charge = text('charge').toUpperCase();
  if (!/^[A-Z][A-Z0-9]{1,9}$/.test(charge)) {
    err('charge', `"${text('charge')}" is not a charge code: 2 to 10 letters or digits starting with a letter (ID, EXD, VAT, IDF, RDL...)`);
  }
  const kind = text('kind').toLowerCase();
  if (kind !== 'full' && kind !== 'rate') {
    err('kind', `"${text('kind')}" is not allowed; use full (nothing due) or rate (due at the rate given)`);
  }
  let rate: string | null = null;
  if (kind === 'rate') {
    const d = parseDecimal(text('rate').replace(/%$/, ''));
    if (!d || d.isNegative() || d.greaterThan(1000)) {
      err('rate', `"${text('rate')}" is not a percentage from 0 to 1000 (required when kind is rate; write 1.5 for 1.5%)`);
    } else {
      rate = d.toString();
    }
  } else if (text('rate') !== '') {
    err('rate', 'is only given when kind is rate');
  }
  const flag = text('letter_required').toLowerCase();
  if (!['', 'yes', 'no', 'true', 'false'].includes(flag)) {
    err('letter_required', `"${text('letter_required')}" is not allowed; use yes or no`);
  }
  const letterRequired = flag === 'yes' || flag === 'true';
  if (letterRequired && requiredDocument === null && documentCode === null) {
    err('letter_required', 'a letter is presented as a document: give required_document (or document_code) with the letter\'s document code, e.g. EXL');
  }
  const name = text('name');
  if (!/^[a-z0-9][a-z0-9-]{1,59}$/.test(name)) {
    err('name', `"${name}" is not a short name: 2 to 60 lower-case letters, digits and hyphens (e.g. diplomatic-privileges)`);
  }
  const { validFrom, validTo, note } = rowValidity(text, err);
  if (errors.length > before) {
    return undefined;
  }
  return {
    line: rec.line,
    cpc,
    document_code: documentCode,
    hs_prefix: hsPrefix === '' ? null : hsPrefix,
    charge,
    kind: kind as 'full' | 'rate',
    rate,
    required_document: requiredDocument,
    letter_required: letterRequired,
    name,
    valid_from: validFrom,
    valid_to: validTo,
    note,
  };
}

const keyOf = (r: { cpc: string; document_code: string | null; hs_prefix: string | null; charge: string }) => `${r.cpc}|${r.document_code ?? ''}|${r.hs_prefix ?? ''}|${r.charge}`;
const sameRule = (a: Parsed, b: ReliefRow) =>
  a.kind === b.kind &&
  (a.rate === null ? b.rate === null : b.rate !== null && parseDecimal(a.rate)?.equals(b.rate) === true) &&
  a.required_document === b.required_document &&
  a.letter_required === b.letter_required &&
  a.name === b.name &&
  a.valid_to === b.valid_to;

export async function importReliefs(db: Kysely<DB>, file: string, options: { importedBy: string; dryRun?: boolean; onProgress?: (message: string) => void; maxRows?: number }): Promise<ImportReport> {
  const report: ImportReport = { ok: false, file: path.basename(file), rows: 0, loaded: 0, unchanged: 0, closed: 0, errors: [] };
  const read = await readRows(file, options.maxRows ?? importLimits.maxRows);
  if (typeof read === 'string') {
    report.errors.push({ line: 1, message: read });
    return report;
  }
  report.rows = read.records.length;
  report.errors.push(...headerErrors(read.header, reliefColumns, optionalColumns));
  if (report.errors.length > 0) {
    return report;
  }
  const [cpcs, documents] = await Promise.all([db.selectFrom('procedure_code').select('code').execute(), db.selectFrom('document_code').select('code').execute()]);
  const known = { cpcs: new Set(cpcs.map((c) => c.code)), documents: new Set(documents.map((d) => d.code)) };
  const rows = read.records.map((r) => parseRecord(r, known, report.errors)).filter((r): r is Parsed => r !== undefined);
  for (const { row, earlier } of clashesWithinFile(rows, keyOf)) {
    report.errors.push({ line: row.line, field: 'valid_from', message: `${keyOf(row)} overlaps line ${earlier.line}; give the earlier row a valid_to` });
  }
  if (read.records.length === 0) {
    report.errors.push({ line: 1, message: 'the file has no rows' });
  }
  if (report.errors.length > 0) {
    return finish(report);
  }
  const done = await importTransaction(db, async (tx: Tx) => {
    // One relief import at a time: two would each plan against what the other has not written yet.
    await sql`lock table relief in exclusive mode`.execute(tx);
    const errors: LineError[] = [];
    const p = planLineVersions(rows, await repo.existingRules(tx, [...new Set(rows.map((r) => r.cpc))]), keyOf, sameRule, keyOf, errors);
    if (errors.length > 0 || options.dryRun) {
      return { commit: false, p, errors, importId: undefined };
    }
    const importId = await recordDataImport(tx, { kind: 'relief', file_name: report.file, checksum: sha256File(file), rows_loaded: p.fresh.length, rows_unchanged: p.unchanged, imported_by: options.importedBy, note: null });
    for (const c of p.closes) {
      await repo.closeRule(tx, c.id, c.validTo);
    }
    await repo.insertRules(tx, p.fresh.map(({ line: _line, ...row }) => ({ ...row, import_id: importId })));
    return { commit: true, p, errors, importId };
  });
  if (done.commit) {
    forgetReliefRules();
  }
  Object.assign(report, { errors: done.errors, loaded: done.p.fresh.length, unchanged: done.p.unchanged, closed: done.p.closes.length });
  if (done.importId !== undefined) {
    report.importId = done.importId;
  }
  return finish(report);
}
