// forodha crsp import against the embedded database: every bad line reported, nothing loaded;
// a dry run loads nothing; a good file loads all-or-nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-run.ts';

const header = 'make,model,body,engine_cc,fuel,drive,price_kes,valid_from,valid_to,note';

describe('forodha crsp import', { timeout: 240_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-crsp-cli-'));
  const good = path.join(dataDir, 'good.csv');
  const bad = path.join(dataDir, 'bad.csv');
  fs.writeFileSync(good, [header, 'TOYOTA,VITZ,HATCHBACK,996,petrol,2WD,1650000,2025-07-01,,', 'NISSAN,NOTE,HATCHBACK,1198,petrol,2WD,1750000,2025-07-01,,'].join('\n'));
  fs.writeFileSync(bad, [header, 'TOYOTA,VITZ,HATCHBACK,996,petrol,2WD,1650000,2025-07-01,,', 'NISSAN,NOTE,HATCHBACK,1198,lpg,2WD,1750000,2025-07-01,,', ',,,,,,free,soon,,'].join('\n'));

  it('reports every bad line and loads nothing; a dry run loads nothing; a good file loads', () => {
    const r = cli(dataDir, 'crsp', 'import', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NOT loaded, nothing was changed/);
    expect(r.err).toMatch(/line 3 fuel: "lpg" is not allowed/);
    expect(r.err).toMatch(/line 4 make/);
    expect(r.err).toMatch(/line 4 price_kes/);
    expect(r.err).toMatch(/line 4 valid_from/);
    const dry = cli(dataDir, 'crsp', 'import', good, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/2 rows checked; would load 2/);
    const loaded = cli(dataDir, 'crsp', 'import', good, '--by', 'valuation unit');
    expect(loaded.code).toBe(0);
    expect(loaded.out).toMatch(/2 rows checked; loaded 2/);
  });
});
