import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { importRates, importTariff, tariffRepository, tariffService } from './index.ts';

const header = 'hs_code,description,unit,import_duty_rate,import_duty_specific,import_duty_specific_unit,excise_rate,excise_specific,excise_specific_unit,specific_currency,vat,valid_from,valid_to';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-import-'));
let n = 0;
function file(...lines: string[]): string {
  const f = path.join(dir, `f${n++}.csv`);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

let database: TestDatabase;
const count = async (table: 'tariff_line' | 'exchange_rate' | 'data_import') => {
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(database.db);
  return Number(rows[0]!.n);
};

beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});

describe('tariff import', () => {
  it('reports every bad row with its line number and reason, and loads nothing', async () => {
    const before = await count('tariff_line');
    const f = file(
      '# a comment line is skipped',
      header,
      '9999.01.00,Good line,KGM,10,,,,,,,standard,2026-01-01,',
      '12AB.00.00,Bad code,KGM,10,,,,,,,standard,2026-01-01,',
      '9999.02.00,,KGM,10,,,,,,,standard,2026-01-01,',
      '9999.03.00,Bad unit,BOXES,10,,,,,,,standard,2026-01-01,',
      '9999.04.00,Bad rate,KGM,ten,,,,,,,standard,2026-01-01,',
      '9999.05.00,Specific without unit,KGM,10,5,,,,,USD,standard,2026-01-01,',
      '9999.06.00,Bad vat,KGM,10,,,,,,,luxury,2026-01-01,',
      '9999.07.00,Bad date,KGM,10,,,,,,,standard,2026-02-30,',
      '9999.08.00,Ends before start,KGM,10,,,,,,,standard,2026-05-01,2026-04-01',
      '9999.09.00,Unknown currency,KGM,10,5,KGM,,,,ZZZ,standard,2026-01-01,',
      '9999.10.00,No duty at all,KGM,,,,,,,,standard,2026-01-01,',
      '9999.01.00,Overlaps line 3,KGM,25,,,,,,,standard,2026-06-01,',
    );
    const report = await importTariff(database.db, f, { importedBy: 'test' });
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => [e.line, e.field])).toEqual([
      [4, 'hs_code'],
      [5, 'description'],
      [6, 'unit'],
      [7, 'import_duty_rate'],
      [8, 'import_duty_specific_unit'],
      [9, 'vat'],
      [10, 'valid_from'],
      [11, 'valid_to'],
      [12, 'specific_currency'],
      [13, 'import_duty_rate'],
      [14, 'valid_from'],
    ]);
    expect(report.errors.find((e) => e.line === 9)!.message).toMatch(/standard, exempt or zero/);
    expect(report.errors.find((e) => e.line === 14)!.message).toMatch(/overlaps line 3/);
    expect(await count('tariff_line')).toBe(before);
  });

  it('refuses a file whose header lacks required columns', async () => {
    const report = await importTariff(database.db, file('hs_code,description,unit', '9999.01.00,x,KGM'), { importedBy: 'test' });
    expect(report.ok).toBe(false);
    expect(report.errors[0]!.message).toMatch(/missing column\(s\): import_duty_rate/);
  });

  it('loads a new version from a date without losing the old one', async () => {
    const service = tariffService(tariffRepository(database.db));
    const v1 = await importTariff(database.db, file(header, '9998.10.00,Widgets,NAR,10,,,,,,,standard,2025-01-01,'), { importedBy: 'test' });
    expect(v1).toMatchObject({ ok: true, loaded: 1 });
    const v2 = await importTariff(database.db, file(header, '9998.10.00,Widgets,NAR,25,,,,,,,standard,2026-07-01,'), { importedBy: 'test' });
    expect(v2).toMatchObject({ ok: true, loaded: 1, closed: 1 });
    const rate = async (date: string) => {
      const found = (await service.linesInForce(['9998.10.00'], date)).get('9998.10.00');
      return found?.ok ? found.measure.importDuty.rate?.toString() : found?.code;
    };
    expect(await rate('2026-06-30')).toBe('10');
    expect(await rate('2026-07-01')).toBe('25');
    expect(await rate('2024-12-31')).toBe('not_in_force');
  });

  it('leaves identical rows alone and refuses to rewrite a version in place', async () => {
    const again = await importTariff(database.db, file(header, '9998.10.00,Widgets,NAR,25,,,,,,,standard,2026-07-01,'), { importedBy: 'test' });
    expect(again).toMatchObject({ ok: true, loaded: 0, unchanged: 1 });
    const changed = await importTariff(database.db, file(header, '9998.10.00,Widgets,NAR,30,,,,,,,standard,2026-07-01,'), { importedBy: 'test' });
    expect(changed.ok).toBe(false);
    expect(changed.errors[0]!.message).toMatch(/never overwritten/);
  });

  it('is all-or-nothing: one conflicting row keeps the good rows out', async () => {
    const before = await count('tariff_line');
    const report = await importTariff(
      database.db,
      file(header, '9997.10.00,Fresh line,NAR,10,,,,,,,standard,2026-01-01,', '9998.10.00,Widgets,NAR,30,,,,,,,standard,2026-07-01,'),
      { importedBy: 'test' },
    );
    expect(report.ok).toBe(false);
    expect(await count('tariff_line')).toBe(before);
  });

  it('accepts dotted or plain codes and a dry run changes nothing', async () => {
    const before = await count('tariff_line');
    const report = await importTariff(database.db, file(header, '99961000,Plain code,KGM,0,,,,,,,exempt,2026-01-01,'), { importedBy: 'test', dryRun: true });
    expect(report).toMatchObject({ ok: true, loaded: 1 });
    expect(await count('tariff_line')).toBe(before);
  });
});

