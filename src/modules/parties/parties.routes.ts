import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { actorOf, customsRoles, isCustoms, principalOf, roles } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { invalid, notFound } from '#platform/http/problem.ts';
import type { Caller, PartiesService } from './parties.service.ts';
import {
  AuthorisationListQuery,
  AuthorisationReply,
  GrantBody,
  IdParams,
  LicenceBody,
  NewOrganisationBody,
  OrganisationListQuery,
  OrganisationReply,
  ReasonBody,
} from './parties.schemas.ts';

export interface PartiesRouteDeps {
  db: Kysely<DB>;
  parties: PartiesService;
}

function callerOf(request: FastifyRequest): Caller {
  const p = principalOf(request);
  return { actor: actorOf(request), requestId: request.id, organisationId: p.organisationId, organisationKind: p.organisationKind };
}

/** preValidation hook: a POST whose body is all optional (a reason) may be sent with no body. */
export function optionalBody(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  request.body ??= {};
  done();
}

const page = <T>(items: T[], limit: number, cursor: (item: T) => string) => {
  const last = items.at(-1);
  return { items, nextCursor: items.length === limit && last !== undefined ? cursor(last) : null };
};

export function partiesRoutes(deps: PartiesRouteDeps): FastifyPluginAsyncTypebox {
  const { db, parties } = deps;
  return (app) => {
    app.post(
      '/api/v1/organisations',
      {
        schema: { tags: ['parties'], summary: 'Register an organisation (trader, clearing agent, carrier, bank, terminal)', body: NewOrganisationBody, response: { 201: OrganisationReply } },
        config: { access: ['admin'] },
      },
      async (request, reply) => idempotent(db, request, reply, async (tx) => ({ status: 201, body: await parties.createOrganisation(tx, callerOf(request), request.body) })),
    );

    app.get(
      '/api/v1/organisations',
      { schema: { tags: ['parties'], summary: 'Every registered organisation (customs only), by code', querystring: OrganisationListQuery }, config: { access: customsRoles } },
      async (request) => {
        const limit = request.query.limit ?? 50;
        const items = await parties.organisations(db, { ...(request.query.kind ? { kind: request.query.kind } : {}), ...(request.query.after ? { after: request.query.after } : {}), limit });
        return page(items, limit, (o) => o.code);
      },
    );

    app.get(
      '/api/v1/organisations/me',
      { schema: { tags: ['parties'], summary: 'Your own organisation, its PIN, licence and AEO status', response: { 200: OrganisationReply } }, config: { access: roles } },
      async (request) => {
        const org = await parties.organisation(db, principalOf(request).organisationId);
        if (!org) {
          throw notFound('Your organisation');
        }
        return parties.view(org);
      },
    );

    app.get(
      '/api/v1/organisations/:id',
      { schema: { tags: ['parties'], summary: 'An organisation: customs see any, others only their own', params: IdParams, response: { 200: OrganisationReply } }, config: { access: roles } },
      async (request) => {
        const p = principalOf(request);
        const org = await parties.organisation(db, request.params.id);
        if (!org || (!isCustoms(p) && org.id !== p.organisationId)) {
          throw notFound(`Organisation ${request.params.id}`);
        }
        return parties.view(org);
      },
    );

    app.post(
      '/api/v1/organisations/:id/licence',
      { schema: { tags: ['parties'], summary: "Record a clearing agent's renewed licence", params: IdParams, body: LicenceBody, response: { 200: OrganisationReply } }, config: { access: ['admin'] } },
      async (request, reply) => idempotent(db, request, reply, async (tx) => ({ status: 200, body: await parties.renewLicence(tx, callerOf(request), request.params.id, request.body) })),
    );

    app.post(
      '/api/v1/authorisations',
      {
        schema: {
          tags: ['parties'],
          summary: 'Authorise a licensed clearing agent to act for your organisation (importers only)',
          body: GrantBody,
          response: { 201: AuthorisationReply },
        },
        config: { access: ['trader'] },
      },
      async (request, reply) => {
        const { agentCode, agentId, validFrom, validTo } = request.body;
        if ((agentCode === undefined) === (agentId === undefined)) {
          throw invalid([{ pointer: '/agentCode', code: 'one_of', message: 'give the clearing agent by agentCode or by agentId (one of them)' }]);
        }
        const caller = callerOf(request);
        return idempotent(db, request, reply, async (tx) => {
          const agent = agentCode !== undefined ? await parties.organisationByCode(tx, agentCode) : await parties.organisation(tx, agentId ?? '');
          const body = await parties.grantAuthorisation(tx, caller, { agent, agentPointer: agentCode !== undefined ? '/agentCode' : '/agentId', validFrom, validTo: validTo ?? null });
          return { status: 201, body };
        });
      },
    );

    app.get(
      '/api/v1/authorisations',
      {
        schema: {
          tags: ['parties'],
          summary: 'Agent authorisations: an importer sees those it granted, an agent those it received, customs all',
          querystring: AuthorisationListQuery,
        },
        config: { access: ['trader', 'agent', ...customsRoles] },
      },
      async (request) => {
        const { agentCode, clientCode, after } = request.query;
        const limit = request.query.limit ?? 50;
        const byCode = async (code: string | undefined) => (code === undefined ? undefined : ((await parties.organisationByCode(db, code))?.id ?? null));
        const agentOrgId = await byCode(agentCode);
        const clientOrgId = await byCode(clientCode);
        if (agentOrgId === null || clientOrgId === null) {
          return page([], limit, () => '');
        }
        const items = await parties.authorisations(db, callerOf(request), {
          ...(agentOrgId ? { agentOrgId } : {}),
          ...(clientOrgId ? { clientOrgId } : {}),
          ...(after ? { after } : {}),
          limit,
        });
        return page(items, limit, (a) => a.id);
      },
    );

    app.get(
      '/api/v1/authorisations/:id',
      { schema: { tags: ['parties'], summary: 'One agent authorisation you granted or received', params: IdParams, response: { 200: AuthorisationReply } }, config: { access: ['trader', 'agent', ...customsRoles] } },
      async (request) => parties.authorisation(db, callerOf(request), request.params.id),
    );

    app.post(
      '/api/v1/authorisations/:id/revoke',
      {
        schema: { tags: ['parties'], summary: 'Revoke an authorisation you granted; the agent can no longer act for you', params: IdParams, body: ReasonBody, response: { 200: AuthorisationReply } },
        preValidation: optionalBody,
        config: { access: ['trader', 'admin'] },
      },
      async (request, reply) =>
        idempotent(db, request, reply, async (tx) => ({ status: 200, body: await parties.revokeAuthorisation(tx, callerOf(request), request.params.id, request.body.reason ?? null) })),
    );

    return Promise.resolve();
  };
}
