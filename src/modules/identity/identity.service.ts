// Logging in, sessions, API keys and the Authenticator the auth hook calls on every request.
//
// Hot path: a successful lookup is cached in memory for CACHE_TTL_MS (10 s), keyed by the SHA-256
// of the credential, so an authenticated request costs no query. Consequence, by design: a
// session or key revoked by ANOTHER process (or directly in the database) keeps working for at
// most 10 s. Revocations made through this service evict the cache of this process at once.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Clock } from '#platform/clock.ts';
import type { Authenticator, Principal, Role } from '#platform/http/auth.ts';
import { newId } from '#platform/ids.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { unauthorized } from '#platform/http/problem.ts';
import type { OrganisationKind } from '#modules/parties/index.ts';
import { identityRepository, type PrincipalRow } from './identity.repository.ts';
import { isRole } from './roles.ts';
import { newSecret, sha256Hex, verifyPassword } from './secrets.ts';

export const SESSION_HOURS = 8;
export const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

export interface LoggedIn {
  token: string;
  expiresAt: Date;
  user: {
    id: string;
    username: string;
    displayName: string;
    roles: Role[];
    organisation: { id: string; code: string; name: string; kind: OrganisationKind };
  };
}

interface CacheEntry {
  principal: Principal;
  expiresAt: Date | null;
  cachedAt: number;
}

const knownRoles = (list: string[]): Role[] => list.filter(isRole);

function toPrincipal(kind: Principal['kind'], row: PrincipalRow): Principal {
  return {
    kind,
    id: row.id,
    name: row.name,
    organisationId: row.organisation_id,
    organisationKind: row.organisation_kind,
    organisationName: row.organisation_name,
    roles: knownRoles(row.roles),
  };
}

export function identityService(db: Kysely<DB>, clock: Clock) {
  const repo = identityRepository();
  const cache = new Map<string, CacheEntry>();

  const remember = (cacheKey: string, entry: CacheEntry): void => {
    if (cache.size >= CACHE_MAX) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = cache.keys().next();
      if (!oldest.done) {
        cache.delete(oldest.value);
      }
    }
    cache.set(cacheKey, entry);
  };

  /** Drops cached lookups of a user or key in this process (after a revocation or deactivation). */
  const forget = (principalId: string): void => {
    for (const [k, entry] of cache) {
      if (entry.principal.id === principalId) {
        cache.delete(k);
      }
    }
  };

  const authenticator: Authenticator = {
    async authenticate({ bearer, apiKey }) {
      const kind: Principal['kind'] = bearer !== undefined ? 'user' : 'api-key';
      const secret = bearer ?? apiKey;
      if (!secret || secret.length > 512) {
        return undefined;
      }
      const secretHash = sha256Hex(secret);
      const cacheKey = `${kind}:${secretHash}`;
      const now = clock.now();
      const hit = cache.get(cacheKey);
      if (hit && performance.now() - hit.cachedAt < CACHE_TTL_MS && (hit.expiresAt === null || hit.expiresAt > now)) {
        return hit.principal;
      }
      cache.delete(cacheKey);
      const row = kind === 'user' ? await repo.principalBySession(db, secretHash, now) : await repo.principalByApiKey(db, secretHash);
      if (!row) {
        return undefined;
      }
      const principal = toPrincipal(kind, row);
      remember(cacheKey, { principal, expiresAt: row.expires_at, cachedAt: performance.now() });
      return principal;
    },
  };

  return {
    authenticator,
    forget,

    /** Same answer for an unknown user, a wrong password and a deactivated user. */
    async login(username: string, password: string): Promise<LoggedIn> {
      const user = await repo.userByUsername(db, username.trim().toLowerCase());
      const ok = await verifyPassword(user?.password_hash, password);
      if (!user || !ok || !user.active) {
        throw unauthorized('The username or password is not correct');
      }
      const token = newSecret();
      const createdAt = clock.now();
      const expiresAt = new Date(createdAt.getTime() + SESSION_HOURS * 3600_000);
      await inTransaction(db, (tx) => repo.insertSession(tx, { id: newId(), userId: user.id, tokenHash: sha256Hex(token), createdAt, expiresAt }));
      return {
        token,
        expiresAt,
        user: {
          id: user.id,
          username: user.username,
          displayName: user.display_name,
          roles: knownRoles(user.roles),
          organisation: { id: user.organisation_id, code: user.organisation_code, name: user.organisation_name, kind: user.organisation_kind },
        },
      };
    },

    /** Ends the session of this token at once (in this process; others within the cache window). */
    async logout(token: string): Promise<boolean> {
      const tokenHash = sha256Hex(token);
      cache.delete(`user:${tokenHash}`);
      return repo.revokeSession(db, tokenHash, clock.now());
    },

    repository: repo,
  };
}

export type IdentityService = ReturnType<typeof identityService>;
