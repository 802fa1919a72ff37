import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { importCrsp, vehicleService } from './index.ts';

const header = 'make,model,body,engine_cc,fuel,drive,price_kes,valid_from,valid_to,note';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-crsp-'));
let n = 0;
function file(...lines: string[]): string {
  const f = path.join(dir, `f${n++}.csv`);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

let database: TestDatabase;
const count = async () => Number((await sql<{ n: string }>`select count(*) as n from crsp_entry`.execute(database.db)).rows[0]!.n);

beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});

describe('CRSP import', () => {
  it('loaded the sample schedule with the demo', async () => {
    expect(await count()).toBeGreaterThanOrEqual(30);
  });

  it('reports every bad row with its line number and reason, and loads nothing', async () => {
    const before = await count();
    const f = file(
      '# a comment line is skipped',
      header,
      'TESTA,GOOD,SEDAN,1496,petrol,2WD,2000000,2026-01-01,,',
      ',NOMAKE,SEDAN,1496,petrol,2WD,2000000,2026-01-01,,',
      'TESTA,BADCC,SEDAN,1.5L,petrol,2WD,2000000,2026-01-01,,',
      'TESTA,BADFUEL,SEDAN,1496,gas,2WD,2000000,2026-01-01,,',
      'TESTA,BADPRICE,SEDAN,1496,petrol,2WD,-5,2026-01-01,,',
      'TESTA,CENTS,SEDAN,1496,petrol,2WD,2000000.555,2026-01-01,,',
      'TESTA,BADDATE,SEDAN,1496,petrol,2WD,2000000,2026-02-30,,',
      'TESTA,ENDS,SEDAN,1496,petrol,2WD,2000000,2026-05-01,2026-04-01,',
      'testa,good,sedan,1496,PETROL,2wd,2100000,2026-03-01,,overlaps line 3 (case does not make a new variant)',
    );
    const report = await importCrsp(database.db, f, { importedBy: 'test' });
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => [e.line, e.field])).toEqual([
      [4, 'make'],
      [5, 'engine_cc'],
      [6, 'fuel'],
      [7, 'price_kes'],
      [8, 'price_kes'],
      [9, 'valid_from'],
      [10, 'valid_to'],
      [11, 'valid_from'],
    ]);
    expect(report.errors.find((e) => e.line === 6)!.message).toContain('petrol, diesel, hybrid-petrol');
    expect(report.errors.find((e) => e.line === 11)!.message).toContain('overlaps line 3');
    expect(await count()).toBe(before);
  });

  it('refuses a header without the required columns, naming them', async () => {
    const report = await importCrsp(database.db, file('make,model,price_kes', 'A,B,1'), { importedBy: 'test' });
    expect(report.ok).toBe(false);
    expect(report.errors[0]).toMatchObject({ line: 1 });
    expect(report.errors[0]!.message).toContain('engine_cc, fuel, valid_from');
  });

  it('a dry run checks and loads nothing; a new price closes the earlier version the day before', async () => {
    const before = await count();
    const first = file(header, 'TESTB,ONE,SUV,1998,diesel,4WD,3000000,2026-01-01,,');
    const dry = await importCrsp(database.db, first, { importedBy: 'test', dryRun: true });
    expect(dry).toMatchObject({ ok: true, loaded: 1 });
    expect(await count()).toBe(before);
    expect(await importCrsp(database.db, first, { importedBy: 'test' })).toMatchObject({ ok: true, loaded: 1 });
    // The same file again changes nothing.
    expect(await importCrsp(database.db, first, { importedBy: 'test' })).toMatchObject({ ok: true, loaded: 0, unchanged: 1 });
    const later = await importCrsp(database.db, file(header, 'TESTB,ONE,SUV,1998,diesel,4WD,3300000,2026-07-01,,'), { importedBy: 'test' });
    expect(later).toMatchObject({ ok: true, loaded: 1, closed: 1 });
    const crsp = vehicleService(database.db);
    const june = await crsp.find({ make: 'testb', model: 'one', fuel: 'diesel', engineCc: 1998 }, '2026-06-30');
    const july = await crsp.find({ make: 'TestB', model: 'One', fuel: 'diesel', engineCc: 1998 }, '2026-07-01');
    expect(june.ok && june.price.toString()).toBe('3000000');
    expect(july.ok && july.price.toString()).toBe('3300000');
    expect(june.ok && june.ref.validTo).toBe('2026-06-30');
    // A different price for a start already loaded is refused: history is never rewritten.
    const rewrite = await importCrsp(database.db, file(header, 'TESTB,ONE,SUV,1998,diesel,4WD,2900000,2026-01-01,,'), { importedBy: 'test' });
    expect(rewrite.ok).toBe(false);
    expect(rewrite.errors[0]!.message).toContain('versions are never overwritten');
  });
});

describe('CRSP lookup', () => {
  const crsp = () => vehicleService(database.db);
  it('matches make, model, fuel and engine size without case; body and drive when declared', async () => {
    const found = await crsp().find({ make: 'toyota', model: 'harrier', fuel: 'petrol', engineCc: 1986, drive: '4wd' }, '2025-09-01');
    expect(found).toMatchObject({ ok: true, variant: 'TOYOTA HARRIER SUV 1986 cc petrol 4WD' });
    expect(found.ok && found.price.toString()).toBe('5950000');
  });
  it('refuses to guess between variants at different prices', async () => {
    const found = await crsp().find({ make: 'TOYOTA', model: 'HARRIER', fuel: 'petrol', engineCc: 1986 }, '2025-09-01');
    expect(found).toMatchObject({ ok: false, code: 'crsp_ambiguous' });
    expect(!found.ok && found.message).toContain('declare vehicle.body and vehicle.drive');
  });
  it('says when there is no row, and what the list has', async () => {
    const found = await crsp().find({ make: 'TOYOTA', model: 'HARRIER', fuel: 'diesel', engineCc: 2200 }, '2025-09-01');
    expect(found).toMatchObject({ ok: false, code: 'crsp_not_found' });
    expect(!found.ok && found.message).toContain('/api/v1/vehicles/crsp?make=TOYOTA&model=HARRIER');
    const before = await crsp().find({ make: 'TOYOTA', model: 'HARRIER', fuel: 'petrol', engineCc: 1986, drive: '2WD' }, '2025-06-30');
    expect(before.ok).toBe(false);
  });
});
