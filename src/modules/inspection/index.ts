// The inspection (verification) module's public surface: the only file other modules import.
export { inspectionService, type InspectionService, type InspectionServiceDeps, type Caller } from './inspection.service.ts';
export { inspectionRoutes } from './inspection.routes.ts';
export { taskLifecycle } from './inspection.state.ts';
export { drawOfficer, cryptoRandomInt, seededRandomInt, type RandomInt, type Candidate } from './inspection.allocation.ts';
export {
  correctableFields,
  type SelectedDeclaration,
  type Correction,
  type CorrectionEffect,
  type FieldChange,
  type VerificationSubject,
  type DeclarationPort,
  type BalancePort,
  type OutcomePort,
  type InspectionOutcome,
  type OfficerDirectory,
} from './inspection.ports.ts';
export type { InspectionTables, TaskStatus, TaskKind, TaskOutcome } from './inspection.tables.ts';
