// The learned model inside the engine: cut-offs that give the target inspection rates, the AEO
// reduction of model selections, explanations in words, decisions recorded with the model
// version, outcomes as training labels (idempotent), and training from this database.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/platform/db/transaction.ts';
import { Rng } from '../src/modules/risk/model/index.ts';
import { activateModel, cutoffsFor, deriveThresholds, recordOutcome, storeModel, trainingRows, trainingRowsFromDatabase, trainModel, type DeclarationForRisk } from '../src/modules/risk/index.ts';
import { analyst, declaration, fixedId, riskBench, type RiskBench } from './risk-fixtures.ts';

let bench: RiskBench;

beforeAll(async () => {
  bench = await riskBench();
  await bench.change((tx) =>
    bench.risk.addSetting(tx, analyst, {
      key: 'random.rate',
      value: 0,
      validFrom: '2026-01-01',
    }),
  );
});

afterAll(async () => {
  await bench.close();
});

describe('thresholds as target inspection rates', () => {
  it('cut-offs read from a score sample select the target shares of that sample', () => {
    const rng = new Rng(42);
    const scores = Array.from({ length: 10_000 }, () => rng.next() ** 3);
    const t = deriveThresholds(scores, { red: 0.03, yellow: 0.07 }, 'validation', new Date('2026-06-15T00:00:00Z'));
    const share = (cut: number) => scores.filter((s) => s >= cut).length / scores.length;
    expect(t.sample.length).toBe(2000);
    expect(share(t.cutoffs.red)).toBeCloseTo(0.03, 2);
    expect(share(t.cutoffs.yellow)).toBeCloseTo(0.1, 2);
    // AEO: the same rates times 0.25.
    const aeo = cutoffsFor(t.sample, t.targetRates, 0.25);
    expect(share(aeo.red)).toBeCloseTo(0.0075, 3);
    expect(share(aeo.yellow)).toBeCloseTo(0.025, 2);
    // A rate of zero selects nobody.
    expect(cutoffsFor(t.sample, { red: 0, yellow: 0 }, 1).red).toBe(Number.POSITIVE_INFINITY);
  });
});

/**
 * Synthetic declarations with a known fraud mechanism: a tenth of the importers cheat often,
 * and undervalued goods (low value per kg) are more often fraudulent.
 */
function synthetic(n: number, seed: number, dates: [string, string]) {
  const rng = new Rng(seed);
  // The same parties in every call: new declarations come from parties the model knows.
  const importers = Array.from({ length: 150 }, (_, i) => ({
    pin: `P${String(100000000 + i).padStart(9, '0')}X`,
    id: fixedId(1_000_000 + i),
    cheat: i % 10 === 0,
  }));
  const declarants = Array.from({ length: 15 }, (_, i) => fixedId(2_000_000 + i));
  const hs = ['6109100000', '8471300000', '8517130000', '3004900000', '8703230000', '6403990000', '3926909000', '8528720000'];
  const origins = ['CN', 'IN', 'AE', 'TR', 'JP', 'DE'];
  const from = new Date(`${dates[0]}T00:00:00Z`).getTime();
  const span = new Date(`${dates[1]}T00:00:00Z`).getTime() - from;
  const out: { d: DeclarationForRisk; fraud: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    const importer = importers[rng.int(importers.length)]!;
    const mass = Math.round(Math.exp(2 + rng.next() * 6));
    const perKg = Math.exp(4 + rng.next() * 4);
    const cheapness = rng.next();
    const value = perKg * mass * (cheapness < 0.15 ? 0.2 : 1);
    const p = 0.03 + (importer.cheat ? 0.45 : 0) + (cheapness < 0.15 ? 0.2 : 0);
    const d = declaration(
      {
        SIGINON: declarants[rng.int(declarants.length)]!,
        NMOTORS: importer.id,
      },
      {
        importerPin: importer.pin,
        date: new Date(from + rng.next() * span).toISOString().slice(0, 10),
        departureCountry: origins[rng.int(origins.length)]!,
      },
      {
        hsCode: hs[rng.int(hs.length)]!,
        originCountry: origins[rng.int(origins.length)]!,
        netMassKg: String(mass),
        customsValue: value.toFixed(2),
      },
    );
    out.push({ d, fraud: rng.next() < p });
  }
  return out;
}

