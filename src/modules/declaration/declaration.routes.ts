// /api/v1/declarations and the consignment timeline. Every POST runs through idempotent(): one
// transaction, replayed for a repeated Idempotency-Key. Reads answer 404 for declarations of
// other organisations, so their existence never leaks. An If-Match header with the version the
// caller saw (the ETag of GET) turns a lost update into a 412.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { actorOf, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { invalid } from '#platform/http/problem.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { Caller, DeclarationService } from './declaration.service.ts';
import type { DeclarationView } from './declaration.view.ts';
import { AmendBody, ControlBody, CreateBody, IdParams, ListQuery, ReasonBody, ReferenceParams, RequestDecisionBody, RequestParams, TimelineQuery } from './declaration.schemas.ts';

const declarants = ['agent', 'trader'] as const;
const officers = ['officer', 'supervisor'] as const;
const requestNote = 'From registration on (a PRN issued) the change is not made at once: the answer is 202 with the declaration and its pendingRequest, which an officer approves or refuses.';
const readers = ['agent', 'trader', 'officer', 'supervisor', 'risk_analyst', 'admin'] as const;
const followers = ['agent', 'trader', 'carrier', 'officer', 'supervisor', 'risk_analyst', 'admin'] as const;
/** Up to 999 items with descriptions of 512 characters, room for \u-escaped non-Latin text. */
const declarationBodyLimit = 4 * 1024 * 1024;
const keyNote = 'Send an Idempotency-Key header: a retry with the same key and body returns the first answer; another body with it is a 422.';
const matchNote = 'Send If-Match: "<version>" (the ETag of GET) to refuse the change (412) if someone changed the declaration since you read it.';

function expectedVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) {
    return undefined;
  }
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(String(header).trim());
  if (!m) {
    throw invalid([{ pointer: '/headers/if-match', code: 'pattern', message: 'must be the declaration version as an ETag, e.g. "3"' }]);
  }
  return Number(m[1]);
}

