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
import { isConnectionError } from '#platform/db/errors.ts';
import { conflict, FieldErrors, invalid, notFound, unauthorized } from '#platform/http/problem.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import type { OrganisationKind } from '#modules/parties/index.ts';
import { identityRepository, type ApiKeyRow, type PrincipalRow, type UserRow } from './identity.repository.ts';
import { isRole, rolesByKind } from './roles.ts';
import { newSecret, passwordWeakness, PasswordHasher, sha256Hex } from './secrets.ts';
import { AccountLockout, LoginRate, normaliseUsername, type LockoutPolicy } from './login-guard.ts';

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
  expiresAt: string;
  revokedAt: string | null;
  /** The key that replaced this one when it was rotated. */
  replacedBy: string | null;
  status: 'active' | 'expired' | 'revoked';
  organisation: { id: string; code: string };
}

/** The settings the identity module runs with (from src/config.ts). */
export interface IdentitySettings {
  hasher: PasswordHasher;
  lockout: LockoutPolicy;
  loginRatePerSecond: number;
  apiKeys: { days: number; maxDays: number; rotationOverlapHours: number };
  /** How long a credential that worked is remembered in memory (tests shorten it). */
  cacheTtlMs?: number;
}

/** The identity settings out of the configuration (src/config.ts). */
export function identitySettings(c: {
  passwordHashConcurrency: number;
  passwordHashQueue: number;
  loginAccountFailures: number;
  loginAccountWindowMinutes: number;
  loginLockoutMinutes: number;
  loginRatePerSecond: number;
  apiKeyDays: number;
  apiKeyMaxDays: number;
  apiKeyRotationOverlapHours: number;
}): IdentitySettings {
  return {
    hasher: new PasswordHasher(c.passwordHashConcurrency, c.passwordHashQueue),
    lockout: { failures: c.loginAccountFailures, windowMinutes: c.loginAccountWindowMinutes, lockoutMinutes: c.loginLockoutMinutes },
    loginRatePerSecond: c.loginRatePerSecond,
    apiKeys: { days: c.apiKeyDays, maxDays: c.apiKeyMaxDays, rotationOverlapHours: c.apiKeyRotationOverlapHours },
  };
}

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

export function apiKeyView(k: ApiKeyRow, now: Date): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    keyPrefix: k.key_prefix,
    roles: knownRoles(k.roles),
    createdAt: k.created_at.toISOString(),
    expiresAt: k.expires_at.toISOString(),
    revokedAt: k.revoked_at?.toISOString() ?? null,
    replacedBy: k.replaced_by,
    status: k.revoked_at !== null ? 'revoked' : k.expires_at <= now ? 'expired' : 'active',
    organisation: { id: k.organisation_id, code: k.organisation_code },
  };
}

/** Adds the field error when the password will not do. */
function checkPassword(errors: FieldErrors, pointer: string, password: string, username: string): void {
  const weakness = passwordWeakness(password, username);
  if (weakness) {
    errors.add(pointer, weakness.code, weakness.message);
  }
}

/** Roles must exist and suit the organisation: only the administration's people hold customs roles. */
function checkRoles(errors: FieldErrors, pointer: string, requested: string[], org: OwnerOrganisation): Role[] {
  const allowed = rolesByKind[org.kind];
  if (requested.length === 0) {
    errors.add(pointer, 'roles_required', `give at least one role; a ${org.kind} organisation may hold ${allowed.join(', ')}`);
  }
  requested.forEach((r, i) => {
    if (!isRole(r)) {
      errors.add(`${pointer}/${i}`, 'unknown_role', `"${r}" is not a role; roles are ${rolesByKind.customs.concat(['carrier', 'agent', 'trader', 'bank', 'terminal', 'tracker']).join(', ')}`);
    } else if (!allowed.includes(r)) {
      errors.add(`${pointer}/${i}`, 'role_not_allowed', `a ${org.kind} organisation (${org.code}) may hold only ${allowed.join(', ')}`);
    }
  });
  return [...new Set(requested.filter(isRole))];
}

