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
import { conflict, FieldErrors, notFound, unauthorized } from '#platform/http/problem.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import type { OrganisationKind } from '#modules/parties/index.ts';
import { identityRepository, type ApiKeyRow, type PrincipalRow, type UserRow } from './identity.repository.ts';
import { isRole, rolesByKind } from './roles.ts';
import { hashPassword, newSecret, sha256Hex, verifyPassword } from './secrets.ts';

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

/** The organisation a user or key belongs to, as the caller resolved it. */
export interface OwnerOrganisation {
  id: string;
  code: string;
  kind: OrganisationKind;
}

/** Who asked for a change, for the audit trail. */
export interface ChangeContext {
  actor: Actor;
  requestId: string;
}

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
  active: boolean;
  createdAt: string;
  organisation: { id: string; code: string; name: string; kind: OrganisationKind };
}

export interface ApiKeyView {
  id: string;
  name: string;
  keyPrefix: string;
  roles: Role[];
  createdAt: string;
  revokedAt: string | null;
  organisation: { id: string; code: string };
}

export const MIN_PASSWORD_LENGTH = 12;

export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    roles: knownRoles(u.roles),
    active: u.active,
    createdAt: u.created_at.toISOString(),
    organisation: { id: u.organisation_id, code: u.organisation_code, name: u.organisation_name, kind: u.organisation_kind },
  };
}

export function apiKeyView(k: ApiKeyRow): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    keyPrefix: k.key_prefix,
    roles: knownRoles(k.roles),
    createdAt: k.created_at.toISOString(),
    revokedAt: k.revoked_at?.toISOString() ?? null,
    organisation: { id: k.organisation_id, code: k.organisation_code },
  };
}

