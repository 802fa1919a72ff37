// Model thresholds are set as target inspection rates ("the model sends 3% of declarations to
// red and 7% to yellow"), not as raw scores: a score means nothing to an analyst, a rate is a
// workload. The cut-offs are read from a sample of scores (the model's held-out validation set
// when it is trained, or the scores of recent declarations), kept with the model so that other
// rates (AEO importers get a fraction of them) can be derived without scoring anything again.
import type { TargetRates } from './risk.settings.ts';

/** Scores kept per model: enough to place a cut-off at 0.25% of declarations within 0.05%. */
export const SAMPLE_POINTS = 2000;

export interface Thresholds {
  targetRates: TargetRates;
  /** A score at or above `red` goes red; at or above `yellow` (and below red) goes yellow. */
  cutoffs: { red: number; yellow: number };
  source: 'validation' | 'recent';
  /** Scores the sample was taken from. */
  sampleSize: number;
  /** Scores in descending order, at most SAMPLE_POINTS of them, evenly spaced in rank. */
  sample: number[];
  derivedAt: string;
}

/** Keeps at most `points` scores, evenly spaced in rank, highest first. */
export function scoreSample(scores: ArrayLike<number>, points = SAMPLE_POINTS): number[] {
  const sorted = Array.from(scores)
    .filter((s) => Number.isFinite(s))
    .sort((a, b) => b - a);
  if (sorted.length <= points) {
    return sorted;
  }
  const out: number[] = [];
  for (let j = 0; j < points; j++) {
    out.push(sorted[Math.floor((j * sorted.length) / points)]!);
  }
  return out;
}

/**
 * The lowest score that still belongs to the top `rate` of the sample: selecting scores at or
 * above it inspects (about) that share. A rate of 0 selects nothing (cut-off above 1).
 */
export function cutoffForRate(sample: readonly number[], rate: number): number {
  if (rate <= 0 || sample.length === 0) {
    return Number.POSITIVE_INFINITY;
  }
  if (rate >= 1) {
    return Number.NEGATIVE_INFINITY;
  }
  const k = Math.max(1, Math.round(rate * sample.length));
  return sample[Math.min(sample.length, k) - 1]!;
}

export function deriveThresholds(scores: ArrayLike<number>, targetRates: TargetRates, source: Thresholds['source'], at: Date): Thresholds {
  const sample = scoreSample(scores);
  return {
    targetRates,
    cutoffs: cutoffsFor(sample, targetRates, 1),
    source,
    sampleSize: scores.length,
    sample,
    derivedAt: at.toISOString(),
  };
}

/** Cut-offs for the target rates multiplied by a factor (1, or the AEO factor). */
export function cutoffsFor(sample: readonly number[], rates: TargetRates, factor: number): { red: number; yellow: number } {
  return {
    red: cutoffForRate(sample, rates.red * factor),
    yellow: cutoffForRate(sample, (rates.red + rates.yellow) * factor),
  };
}

/** JSON cannot carry Infinity: a cut-off nobody reaches is stored as null. */
export const storableCutoff = (x: number): number | null => (Number.isFinite(x) ? x : null);
