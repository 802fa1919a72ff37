// The exchange module's public surface: WCO Data Model and UN/EDIFACT adapters, the partner code
// mappings they read, and the EDIFACT messages rendered for terminals.
export type { ExchangeTables, CodeKind } from './exchange.tables.ts';
export { seedExchangeMappings } from './exchange.seed.ts';
export { exchangeRoutes, type ExchangeRouteDeps } from './exchange.routes.ts';
export { renderCusresOnRelease } from './edifact/cusres.ts';
export { checkInterchange, renderContrl } from './edifact/edifact.check.ts';
export { edifactCheckCommand } from './edifact/edifact.command.ts';
