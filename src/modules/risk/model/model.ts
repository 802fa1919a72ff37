/**
 * The learned risk model: profile features + gradient-boosted trees, with explanations,
 * training metrics and a JSON form for storage and versioning.
 */
import { FeatureBuilder, type FeatureBuilderJSON, type FeatureOptions } from './features.ts';
import { Gbdt, trainGbdt, type GbdtJSON, type GbdtParams } from './gbdt.ts';
import { logLoss, rocAuc, selectionMetrics } from './metrics.ts';
import type { RiskInput, RiskReason, RiskTrainingRow } from './types.ts';

export const RISK_MODEL_FORMAT = 'forodha.risk-model';
export const RISK_MODEL_FORMAT_VERSION = 1;

/** Like Partial<T>, but an explicit `undefined` also means "use the default". */
export type Overrides<T> = { [K in keyof T]?: T[K] | undefined };

export interface RiskModelOptions {
  /** Seed for folds, row and column sampling. */
  seed?: number | undefined;
  features?: Overrides<FeatureOptions> | undefined;
  gbdt?: Overrides<GbdtParams> | undefined;
}

/** Drop undefined entries so that they do not override defaults when spread. */
function defined<T extends object>(o: Overrides<T> | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (o) {
    for (const [k, v] of Object.entries(o)) {
      if (v !== undefined) {
        (out as Record<string, unknown>)[k] = v;
      }
    }
  }
  return out;
}

/** Recommended settings (chosen on the KCS 2020 -> 2021Q1 benchmark, see bench/risk.ts). */
export const DEFAULT_RISK_GBDT: Partial<GbdtParams> = {
  nRounds: 120,
  learningRate: 0.1,
  maxLeaves: 31,
  maxDepth: 0,
  growth: 'leafwise',
  minSamplesLeaf: 40,
  lambda: 5,
  subsample: 0.8,
  colsample: 0.7,
  maxBins: 255,
};

export interface RiskModelMetrics {
  /** Training rows. */
  rows: number;
  /** Share of fraud in the training rows. */
  fraudRate: number;
  /**
   * In-sample figures on the (out-of-fold encoded) training matrix: optimistic. null when
   * undefined (a single class, or too few rows to inspect any at that percentage).
   */
  logLoss: number;
  auc: number | null;
  precision: Record<string, number | null>;
  recall: Record<string, number | null>;
  trainSeconds: number;
  trees: number;
  features: number;
}

export interface RiskModelJSON {
  format: typeof RISK_MODEL_FORMAT;
  formatVersion: number;
  createdAt: string;
  seed: number;
  gbdtParams: Partial<GbdtParams>;
  features: FeatureBuilderJSON;
  gbdt: GbdtJSON;
  metrics: RiskModelMetrics;
}

export class RiskModel {
  readonly features: FeatureBuilder;
  readonly gbdt: Gbdt;
  readonly metrics: RiskModelMetrics;
  readonly createdAt: string;
  readonly seed: number;
  readonly gbdtParams: Partial<GbdtParams>;
  private readonly buf: Float64Array;

  constructor(args: {
    features: FeatureBuilder;
    gbdt: Gbdt;
    metrics: RiskModelMetrics;
    createdAt?: string;
    seed: number;
    gbdtParams: Partial<GbdtParams>;
  }) {
    this.features = args.features;
    this.gbdt = args.gbdt;
    this.metrics = args.metrics;
    this.createdAt = args.createdAt ?? new Date().toISOString();
    this.seed = args.seed;
    this.gbdtParams = args.gbdtParams;
    if (this.features.size !== this.gbdt.nFeatures) {
      throw new Error('risk model: feature count mismatch');
    }
    this.buf = new Float64Array(this.features.size);
  }

  /** Probability (0..1) that the declaration is fraudulent. */
  score(row: RiskInput): number {
    return this.gbdt.predict(this.features.encode(row, this.buf));
  }

  /** Log-odds of fraud. */
  scoreRaw(row: RiskInput): number {
    return this.gbdt.predictRaw(this.features.encode(row, this.buf));
  }

