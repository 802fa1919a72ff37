export { loadReferenceData } from './reference.loader.ts';
export { referenceService, type ReferenceService, type ReferenceSets, type UnitDef } from './reference.service.ts';
export { referenceRoutes } from './reference.routes.ts';
