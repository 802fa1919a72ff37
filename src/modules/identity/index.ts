export { identityService, identitySettings, type IdentityService, type IdentitySettings, type LoggedIn, SESSION_HOURS, CACHE_TTL_MS } from './identity.service.ts';
export { identityRoutes } from './identity.routes.ts';
export { hashPassword, sha256Hex, verifyPassword, PasswordHasher, DEMO_PASSWORD } from './secrets.ts';
export { normaliseUsername } from './login-guard.ts';
export { rolesByKind, anyRole, isRole } from './roles.ts';
export { adminCreateCommand, adminUsage, commandLineActor, readPasswordFromStdin } from './admin.command.ts';
export type { IdentityTables } from './identity.tables.ts';
