export type { OrganisationKind, PartiesTables } from './parties.tables.ts';
export { partiesService, licenceValidOn, type PartiesService, type AgentCheck } from './parties.service.ts';
export type { OrganisationRow, AuthorisationRow } from './parties.repository.ts';
export { seedDemoParties, demoPassword, demoApiKeys, demoCredentialsInUse, disableDemoCredentials } from './parties.seed.ts';
export { partiesRoutes, optionalBody } from './parties.routes.ts';
export { authorisationScope, kraPinPattern, organisationKinds, type Caller, type OrganisationView, type AuthorisationView, type AuthorisationStatus } from './parties.service.ts';