export function declarationRoutes(deps: { db: Kysely<DB>; declarations: DeclarationService }): FastifyPluginAsyncTypebox {
  const { declarations } = deps;
  const caller = (request: FastifyRequest): Caller => {
    const version = expectedVersion(request);
    return { principal: principalOf(request), actor: actorOf(request), requestId: request.id, ...(version === undefined ? {} : { expectedVersion: version }) };
  };
  /** One change: in one idempotent transaction, answered with the declaration and its ETag. */
  const change = async (request: FastifyRequest, reply: FastifyReply, status: number, work: (tx: Tx, c: Caller) => Promise<DeclarationView>) =>
    changeOrRequest(request, reply, async (tx, c) => ({ view: await work(tx, c), requested: false }), status);
  /** A change the declarant may make at once (status), or only ask an officer for (202). */
  const changeOrRequest = async (request: FastifyRequest, reply: FastifyReply, work: (tx: Tx, c: Caller) => Promise<{ view: DeclarationView; requested: boolean }>, status = 200) => {
    const c = caller(request);
    await declarations.ready();
    const body = await idempotent(deps.db, request, reply, async (tx) => {
      const done = await work(tx, c);
      return { status: done.requested ? 202 : status, body: done.view };
    });
    void reply.header('etag', `"${body.version}"`);
    return body;
  };

  return async (app) => {
    app.post(
      '/api/v1/declarations',
      {
        schema: {
          tags: ['declarations'],
          summary: 'Create a declaration (a draft), or lodge it at once with lodge: true',
          description: `The declarant is the caller's organisation: a clearing agent authorised by the importer, or the importer itself. With lodge: true the declaration is validated, assessed (rates in force on arrival of the conveyance) and given a channel in the same request. ${keyNote}`,
          body: CreateBody,
        },
        bodyLimit: declarationBodyLimit,
        config: { access: declarants },
      },
      async (request, reply) => change(request, reply, 201, (tx, c) => declarations.create(tx, c, request.body)),
    );

    app.post(
      '/api/v1/declarations/:id/lodge',
      {
        schema: {
          tags: ['declarations'],
          summary: 'Lodge a draft: validate everything, assess, select a channel',
          description: `All problems are reported at once (422) with a pointer, a code and what is allowed. ${keyNote} ${matchNote}`,
          params: IdParams,
        },
        config: { access: declarants },
      },
      async (request, reply) => change(request, reply, 200, (tx, c) => declarations.lodge(tx, c, request.params.id)),
    );

    app.post(
      '/api/v1/declarations/:id/amend',
      {
        schema: {
          tags: ['declarations'],
          summary: 'Replace the declared data; lodged declarations are re-assessed; registered or paid ones are amended only on an officer approval',
          description: `The body is the whole declaration as it should be. Answering a query is an amendment. ${requestNote} Such a request needs a reason; it may not change the importer, the transport document, the office, the regime or the exchange rate. ${keyNote} ${matchNote}`,
          params: IdParams,
          body: AmendBody,
        },
        bodyLimit: declarationBodyLimit,
        config: { access: declarants },
      },
      async (request, reply) => changeOrRequest(request, reply, (tx, c) => declarations.amend(tx, c, request.params.id, request.body)),
    );

    app.post(
      '/api/v1/declarations/:id/register',
      {
        schema: {
          tags: ['declarations'],
          summary: 'Register an assessed declaration: issues the PRN to pay (or marks it paid when nothing is due)',
          description: `${keyNote} ${matchNote}`,
          params: IdParams,
        },
        config: { access: declarants },
      },
      async (request, reply) => change(request, reply, 200, (tx, c) => declarations.register(tx, c, request.params.id)),
    );

    app.post(
      '/api/v1/declarations/:id/cancel',
      {
        schema: {
          tags: ['declarations'],
          summary: 'Cancel before release (declarant); a paid cancellation records the refund due',
          description: `${requestNote} An open verification stays open. ${keyNote} ${matchNote}`,
          params: IdParams,
          body: ReasonBody,
        },
        config: { access: declarants },
      },
      async (request, reply) => changeOrRequest(request, reply, (tx, c) => declarations.cancel(tx, c, request.params.id, request.body.reason)),
    );

    app.get(
      '/api/v1/declarations/:id/requests',
      {
        schema: { tags: ['declarations'], summary: 'Requests to amend or cancel the registered declaration, newest first, with their decisions', params: IdParams },
        config: { access: readers },
      },
      async (request) => declarations.requests(principalOf(request), request.params.id),
    );

    app.post(
      '/api/v1/declarations/:id/requests/:requestId/decision',
      {
        schema: {
          tags: ['declarations'],
          summary: "An officer approves or refuses the declarant's request to amend or cancel a registered declaration, with a reason",
          description: `Approving an amendment re-assesses the declaration (a replacement PRN before payment, a supplementary PRN or a refund due after) and selects it again (the channel never falls). ${keyNote}`,
          params: RequestParams,
          body: RequestDecisionBody,
        },
        config: { access: officers },
      },
      async (request, reply) => change(request, reply, 200, (tx, c) => declarations.decideRequest(tx, c, request.params.id, request.params.requestId, request.body)),
    );

    app.post(
      '/api/v1/declarations/:id/requests/:requestId/withdraw',
      {
        schema: { tags: ['declarations'], summary: 'The declarant takes back its pending request', description: keyNote, params: RequestParams },
        config: { access: declarants },
      },
      async (request, reply) => change(request, reply, 200, (tx, c) => declarations.withdrawRequest(tx, c, request.params.id, request.params.requestId)),
    );

    app.post(
      '/api/v1/declarations/:id/query',
      {
        schema: { tags: ['declarations'], summary: "Query a lodged or assessed declaration (officer); the declarant answers by amending", description: keyNote, params: IdParams, body: ReasonBody },
        config: { access: officers },
      },
      async (request, reply) => change(request, reply, 200, (tx, c) => declarations.query(tx, c, request.params.id, request.body.reason)),
    );

    app.post(
      '/api/v1/declarations/:id/reject',
      {
        schema: { tags: ['declarations'], summary: 'Reject a lodged, assessed or queried declaration (officer)', description: keyNote, params: IdParams, body: ReasonBody },
        config: { access: officers },
      },
      async (request, reply) => change(request, reply, 200, (tx, c) => declarations.reject(tx, c, request.params.id, request.body.reason)),
    );

    app.post(
      '/api/v1/declarations/:id/control',
      {
        schema: {
          tags: ['declarations'],
          summary: 'Record the control of a yellow or red declaration (officer); passed lets a paid, arrived declaration be released',
          description: keyNote,
          params: IdParams,
          body: ControlBody,
        },
        config: { access: officers },
      },
      async (request, reply) => change(request, reply, 200, (tx, c) => declarations.recordControl(tx, c, request.params.id, request.body)),
    );

    app.get(
      '/api/v1/declarations',
      {
        schema: {
          tags: ['declarations'],
          summary: "Declarations of the caller's organisation (as declarant or importer), newest first; customs see all",
          querystring: ListQuery,
        },
        config: { access: readers },
      },
      async (request) => declarations.list(principalOf(request), request.query),
    );

    app.get(
      '/api/v1/declarations/:id',
      {
        schema: { tags: ['declarations'], summary: 'A declaration: goods, assessment, channel, payment and release', params: IdParams },
        config: { access: readers },
      },
      async (request, reply) => {
        const view = await declarations.get(principalOf(request), request.params.id);
        void reply.header('etag', `"${view.version}"`);
        return view;
      },
    );

    app.get(
      '/api/v1/declarations/by-reference/:reference',
      {
        schema: { tags: ['declarations'], summary: 'A declaration by its reference, e.g. 2026MBAIM4000123', params: ReferenceParams },
        config: { access: readers },
      },
      async (request, reply) => {
        const view = await declarations.getByReference(principalOf(request), request.params.reference);
        void reply.header('etag', `"${view.version}"`);
        return view;
      },
    );

    app.get(
      '/api/v1/timeline',
      {
        schema: {
          tags: ['declarations'],
          summary: 'Every step of a consignment (manifest, arrival, declaration, payment, release, gate-out) with time and actor',
          description:
            'By bl (transport document number; add carrier=CODE or manifest=REFERENCE when two carriers use the number) or declaration (reference). For the importer, its authorised agents, the carrier of the B/L and customs; 404 for anyone else. Each reads what its audience may: customs every step; the trade its figures and the reasons addressed to it, customs people as the administration; the carrier the steps of its B/L without figures.',
          querystring: TimelineQuery,
        },
        config: { access: followers },
      },
      async (request) => declarations.timeline(principalOf(request), request.query),
    );
  };
}
