export type { OrganisationKind, PartiesTables } from './parties.tables.ts';
export { partiesService, licenceValidOn, type PartiesService, type AgentCheck } from './parties.service.ts';
export type { OrganisationRow, AuthorisationRow } from './parties.repository.ts';
export { seedDemoParties, demoPassword, demoApiKeys } from './parties.seed.ts';
