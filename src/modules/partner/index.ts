// The partner module's public surface: exchange with partner administrations (signed messages,
// outgoing queue, idempotent inbox, message log).
export type { PartnerTables, MessageType, MessageStatus } from './partner.tables.ts';
export { partnerService, type PartnerService, type PartnerServiceDeps, type Answer } from './partner.service.ts';
export { partnerRoutes, type PartnerRouteDeps } from './partner.routes.ts';
export { loadPartnerSettings, keygenCommand, sign, PartnerConfigError, type PartnerSettings, type Envelope } from './partner.keys.ts';
