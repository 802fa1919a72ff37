// forodha reliefs import: the whole file checked first, every bad line reported with its number,
// nothing loaded unless every line is good; --dry-run loads nothing; the shipped sample loads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from './cli-run.ts';

describe('forodha reliefs import', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-reliefs-'));
  const bad = path.join(dataDir, 'bad.csv');
  const header = 'cpc,document_code,hs_prefix,charge,kind,rate,required_document,letter_required,name,valid_from,valid_to,note';
  fs.writeFileSync(bad, [header, '4000411,,,ID,full,,DIPN,no,diplomatic-privileges,2005-01-01,,', '4000411,,,VAT,rate,,XXXX,maybe,diplomatic,2005-01-01,,', '1234567,,87x,ID,full,,,,ok-name,2005-01-01,,'].join('\n'));
  const sample = path.join(root, 'src/modules/relief/data/kenya-sample-reliefs.csv');

  it('reports every bad line and loads nothing', () => {
    const r = cli(dataDir, 'reliefs', 'import', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NOT loaded, nothing was changed/);
    for (const expected of [/line 3 required_document: "XXXX"/, /line 3 rate/, /line 3 letter_required/, /line 4 cpc: "1234567"/, /line 4 hs_prefix/]) {
      expect(r.err).toMatch(expected);
    }
  });

  it('checks the sample with --dry-run, then loads it, then finds it unchanged', () => {
    const rows = fs.readFileSync(sample, 'utf8').split('\n').filter((l) => /^\d{7},/.test(l)).length;
    const dry = cli(dataDir, 'reliefs', 'import', sample, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(new RegExp(`${rows} rows checked; would load ${rows}`));
    const load = cli(dataDir, 'reliefs', 'import', sample, '--by', 'relief unit');
    expect(load.out).toMatch(new RegExp(`loaded ${rows}, unchanged 0`));
    const again = cli(dataDir, 'reliefs', 'import', sample);
    expect(again.out).toMatch(new RegExp(`loaded 0, unchanged ${rows}`));
  });
});