/** Roles must exist and suit the organisation: only the administration's people hold customs roles. */
function checkRoles(errors: FieldErrors, pointer: string, requested: string[], org: OwnerOrganisation): Role[] {
  const allowed = rolesByKind[org.kind];
  if (requested.length === 0) {
    errors.add(pointer, 'roles_required', `give at least one role; a ${org.kind} organisation may hold ${allowed.join(', ')}`);
  }
  requested.forEach((r, i) => {
    if (!isRole(r)) {
      errors.add(`${pointer}/${i}`, 'unknown_role', `"${r}" is not a role; roles are ${rolesByKind.customs.concat(['carrier', 'agent', 'trader', 'bank', 'terminal']).join(', ')}`);
    } else if (!allowed.includes(r)) {
      errors.add(`${pointer}/${i}`, 'role_not_allowed', `a ${org.kind} organisation (${org.code}) may hold only ${allowed.join(', ')}`);
    }
  });
  return [...new Set(requested.filter(isRole))];
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

export function identityService(db: Kysely<DB>, clock: Clock, options: { cacheTtlMs?: number } = {}) {
  const repo = identityRepository();
  const cacheTtlMs = options.cacheTtlMs ?? CACHE_TTL_MS;
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

  /**
   * Drops cached lookups of a user or key in this process. Call it after the revocation has
   * committed: evicting earlier would let a concurrent request cache the still-valid row again.
   */
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
      if (hit && performance.now() - hit.cachedAt < cacheTtlMs && (hit.expiresAt === null || hit.expiresAt > now)) {
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
      const revoked = await repo.revokeSession(db, tokenHash, clock.now());
      cache.delete(`user:${tokenHash}`);
      return revoked;
    },

    repository: repo,

    async user(q: Kysely<DB>, id: string): Promise<UserView | undefined> {
      const u = await repo.userById(q, id);
      return u && userView(u);
    },

    async users(q: Kysely<DB>, filter: { organisationId?: string; after?: string; limit: number }): Promise<UserView[]> {
      return (await repo.listUsers(q, filter)).map(userView);
    },

    /** A person who may log in, with roles that suit the organisation. */
    async createUser(
      tx: Tx,
      ctx: ChangeContext,
      input: { organisation: OwnerOrganisation; username: string; displayName: string; password: string; roles: string[] },
    ): Promise<UserView> {
      const errors = new FieldErrors();
      const username = input.username.trim().toLowerCase();
      if (!/^[a-z0-9][a-z0-9._-]{2,63}$/.test(username)) {
        errors.add('/username', 'pattern', 'use 3 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit');
      }
      if (input.password.length < MIN_PASSWORD_LENGTH) {
        errors.add('/password', 'too_short', `use at least ${MIN_PASSWORD_LENGTH} characters`);
      }
      const roles = checkRoles(errors, '/roles', input.roles, input.organisation);
      errors.throwIfAny();
      if (await repo.userByUsername(tx, username)) {
        throw conflict(`The username ${username} is taken`);
      }
      const id = newId();
      await repo.insertUser(tx, { id, organisationId: input.organisation.id, username, displayName: input.displayName.trim(), passwordHash: await hashPassword(input.password), roles });
      const created = await repo.userById(tx, id);
      if (!created) {
        throw new Error(`user ${id} vanished after insert`);
      }
      const view = userView(created);
      await recordAudit(tx, { actor: ctx.actor, action: 'user.created', entityType: 'user', entityId: id, subjects: [input.organisation.code, username], after: view, requestId: ctx.requestId });
      return view;
    },

    /** Stops a person logging in and ends their sessions. Call `forget(id)` after the commit. */
    async deactivateUser(tx: Tx, ctx: ChangeContext, id: string, reason: string | null): Promise<UserView> {
      const before = await repo.userById(tx, id);
      if (!before) {
        throw notFound(`User ${id}`);
      }
      if (!before.active) {
        throw conflict(`The user ${before.username} is already deactivated`);
      }
      if (before.id === ctx.actor.id) {
        throw conflict('You cannot deactivate yourself; ask another administrator');
      }
      await repo.setUserActive(tx, id, false);
      await repo.revokeSessionsOfUser(tx, id, clock.now());
      const after = { ...userView(before), active: false };
      await recordAudit(tx, { actor: ctx.actor, action: 'user.deactivated', entityType: 'user', entityId: id, subjects: [before.organisation_code, before.username], before: userView(before), after, reason, requestId: ctx.requestId });
      return after;
    },

    async apiKeys(q: Kysely<DB>, filter: { organisationId?: string }): Promise<ApiKeyView[]> {
      return (await repo.listApiKeys(q, filter)).map(apiKeyView);
    },

    /** A new random key for a system; the key itself is returned here once and never stored. */
    async issueApiKey(tx: Tx, ctx: ChangeContext, input: { organisation: OwnerOrganisation; name: string; roles: string[] }): Promise<{ view: ApiKeyView; key: string }> {
      const errors = new FieldErrors();
      const roles = checkRoles(errors, '/roles', input.roles, input.organisation);
      errors.throwIfAny();
      const key = newSecret();
      const id = newId();
      await repo.insertApiKey(tx, { id, organisationId: input.organisation.id, name: input.name.trim(), keyPrefix: key.slice(0, 8), keyHash: sha256Hex(key), roles, createdAt: clock.now() });
      const row = await repo.apiKeyById(tx, id);
      if (!row) {
        throw new Error(`API key ${id} vanished after insert`);
      }
      const view = apiKeyView(row);
      await recordAudit(tx, { actor: ctx.actor, action: 'api_key.issued', entityType: 'api_key', entityId: id, subjects: [input.organisation.code], after: view, requestId: ctx.requestId });
      return { view, key };
    },

    /**
     * Revokes a key. Call `forget(id)` after the commit: this process then refuses the key at once,
     * other processes within CACHE_TTL_MS.
     */
    async revokeApiKey(tx: Tx, ctx: ChangeContext, id: string, reason: string | null): Promise<ApiKeyView> {
      const before = await repo.apiKeyById(tx, id);
      if (!before) {
        throw notFound(`API key ${id}`);
      }
      if (before.revoked_at !== null) {
        throw conflict(`The API key ${before.key_prefix}… was already revoked on ${before.revoked_at.toISOString()}`);
      }
      const at = clock.now();
      await repo.revokeApiKey(tx, id, at);
      const after = { ...apiKeyView(before), revokedAt: at.toISOString() };
      await recordAudit(tx, { actor: ctx.actor, action: 'api_key.revoked', entityType: 'api_key', entityId: id, subjects: [before.organisation_code], before: apiKeyView(before), after, reason, requestId: ctx.requestId });
      return after;
    },
  };
}

export type IdentityService = ReturnType<typeof identityService>;
