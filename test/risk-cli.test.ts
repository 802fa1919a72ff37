// `forodha risk train --csv` on a small KCS-format file made here: a new model version is
// stored with its held-out metrics and cut-offs, and --activate makes it the active one. Runs
// against a copy of the test database on PostgreSQL, else against an embedded database folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/platform/db/database.ts';
import { Rng } from '../src/modules/risk/model/index.ts';
import { fixedClock } from '../src/platform/clock.ts';
import { inTransaction } from '../src/platform/db/transaction.ts';
import { recordOutcome, riskEngine } from '../src/modules/risk/index.ts';
import { declaration, fixedId } from './risk-fixtures.ts';
import { testDatabase, type TestDatabase } from './db.ts';

const root = path.resolve(import.meta.dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-risk-cli-'));
let postgres: TestDatabase | undefined;

function cli(...args: string[]) {
  const env = postgres?.url ? { ...process.env, DATABASE_URL: postgres.url } : { ...process.env, DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '' };
  const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'src/cli.ts'), ...args], { env, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Opens the database the command wrote to (the embedded one only once the command has exited). */
async function withDb<T>(work: (database: Database) => Promise<T>): Promise<T> {
  if (postgres) {
    return work(postgres);
  }
  const database = await openDatabase({
    databaseUrl: undefined,
    dataDir: path.join(dir, 'data'),
    holder: 'risk cli test',
  });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

const header =
  'Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud';

/** 600 declarations over 2020: importers IMP000..IMP059, of whom every sixth cheats often. */
function kcsCsv(rows: number, fraud: (importer: number, rng: Rng) => boolean): string {
  const rng = new Rng(11);
  const lines = [header];
  for (let i = 0; i < rows; i++) {
    const importer = rng.int(60);
    const day = 1 + Math.floor((i / rows) * 360);
    const date = new Date(Date.UTC(2020, 0, day)).toISOString().slice(0, 10);
    const mass = (10 + rng.next() * 1000).toFixed(1);
    const price = (1000 + rng.next() * 100000).toFixed(1);
    const hs = ['440890', '690722', '851713', '610910'][rng.int(4)];
    const country = ['CN', 'BE', 'US', 'VN'][rng.int(4)];
    const label = fraud(importer, rng) ? 1 : 0;
    lines.push(
      [
        90000000 + i,
        date,
        30,
        'B',
        11,
        21,
        11,
        10,
        `DEC${rng.int(10)}`,
        `IMP${String(importer).padStart(3, '0')}`,
        `SEL${rng.int(30)}`,
        '',
        hs,
        country,
        country,
        '8.0',
        'A',
        'Y',
        mass,
        price,
        label,
        label,
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) {
    postgres = await testDatabase();
  }
});

afterAll(async () => {
  await postgres?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('forodha risk train', { timeout: 300_000 }, () => {
  it('trains on a KCS CSV, stores a model version with held-out metrics, and activates it', async () => {
    const file = path.join(dir, 'train.csv');
    fs.writeFileSync(
      file,
      kcsCsv(600, (importer, rng) => rng.next() < (importer % 6 === 0 ? 0.7 : 0.05)),
    );

    const r = cli('risk', 'train', '--csv', file, '--activate', '--rounds', '60', '--by', 'risk unit');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/train\.csv: 600 rows/);
    expect(r.out).toMatch(/model v1 \([0-9a-f-]{36}\), active/);
    expect(r.out).toMatch(/trained on 480 rows, measured on 120 held out \(time split from 2020-\d{2}-\d{2}\)/);
    expect(r.out).toMatch(/held-out fraud rate 0\.\d{3}, AUC 0\.\d{3}/);

    await withDb(async ({ db }) => {
      const models = await db.selectFrom('risk_model').selectAll().orderBy('version').execute();
      expect(models).toHaveLength(1);
      const m = models[0]!;
      expect(m).toMatchObject({
        version: 1,
        active: true,
        created_by: 'risk unit',
      });
      expect(m.trained_on).toMatchObject({
        source: 'csv',
        files: ['train.csv'],
        rows: 600,
        trainRows: 480,
        validationRows: 120,
        split: 'time',
        from: '2020-01-01',
      });
      const metrics = m.metrics as {
        precision: Record<string, number>;
        recall: Record<string, number>;
        auc: number;
        validationRows: number;
      };
      expect(Object.keys(metrics.precision)).toEqual(['1', '2', '5', '10']);
      expect(Object.keys(metrics.recall)).toEqual(['1', '2', '5', '10']);
      // The cheating importers are easy to find: the model ranks far better than chance.
      expect(metrics.auc).toBeGreaterThan(0.7);
      const thresholds = m.thresholds as {
        targetRates: unknown;
        cutoffs: { red: number; yellow: number };
        sampleSize: number;
      };
      expect(thresholds).toMatchObject({
        targetRates: { red: 0.03, yellow: 0.07 },
        sampleSize: 120,
      });
      expect(thresholds.cutoffs.red).toBeGreaterThanOrEqual(thresholds.cutoffs.yellow);
      expect((m.model as { format: string }).format).toBe('forodha.risk-model');
      const audit = await db.selectFrom('audit_event').select('action').where('entity_id', '=', m.id).orderBy('id').execute();
      expect(audit.map((a) => a.action)).toEqual(['risk.model_trained', 'risk.model_activated']);
    });

    // A second version without --activate: stored, the first stays active.
    const again = cli('risk', 'train', '--csv', file, '--rounds', '20', '--seed', '2');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/model v2 \([0-9a-f-]{36}\)\n/);
    await withDb(async ({ db }) => {
      const models = await db.selectFrom('risk_model').select(['version', 'active']).orderBy('version').execute();
      expect(models).toEqual([
        { version: 1, active: true },
        { version: 2, active: false },
      ]);
    });
  });

  it('trains from the inspected declarations of the database (--from-db)', async () => {
    // 80 decided and inspected declarations: the importer P0000000F0X cheats, the others rarely.
    await withDb(async ({ db }) => {
      const clock = fixedClock('2026-06-15T08:00:00Z');
      const engine = riskEngine({ db, clock });
      for (let i = 0; i < 80; i++) {
        const cheat = i % 4 === 0;
        const d = declaration(
          { SIGINON: fixedId(10 + (i % 3)), NMOTORS: fixedId(20 + (i % 8)) },
          { importerPin: `P0000000F${i % 8}X`, date: `2026-05-${String(1 + (i % 28)).padStart(2, '0')}` },
          { netMassKg: String(50 + i) },
        );
        await inTransaction(db, async (tx) => {
          await engine.record(tx, d, await engine.evaluate(d, tx));
          await recordOutcome(tx, {
            declarationId: d.declarationId,
            inspected: true,
            discrepancy: cheat ? i % 8 === 0 || i % 3 !== 0 : i % 13 === 0,
            extraRevenue: '0',
            findings: null,
            officerId: null,
          });
        });
      }
    });
    const r = cli('risk', 'train', '--from-db', '--rounds', '20');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/database: 80 item rows of inspected declarations/);
    expect(r.out).toMatch(/model v3 /);
    await withDb(async ({ db }) => {
      const m = await db.selectFrom('risk_model').selectAll().where('version', '=', 3).executeTakeFirstOrThrow();
      expect(m.trained_on).toMatchObject({ source: 'database', rows: 80, split: 'time', from: '2026-05-01', to: '2026-05-28' });
      expect(m.active).toBe(false);
    });
  });

  it('refuses to train without both outcomes, and explains its arguments', () => {
    const file = path.join(dir, 'no-fraud.csv');
    fs.writeFileSync(
      file,
      kcsCsv(100, () => false),
    );
    const r = cli('risk', 'train', '--csv', file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/not trained: training needs both outcomes/);
    const usage = cli('risk', 'train');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/give either --from-db or --csv FILE/);
  });
});