  scoreMany(rows: readonly RiskInput[]): Float64Array {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      out[i] = this.score(rows[i]!);
    }
    return out;
  }

  /**
   * The main reasons behind the score: tree-path contributions (Saabas) summed per
   * feature group (a profile's rate and count, the unit-value features, ...), largest in
   * absolute value first. `contribution` is in log-odds: positive raises the risk.
   * With `direction: 'raise'` only risk-raising reasons are returned.
   */
  explain(row: RiskInput, topN = 5, options: { direction?: 'both' | 'raise' } = {}): RiskReason[] {
    const x = this.features.encode(row, new Float64Array(this.features.size));
    const c = this.gbdt.contributions(x);
    const groups = new Map<string, number>();
    this.features.groups.forEach((g, i) => groups.set(g, (groups.get(g) ?? 0) + c[i]!));
    let list = [...groups].map(([feature, contribution]) => ({ feature, contribution }));
    if (options.direction === 'raise') {
      list = list.filter((r) => r.contribution > 0);
    }
    list.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || (a.feature < b.feature ? -1 : 1));
    return list.slice(0, Math.max(0, topN)).map((r) => ({ ...r, text: this.features.describe(r.feature, row) }));
  }

  toJSON(): RiskModelJSON {
    return {
      format: RISK_MODEL_FORMAT,
      formatVersion: RISK_MODEL_FORMAT_VERSION,
      createdAt: this.createdAt,
      seed: this.seed,
      gbdtParams: this.gbdtParams,
      features: this.features.toJSON(),
      gbdt: this.gbdt.toJSON(),
      metrics: this.metrics,
    };
  }

  /** Rebuild a model from toJSON() output (an object, or its JSON text). */
  static fromJSON(json: RiskModelJSON | string): RiskModel {
    const j = (typeof json === 'string' ? JSON.parse(json) : json) as RiskModelJSON;
    if (j.format !== RISK_MODEL_FORMAT) {
      throw new Error('not a risk model');
    }
    if (j.formatVersion !== RISK_MODEL_FORMAT_VERSION) {
      throw new Error(`unsupported risk model format version ${String(j.formatVersion)}`);
    }
    return new RiskModel({
      features: FeatureBuilder.fromJSON(j.features),
      gbdt: Gbdt.fromJSON(j.gbdt),
      metrics: j.metrics,
      createdAt: j.createdAt,
      seed: j.seed,
      gbdtParams: j.gbdtParams,
    });
  }
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Fit the profile tables and the boosted trees on declarations with known outcomes. */
export function trainRiskModel(rows: readonly RiskTrainingRow[], options: RiskModelOptions = {}): RiskModel {
  if (rows.length === 0) {
    throw new Error('trainRiskModel: no rows');
  }
  const t0 = performance.now();
  const seed = options.seed ?? 1;
  const gbdtParams: Partial<GbdtParams> = { ...DEFAULT_RISK_GBDT, ...defined(options.gbdt), seed };
  const features = FeatureBuilder.fit(rows, defined(options.features));
  const X = features.trainingMatrix(rows, seed);
  const y = Uint8Array.from(rows, (r) => (r.fraud ? 1 : 0));
  const gbdt = trainGbdt(X, features.size, y, gbdtParams);
  const trainSeconds = (performance.now() - t0) / 1000;

  const nf = features.size;
  const p = new Float64Array(rows.length);
  const x = new Float64Array(nf);
  for (let i = 0; i < rows.length; i++) {
    x.set(X.subarray(i * nf, (i + 1) * nf));
    p[i] = gbdt.predict(x);
  }
  let pos = 0;
  for (const v of y) {
    pos += v;
  }
  const sel = selectionMetrics(p, y);
  return new RiskModel({
    features,
    gbdt,
    seed,
    gbdtParams,
    metrics: {
      rows: rows.length,
      fraudRate: pos / rows.length,
      logLoss: logLoss(p, y),
      auc: orNull(rocAuc(p, y)),
      precision: Object.fromEntries(Object.entries(sel.precision).map(([k, v]) => [k, orNull(v)])),
      recall: Object.fromEntries(Object.entries(sel.recall).map(([k, v]) => [k, orNull(v)])),
      trainSeconds,
      trees: gbdt.nTrees,
      features: nf,
    },
  });
}
