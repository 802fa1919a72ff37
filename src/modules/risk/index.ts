// The risk module's public surface: the only file other modules import.
export { channels, needsControl, placeholderSelectivity, type Channel, type AssignOptions, type DeclarationForRisk, type PriorDeclaration, type Selectivity, type SelectivityResult } from './selectivity.ts';
export { riskEngine, type RiskEngine, type RiskEngineDeps, type Decision } from './engine.ts';
export { riskService, type RiskService, type RiskServiceDeps, type RiskPartiesPort } from './risk.service.ts';
export { riskRoutes, type RiskRouteDeps } from './risk.routes.ts';
export { recordOutcome, type OutcomeInput, type OutcomeResult } from './flows/record-outcome.ts';
export { monitoring, type Monitoring } from './monitoring.ts';
export { trainModel, storeModel, activateModel, listModels, trainingRowsFromDatabase, type TrainedModel } from './model-store.ts';
export { riskInputs, trainingRows } from './risk-input.ts';
export { settingsOn, defaultSettings, type RiskSettings, type TargetRates } from './risk.settings.ts';
export { cutoffForRate, cutoffsFor, deriveThresholds, scoreSample, type Thresholds } from './thresholds.ts';
export { randomSelection, cryptoDraw, type Draw } from './random.ts';
export { loadKcsCsv, type RiskTrainingRow } from './model/index.ts';
export type { RiskTables } from './risk.tables.ts';
export { trainCommand, parseTrainArgs, trainUsage, type TrainArgs } from './risk.cli.ts';
