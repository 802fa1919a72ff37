// Import files are bounded: a file with more rows than the limit is refused as a whole, naming
// the file and the limit, and nothing is loaded; a description or note longer than its bound is
// refused on its line. Every CSV import (tariff, exchange rates, reliefs in CSV and JSON, CRSP).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRates, importTariff } from '../src/modules/tariff/index.ts';
import { importReliefs } from '../src/modules/relief/index.ts';
import { importCrsp } from '../src/modules/vehicle/index.ts';
import { importLimits } from '../src/platform/imports/limits.ts';
import { readCsv } from '../src/platform/csv.ts';
import { testDatabase, type TestDatabase } from './db.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-import-bounds-'));
const write = (name: string, lines: string[]) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
};

const tariffHeader = 'hs_code,description,unit,import_duty_rate,import_duty_specific,import_duty_specific_unit,excise_rate,excise_specific,excise_specific_unit,specific_currency,vat,valid_from,valid_to,vehicle_fuel,engine_cc_min,engine_cc_max,note';
const tariffRow = (i: number, description = 'Test goods', note = '') => `9999.${String(10 + (i % 90)).padStart(2, '0')}.${String(10 + Math.floor(i / 90)).padStart(2, '0')},"${description}",KGM,10,,,,,,,standard,2030-01-01,,,,,${note}`;
const rateHeader = 'currency,rate,valid_from,valid_to,note';
const reliefHeader = 'cpc,document_code,hs_prefix,charge,kind,rate,required_document,letter_required,name,valid_from,valid_to,note';
const reliefRow = (i: number, note = '') => `4000411,,${String(10 + i)},ID,full,,DIPN,no,test-relief,2030-01-01,,${note}`;
const crspHeader = 'make,model,body,engine_cc,fuel,drive,price_kes,valid_from,valid_to,note';
const crspRow = (i: number, note = '') => `TESTMAKE,MODEL${i},HATCHBACK,996,petrol,2WD,1650000,2030-01-01,,${note}`;

describe('import file bounds', { timeout: 240_000 }, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testDatabase({ demo: false });
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const by = { importedBy: 'test' };

  it('refuses a tariff file with more rows than the limit, naming the file and the limit, and loads nothing', async () => {
    const file = write('big-tariff.csv', [tariffHeader, ...Array.from({ length: 6 }, (_, i) => tariffRow(i))]);
    const r = await importTariff(database.db, file, { ...by, maxRows: 5 });
    expect(r.ok).toBe(false);
    expect(r.loaded).toBe(0);
    expect(r.errors[0]!.message).toBe('big-tariff.csv has more than 5 rows, the most an import file may have; split it into several files');
    // At the limit the same rows load.
    const fits = write('fits-tariff.csv', [tariffHeader, ...Array.from({ length: 5 }, (_, i) => tariffRow(i))]);
    const ok = await importTariff(database.db, fits, { ...by, maxRows: 5 });
    expect(ok.errors).toEqual([]);
    expect(ok.loaded).toBe(5);
  });

  it('refuses an exchange-rate file with more rows than the limit', async () => {
    const file = write('big-rates.csv', [rateHeader, 'USD,130.10,2031-01-01,2031-01-31,', 'USD,130.20,2031-02-01,2031-02-28,', 'USD,130.30,2031-03-01,2031-03-31,']);
    const r = await importRates(database.db, file, { ...by, maxRows: 2 });
    expect(r.ok).toBe(false);
    expect(r.loaded).toBe(0);
    expect(r.errors[0]!.message).toMatch(/^big-rates\.csv has more than 2 rows/);
  });

  it('refuses a relief file, CSV or JSON, with more rows than the limit', async () => {
    const csv = write('big-reliefs.csv', [reliefHeader, ...Array.from({ length: 4 }, (_, i) => reliefRow(i))]);
    const r = await importReliefs(database.db, csv, { ...by, maxRows: 3 });
    expect(r.ok).toBe(false);
    expect(r.loaded).toBe(0);
    expect(r.errors[0]!.message).toMatch(/^big-reliefs\.csv has more than 3 rows/);
    const entries = Array.from({ length: 4 }, (_, i) => ({ cpc: '4000411', hs_prefix: String(10 + i), charge: 'ID', kind: 'full', required_document: 'DIPN', letter_required: 'no', name: 'test-relief', valid_from: '2030-01-01' }));
    const json = path.join(dir, 'big-reliefs.json');
    fs.writeFileSync(json, JSON.stringify(entries));
    const j = await importReliefs(database.db, json, { ...by, maxRows: 3 });
    expect(j.ok).toBe(false);
    expect(j.errors[0]!.message).toMatch(/^big-reliefs\.json has more than 3 rows/);
  });

  it('refuses a CRSP file with more rows than the limit', async () => {
    const file = write('big-crsp.csv', [crspHeader, ...Array.from({ length: 3 }, (_, i) => crspRow(i))]);
    const r = await importCrsp(database.db, file, { ...by, maxRows: 2 });
    expect(r.ok).toBe(false);
    expect(r.loaded).toBe(0);
    expect(r.errors[0]!.message).toMatch(/^big-crsp\.csv has more than 2 rows/);
  });

  it('reads at most the limit by default, and stops reading past it', async () => {
    expect(importLimits.maxRows).toBeGreaterThanOrEqual(100_000); // room for a whole national tariff
    const file = write('many.csv', ['a', ...Array.from({ length: 12 }, (_, i) => String(i))]);
    const r = await readCsv(file, { maxRows: 10 });
    expect(r.tooManyRows).toBe(true);
    expect(r.records).toHaveLength(10);
    const all = await readCsv(file);
    expect(all.tooManyRows).toBe(false);
    expect(all.records).toHaveLength(12);
  });

  it('refuses a tariff description or note longer than its bound on its line', async () => {
    const long = 'x'.repeat(importLimits.maxDescriptionLength + 1);
    const file = write('long-tariff.csv', [tariffHeader, tariffRow(100, long), tariffRow(101, 'Fine', 'n'.repeat(importLimits.maxNoteLength + 1)), tariffRow(102, 'y'.repeat(importLimits.maxDescriptionLength))]);
    const r = await importTariff(database.db, file, by);
    expect(r.ok).toBe(false);
    expect(r.loaded).toBe(0);
    expect(r.errors).toEqual([
      { line: 2, field: 'description', message: `is 1,001 characters long; at most 1,000 are allowed` },
      { line: 3, field: 'note', message: `is 1,001 characters long; at most 1,000 are allowed` },
    ]);
  });

  it('refuses a long note on an exchange rate, a relief and a CRSP price', async () => {
    const note = 'n'.repeat(importLimits.maxNoteLength + 1);
    const rates = await importRates(database.db, write('long-rates.csv', [rateHeader, `USD,130.10,2032-01-01,2032-01-31,${note}`]), by);
    expect(rates.errors).toEqual([{ line: 2, field: 'note', message: 'is 1,001 characters long; at most 1,000 are allowed' }]);
    const reliefs = await importReliefs(database.db, write('long-reliefs.csv', [reliefHeader, reliefRow(50, note)]), by);
    expect(reliefs.errors).toEqual([{ line: 2, field: 'note', message: 'is 1,001 characters long; at most 1,000 are allowed' }]);
    const crsp = await importCrsp(database.db, write('long-crsp.csv', [crspHeader, crspRow(50, note)]), by);
    expect(crsp.errors).toEqual([{ line: 2, field: 'note', message: 'is 1,001 characters long; at most 1,000 are allowed' }]);
    expect([rates.loaded, reliefs.loaded, crsp.loaded]).toEqual([0, 0, 0]);
  });
});