describe('the active model in the engine', () => {
  let model: { id: string; version: number };
  const history = synthetic(6000, 7, ['2026-01-01', '2026-05-31']);

  beforeAll(async () => {
    const rows = history.flatMap(({ d, fraud }) => trainingRows(d, fraud));
    const trained = trainModel(rows, {
      source: 'database',
      seed: 3,
      holdout: 0.5,
      targetRates: { red: 0.03, yellow: 0.07 },
      currency: 'KES',
      now: bench.clock.now(),
      rounds: 80,
    });
    // The model learnt something real: held-out AUC well above chance, precision above the base rate.
    expect(trained.metrics.auc).toBeGreaterThan(0.7);
    expect(trained.metrics.precision['5']).toBeGreaterThan(trained.metrics.fraudRate! * 1.5);
    expect(trained.trainedOn).toMatchObject({
      split: 'time',
      rows: 6000,
      trainRows: expect.any(Number),
      validationRows: expect.any(Number),
    });
    model = await inTransaction(bench.db, async (tx) => {
      const stored = await storeModel(tx, trained, analyst.actor, bench.clock.now());
      await activateModel(tx, stored.id, analyst.actor, bench.clock.now());
      return stored;
    });
    await bench.engine.refresh();
  });

  it('sends about the target shares of new declarations to red and yellow, and a quarter of that for AEO importers', async () => {
    const fresh = synthetic(4000, 99, ['2026-06-15', '2026-06-15']);
    const counts = { red: 0, yellow: 0, aeoRed: 0, aeoYellow: 0 };
    for (const { d } of fresh) {
      const decision = await bench.engine.evaluate(d, bench.db);
      expect(decision.model).toMatchObject({
        id: model.id,
        version: model.version,
      });
      expect(decision.score).toBeGreaterThanOrEqual(0);
      if (decision.selectedBy.includes('model')) {
        counts[decision.channel as 'red' | 'yellow']++;
      }
      const aeo = await bench.engine.evaluate({ ...d, importerAeo: true }, bench.db);
      if (aeo.selectedBy.includes('model')) {
        counts[aeo.channel === 'red' ? 'aeoRed' : 'aeoYellow']++;
      }
    }
    const n = fresh.length;
    // Cut-offs come from 3,000 held-out scores: the rates on new declarations are near 3% and 3+7%.
    expect(counts.red / n).toBeGreaterThan(0.02);
    expect(counts.red / n).toBeLessThan(0.045);
    expect((counts.red + counts.yellow) / n).toBeGreaterThan(0.075);
    expect((counts.red + counts.yellow) / n).toBeLessThan(0.125);
    // AEO: a quarter of that, 0.75% and 2.5%.
    expect(counts.aeoRed / n).toBeGreaterThan(0.003);
    expect(counts.aeoRed / n).toBeLessThan(0.015);
    expect((counts.aeoRed + counts.aeoYellow) / n).toBeGreaterThan(0.015);
    expect((counts.aeoRed + counts.aeoYellow) / n).toBeLessThan(0.04);
    expect(counts.aeoRed + counts.aeoYellow).toBeLessThan((counts.red + counts.yellow) * 0.5);
  });

  it('explains a model selection in words and records it with the model version', async () => {
    // A cheating importer's undervalued goods: among the riskiest.
    const cheat = history.find((h) => h.d.importerPin === 'P100000000X')!.d;
    const d = declaration(
      { SIGINON: cheat.declarantOrgId, NMOTORS: cheat.importerOrgId },
      { importerPin: cheat.importerPin, departureCountry: 'CN' },
      { hsCode: '6109100000', customsValue: '500.00', netMassKg: '400' },
    );
    const decision = await bench.engine.evaluate(d, bench.db);
    expect(decision.selectedBy).toContain('model');
    expect(decision.reasons[0]).toMatch(new RegExp(`^risk model v${model.version}: score 0\\.\\d{3} of item 1 is in the top (3|10)% of declarations`));
    expect(decision.reasons.join('\n')).toMatch(/importer P100000000X.* past fraud rate \d+% over \d+ inspected declaration/);
    expect(decision.version).toBe(`model v${model.version}; no rule hit`);

    await inTransaction(bench.db, (tx) => bench.engine.record(tx, d, decision));
    const stored = await bench.risk.selection(bench.db, d.declarationId);
    expect(stored).toMatchObject({
      channel: decision.channel,
      model: { id: model.id, version: model.version },
      selectedBy: ['model'],
      random: false,
    });
    expect(stored.score).toBeCloseTo(decision.score!, 10);
  });

  it('records one outcome per declaration, idempotently, and learns from it at the next training', async () => {
    const decided: { d: DeclarationForRisk; fraud: boolean }[] = synthetic(60, 5, ['2026-06-01', '2026-06-10']);
    for (const { d, fraud } of decided) {
      await inTransaction(bench.db, async (tx) => {
        await bench.engine.record(tx, d, await bench.engine.evaluate(d, tx));
        await recordOutcome(tx, {
          declarationId: d.declarationId,
          inspected: true,
          discrepancy: fraud,
          extraRevenue: fraud ? '12500.00' : '0',
          findings: { hsCode: fraud ? 'misclassified' : 'ok' },
          officerId: 'u-officer',
        });
      });
    }
    const first = decided[0]!;
    const again = await inTransaction(bench.db, (tx) =>
      recordOutcome(tx, {
        declarationId: first.d.declarationId,
        inspected: true,
        discrepancy: first.fraud,
        extraRevenue: first.fraud ? '12500' : '0.00',
        findings: { hsCode: first.fraud ? 'misclassified' : 'ok' },
        officerId: 'u-officer',
      }),
    );
    expect(again.changed).toBe(false);
    const outcomes = await bench.db.selectFrom('risk_outcome').selectAll().where('declaration_id', '=', first.d.declarationId).execute();
    expect(outcomes).toHaveLength(1);
    const audits = await bench.db.selectFrom('audit_event').select('action').where('entity_id', '=', first.d.declarationId).execute();
    expect(audits.map((a) => a.action)).toEqual(['risk.outcome_recorded']);
    await expect(
      inTransaction(bench.db, (tx) =>
        recordOutcome(tx, {
          declarationId: randomUUID(),
          inspected: false,
          discrepancy: true,
          extraRevenue: '0',
          findings: null,
          officerId: null,
        }),
      ),
    ).rejects.toThrow(/inspection/);

    // An amendment's new decision supersedes the old one: training reads the current facts only.
    const amended = {
      ...first.d,
      items: [{ ...first.d.items[0]!, hsCode: '6110200000' }],
    };
    await inTransaction(bench.db, async (tx) => bench.engine.record(tx, amended, await bench.engine.evaluate(amended, tx)));

    const rows = await trainingRowsFromDatabase(bench.db);
    expect(rows).toHaveLength(60);
    expect(rows.filter((r) => r.fraud === 1)).toHaveLength(decided.filter((x) => x.fraud).length);
    const mine = rows.find((r) => r.declarationId === first.d.reference)!;
    expect(mine).toMatchObject({
      hsCode: '6110200000',
      importerId: first.d.importerPin,
      officeId: 'MBA',
      transportMode: 'sea',
      fraud: first.fraud ? 1 : 0,
    });
    expect(mine.itemPrice).toBeCloseTo(Number(first.d.items[0]!.customsValue), 2);
  });
});
