/**
 * Learned risk model for customs selectivity.
 *
 *   const model = trainRiskModel(rows);          // rows: RiskTrainingRow[] (known outcomes)
 *   model.score(input);                          // probability of fraud, 0..1
 *   model.explain(input, 3);                     // [{ feature, contribution, text }]
 *   const json = model.toJSON();                 // store / version as JSON
 *   RiskModel.fromJSON(json).score(input);       // same score
 *
 * Features are smoothed historical fraud rates and counts of profiles (parties, tariff
 * lines, countries, offices and combinations of them), consignment figures (duty rate,
 * mass, value, unit value against the HS6 median) and procedural codes; the learner is a
 * small histogram gradient-boosted tree ensemble (gbdt.ts). `bench/risk.ts` measures it on
 * the KCS customs declarations.
 */
export type { RiskInput, RiskTrainingRow, RiskReason } from './types.ts';
export {
  RiskModel,
  trainRiskModel,
  DEFAULT_RISK_GBDT,
  RISK_MODEL_FORMAT,
  RISK_MODEL_FORMAT_VERSION,
  type RiskModelOptions,
  type RiskModelMetrics,
  type RiskModelJSON,
  type Overrides,
} from './model.ts';
export {
  FeatureBuilder,
  DEFAULT_FEATURE_OPTIONS,
  DEFAULT_PROFILES,
  KEY_PARTS,
  CODE_FIELDS,
  NUMERIC_FEATURES,
  type FeatureOptions,
  type FeatureBuilderJSON,
  type KeyPart,
  type CodeField,
  type NumericFeature,
} from './features.ts';
export { Gbdt, trainGbdt, DEFAULT_GBDT_PARAMS, type GbdtParams, type GbdtJSON } from './gbdt.ts';
export {
  precisionAtPercent,
  recallAtPercent,
  selectionMetrics,
  rocAuc,
  logLoss,
  rankByScore,
  inspectedCount,
} from './metrics.ts';
export { loadKcsCsv, parseCsv, kcsRecordsToRows } from './csv.ts';
export { smoothedRate, assignFolds, outOfFoldEncode, buildCountTable } from './target-encoding.ts';
export { Rng } from './prng.ts';
