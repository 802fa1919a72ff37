// The declaration module's public surface: the only file other modules import.
export { declarationService, maySee, type DeclarationService, type DeclarationServiceDeps, type Caller } from './declaration.service.ts';
export { declarationRoutes } from './declaration.routes.ts';
export { exportRoutes } from './declaration.export.routes.ts';
export type { ExportBody, ExitBody } from './declaration.export.schemas.ts';
export { declarationLifecycle, controlLifecycle, liveStatuses, amendableStatuses } from './declaration.state.ts';
export { acceptedUnitValues, heldStatus, refreshAcceptedValues, rebuildAcceptedValues, type UnitValueQuery, type UnitValueDistribution } from './declaration.reads.ts';
export { keepAcceptedValues, valuesChangedTopic } from './flows/accepted-values.ts';
export { declarationsPerDay, revenueOfPaid, releasesBetween } from './declaration.stats.ts';
export type { DeclarationView } from './declaration.view.ts';
export type { DeclarationBody, CreateBody, AmendBody } from './declaration.schemas.ts';
export type { DeclarationTables, DeclarationStatus, ControlStatus } from './declaration.tables.ts';
export type { ManifestPort, PartiesPort, PaymentPort, ReleasePort, Settlement, GateOut, ManifestArrived } from './declaration.ports.ts';
