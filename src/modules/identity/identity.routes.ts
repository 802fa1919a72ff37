import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { principalOf } from '#platform/http/auth.ts';
import { notFound } from '#platform/http/problem.ts';
import type { PartiesService } from '#modules/parties/index.ts';
import type { IdentityService } from './identity.service.ts';
import { LoginBody, LoginReply, MeReply } from './identity.schemas.ts';
import { anyRole } from './roles.ts';

export interface IdentityRouteDeps {
  db: Kysely<DB>;
  identity: IdentityService;
  parties: PartiesService;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' && header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
}

function usernameOf(body: unknown): string {
  const username = (body as { username?: unknown } | null | undefined)?.username;
  return typeof username === 'string' ? username.toLowerCase() : '';
}

export function identityRoutes(deps: IdentityRouteDeps): FastifyPluginAsyncTypebox {
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
        config: {
          access: 'public',
          // Slows password guessing: per client address and username, counted after the body is read.
          rateLimit: { max: 30, timeWindow: '1 minute', hook: 'preHandler', keyGenerator: (req: FastifyRequest) => `${req.ip}:${usernameOf(req.body)}` },
        },
      },
      async (request) => {
        const session = await deps.identity.login(request.body.username, request.body.password);
        return { ...session, expiresAt: session.expiresAt.toISOString() };
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
          await deps.identity.logout(token);
        }
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/v1/me',
      { schema: { tags: ['identity'], summary: 'Who is calling: the user or API key, its roles and organisation', response: { 200: MeReply } }, config: { access: anyRole } },
      async (request) => {
        const p = principalOf(request);
        const org = await deps.parties.organisation(deps.db, p.organisationId);
        if (!org) {
          throw notFound('Your organisation');
        }
        return { kind: p.kind, id: p.id, name: p.name, roles: p.roles, organisation: { id: org.id, code: org.code, name: org.name, kind: org.kind } };
      },
    );
    return Promise.resolve();
  };
}
