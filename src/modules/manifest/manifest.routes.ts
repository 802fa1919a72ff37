import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import { actorOf, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { bodyLimits } from '#platform/http/input-guard.ts';
import type { Caller, ManifestService, Runner } from './manifest.service.ts';
import { Text } from '#platform/http/schemas.ts';
import { AmendmentBody, ArrivalBody, CloseBody, IdParams, ListQuery, LodgeBody, SupplementaryBody } from './manifest.schemas.ts';

const readers = ['carrier', 'terminal', 'officer', 'supervisor', 'risk_analyst', 'admin', 'agent', 'trader'] as const;
/** Up to 10,000 transport documents with their containers: the largest body the server takes. */
const documentsBodyLimit = bodyLimits.max;
const idempotencyNote = 'Send an Idempotency-Key header: a retry with the same key and body returns the first answer.';

export function manifestRoutes(deps: { db: Kysely<DB>; manifests: ManifestService }): FastifyPluginAsyncTypebox {
  const caller = (request: FastifyRequest): Caller => ({ principal: principalOf(request), actor: actorOf(request), requestId: request.id });
  const through =
    (request: FastifyRequest, reply: FastifyReply): Runner =>
    (work) =>
      idempotent(deps.db, request, reply, work);

  return (app) => {
    app.post(
      '/api/v1/manifests',
      {
        schema: {
          tags: ['manifests'],
          summary: 'Lodge a cargo manifest (carrier)',
          description: `The carrier is the caller's organisation. Sea manifests lodged less than the deadline (48 h) before expected arrival are accepted and flagged late. ${idempotencyNote}`,
          body: LodgeBody,
        },
        bodyLimit: documentsBodyLimit,
        config: { access: ['carrier'] },
      },
      async (request, reply) => deps.manifests.lodge(caller(request), request.body, through(request, reply)),
    );

    app.post(
      '/api/v1/manifests/:id/amendments',
      {
        schema: {
          tags: ['manifests'],
          summary: 'Amend a manifest before arrival: add, change or remove documents (a new version)',
          description: `Refused (409) once the conveyance has arrived, and for documents with cargo written off. ${idempotencyNote}`,
          params: IdParams,
          body: AmendmentBody,
        },
        bodyLimit: documentsBodyLimit,
        config: { access: ['carrier'] },
      },
      async (request, reply) => deps.manifests.amend(caller(request), request.params.id, request.body, through(request, reply)),
    );

    app.post(
      '/api/v1/manifests/:id/supplementary',
      {
        schema: {
          tags: ['manifests'],
          summary: 'Add documents left off the manifest, after arrival (supplementary manifest)',
          description: idempotencyNote,
          params: IdParams,
          body: SupplementaryBody,
        },
        bodyLimit: documentsBodyLimit,
        config: { access: ['carrier'] },
      },
      async (request, reply) => deps.manifests.supplement(caller(request), request.params.id, request.body, through(request, reply)),
    );

    app.post(
      '/api/v1/manifests/:id/arrival',
      {
        schema: {
          tags: ['manifests'],
          summary: 'Confirm the conveyance arrived (the carrier, a terminal serving the office, or customs)',
          description: `Confirming again with the same time answers the same; another time is a 409. Publishes manifest.arrived. ${idempotencyNote}`,
          params: IdParams,
          body: ArrivalBody,
        },
        config: { access: ['carrier', 'terminal', 'officer', 'supervisor'] },
      },
      async (request, reply) => deps.manifests.confirmArrival(caller(request), request.params.id, request.body, through(request, reply)),
    );

    app.post(
      '/api/v1/manifests/:id/close',
      {
        schema: { tags: ['manifests'], summary: 'Close an arrived manifest (customs)', description: idempotencyNote, params: IdParams, body: CloseBody },
        config: { access: ['officer', 'supervisor'] },
      },
      async (request, reply) => deps.manifests.close(caller(request), request.params.id, request.body, through(request, reply)),
    );

    app.get(
      '/api/v1/manifests',
      {
        schema: {
          tags: ['manifests'],
          summary: 'Manifests you may see, newest first (cursor pagination)',
          description: 'A carrier sees its own; customs all; terminals those at the offices they serve; traders and agents those carrying their (clients\') consignments.',
          querystring: ListQuery,
        },
        config: { access: readers },
      },
      async (request) => deps.manifests.list(principalOf(request), request.query),
    );

    app.get(
      '/api/v1/manifests/:id',
      {
        schema: {
          tags: ['manifests'],
          summary: 'A manifest with its documents (traders and agents see only their consignments)',
          params: IdParams,
        },
        config: { access: readers },
      },
      async (request) => deps.manifests.get(principalOf(request), request.params.id),
    );

    app.get(
      '/api/v1/manifests/:id/versions',
      {
        schema: { tags: ['manifests'], summary: 'Every version of a manifest: original, amendments, supplementary', params: IdParams },
        config: { access: ['carrier', 'terminal', 'officer', 'supervisor', 'risk_analyst', 'admin'] },
      },
      async (request) => deps.manifests.versions(principalOf(request), request.params.id),
    );

    app.get(
      '/api/v1/transport-documents/:number',
      {
        schema: {
          tags: ['manifests'],
          summary: 'A transport document (B/L, AWB) by its number, with its manifest',
          params: Type.Object({ number: Text(35) }),
          querystring: Type.Object({ manifest: Type.Optional(Text(20, { description: 'Manifest reference, when the number is on several manifests' })) }),
        },
        config: { access: readers },
      },
      async (request) =>
        deps.manifests.document(principalOf(request), request.params.number, request.query.manifest === undefined ? {} : { manifestReference: request.query.manifest }),
    );
    return Promise.resolve();
  };
}
