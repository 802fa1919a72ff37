// `forodha risk train`: trains a model from a KCS-format CSV or from this database's inspected
// declarations, stores it as a new version with its held-out metrics and cut-offs, and
// optionally makes it the active one.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { localDate, type Clock } from '#platform/clock.ts';
import type { Actor } from '#modules/audit/index.ts';
import { loadKcsCsv, type RiskTrainingRow } from './model/index.ts';
import { activateModel, storeModel, trainingRowsFromDatabase, trainModel } from './model-store.ts';
import { settingsOn } from './risk.settings.ts';
import { riskRepository } from './risk.repository.ts';

export const trainUsage = `forodha risk train (--from-db | --csv FILE [--csv FILE ...]) [--activate] [--seed N] [--holdout 0.2] [--rounds N] [--by NAME]

  --csv FILE    KCS "customs import declaration" CSV (e.g. ../shared/data/kcs/df_syn_train_eng.csv); repeatable
  --from-db     declarations of this database with an inspection outcome (risk_outcome)
  --activate    make the new model the one that scores lodgements
  --holdout     share of the rows (the latest by date) kept out of training to measure the model
  --rounds      boosting rounds (default 400)`;

export interface TrainArgs {
  csv: string[];
  fromDb: boolean;
  activate: boolean;
  seed: number;
  holdout: number;
  rounds: number | undefined;
  by: string;
}

/** Parses the arguments after `risk train`; a string is the error to print with the usage. */
export function parseTrainArgs(argv: string[], cwd = process.cwd()): TrainArgs | string {
  const out: TrainArgs = {
    csv: [],
    fromDb: false,
    activate: false,
    seed: 1,
    holdout: 0.2,
    rounds: undefined,
    by: process.env.USER ?? 'cli',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => argv[++i];
    if (a === '--csv') {
      const f = value();
      if (!f) {
        return '--csv needs a file';
      }
      out.csv.push(path.resolve(cwd, f));
    } else if (a === '--from-db') {
      out.fromDb = true;
    } else if (a === '--activate') {
      out.activate = true;
    } else if (a === '--seed' || a === '--holdout' || a === '--rounds') {
      const n = Number(value());
      if (!Number.isFinite(n)) {
        return `${a} needs a number`;
      }
      if (a === '--seed') {
        out.seed = Math.trunc(n);
      } else if (a === '--holdout') {
        if (n <= 0 || n >= 0.9) {
          return '--holdout must be above 0 and below 0.9, e.g. 0.2';
        }
        out.holdout = n;
      } else {
        if (n < 1 || n > 5000) {
          return '--rounds must be from 1 to 5000';
        }
        out.rounds = Math.trunc(n);
      }
    } else if (a === '--by') {
      out.by = value() ?? out.by;
    } else {
      return `unknown argument ${a}`;
    }
  }
  if (out.fromDb === out.csv.length > 0) {
    return 'give either --from-db or --csv FILE';
  }
  return out;
}

const show = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toFixed(3));

export async function trainCommand(db: Kysely<DB>, args: TrainArgs, clock: Clock, log: (line: string) => void): Promise<number> {
  let rows: RiskTrainingRow[];
  if (args.fromDb) {
    rows = await trainingRowsFromDatabase(db);
    log(`database: ${rows.length} item rows of inspected declarations`);
  } else {
    rows = [];
    for (const file of args.csv) {
      const loaded = loadKcsCsv(file);
      log(`${path.basename(file)}: ${loaded.length} rows`);
      rows.push(...loaded);
    }
  }
  const now = clock.now();
  const settings = settingsOn(await riskRepository.settings(db), localDate(now));
  let trained;
  try {
    trained = trainModel(rows, {
      source: args.fromDb ? 'database' : 'csv',
      ...(args.fromDb ? {} : { files: args.csv.map((f) => path.basename(f)) }),
      seed: args.seed,
      holdout: args.holdout,
      targetRates: settings['model.targetRates'],
      // KCS files carry prices in Korean won; this database's customs values are in KES.
      currency: args.fromDb ? 'KES' : 'KRW',
      now,
      ...(args.rounds === undefined ? {} : { rounds: args.rounds }),
    });
  } catch (err) {
    log(`not trained: ${(err as Error).message}`);
    return 1;
  }
  const actor: Actor = {
    id: `cli:${args.by}`,
    name: args.by,
    organisationId: null,
    role: 'risk_analyst',
  };
  const stored = await inTransaction(db, async (tx) => {
    const model = await storeModel(tx, trained, actor, now);
    if (args.activate) {
      await activateModel(tx, model.id, actor, now);
    }
    return model;
  });
  const m = trained.metrics;
  const t = trained.trainedOn;
  log(`model v${stored.version} (${stored.id})${args.activate ? ', active' : ''}`);
  log(
    `trained on ${t.trainRows} rows, measured on ${t.validationRows} held out (${t.split} split${t.validationFrom ? ` from ${t.validationFrom}` : ''}) in ${m.trainSeconds}s; ${m.trees} trees, ${m.features} features`,
  );
  log(`held-out fraud rate ${show(m.fraudRate)}, AUC ${show(m.auc)}`);
  log('top n%   precision   recall');
  for (const p of ['1', '2', '5', '10']) {
    log(`${p.padStart(5)}%   ${show(m.precision[p]).padStart(9)}   ${show(m.recall[p]).padStart(6)}`);
  }
  const c = trained.thresholds.cutoffs;
  const rate = (x: number): string => `${Number((x * 100).toPrecision(3))}%`;
  log(`cut-offs for red ${rate(trained.thresholds.targetRates.red)} / yellow ${rate(trained.thresholds.targetRates.yellow)}: red >= ${show(c.red)}, yellow >= ${show(c.yellow)}`);
  return 0;
}
