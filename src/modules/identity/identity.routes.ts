import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { actorOf, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { forbidden, invalid, notFound } from '#platform/http/problem.ts';
import { bodyLimits } from '#platform/http/input-guard.ts';
import { optionalBody, type PartiesService } from '#modules/parties/index.ts';
import type { ChangeContext, IdentityService, OwnerOrganisation } from './identity.service.ts';
import {
  ApiKeyReply,
  ChangePasswordBody,
  ChangePasswordReply,
  IdParams,
  IssuedApiKeyReply,
  LoginBody,
  LoginReply,
  MeReply,
  NewApiKeyBody,
  NewUserBody,
  OrganisationQuery,
  ReasonBody,
  ResetPasswordBody,
  ResetPasswordReply,
  RotateApiKeyBody,
  RotatedApiKeyReply,
  UserListQuery,
  UserReply,
} from './identity.schemas.ts';
import { anyRole } from './roles.ts';
import { normaliseUsername, RetryLater } from './login-guard.ts';
import { HasherBusy, sha256Hex } from './secrets.ts';

export interface IdentityRouteDeps {
  db: Kysely<DB>;
  identity: IdentityService;
  parties: PartiesService;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' && header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
}

/** The username exactly as login will look it up, so padding or case cannot open a fresh bucket. */
function usernameOf(body: unknown): string {
  const username = (body as { username?: unknown } | null | undefined)?.username;
  return typeof username === 'string' ? normaliseUsername(username) : '';
}

/** Refusals that know when to come back (lock-out, login rate, busy hash queue) carry Retry-After. */
async function withRetryAfter<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RetryLater || err instanceof HasherBusy) {
      void reply.header('retry-after', String(err.retryAfterSeconds));
    }
    throw err;
  }
}

const contextOf = (request: FastifyRequest): ChangeContext => ({ actor: actorOf(request), requestId: request.id });

