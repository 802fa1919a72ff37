// Learned models as versioned data: trained on past declarations with known outcomes (from a
// KCS-format CSV or from this database), measured on a held-out split, stored with those
// figures and with score cut-offs for the target inspection rates, and activated by an analyst.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { newId } from '#platform/ids.ts';
import { notFound } from '#platform/http/problem.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import { RiskModel, rocAuc, selectionMetrics, trainRiskModel, Rng, type RiskModelJSON, type RiskTrainingRow } from './model/index.ts';
import type { DeclarationForRisk } from './selectivity.ts';
import type { TargetRates } from './risk.settings.ts';
import { deriveThresholds, cutoffsFor, type Thresholds } from './thresholds.ts';
import { trainingRows } from './risk-input.ts';
import type { ModelRow } from './risk.tables.ts';
import { riskRepository as repo } from './risk.repository.ts';

type Q = Kysely<DB>;

export interface TrainedOn {
  source: 'csv' | 'database';
  files?: string[];
  rows: number;
  trainRows: number;
  validationRows: number;
  split: 'time' | 'random';
  from: string | null;
  to: string | null;
  /** First date of the held-out period (time split). */
  validationFrom: string | null;
}

export interface HeldOutMetrics {
  validationRows: number;
  fraudRate: number | null;
  precision: Record<string, number | null>;
  recall: Record<string, number | null>;
  auc: number | null;
  trainSeconds: number;
  trees: number;
  features: number;
}

export interface TrainedModel {
  model: RiskModel;
  trainedOn: TrainedOn;
  metrics: HeldOutMetrics;
  thresholds: Thresholds;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null);

/**
 * Held-out split: the latest `share` of the rows by date when every row has one (the model is
 * judged on a later period than it learnt from, as it will be used), else a seeded random share.
 */
