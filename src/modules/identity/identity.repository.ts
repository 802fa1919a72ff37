// The only file that touches the identity tables (app_user, api_key, user_session). Principals
// are read joined with their organisation so that one query resolves a credential.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { OrganisationKind } from '#modules/parties/index.ts';

type Q = Kysely<DB>;

export interface PrincipalRow {
  id: string;
  name: string;
  roles: string[];
  organisation_id: string;
  organisation_kind: OrganisationKind;
  organisation_name: string;
  /** When the credential stops working on its own. */
  expires_at: Date;
}

export interface UserRow {
  id: string;
  organisation_id: string;
  username: string;
  display_name: string;
  password_hash: string;
  roles: string[];
  active: boolean;
  created_at: Date;
  organisation_code: string;
  organisation_name: string;
  organisation_kind: OrganisationKind;
}

export interface ApiKeyRow {
  id: string;
  organisation_id: string;
  name: string;
  key_prefix: string;
  roles: string[];
  created_at: Date;
  revoked_at: Date | null;
  expires_at: Date;
  replaced_by: string | null;
  organisation_code: string;
  organisation_kind: OrganisationKind;
}

const userColumns = [
  'app_user.id',
  'app_user.organisation_id',
  'app_user.username',
  'app_user.display_name',
  'app_user.password_hash',
  'app_user.roles',
  'app_user.active',
  'app_user.created_at',
  'organisation.code as organisation_code',
  'organisation.name as organisation_name',
  'organisation.kind as organisation_kind',
] as const;

const keyColumns = [
  'api_key.id',
  'api_key.organisation_id',
  'api_key.name',
  'api_key.key_prefix',
  'api_key.roles',
  'api_key.created_at',
  'api_key.revoked_at',
  'api_key.expires_at',
  'api_key.replaced_by',
  'organisation.code as organisation_code',
  'organisation.kind as organisation_kind',
] as const;