export function identityRoutes(deps: IdentityRouteDeps): FastifyPluginAsyncTypebox {
  const { db, identity, parties } = deps;

  /** The organisation named in a body by organisationCode or organisationId (exactly one). */
  async function owner(q: Kysely<DB>, body: { organisationCode?: string | undefined; organisationId?: string | undefined }): Promise<OwnerOrganisation> {
    if ((body.organisationCode === undefined) === (body.organisationId === undefined)) {
      throw invalid([{ pointer: '/organisationCode', code: 'one_of', message: 'name the organisation by organisationCode or by organisationId (one of them)' }]);
    }
    const org = body.organisationCode !== undefined ? await parties.organisationByCode(q, body.organisationCode) : await parties.organisation(q, body.organisationId ?? '');
    if (!org) {
      const pointer = body.organisationCode !== undefined ? '/organisationCode' : '/organisationId';
      throw invalid([{ pointer, code: 'unknown_organisation', message: 'no organisation has this code or id; register it first (POST /api/v1/organisations)' }]);
    }
    return { id: org.id, code: org.code, kind: org.kind };
  }

  return (app) => {
    app.post(
      '/api/v1/auth/login',
      {
        schema: {
          tags: ['identity'],
          summary: 'Log in with username and password; returns a session token valid for 8 hours',
          body: LoginBody,
          response: { 200: LoginReply },
        },
        bodyLimit: bodyLimits.small,
        config: {
          access: 'public',
          // Slows password guessing: per client address and username, counted after the body is read.
          // The service adds a lock-out per username, a ceiling per second and the hash queue.
          rateLimit: { max: 30, timeWindow: '1 minute', hook: 'preHandler', keyGenerator: (req: FastifyRequest) => `${req.ip}:${usernameOf(req.body)}` },
        },
      },
      async (request, reply) =>
        withRetryAfter(reply, async () => {
          const session = await identity.login(request.body.username, request.body.password);
          return { ...session, expiresAt: session.expiresAt.toISOString() };
        }),
    );

    app.post(
      '/api/v1/auth/password',
      {
        schema: {
          tags: ['identity'],
          summary: 'Change your own password; your other sessions end, this one goes on',
          body: ChangePasswordBody,
          response: { 200: ChangePasswordReply },
        },
        config: { access: anyRole },
      },
      async (request, reply) => {
        const p = principalOf(request);
        const token = bearerOf(request);
        if (p.kind !== 'user' || token === undefined) {
          throw forbidden('Only a person logged in with a session has a password to change; API keys are rotated (POST /api/v1/api-keys/:id/rotate)');
        }
        return withRetryAfter(reply, () => identity.changePassword({ ...contextOf(request), sessionTokenHash: sha256Hex(token) }, request.body));
      },
    );

    app.post(
      '/api/v1/auth/logout',
      {
        schema: { tags: ['identity'], summary: 'End the current session (the bearer token stops working); answers 204' },
        config: { access: anyRole },
      },
      async (request, reply) => {
        const token = bearerOf(request);
        if (token !== undefined) {
          await identity.logout(token);
        }
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/v1/me',
      { schema: { tags: ['identity'], summary: 'Who is calling: the user or API key, its roles and organisation', response: { 200: MeReply } }, config: { access: anyRole } },
      async (request) => {
        const p = principalOf(request);
        const org = await parties.organisation(db, p.organisationId);
        if (!org) {
          throw notFound('Your organisation');
        }
        return { kind: p.kind, id: p.id, name: p.name, roles: p.roles, organisation: { id: org.id, code: org.code, name: org.name, kind: org.kind } };
      },
    );
    app.post(
      '/api/v1/users',
      { schema: { tags: ['identity'], summary: 'Create a user of an organisation, with roles that suit it', body: NewUserBody, response: { 201: UserReply } }, config: { access: ['admin'] } },
      async (request, reply) =>
        withRetryAfter(reply, () =>
          idempotent(db, request, reply, async (tx) => ({ status: 201, body: await identity.createUser(tx, contextOf(request), { ...request.body, organisation: await owner(tx, request.body) }) })),
        ),
    );

    app.get(
      '/api/v1/users',
      { schema: { tags: ['identity'], summary: 'Users, by username; optionally of one organisation', querystring: UserListQuery }, config: { access: ['admin'] } },
      async (request) => {
        const limit = request.query.limit ?? 50;
        const org = request.query.organisationCode === undefined ? undefined : await parties.organisationByCode(db, request.query.organisationCode);
        if (request.query.organisationCode !== undefined && !org) {
          return { items: [], nextCursor: null };
        }
        const items = await identity.users(db, { ...(org ? { organisationId: org.id } : {}), ...(request.query.after ? { after: request.query.after } : {}), limit });
        const last = items.at(-1);
        return { items, nextCursor: items.length === limit && last ? last.username : null };
      },
    );

    app.post(
      '/api/v1/users/:id/deactivate',
      { schema: { tags: ['identity'], summary: 'Stop a user logging in and end their sessions', params: IdParams, body: ReasonBody, response: { 200: UserReply } }, preValidation: optionalBody, config: { access: ['admin'] } },
      async (request, reply) => {
        const result = await idempotent(db, request, reply, async (tx) => ({
          status: 200,
          body: await identity.deactivateUser(tx, contextOf(request), request.params.id, request.body.reason ?? null),
        }));
        identity.forget(request.params.id);
        return result;
      },
    );

    app.post(
      '/api/v1/users/:id/password',
      {
        schema: {
          tags: ['identity'],
          summary: "Set a new password for a user who lost theirs: all of the user's sessions end",
          params: IdParams,
          body: ResetPasswordBody,
          response: { 200: ResetPasswordReply },
        },
        config: { access: ['admin'] },
      },
      async (request, reply) => {
        const result = await withRetryAfter(reply, () =>
          idempotent(db, request, reply, async (tx) => ({
            status: 200,
            body: await identity.resetPassword(tx, contextOf(request), request.params.id, { newPassword: request.body.newPassword, reason: request.body.reason ?? null }),
          })),
        );
        identity.forget(request.params.id);
        return result;
      },
    );

    app.post(
      '/api/v1/api-keys',
      {
        schema: {
          tags: ['identity'],
          summary: "Issue an API key for an organisation's system; the key is shown once",
          body: NewApiKeyBody,
          response: { 201: IssuedApiKeyReply },
        },
        config: { access: ['admin'] },
      },
      async (request, reply) => {
        // The key is never stored, not even in the idempotency record: a replay answers without it.
        let issued: string | undefined;
        const body = await idempotent(db, request, reply, async (tx) => {
          const { view, key } = await identity.issueApiKey(tx, contextOf(request), { ...request.body, organisation: await owner(tx, request.body) });
          issued = key;
          return { status: 201, body: view };
        });
        return { ...body, key: issued ?? null };
      },
    );

    app.get(
      '/api/v1/api-keys',
      { schema: { tags: ['identity'], summary: 'API keys (prefix only, never the key), optionally of one organisation', querystring: OrganisationQuery }, config: { access: ['admin'] } },
      async (request) => {
        const org = request.query.organisationCode === undefined ? undefined : await parties.organisationByCode(db, request.query.organisationCode);
        if (request.query.organisationCode !== undefined && !org) {
          return { items: [] };
        }
        return { items: await identity.apiKeys(db, org ? { organisationId: org.id } : {}) };
      },
    );

    app.post(
      '/api/v1/api-keys/:id/rotate',
      {
        schema: {
          tags: ['identity'],
          summary: 'Issue a successor with the same organisation, name and roles; the old key works for the overlap, then expires',
          params: IdParams,
          body: RotateApiKeyBody,
          response: { 201: RotatedApiKeyReply },
        },
        preValidation: optionalBody,
        config: { access: ['admin'] },
      },
      async (request, reply) => {
        // As at issue: the new key is shown once and never stored, not even for a replay.
        let issued: string | undefined;
        const body = await idempotent(db, request, reply, async (tx) => {
          const { view, key, previous } = await identity.rotateApiKey(tx, contextOf(request), request.params.id, { ...request.body, reason: request.body.reason ?? null });
          issued = key;
          return { status: 201, body: { ...view, previous } };
        });
        identity.forget(request.params.id);
        return { ...body, key: issued ?? null };
      },
    );

    app.post(
      '/api/v1/api-keys/:id/revoke',
      { schema: { tags: ['identity'], summary: 'Revoke an API key: it stops working at once', params: IdParams, body: ReasonBody, response: { 200: ApiKeyReply } }, preValidation: optionalBody, config: { access: ['admin'] } },
      async (request, reply) => {
        const result = await idempotent(db, request, reply, async (tx) => ({
          status: 200,
          body: await identity.revokeApiKey(tx, contextOf(request), request.params.id, request.body.reason ?? null),
        }));
        identity.forget(request.params.id);
        return result;
      },
    );

    return Promise.resolve();
  };
}
