// The command line against the embedded database: loading files, reporting bad rows, and refusing
// to touch a database folder that a running server holds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-run.ts';
import { openDatabase } from '../src/platform/db/database.ts';

const header = 'hs_code,description,unit,import_duty_rate,import_duty_specific,import_duty_specific_unit,excise_rate,excise_specific,excise_specific_unit,specific_currency,vat,valid_from,valid_to';

// Each run starts a process that opens PGlite (WebAssembly) and migrates: allow for a slow machine.
describe('forodha tariff import', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-cli-'));
  const good = path.join(dataDir, 'good.csv');
  const bad = path.join(dataDir, 'bad.csv');
  fs.writeFileSync(good, [header, '8471.30.00,Laptops,NAR,0,,,,,,,standard,2025-01-01,', '8517.13.00,Smartphones,NAR,25,,,10,,,,standard,2025-01-01,'].join('\n'));
  fs.writeFileSync(bad, [header, '8471.30.00,Laptops,NAR,0,,,,,,,standard,2025-01-01,', '8517.13.00,Smartphones,BOX,25,,,10,,,,standard,2025-01-01,', 'X,,NAR,,,,,,,,maybe,soon,'].join('\n'));

  it('reports every bad line and loads nothing', () => {
    const r = cli(dataDir, 'tariff', 'import', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NOT loaded, nothing was changed/);
    expect(r.err).toMatch(/line 3 unit: unknown unit "BOX"; use a UN\/ECE Rec 20 code/);
    expect(r.err).toMatch(/line 4 hs_code/);
    expect(r.err).toMatch(/line 4 vat/);
    expect(r.err).toMatch(/line 4 valid_from/);
  });

  it('loads a good file into the embedded database', () => {
    const r = cli(dataDir, 'tariff', 'import', good, '--by', 'tariff unit');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 rows checked; loaded 2/);
    const again = cli(dataDir, 'tariff', 'import', good);
    expect(again.out).toMatch(/loaded 0, unchanged 2/);
  });

  it('verifies the audit trail from the command line', () => {
    const r = cli(dataDir, 'audit', 'verify');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/audit trail: \d+ records in \d+ chains; every chain verifies/);
  });

  it('refuses clearly while another process holds the embedded database, changing nothing', async () => {
    const held = await openDatabase({ databaseUrl: undefined, dataDir, holder: 'the Forodha server' });
    try {
      const r = cli(dataDir, 'tariff', 'import', good);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/in use by the Forodha server \(process \d+/);
      expect(r.err).toMatch(/set DATABASE_URL/);
    } finally {
      await held.close();
    }
  });
});
