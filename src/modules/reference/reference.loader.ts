// Loads reference data: ISO 3166 countries and ISO 4217 currencies from maintained packages,
// and the lists Forodha keeps itself (UN/LOCODEs, offices, regimes, procedure codes, document
// codes, units) from the CSV files in ./data. Upserts, so running it again is harmless.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { readCsv } from '#platform/csv.ts';
import type { ReferenceTables } from './reference.tables.ts';

const require = createRequire(import.meta.url);
const dataDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');

interface CountryLib {
  getAlpha2Codes(): Record<string, string>;
  getName(code: string, lang: string): string | undefined;
  alpha2ToAlpha3(code: string): string | undefined;
  alpha2ToNumeric(code: string): string | undefined;
  registerLocale(locale: unknown): void;
}
interface CurrencyLib {
  codes(): string[];
  code(c: string): { code: string; number: string; digits: number; currency: string } | undefined;
}

async function rows(file: string): Promise<Record<string, string | null>[]> {
  const { records, tooManyRows } = await readCsv(path.join(dataDir, file));
  if (tooManyRows) {
    throw new Error(`reference data ${file} has more rows than an import file may have (src/platform/imports/limits.ts)`);
  }
  return records.map((r) => Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, v === '' ? null : v])));
}

type Table = keyof ReferenceTables;

async function upsert<T extends Table>(db: Kysely<DB>, table: T, values: ReferenceTables[T][]): Promise<void> {
  if (values.length === 0) {
    return;
  }
  const columns = Object.keys(values[0] as object).filter((c) => c !== 'code');
  for (let i = 0; i < values.length; i += 500) {
    await db
      .insertInto(table)
      .values(values.slice(i, i + 500) as never)
      .onConflict((oc) => oc.column('code').doUpdateSet(Object.fromEntries(columns.map((c) => [c, (eb: { ref(c: string): unknown }) => eb.ref(`excluded.${c}`)])) as never))
      .execute();
  }
}

export async function loadReferenceData(db: Kysely<DB>): Promise<Record<Table, number>> {
  const countries = require('i18n-iso-countries') as CountryLib;
  countries.registerLocale(require('i18n-iso-countries/langs/en.json'));
  const currencies = require('currency-codes') as CurrencyLib;

  const countryRows = Object.keys(countries.getAlpha2Codes()).map((code) => ({
    code,
    alpha3: countries.alpha2ToAlpha3(code) ?? '',
    numeric: countries.alpha2ToNumeric(code) ?? '',
    name: countries.getName(code, 'en') ?? code,
  }));
  const currencyRows = currencies
    .codes()
    .map((c) => currencies.code(c))
    .filter((c) => c !== undefined)
    .map((c) => ({ code: c.code, numeric: c.number || null, name: c.currency, minor_units: c.digits }));

  const text = (v: string | null | undefined) => v ?? null;
  const req = (v: string | null | undefined) => v ?? '';
  const locodes = (await rows('locodes.csv')).map((r) => ({
    code: req(r.code),
    name: req(r.name),
    country: req(r.country),
    subdivision: text(r.subdivision),
    functions: req(r.functions),
    kind: req(r.kind),
    note: text(r.note),
  }));
  const offices = (await rows('offices.csv')).map((r) => ({
    code: req(r.code),
    name: req(r.name),
    locode: text(r.locode),
    country: req(r.country),
    kind: req(r.kind),
    note: text(r.note),
  }));
  const regimes = (await rows('regimes.csv')).map((r) => ({ code: req(r.code), name: req(r.name), direction: req(r.direction), description: req(r.description) }));
  const cpcs = (await rows('procedure-codes.csv')).map((r) => ({
    code: req(r.code),
    regime: text(r.regime),
    description: req(r.description),
    direction: req(r.direction),
    note: text(r.note),
  }));
  const documents = (await rows('document-codes.csv')).map((r) => ({ code: req(r.code), name: req(r.name), issuer: text(r.issuer), note: text(r.note) }));
  const units = (await rows('units.csv')).map((r) => ({ code: req(r.code), name: req(r.name), symbol: text(r.symbol), kind: req(r.kind), factor: text(r.factor), note: text(r.note) }));

  await db.transaction().execute(async (tx) => {
    await upsert(tx, 'country', countryRows);
    await upsert(tx, 'currency', currencyRows);
    await upsert(tx, 'locode', locodes);
    await upsert(tx, 'customs_office', offices);
    await upsert(tx, 'regime', regimes);
    await upsert(tx, 'procedure_code', cpcs);
    await upsert(tx, 'document_code', documents);
    await upsert(tx, 'unit', units);
  });
  return {
    country: countryRows.length,
    currency: currencyRows.length,
    locode: locodes.length,
    customs_office: offices.length,
    regime: regimes.length,
    procedure_code: cpcs.length,
    document_code: documents.length,
    unit: units.length,
  };
}