export function splitForValidation(
  rows: readonly RiskTrainingRow[],
  share: number,
  seed: number,
): {
  train: RiskTrainingRow[];
  validation: RiskTrainingRow[];
  split: 'time' | 'random';
  validationFrom: string | null;
} {
  const dated = rows.every((r) => typeof r.date === 'string' && r.date !== '');
  const n = rows.length;
  const k = Math.max(1, Math.min(n - 1, Math.round(n * share)));
  if (dated) {
    const sorted = [...rows].sort((a, b) => (a.date! < b.date! ? -1 : a.date! > b.date! ? 1 : 0));
    // Keep one date on one side of the cut: the same day's declarations are not split.
    let cut = n - k;
    const cutDate = sorted[cut]?.date ?? null;
    while (cut > 1 && sorted[cut - 1]!.date === cutDate) {
      cut--;
    }
    if (cut >= 1 && cut < n) {
      return {
        train: sorted.slice(0, cut),
        validation: sorted.slice(cut),
        split: 'time',
        validationFrom: sorted[cut]!.date ?? null,
      };
    }
  }
  const rng = new Rng(seed);
  const order = rows.map((_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const validationSet = new Set(order.slice(0, k));
  return {
    train: rows.filter((_, i) => !validationSet.has(i)),
    validation: rows.filter((_, i) => validationSet.has(i)),
    split: 'random',
    validationFrom: null,
  };
}

/** Trains on all but the held-out share, measures on it and derives the cut-offs from its scores. */
export function trainModel(
  rows: readonly RiskTrainingRow[],
  options: {
    source: TrainedOn['source'];
    files?: string[];
    seed?: number;
    holdout?: number;
    targetRates: TargetRates;
    currency: string;
    now: Date;
    rounds?: number;
  },
): TrainedModel {
  if (rows.length < 20) {
    throw new Error(`training needs at least 20 declarations with a known outcome; there are ${rows.length}`);
  }
  const frauds = rows.reduce((n, r) => n + r.fraud, 0);
  if (frauds === 0 || frauds === rows.length) {
    throw new Error(`training needs both outcomes (fraud found and not found); all ${rows.length} rows have fraud=${rows[0]?.fraud ?? 0}`);
  }
  const seed = options.seed ?? 1;
  const { train, validation, split, validationFrom } = splitForValidation(rows, options.holdout ?? 0.2, seed);
  const started = performance.now();
  const model = trainRiskModel(train, {
    seed,
    features: { currency: options.currency },
    ...(options.rounds === undefined ? {} : { gbdt: { nRounds: options.rounds } }),
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const scores = model.scoreMany(validation);
  const labels = Uint8Array.from(validation, (r) => r.fraud);
  const selection = selectionMetrics(scores, labels);
  const positives = labels.reduce((n, v) => n + v, 0);
  const dates = rows
    .map((r) => r.date)
    .filter((d): d is string => typeof d === 'string' && d !== '')
    .sort();
  return {
    model,
    trainedOn: {
      source: options.source,
      ...(options.files ? { files: options.files } : {}),
      rows: rows.length,
      trainRows: train.length,
      validationRows: validation.length,
      split,
      from: dates[0] ?? null,
      to: dates.at(-1) ?? null,
      validationFrom,
    },
    metrics: {
      validationRows: validation.length,
      fraudRate: finite(positives / validation.length),
      precision: Object.fromEntries(Object.entries(selection.precision).map(([k, v]) => [k, finite(v)])),
      recall: Object.fromEntries(Object.entries(selection.recall).map(([k, v]) => [k, finite(v)])),
      auc: finite(rocAuc(scores, labels)),
      trainSeconds: Math.round(trainSeconds * 1000) / 1000,
      trees: model.metrics.trees,
      features: model.metrics.features,
    },
    thresholds: deriveThresholds(scores, options.targetRates, 'validation', options.now),
  };
}

/** Training rows from this database: the facts seen at selection, labelled by the inspection outcome. */
export async function trainingRowsFromDatabase(q: Q): Promise<RiskTrainingRow[]> {
  const rows = await repo.labelledSelections(q);
  return rows.flatMap((r) => trainingRows(r.input as DeclarationForRisk, r.discrepancy));
}

export interface StoredModel {
  id: string;
  version: number;
  active: boolean;
}

export async function storeModel(tx: Tx, trained: TrainedModel, actor: Actor, now: Date): Promise<StoredModel> {
  const version = (await repo.lastModelVersion(tx)) + 1;
  const id = newId();
  await repo.insertModel(tx, {
    id,
    version,
    created_at: now,
    created_by: actor.name,
    trained_on: JSON.stringify(trained.trainedOn),
    metrics: JSON.stringify(trained.metrics),
    model: JSON.stringify(trained.model.toJSON()),
    thresholds: JSON.stringify(trained.thresholds),
  });
  await recordAudit(tx, {
    actor,
    action: 'risk.model_trained',
    entityType: 'risk_model',
    entityId: id,
    subjects: [`risk-model-v${version}`],
    after: {
      version,
      trainedOn: trained.trainedOn,
      metrics: trained.metrics,
      targetRates: trained.thresholds.targetRates,
    },
    at: now,
  });
  return { id, version, active: false };
}

/** Makes this model the one that scores lodgements; the previous one is kept, inactive. */
export async function activateModel(tx: Tx, id: string, actor: Actor, now: Date, requestId: string | null = null): Promise<ModelRow> {
  const row = await repo.model(tx, id, { forUpdate: true });
  if (!row) {
    throw notFound(`Risk model ${id}`);
  }
  const previous = await repo.activeModel(tx, { forUpdate: true });
  if (previous?.id === id) {
    return row;
  }
  if (previous) {
    await repo.deactivateModel(tx, previous.id);
  }
  const activated = await repo.activateModel(tx, id, now);
  await recordAudit(tx, {
    actor,
    action: 'risk.model_activated',
    entityType: 'risk_model',
    entityId: id,
    subjects: [`risk-model-v${row.version}`],
    before: {
      active: previous ? { id: previous.id, version: previous.version } : null,
    },
    after: { active: { id, version: row.version } },
    requestId,
    at: now,
  });
  return activated;
}

/** New cut-offs for a model: other target rates, or the score distribution of recent declarations. */
export async function rethreshold(
  tx: Tx,
  id: string,
  args: {
    targetRates: TargetRates;
    source: 'validation' | 'recent';
    days: number;
    now: Date;
    actor: Actor;
    requestId: string | null;
  },
): Promise<ModelRow> {
  const row = await repo.model(tx, id, { forUpdate: true });
  if (!row) {
    throw notFound(`Risk model ${id}`);
  }
  const before = row.thresholds as Thresholds;
  let thresholds: Thresholds;
  if (args.source === 'recent') {
    const since = new Date(args.now.getTime() - args.days * 86_400_000);
    const scored = await repo.recentScores(tx, id, since);
    if (scored.length < 100) {
      throw new RecentTooFew(scored.length, args.days);
    }
    thresholds = deriveThresholds(scored, args.targetRates, 'recent', args.now);
  } else {
    thresholds = {
      ...before,
      targetRates: args.targetRates,
      cutoffs: cutoffsFor(before.sample, args.targetRates, 1),
      derivedAt: args.now.toISOString(),
    };
  }
  const updated = await repo.setModelThresholds(tx, id, thresholds);
  await recordAudit(tx, {
    actor: args.actor,
    action: 'risk.model_thresholds_changed',
    entityType: 'risk_model',
    entityId: id,
    subjects: [`risk-model-v${row.version}`],
    before: {
      targetRates: before.targetRates,
      cutoffs: before.cutoffs,
      source: before.source,
    },
    after: {
      targetRates: thresholds.targetRates,
      cutoffs: thresholds.cutoffs,
      source: thresholds.source,
      sampleSize: thresholds.sampleSize,
    },
    requestId: args.requestId,
    at: args.now,
  });
  return updated;
}

export class RecentTooFew extends Error {
  constructor(
    readonly found: number,
    readonly days: number,
  ) {
    super(`only ${found} declarations were scored by this model in the last ${days} days; at least 100 are needed`);
  }
}

export function modelView(row: Omit<ModelRow, 'model'>) {
  const t = row.thresholds as Thresholds;
  return {
    id: row.id,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    active: row.active,
    activatedAt: row.activated_at ? row.activated_at.toISOString() : null,
    trainedOn: row.trained_on,
    metrics: row.metrics,
    thresholds: {
      targetRates: t.targetRates,
      cutoffs: t.cutoffs,
      source: t.source,
      sampleSize: t.sampleSize,
      derivedAt: t.derivedAt,
    },
  };
}

export async function listModels(q: Q) {
  return (await repo.models(q)).map(modelView);
}

export interface ActiveModel {
  id: string;
  version: number;
  model: RiskModel;
  thresholds: Thresholds;
}

/**
 * The active model, parsed once and kept in memory: scoring takes microseconds, loading a
 * model from its JSON much longer. Which model is active is checked at most every
 * `checkSeconds` (a cheap query), at once after an activation in this process.
 */
export class ActiveModelCache {
  private current: ActiveModel | null = null;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private stale = true;

  constructor(private readonly checkSeconds = 30) {}

  invalidate(): void {
    this.stale = true;
  }

  /** The cached model without asking the database (null when none is active or none loaded yet). */
  peek(): ActiveModel | null {
    return this.current;
  }

  async get(q: Q | undefined, now: number): Promise<ActiveModel | null> {
    if (!q || (!this.stale && now - this.checkedAt < this.checkSeconds * 1000)) {
      return this.current;
    }
    const active = await repo.activeModel(q);
    if (!active) {
      this.current = null;
    } else if (active.id !== this.current?.id) {
      const json = await repo.modelJson(q, active.id);
      this.current = {
        id: active.id,
        version: active.version,
        model: RiskModel.fromJSON(json as RiskModelJSON),
        thresholds: active.thresholds as Thresholds,
      };
    } else {
      // Same model; its cut-offs may have been changed.
      this.current = {
        ...this.current,
        thresholds: active.thresholds as Thresholds,
      };
    }
    this.checkedAt = now;
    this.stale = false;
    return this.current;
  }
}
