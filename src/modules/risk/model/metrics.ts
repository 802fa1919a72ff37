/**
 * Selection metrics for risk scores.
 *
 * Ranking: rows are ordered by score descending; ties are broken by the row's
 * position in the input (earlier first), so results are deterministic.
 */

type Labels = ArrayLike<number>;
type Scores = ArrayLike<number>;

/** Row indices ordered by score descending, ties by index ascending. NaN scores rank last. */
export function rankByScore(scores: Scores): Uint32Array {
  const n = scores.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    idx[i] = i;
  }
  const key = (i: number): number => {
    const s = scores[i]!;
    return Number.isNaN(s) ? -Infinity : s;
  };
  return idx.sort((a, b) => {
    const d = key(b) - key(a);
    return d !== 0 && !Number.isNaN(d) ? d : a - b;
  });
}

/** Number of rows inspected when inspecting n% of N rows: floor(N*n/100). */
export function inspectedCount(total: number, percent: number): number {
  // Guard against floating error such as 8134*0.07*100 -> x.9999999.
  return Math.floor((total * percent) / 100 + 1e-9);
}

function check(scores: Scores, labels: Labels): void {
  if (scores.length !== labels.length) {
    throw new Error('scores and labels differ in length');
  }
}

function frauds(order: Uint32Array, labels: Labels, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) {
    s += labels[order[i]!]! > 0 ? 1 : 0;
  }
  return s;
}

/**
 * Precision at the top n%: share of fraud among the floor(N*n/100) highest-scored rows.
 * Returns NaN when no row would be inspected.
 */
export function precisionAtPercent(scores: Scores, labels: Labels, percent: number): number {
  check(scores, labels);
  const k = inspectedCount(scores.length, percent);
  if (k <= 0) {
    return NaN;
  }
  return frauds(rankByScore(scores), labels, k) / k;
}

/** Recall at the top n%: fraud caught in the top floor(N*n/100) rows / all fraud. NaN if no fraud. */
export function recallAtPercent(scores: Scores, labels: Labels, percent: number): number {
  check(scores, labels);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    total += labels[i]! > 0 ? 1 : 0;
  }
  if (total === 0) {
    return NaN;
  }
  const k = inspectedCount(scores.length, percent);
  return frauds(rankByScore(scores), labels, k) / total;
}

/** Precision and recall at several percentages, sharing one ranking. */
export function selectionMetrics(
  scores: Scores,
  labels: Labels,
  percents: readonly number[] = [1, 2, 5, 10],
): { precision: Record<string, number>; recall: Record<string, number> } {
  check(scores, labels);
  const order = rankByScore(scores);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    total += labels[i]! > 0 ? 1 : 0;
  }
  const precision: Record<string, number> = {};
  const recall: Record<string, number> = {};
  for (const p of percents) {
    const k = inspectedCount(scores.length, p);
    const hit = frauds(order, labels, k);
    precision[String(p)] = k > 0 ? hit / k : NaN;
    recall[String(p)] = total > 0 ? hit / total : NaN;
  }
  return { precision, recall };
}

/**
 * ROC AUC via the Mann-Whitney statistic; tied scores get their average rank
 * (so a tie between a positive and a negative counts one half).
 */
export function rocAuc(scores: Scores, labels: Labels): number {
  check(scores, labels);
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!]! === scores[idx[i]!]!) {
      j++;
    }
    const avgRank = (i + j + 2) / 2; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!]! > 0) {
        pos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) {
    return NaN;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Mean binary log loss of probabilities. */
export function logLoss(probs: Scores, labels: Labels): number {
  check(probs, labels);
  let s = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probs[i]!));
    s -= labels[i]! > 0 ? Math.log(p) : Math.log(1 - p);
  }
  return s / probs.length;
}
