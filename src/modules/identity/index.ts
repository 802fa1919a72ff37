export { identityService, type IdentityService, type LoggedIn, SESSION_HOURS, CACHE_TTL_MS } from './identity.service.ts';
export { identityRoutes } from './identity.routes.ts';
export { hashPassword, sha256Hex } from './secrets.ts';
export { rolesByKind, anyRole, isRole } from './roles.ts';
export type { IdentityTables } from './identity.tables.ts';
