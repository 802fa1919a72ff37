import { describe, expect, it } from 'vitest';
import { RiskModel, trainRiskModel } from './model.ts';
import { rocAuc } from './metrics.ts';
import { syntheticRows } from './test-data.ts';

const train = syntheticRows(2000, 1);
const test = syntheticRows(1000, 2);
const model = trainRiskModel(train, { seed: 7, gbdt: { nRounds: 40 } });

describe('risk model', () => {
  it('learns the fraud mechanism and generalises to new declarations', () => {
    const scores = model.scoreMany(test);
    expect(scores.every((s) => s > 0 && s < 1)).toBe(true);
    expect(
      rocAuc(
        scores,
        test.map((r) => r.fraud),
      ),
    ).toBeGreaterThan(0.75);
    const base = { ...test[0]!, importerId: 'IMP20', hsCode: '392690', originCountry: 'CN', departureCountry: 'CN' };
    expect(model.score({ ...base, importerId: 'IMP1' })).toBeGreaterThan(model.score(base) + 0.2); // a cheat
    expect(model.score({ ...base, hsCode: '950300', originCountry: 'VN', departureCountry: 'VN' })).toBeGreaterThan(
      model.score({ ...base, hsCode: '950300' }),
    );
    expect(model.score({})).toBeGreaterThan(0); // nothing known: still a probability
  });

  it('reports training metrics', () => {
    expect(model.metrics).toMatchObject({ rows: 2000, trees: 40, features: model.features.size });
    expect(model.metrics.fraudRate).toBeCloseTo(train.reduce((s, r) => s + r.fraud, 0) / 2000, 12);
    expect(model.metrics.auc).toBeGreaterThan(0.7);
    expect(Object.keys(model.metrics.precision)).toEqual(['1', '2', '5', '10']);
    expect(model.metrics.trainSeconds).toBeGreaterThan(0);
  });

  it('explains a score by feature group, largest first, in words', () => {
    const row = { ...test[0]!, importerId: 'IMP2' };
    const reasons = model.explain(row, 3);
    expect(reasons).toHaveLength(3);
    for (let i = 1; i < reasons.length; i++) {
      expect(Math.abs(reasons[i - 1]!.contribution)).toBeGreaterThanOrEqual(Math.abs(reasons[i]!.contribution));
    }
    const imp = model.explain(row, 100).find((r) => r.feature === 'importer')!;
    expect(imp.contribution).toBeGreaterThan(0);
    expect(imp.text).toMatch(/^importer IMP2's past fraud rate \d+% over \d+ inspected declarations \(global \d+%\)$/);
    // All groups together with the bias give the log-odds of the score.
    const all = model.explain(row, 1000);
    expect(new Set(all.map((r) => r.feature)).size).toBe(all.length);
    const bias = model.gbdt.contributions(model.features.encode(row)).at(-1)!;
    const logit = Math.log(model.score(row) / (1 - model.score(row)));
    expect(all.reduce((s, r) => s + r.contribution, bias)).toBeCloseTo(logit, 9);
    expect(model.explain(row, 10, { direction: 'raise' }).every((r) => r.contribution > 0)).toBe(true);
  });

  it('round-trips through JSON with identical scores and explanations', () => {
    const text = JSON.stringify(model.toJSON());
    const back = RiskModel.fromJSON(text);
    for (const r of test.slice(0, 100)) {
      expect(back.score(r)).toBe(model.score(r));
    }
    expect(back.explain(test[3]!, 4)).toEqual(model.explain(test[3]!, 4));
    expect(back.metrics).toEqual(model.metrics);
    expect(back.createdAt).toBe(model.createdAt);
    expect(() => RiskModel.fromJSON({ ...model.toJSON(), format: 'other' as never })).toThrow(/not a risk model/);
  });

  it('is reproducible for a seed; undefined options mean defaults', () => {
    const small = train.slice(0, 800);
    const a = trainRiskModel(small, { seed: 3, gbdt: { nRounds: 20, learningRate: undefined } });
    const b = trainRiskModel(small, { seed: 3, gbdt: { nRounds: 20 }, features: { currency: undefined } });
    expect(JSON.stringify(a.toJSON().gbdt)).toBe(JSON.stringify(b.toJSON().gbdt));
    expect(b.features.options.currency).toBe('KRW');
  });

  it('copes with tiny training sets', () => {
    const m = trainRiskModel(train.slice(0, 5), { gbdt: { nRounds: 5 } });
    expect(m.score(test[0]!)).toBeGreaterThan(0);
    expect(m.metrics.precision['1']).toBeNull(); // nobody to inspect at 1% of 5 rows
    expect(RiskModel.fromJSON(JSON.stringify(m.toJSON())).metrics).toEqual(m.metrics);
    expect(() => trainRiskModel([])).toThrow();
  });
});
