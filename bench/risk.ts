/**
 * Risk model benchmark on the KCS synthetic customs declarations.
 *
 *   npm run bench:risk [-- --train FILE [--train FILE ...]] [--test FILE]
 *
 * Defaults: train on ../shared/data/kcs/df_syn_train_eng.csv (2020), evaluate on
 * ../shared/data/kcs/df_syn_valid_eng.csv (2021 Q1). Prints a table, then as the last line
 * one JSON object with the figures.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKcsCsv, rocAuc, selectionMetrics, trainRiskModel } from '../src/modules/risk/model/index.ts';
import type { RiskTrainingRow } from '../src/modules/risk/model/index.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(projectRoot, '../shared/data/kcs');

function parseArgs(argv: string[]): { train: string[]; test: string; seed: number } {
  const train: string[] = [];
  let test = path.join(dataDir, 'df_syn_valid_eng.csv');
  let seed = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) {
        throw new Error(`${flag} needs a value`);
      }
      return path.resolve(process.cwd(), v);
    };
    if (flag === '--train') {
      train.push(value());
    } else if (flag === '--test') {
      test = value();
    } else if (flag === '--seed') {
      seed = Number(inline ?? argv[++i]);
    } else if (flag === '--help' || flag === '-h') {
      console.log('usage: npm run bench:risk -- [--train FILE]... [--test FILE] [--seed N]');
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  if (train.length === 0) {
    train.push(path.join(dataDir, 'df_syn_train_eng.csv'));
  }
  return { train, test, seed };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  for (const f of [...args.train, args.test]) {
    if (!existsSync(f)) {
      console.error(`bench:risk: ${f} not found (the KCS files live in ../shared/data/kcs, see its README)`);
      process.exit(2);
    }
  }
  const trainRows: RiskTrainingRow[] = [];
  for (const f of args.train) {
    trainRows.push(...loadKcsCsv(f));
  }
  const testRows = loadKcsCsv(args.test);
  console.log(`train: ${args.train.map((f) => path.basename(f)).join(' + ')} (${trainRows.length} rows)`);
  console.log(`test:  ${path.basename(args.test)} (${testRows.length} rows)`);

  const t0 = performance.now();
  const model = trainRiskModel(trainRows, { seed: args.seed });
  const trainSeconds = (performance.now() - t0) / 1000;

  const labels = Uint8Array.from(testRows, (r) => r.fraud);
  const scores = model.scoreMany(testRows);
  const percents = [1, 2, 5, 10];
  const sel = selectionMetrics(scores, labels, percents);
  const auc = rocAuc(scores, labels);

  // Scoring throughput: single thread, in process, at least ~1 s.
  let scored = 0;
  let sink = 0;
  const c0 = process.cpuUsage();
  const s0 = performance.now();
  let elapsed = 0;
  do {
    for (const r of testRows) {
      sink += model.score(r);
    }
    scored += testRows.length;
    elapsed = performance.now() - s0;
  } while (elapsed < 1000);
  const scoresPerSecond = scored / (elapsed / 1000);
  const cpu = process.cpuUsage(c0);
  const scoresPerCpuSecond = scored / ((cpu.user + cpu.system) / 1e6);
  if (Number.isNaN(sink)) {
    console.log('(NaN score seen)');
  }

  const frauds = labels.reduce((a, b) => a + b, 0);
  console.log(`\nmodel: ${model.metrics.trees} trees, ${model.metrics.features} features`);
  console.log(`test fraud rate: ${((100 * frauds) / testRows.length).toFixed(1)}%\n`);
  const pad = (s: string, w: number): string => s.padStart(w);
  console.log(['top n%', 'inspected', 'precision', 'recall'].map((h) => pad(h, 10)).join(''));
  for (const p of percents) {
    const k = Math.floor((testRows.length * p) / 100);
    console.log(
      [`${p}%`, String(k), sel.precision[p]!.toFixed(3), sel.recall[p]!.toFixed(3)].map((v) => pad(v, 10)).join(''),
    );
  }
  console.log(`\nn (test rows)   ${testRows.length}`);
  console.log(`ROC AUC         ${auc.toFixed(4)}`);
  console.log(`train seconds   ${trainSeconds.toFixed(2)}`);
  console.log(
    `scores/second   ${Math.round(scoresPerSecond).toLocaleString('en-US')} ` +
      `(${Math.round(scoresPerCpuSecond).toLocaleString('en-US')} per CPU second; one thread)`,
  );

  const params = model.gbdtParams;
  console.log(
    `params: ${params.nRounds} rounds, lr ${params.learningRate}, ${params.maxLeaves} leaves, ` +
      `min ${params.minSamplesLeaf} rows/leaf, lambda ${params.lambda}, subsample ${params.subsample}, ` +
      `colsample ${params.colsample}, smoothing m=${model.features.options.smoothing}, ${model.features.options.folds} folds`,
  );

  // The reasons behind the highest-scored declaration, and behind a median one.
  const order = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b);
  for (const i of [order[0]!, order[Math.floor(order.length / 2)]!]) {
    const row = testRows[i]!;
    console.log(`\ndeclaration ${row.declarationId ?? '?'}: score ${scores[i]!.toFixed(3)} (fraud ${row.fraud})`);
    for (const r of model.explain(row, 4)) {
      console.log(`  ${r.contribution >= 0 ? '+' : '-'}${Math.abs(r.contribution).toFixed(2)}  ${r.text}`);
    }
  }

  const round = (x: number, d = 4): number => Number(x.toFixed(d));
  const out = {
    n: testRows.length,
    precision: Object.fromEntries(percents.map((p) => [String(p), round(sel.precision[p]!)])),
    recall: Object.fromEntries(percents.map((p) => [String(p), round(sel.recall[p]!)])),
    auc: round(auc),
    trainSeconds: round(trainSeconds, 2),
    scoresPerSecond: Math.round(scoresPerSecond),
  };
  console.log(JSON.stringify(out));
}

main();