export function identityRepository() {
  return {
    async principalBySession(q: Q, tokenHash: string, now: Date): Promise<PrincipalRow | undefined> {
      return q
        .selectFrom('user_session')
        .innerJoin('app_user', 'app_user.id', 'user_session.user_id')
        .innerJoin('organisation', 'organisation.id', 'app_user.organisation_id')
        .select([
          'app_user.id',
          'app_user.display_name as name',
          'app_user.roles',
          'organisation.id as organisation_id',
          'organisation.kind as organisation_kind',
          'organisation.name as organisation_name',
          'user_session.expires_at',
        ])
        .where('user_session.token_hash', '=', tokenHash)
        .where('user_session.revoked_at', 'is', null)
        .where('user_session.expires_at', '>', now)
        .where('app_user.active', '=', true)
        .executeTakeFirst();
    },

    /** The key's holder, expired or not (the caller tells an expired key apart); never a revoked key. */
    async principalByApiKey(q: Q, keyHash: string): Promise<PrincipalRow | undefined> {
      return q
        .selectFrom('api_key')
        .innerJoin('organisation', 'organisation.id', 'api_key.organisation_id')
        .select([
          'api_key.id',
          'api_key.name',
          'api_key.roles',
          'organisation.id as organisation_id',
          'organisation.kind as organisation_kind',
          'organisation.name as organisation_name',
          'api_key.expires_at',
        ])
        .where('api_key.key_hash', '=', keyHash)
        .where('api_key.revoked_at', 'is', null)
        .executeTakeFirst();
    },

    async userByUsername(q: Q, username: string): Promise<UserRow | undefined> {
      return q.selectFrom('app_user').innerJoin('organisation', 'organisation.id', 'app_user.organisation_id').select(userColumns).where('app_user.username', '=', username).executeTakeFirst();
    },

    async userById(q: Q, id: string): Promise<UserRow | undefined> {
      return q.selectFrom('app_user').innerJoin('organisation', 'organisation.id', 'app_user.organisation_id').select(userColumns).where('app_user.id', '=', id).executeTakeFirst();
    },

    async listUsers(q: Q, filter: { organisationId?: string; after?: string; limit: number }): Promise<UserRow[]> {
      let query = q.selectFrom('app_user').innerJoin('organisation', 'organisation.id', 'app_user.organisation_id').select(userColumns);
      if (filter.organisationId !== undefined) {
        query = query.where('app_user.organisation_id', '=', filter.organisationId);
      }
      if (filter.after !== undefined) {
        query = query.where('app_user.username', '>', filter.after);
      }
      return query.orderBy('app_user.username').limit(filter.limit).execute();
    },

    async insertUser(q: Q, user: { id: string; organisationId: string; username: string; displayName: string; passwordHash: string; roles: string[] }): Promise<void> {
      await q
        .insertInto('app_user')
        .values({ id: user.id, organisation_id: user.organisationId, username: user.username, display_name: user.displayName, password_hash: user.passwordHash, roles: user.roles })
        .execute();
    },

    async setPasswordHash(q: Q, id: string, passwordHash: string): Promise<void> {
      await q.updateTable('app_user').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },

    /** Whether any active user holds the admin role (else the first one is made from the command line). */
    async hasAdministrator(q: Q): Promise<boolean> {
      const row = await q.selectFrom('app_user').select('id').where('active', '=', true).where(sql<boolean>`'admin' = any(roles)`).limit(1).executeTakeFirst();
      return row !== undefined;
    },

    async setUserActive(q: Q, id: string, active: boolean): Promise<void> {
      await q.updateTable('app_user').set({ active }).where('id', '=', id).execute();
    },

    async insertSession(q: Q, session: { id: string; userId: string; tokenHash: string; createdAt: Date; expiresAt: Date }): Promise<void> {
      await q
        .insertInto('user_session')
        .values({ id: session.id, user_id: session.userId, token_hash: session.tokenHash, created_at: session.createdAt, expires_at: session.expiresAt })
        .execute();
    },

    async revokeSession(q: Q, tokenHash: string, at: Date): Promise<boolean> {
      const r = await q.updateTable('user_session').set({ revoked_at: at }).where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** Ends the user's open sessions (all, or all but the one with this token hash); returns how many. */
    async revokeSessionsOfUser(q: Q, userId: string, at: Date, keepTokenHash?: string): Promise<number> {
      let query = q.updateTable('user_session').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', at);
      if (keepTokenHash !== undefined) {
        query = query.where('token_hash', '<>', keepTokenHash);
      }
      const r = await query.executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    async insertApiKey(q: Q, key: { id: string; organisationId: string; name: string; keyPrefix: string; keyHash: string; roles: string[]; createdAt?: Date; expiresAt: Date }): Promise<void> {
      await q
        .insertInto('api_key')
        .values({
          id: key.id,
          organisation_id: key.organisationId,
          name: key.name,
          key_prefix: key.keyPrefix,
          key_hash: key.keyHash,
          roles: key.roles,
          expires_at: key.expiresAt,
          ...(key.createdAt ? { created_at: key.createdAt } : {}),
        })
        .execute();
    },

    async apiKeyById(q: Q, id: string, options: { forUpdate?: boolean } = {}): Promise<ApiKeyRow | undefined> {
      const query = q.selectFrom('api_key').innerJoin('organisation', 'organisation.id', 'api_key.organisation_id').select(keyColumns).where('api_key.id', '=', id);
      // Locks the key's row: two rotations of one key at once make one successor, not two.
      return (options.forUpdate ? query.forUpdate('api_key') : query).executeTakeFirst();
    },

    async replaceApiKey(q: Q, id: string, replacedBy: string, expiresAt: Date): Promise<void> {
      await q.updateTable('api_key').set({ replaced_by: replacedBy, expires_at: expiresAt }).where('id', '=', id).execute();
    },

    async listApiKeys(q: Q, filter: { organisationId?: string }): Promise<ApiKeyRow[]> {
      let query = q.selectFrom('api_key').innerJoin('organisation', 'organisation.id', 'api_key.organisation_id').select(keyColumns);
      if (filter.organisationId !== undefined) {
        query = query.where('api_key.organisation_id', '=', filter.organisationId);
      }
      return query.orderBy('organisation.code').orderBy('api_key.created_at').execute();
    },

    async revokeApiKey(q: Q, id: string, at: Date): Promise<void> {
      await q.updateTable('api_key').set({ revoked_at: at }).where('id', '=', id).execute();
    },
  };
}

export type IdentityRepository = ReturnType<typeof identityRepository>;
