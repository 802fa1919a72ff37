// The transit module's public surface: the only file other modules import.
export { transitService, type TransitService, type TransitServiceDeps, type Caller, type MovementInput, type GuaranteeInput, type SealEventInput } from './transit.service.ts';
export { transitRoutes, type TransitRouteDeps } from './transit.routes.ts';
export { movementLifecycle, alertLifecycle, movementStatuses } from './transit.state.ts';
export { movementFields, guaranteeFields, transitTimelineWhitelist } from './transit.views.ts';
export type { TransitTables, TransitKind, MovementStatus, GuaranteeKind } from './transit.tables.ts';
export { overdueSweeper, type OverdueSweeper } from './transit.sweeper.ts';