interface CacheEntry {
  principal: Principal;
  expiresAt: Date;
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

const DAY_MS = 86_400_000;

export function identityService(db: Kysely<DB>, clock: Clock, settings: IdentitySettings) {
  const repo = identityRepository();
  const cacheTtlMs = settings.cacheTtlMs ?? CACHE_TTL_MS;
  const cache = new Map<string, CacheEntry>();
  const { hasher } = settings;
  const lockout = new AccountLockout(settings.lockout, clock);
  const loginRate = new LoginRate(settings.loginRatePerSecond);

  /** When a new key stops: as asked (within the maximum), else after the default validity. */
  const keyExpiry = (errors: FieldErrors, now: Date, requested: string | undefined): Date => {
    const latest = new Date(now.getTime() + settings.apiKeys.maxDays * DAY_MS);
    if (requested === undefined) {
      return new Date(now.getTime() + settings.apiKeys.days * DAY_MS);
    }
    const at = new Date(requested);
    if (Number.isNaN(at.getTime()) || at <= now) {
      errors.add('/expiresAt', 'not_in_future', `must be a date-time after now (${now.toISOString()})`);
    } else if (at > latest) {
      errors.add('/expiresAt', 'too_far', `a key may be valid for at most ${settings.apiKeys.maxDays} days: ${latest.toISOString()} at the latest`);
    }
    return at;
  };

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
      if (hit && performance.now() - hit.cachedAt < cacheTtlMs && hit.expiresAt > now) {
        return hit.principal;
      }
      let row: PrincipalRow | undefined;
      try {
        row = kind === 'user' ? await repo.principalBySession(db, secretHash, now) : await repo.principalByApiKey(db, secretHash);
      } catch (err) {
        // The database is away (restart, failover, outage): a credential this process verified
        // before, and not expired, is still taken, so lodgements can go to the store-and-forward
        // journal. A revocation made meanwhile is seen when the database is back.
        if (hit && hit.expiresAt > now && isConnectionError(err)) {
          return hit.principal;
        }
        throw err;
      }
      cache.delete(cacheKey);
      if (!row) {
        return undefined;
      }
      if (row.expires_at <= now) {
        // Only the key's holder can see this, and it tells them what to do.
        throw unauthorized(`This API key expired at ${row.expires_at.toISOString()}; ask the administration for a new one`);
      }
      const principal = toPrincipal(kind, row);
      remember(cacheKey, { principal, expiresAt: row.expires_at, cachedAt: performance.now() });
      return principal;
    },
  };

  /** A new random key for a system; the key itself is returned here once and never stored. */
  async function issueApiKey(
    tx: Tx,
    ctx: ChangeContext,
    input: { organisation: OwnerOrganisation; name: string; roles: string[]; expiresAt?: string | undefined; reason?: string | null },
  ): Promise<{ view: ApiKeyView; key: string }> {
    const now = clock.now();
    const errors = new FieldErrors();
    const roles = checkRoles(errors, '/roles', input.roles, input.organisation);
    const expiresAt = keyExpiry(errors, now, input.expiresAt);
    errors.throwIfAny();
    const key = newSecret();
    const id = newId();
    await repo.insertApiKey(tx, { id, organisationId: input.organisation.id, name: input.name.trim(), keyPrefix: key.slice(0, 8), keyHash: sha256Hex(key), roles, createdAt: now, expiresAt });
    const row = await repo.apiKeyById(tx, id);
    if (!row) {
      throw new Error(`API key ${id} vanished after insert`);
    }
    const view = apiKeyView(row, now);
    await recordAudit(tx, { actor: ctx.actor, action: 'api_key.issued', entityType: 'api_key', entityId: id, subjects: [input.organisation.code], after: view, reason: input.reason ?? null, requestId: ctx.requestId });
    return { view, key };
  }

  return {
    authenticator,
    forget,

    hasher,

    /**
     * Same answer for an unknown user, a wrong password and a deactivated user. Cheap refusals
     * come first (attempts per second, a locked username), the argon2 check last, in its queue.
     */
    async login(rawUsername: string, password: string): Promise<LoggedIn> {
      const username = normaliseUsername(rawUsername);
      loginRate.take();
      lockout.check(username);
      const user = await repo.userByUsername(db, username);
      const ok = await hasher.verify(user?.password_hash, password);
      if (!user || !ok || !user.active) {
        lockout.failed(username);
        throw unauthorized('The username or password is not correct');
      }
      lockout.succeeded(username);
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

    async hasAdministrator(q: Kysely<DB>): Promise<boolean> {
      return repo.hasAdministrator(q);
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
      const username = normaliseUsername(input.username);
      if (!/^[a-z0-9][a-z0-9._-]{2,63}$/.test(username)) {
        errors.add('/username', 'pattern', 'use 3 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit');
      }
      checkPassword(errors, '/password', input.password, username);
      const roles = checkRoles(errors, '/roles', input.roles, input.organisation);
      errors.throwIfAny();
      if (await repo.userByUsername(tx, username)) {
        throw conflict(`The username ${username} is taken`);
      }
      const id = newId();
      await repo.insertUser(tx, { id, organisationId: input.organisation.id, username, displayName: input.displayName.trim(), passwordHash: await hasher.hash(input.password), roles });
      const created = await repo.userById(tx, id);
      if (!created) {
        throw new Error(`user ${id} vanished after insert`);
      }
      const view = userView(created);
      await recordAudit(tx, { actor: ctx.actor, action: 'user.created', entityType: 'user', entityId: id, subjects: [input.organisation.code, username], after: view, requestId: ctx.requestId });
      return view;
    },

    /**
     * A person changes their own password: the current one is checked (a wrong one counts as a
     * failed login), the new one must differ and be strong, and every other session ends. Hashing
     * happens before the transaction, so no connection waits on argon2.
     */
    async changePassword(ctx: ChangeContext & { sessionTokenHash: string }, input: { currentPassword: string; newPassword: string }): Promise<{ passwordChangedAt: string; otherSessionsEnded: number }> {
      const user = await repo.userById(db, ctx.actor.id);
      if (!user) {
        throw notFound(`User ${ctx.actor.id}`);
      }
      lockout.check(user.username);
      const errors = new FieldErrors();
      if (input.newPassword === input.currentPassword) {
        errors.add('/newPassword', 'same_as_current', 'choose a password other than the current one');
      } else {
        checkPassword(errors, '/newPassword', input.newPassword, user.username);
      }
      errors.throwIfAny();
      if (!(await hasher.verify(user.password_hash, input.currentPassword))) {
        lockout.failed(user.username);
        throw invalid([{ pointer: '/currentPassword', code: 'incorrect', message: 'is not your current password' }]);
      }
      const passwordHash = await hasher.hash(input.newPassword);
      const at = clock.now();
      const ended = await inTransaction(db, async (tx) => {
        await repo.setPasswordHash(tx, user.id, passwordHash);
        const n = await repo.revokeSessionsOfUser(tx, user.id, at, ctx.sessionTokenHash);
        await recordAudit(tx, { actor: ctx.actor, action: 'user.password_changed', entityType: 'user', entityId: user.id, subjects: [user.organisation_code, user.username], after: { otherSessionsEnded: n }, requestId: ctx.requestId });
        return n;
      });
      forget(user.id);
      return { passwordChangedAt: at.toISOString(), otherSessionsEnded: ended };
    },

    /**
     * An administrator sets a new password for someone (who forgot theirs): every session of that
     * user ends, and they log in with the new password, which they should then change themselves.
     * Call `forget(id)` after the commit.
     */
    async resetPassword(tx: Tx, ctx: ChangeContext, id: string, input: { newPassword: string; reason: string | null }): Promise<{ user: UserView; sessionsEnded: number }> {
      const user = await repo.userById(tx, id);
      if (!user) {
        throw notFound(`User ${id}`);
      }
      if (user.id === ctx.actor.id) {
        throw conflict('To change your own password use POST /api/v1/auth/password, which asks for the current one');
      }
      const errors = new FieldErrors();
      checkPassword(errors, '/newPassword', input.newPassword, user.username);
      errors.throwIfAny();
      await repo.setPasswordHash(tx, id, await hasher.hash(input.newPassword));
      const sessionsEnded = await repo.revokeSessionsOfUser(tx, id, clock.now());
      await recordAudit(tx, { actor: ctx.actor, action: 'user.password_reset', entityType: 'user', entityId: id, subjects: [user.organisation_code, user.username], after: { sessionsEnded }, reason: input.reason, requestId: ctx.requestId });
      return { user: userView(user), sessionsEnded };
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
      const now = clock.now();
      return (await repo.listApiKeys(q, filter)).map((k) => apiKeyView(k, now));
    },

    issueApiKey,

    /**
     * A new key with the same organisation, name and roles; the old one keeps working for the
     * overlap (so the system can switch without an outage) and is then refused as expired.
     * Call `forget(id)` after the commit.
     */
    async rotateApiKey(
      tx: Tx,
      ctx: ChangeContext,
      id: string,
      input: { overlapHours?: number | undefined; expiresAt?: string | undefined; reason: string | null },
    ): Promise<{ view: ApiKeyView; key: string; previous: ApiKeyView }> {
      const now = clock.now();
      const old = await repo.apiKeyById(tx, id, { forUpdate: true });
      if (!old) {
        throw notFound(`API key ${id}`);
      }
      if (old.revoked_at !== null) {
        throw conflict(`The API key ${old.key_prefix}… was revoked on ${old.revoked_at.toISOString()}; issue a new key instead`);
      }
      if (old.replaced_by !== null) {
        throw conflict(`The API key ${old.key_prefix}… was already rotated; its successor is ${old.replaced_by}`, { replacedBy: old.replaced_by });
      }
      if (old.expires_at <= now) {
        throw conflict(`The API key ${old.key_prefix}… expired on ${old.expires_at.toISOString()}; issue a new key instead`);
      }
      const organisation: OwnerOrganisation = { id: old.organisation_id, code: old.organisation_code, kind: old.organisation_kind };
      const issued = await issueApiKey(tx, ctx, { organisation, name: old.name, roles: old.roles, expiresAt: input.expiresAt, reason: `rotation of ${old.key_prefix}…` });
      const overlapEnds = new Date(now.getTime() + (input.overlapHours ?? settings.apiKeys.rotationOverlapHours) * 3600_000);
      const oldExpiry = overlapEnds < old.expires_at ? overlapEnds : old.expires_at;
      await repo.replaceApiKey(tx, id, issued.view.id, oldExpiry);
      const previous = apiKeyView({ ...old, expires_at: oldExpiry, replaced_by: issued.view.id }, now);
      await recordAudit(tx, { actor: ctx.actor, action: 'api_key.rotated', entityType: 'api_key', entityId: id, subjects: [old.organisation_code], before: apiKeyView(old, now), after: previous, reason: input.reason, requestId: ctx.requestId });
      return { ...issued, previous };
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
      const after = apiKeyView({ ...before, revoked_at: at }, at);
      await recordAudit(tx, { actor: ctx.actor, action: 'api_key.revoked', entityType: 'api_key', entityId: id, subjects: [before.organisation_code], before: apiKeyView(before, at), after, reason, requestId: ctx.requestId });
      return after;
    },
  };
}

export type IdentityService = ReturnType<typeof identityService>;