describe('tariff import in the CET notation', () => {
  const stored = async (hs: string) =>
    database.db.selectFrom('tariff_line').select(['unit', 'import_duty_specific_unit', 'excise_specific_unit']).where('hs_code', '=', hs).executeTakeFirstOrThrow();

  it('stores the Rec 20 code for kg, u, l, 2u, 1000u and m2 in every unit column', async () => {
    const report = await importTariff(
      database.db,
      file(
        header,
        '9995.10.00,By mass,kg,25,200,t,,,,USD,standard,2026-01-01,',
        '9995.20.00,By count,u,25,,,10,5,U,KES,standard,2026-01-01,',
        '9995.30.00,By volume,l,25,,,,12,L,KES,standard,2026-01-01,',
        '9995.40.00,Footwear,2u,35,3,2u,,,,USD,standard,2026-01-01,',
        '9995.50.00,Cigarettes,1000u,35,,,,4100,1000u,KES,standard,2026-01-01,',
        '9995.60.00,Tiles,m2,35,,,,,,,standard,2026-01-01,',
        '9995.70.00,Still Rec 20,KGM,10,,,,,,,standard,2026-01-01,',
      ),
      { importedBy: 'test' },
    );
    expect(report).toMatchObject({ ok: true, loaded: 7 });
    expect(await stored('99951000')).toEqual({ unit: 'KGM', import_duty_specific_unit: 'TNE', excise_specific_unit: null });
    expect(await stored('99952000')).toEqual({ unit: 'NAR', import_duty_specific_unit: null, excise_specific_unit: 'NAR' });
    expect(await stored('99953000')).toEqual({ unit: 'LTR', import_duty_specific_unit: null, excise_specific_unit: 'LTR' });
    expect(await stored('99954000')).toEqual({ unit: 'PR', import_duty_specific_unit: 'PR', excise_specific_unit: null });
    expect(await stored('99955000')).toEqual({ unit: 'MIL', import_duty_specific_unit: null, excise_specific_unit: 'MIL' });
    expect(await stored('99956000')).toEqual({ unit: 'MTK', import_duty_specific_unit: null, excise_specific_unit: null });
    expect(await stored('99957000')).toEqual({ unit: 'KGM', import_duty_specific_unit: null, excise_specific_unit: null });
  });

  it('the same row in either notation is the same version', async () => {
    const again = await importTariff(database.db, file(header, '9995.40.00,Footwear,PR,35,3,PR,,,,USD,standard,2026-01-01,'), { importedBy: 'test' });
    expect(again).toMatchObject({ ok: true, loaded: 0, unchanged: 1 });
  });

  it('names both notations when a unit is neither, on every bad line', async () => {
    const report = await importTariff(
      database.db,
      file(header, '9994.10.00,Boxes,box,10,,,,,,,standard,2026-01-01,', '9994.20.00,Per crate,kg,10,5,crate,,,,USD,standard,2026-01-01,', '9994.30.00,Excise per bag,u,10,,,,5,bag,KES,standard,2026-01-01,'),
      { importedBy: 'test' },
    );
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'unit'],
      [3, 'import_duty_specific_unit'],
      [4, 'excise_specific_unit'],
    ]);
    expect(report.errors[0]!.message).toMatch(/^unknown unit "box"; use a UN\/ECE Rec 20 code \(.*KGM.*NAR.*\) or the CET notation \((?=.*\bkg\b)(?=.* u[,)])(?=.*\b2u\b)(?=.*\b1000u\b)(?=.*\bm2\b).*\)$/);
    expect(report.errors[0]!.message).not.toMatch(/CLPA/);
    expect(report.errors[1]!.message).toMatch(/unknown unit "crate".*CLPA/);
    expect(await database.db.selectFrom('tariff_line').select('id').where('hs_code', 'like', '9994%').execute()).toEqual([]);
  });
});

describe('exchange rate import', () => {
  it('reports bad rows and loads valid files with versions', async () => {
    const bad = await importRates(database.db, file('currency,rate,valid_from,valid_to', 'USD,abc,2030-01-01,', 'ZZZ,100,2030-01-01,', 'EUR,140,2030-13-01,'), { importedBy: 'test' });
    expect(bad.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'rate'],
      [3, 'currency'],
      [4, 'valid_from'],
    ]);
    const good = await importRates(database.db, file('currency,rate,valid_from,valid_to', 'USD,131.5,2030-01-01,', 'USD,132.25,2030-02-01,'), { importedBy: 'test' });
    expect(good.ok).toBe(false); // two open-ended rows for one currency overlap within the file
    const ok = await importRates(database.db, file('currency,rate,valid_from,valid_to', 'USD,131.5,2030-01-01,2030-01-31', 'USD,132.25,2030-02-01,'), { importedBy: 'test' });
    expect(ok).toMatchObject({ ok: true, loaded: 2 });
    const service = tariffService(tariffRepository(database.db));
    const { rates } = await service.exchangeRates(['USD'], '2030-01-15');
    expect(rates.get('USD')!.rate.toString()).toBe('131.5');
  });
});
