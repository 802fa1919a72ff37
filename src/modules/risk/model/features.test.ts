import { describe, expect, it } from 'vitest';
import { FeatureBuilder } from './features.ts';
import { smoothedRate, assignFolds, outOfFoldEncode } from './target-encoding.ts';
import { syntheticRows } from './test-data.ts';
import type { RiskTrainingRow } from './types.ts';

const rows = syntheticRows(600, 1);
const prior = rows.reduce((s, r) => s + r.fraud, 0) / rows.length;

describe('profile features', () => {
  const fb = FeatureBuilder.fit(rows, {
    profiles: ['importer', 'hs6 x origin', 'hs6 x departure x origin x taxType'],
    smoothing: 5,
  });
  const col = (name: string): number => fb.names.indexOf(name);

  it('names the features and their explanation groups', () => {
    expect(fb.names.slice(0, 6)).toEqual([
      'importer:rate',
      'importer:count',
      'hs6 x origin:rate',
      'hs6 x origin:count',
      'hs6 x departure x origin x taxType:rate',
      'hs6 x departure x origin x taxType:count',
    ]);
    expect(fb.groups[col('logUnitValue')]).toBe('unitValue');
    expect(fb.groups[col('unitValueRatio')]).toBe('unitValue');
    expect(fb.prior).toBeCloseTo(prior, 12);
  });

  it('scores with the smoothed rate and count from all training rows', () => {
    const r = rows[0]!;
    const same = rows.filter((q) => q.importerId === r.importerId);
    const pos = same.reduce((s, q) => s + q.fraud, 0);
    const x = fb.encode(r);
    expect(x[col('importer:rate')]).toBeCloseTo(smoothedRate(pos, same.length, prior, 5), 12);
    expect(x[col('importer:count')]).toBe(same.length);
    const quad = rows.filter(
      (q) =>
        q.hsCode === r.hsCode &&
        q.departureCountry === r.departureCountry &&
        q.originCountry === r.originCountry &&
        q.taxType === r.taxType,
    );
    expect(x[col('hs6 x departure x origin x taxType:count')]).toBe(quad.length);
    expect(x[col('hs6 x departure x origin x taxType:rate')]).toBeCloseTo(
      smoothedRate(
        quad.reduce((s, q) => s + q.fraud, 0),
        quad.length,
        prior,
        5,
      ),
      12,
    );
  });

  it('gives a new party the global rate and no history; missing values are their own category', () => {
    const x = fb.encode({ ...rows[0]!, importerId: 'NEVER-SEEN', originCountry: 'ZZ' });
    expect(x[col('importer:rate')]).toBe(prior);
    expect(x[col('importer:count')]).toBe(0);
    expect(x[col('hs6 x origin:rate')]).toBe(prior);
    const empty = fb.encode({});
    expect(empty[col('importer:count')]).toBe(0);
    expect(Number.isNaN(empty[col('taxRate')]!)).toBe(true);
    expect(Number.isNaN(empty[col('importType:code')]!)).toBe(true);
  });

  it('encodes training rows out of fold', () => {
    const X = fb.trainingMatrix(rows, 3);
    const folds = assignFolds(rows.length, 5, 3);
    const { rate, count } = outOfFoldEncode(
      rows.map((r) => r.importerId!),
      rows.map((r) => r.fraud),
      folds,
      5,
      prior,
      5,
    );
    for (const i of [0, 10, 100, 599]) {
      expect(X[i * fb.size + col('importer:rate')]).toBe(rate[i]);
      expect(X[i * fb.size + col('importer:count')]).toBe(count[i]);
      // The non-profile features are the scoring ones.
      const x = fb.encode(rows[i]!);
      for (let f = col('taxRate'); f < fb.size; f++) {
        expect(X[i * fb.size + f]).toEqual(x[f]);
      }
    }
  });

  it('compares the unit value with the HS6 median', () => {
    const r = rows[5]!;
    const uv = (q: RiskTrainingRow): number => Math.log(q.itemPrice! / q.netMassKg!);
    const same = rows
      .filter((q) => q.hsCode === r.hsCode)
      .map(uv)
      .sort((a, b) => a - b);
    const med = same.length % 2 ? same[same.length >> 1]! : (same[same.length / 2 - 1]! + same[same.length / 2]!) / 2;
    const x = fb.encode(r);
    expect(x[col('logUnitValue')]).toBeCloseTo(uv(r), 12);
    expect(x[col('unitValueRatio')]).toBeCloseTo(uv(r) - med, 12);
    expect(Number.isNaN(fb.encode({ ...r, netMassKg: 0 })[col('unitValueRatio')]!)).toBe(true);
  });

  it('codes procedural fields by frequency', () => {
    expect(fb.encode({ importType: '11' })[col('importType:code')]).toBe(0);
    expect(fb.encode({ importType: '87' })[col('importType:code')]).toBe(1);
    expect(Number.isNaN(fb.encode({ importType: '99' })[col('importType:code')]!)).toBe(true);
  });

  it('describes groups in words', () => {
    const r = rows[0]!;
    // 10 declarations, 2 frauds; importer A: 3 declarations, 1 fraud.
    const tiny = FeatureBuilder.fit(
      Array.from(
        { length: 10 },
        (_, i) => ({ importerId: i < 3 ? 'A' : 'B', fraud: i === 0 || i === 9 ? 1 : 0 }) as const,
      ),
      { profiles: ['importer'] },
    );
    expect(tiny.describe('importer', { importerId: 'A' })).toBe(
      "importer A's past fraud rate 33% over 3 inspected declarations (global 20%)",
    );
    expect(tiny.describe('importer', { importerId: 'B' })).toBe(
      "importer B's past fraud rate 14% over 7 inspected declarations (global 20%)",
    );
    expect(fb.describe('importer', { importerId: 'NEW' })).toMatch(/^importer NEW: no history \(global \d+%\)$/);
    expect(fb.describe('hs6 x origin', r)).toMatch(
      new RegExp(`^HS6 ${r.hsCode}, origin ${r.originCountry}: past fraud rate \\d+% over \\d+ inspected`),
    );
    expect(fb.describe('unitValue', r)).toMatch(
      /^unit value [\d,.]+ KRW\/kg vs HS6 median [\d,.]+ KRW\/kg \([\d.]+x\)$/,
    );
    expect(fb.describe('taxRate', { taxRate: 8 })).toBe('duty rate 8%');
    expect(fb.describe('transportMode', { transportMode: '40' })).toBe('mode of transport 40');
  });

  it('survives a JSON round trip', () => {
    const back = FeatureBuilder.fromJSON(JSON.parse(JSON.stringify(fb.toJSON())));
    for (const r of rows.slice(0, 50)) {
      expect([...back.encode(r)]).toEqual([...fb.encode(r)]);
    }
    expect(back.names).toEqual(fb.names);
  });

  it('parses profile names and rejects unknown parts', () => {
    expect(FeatureBuilder.fit(rows, { profiles: ['hs6 × taxType', 'importer*seller'] }).names.slice(0, 3)).toEqual([
      'hs6 × taxType:rate',
      'hs6 × taxType:count',
      'importer*seller:rate',
    ]);
    expect(() => FeatureBuilder.fit(rows, { profiles: ['importer x colour'] })).toThrow(
      /unknown profile part "colour"/,
    );
  });
});
