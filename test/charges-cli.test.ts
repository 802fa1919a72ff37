// forodha charges import: tax heads and their rates are data. The whole file is checked first,
// every bad entry reported with its number, nothing loaded unless all are good; a new version
// closes the open one; history already loaded cannot be rewritten.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from './cli-run.ts';

const shipped = JSON.parse(fs.readFileSync(path.join(root, 'src/modules/tariff/data/kenya-charges.json'), 'utf8')) as { chargeTypes: object[]; chargeRates: object[] };

describe('forodha charges import', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-charges-'));
  const write = (name: string, content: unknown) => {
    const file = path.join(dataDir, name);
    fs.writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it('reports every bad entry and loads nothing', () => {
    const bad = write('bad.json', {
      chargeTypes: [
        ...shipped.chargeTypes,
        { code: 'sdl', name: 'Sugar development levy', base: 'value_plus', rateSource: 'schedule', sequence: 45, validFrom: '2024-07-01' },
      ],
      chargeRates: [
        { charge: 'VAT', hsPrefix: '', rate: '18', validFrom: '2027-13-01' },
        { charge: 'XYZ', hsPrefix: '1701', rate: '4', validFrom: '2024-07-01' },
        { charge: 'RML', hsPrefix: '27101210', specific: '18', validFrom: '2027-01-01' },
      ],
    });
    const r = cli(dataDir, 'charges', 'import', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NOT loaded, nothing was changed/);
    for (const expected of [/chargeTypes entry 9: code must be/, /chargeTypes entry 9: plus lists/, /chargeRates entry 1: validFrom/, /chargeRates entry 2: charge XYZ is not among/, /chargeRates entry 3: specific and unit go together/]) {
      expect(r.err).toMatch(expected);
    }
  });

  it('adds a new rate version that closes the open one, then finds the file unchanged', () => {
    const next = write('vat-2027.json', {
      chargeTypes: shipped.chargeTypes,
      chargeRates: [...shipped.chargeRates, { charge: 'VAT', hsPrefix: '', rate: '18', validFrom: '2027-01-01', note: 'a future rate' }],
    });
    const dry = cli(dataDir, 'charges', 'import', next, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/would load 1, unchanged \d+, earlier versions closed 1/);
    const load = cli(dataDir, 'charges', 'import', next, '--by', 'tax policy unit');
    expect(load.code).toBe(0);
    expect(load.out).toMatch(/loaded 1, unchanged \d+, earlier versions closed 1/);
    const again = cli(dataDir, 'charges', 'import', next);
    expect(again.out).toMatch(/loaded 0, unchanged/);
  });

  it('refuses to rewrite a rate already loaded: an assessment may rest on it', () => {
    const rewritten = write('rewrite.json', {
      chargeTypes: shipped.chargeTypes,
      chargeRates: shipped.chargeRates.map((r) => ((r as { charge: string; validFrom: string }).charge === 'IDF' && (r as { validFrom: string }).validFrom === '2023-07-01' ? { ...r, rate: '2' } : r)),
    });
    const r = cli(dataDir, 'charges', 'import', rewritten);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/IDF rate for "" from 2023-07-01 is already loaded with other figures; give the change a new validFrom/);
  });
});
