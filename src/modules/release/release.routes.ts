// The terminal's side of release: pull release messages, acknowledge them, report gate-out, each
// only for orders at the offices the terminal serves (any other order answers 404, as if it did
// not exist). Customs, those terminals and the declaration's own parties read release orders,
// each through its view (release.views.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { actorOf, customsRoles, isCustoms, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { invalid, notFound } from '#platform/http/problem.ts';
import { bodyLimits } from '#platform/http/input-guard.ts';
import { Count, Integer, IsoDateTime, MassKg, Text } from '#platform/http/schemas.ts';
import type { ReleaseService } from './release.service.ts';
import { releaseOrderFullView, releaseOrderView, type ReleaseAudience } from './release.views.ts';

export interface ReleaseRouteDeps {
  db: Kysely<DB>;
  release: ReleaseService;
  /** The customs offices a terminal organisation serves (the parties module's, briefly cached). */
  officesServed: (organisationId: string) => Promise<readonly string[]>;
}

const NumberParams = Type.Object({ number: Text(40, { minLength: 1, description: 'Release order number, e.g. 2026MBARO000123' }) });

export const GateOutBody = Type.Object(
  {
    at: IsoDateTime('When the cargo passed the gate (ISO 8601 with zone): not before the release order was issued nor in the future (5 minutes of clock difference allowed either way)'),
    gateReference: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,63}$', description: "The terminal's own gate transaction reference" }),
    packages: Type.Optional(Count('Packages that left; default all packages released')),
    grossMassKg: Type.Optional(MassKg('Kilograms that left; default all released')),
  },
  { additionalProperties: false },
);

export function releaseRoutes(deps: ReleaseRouteDeps): FastifyPluginAsyncTypebox {
  /** The calling terminal's offices, read before any transaction opens (the embedded database has one connection). */
  const officesOf = (request: FastifyRequest): Promise<readonly string[]> => deps.officesServed(principalOf(request).organisationId);

  /** Customs, the declaration's own parties, a terminal serving the order's office; anyone else: none. */
  async function audienceFor(request: FastifyRequest, order: { office_code: string; declarant_org_id: string; importer_org_id: string }): Promise<ReleaseAudience | undefined> {
    const p = principalOf(request);
    if (isCustoms(p)) {
      return 'customs';
    }
    if (p.organisationId === order.declarant_org_id || p.organisationId === order.importer_org_id) {
      return 'trade';
    }
    if (p.roles.includes('terminal') && (await officesOf(request)).includes(order.office_code)) {
      return 'terminal';
    }
    return undefined;
  }

  return (app) => {
    app.get(
      '/api/v1/terminal/messages',
      {
        schema: {
          tags: ['release'],
          summary: "The terminal's inbox: release messages not yet acknowledged",
          description:
            'Pass the `next` of the previous answer as `after`. Messages come oldest first; each answer marks its messages delivered. ' +
            'A message is repeated until acknowledged only when it was never delivered or lies after the cursor, so acknowledge what you have taken in.',
          querystring: Type.Object({
            after: Type.Optional(Type.String({ pattern: '^\\d{1,18}$', description: 'Cursor: the `next` of the previous answer' })),
            limit: Type.Optional(Integer({ minimum: 1, maximum: 500, default: 100 })),
          }),
        },
        config: { access: ['terminal'] },
      },
      async (request) => {
        const offices = await officesOf(request);
        return inTransaction(deps.db, (tx) =>
          deps.release.pullMessages(tx, {
            offices,
            ...(request.query.after === undefined ? {} : { after: request.query.after }),
            limit: request.query.limit ?? 100,
            actor: actorOf(request),
            requestId: request.id,
          }),
        );
      },
    );

    app.post(
      '/api/v1/terminal/messages/:id/ack',
      {
        schema: {
          tags: ['release'],
          summary: 'The terminal confirms it took a release message in (repeating it is harmless)',
          params: Type.Object({ id: Type.String({ pattern: '^\\d{1,18}$' }) }),
        },
        config: { access: ['terminal'] },
      },
      async (request, reply) => {
        const offices = await officesOf(request);
        return idempotent(deps.db, request, reply, async (tx) => {
          const { message, replayed } = await deps.release.acknowledge(tx, { id: request.params.id, offices, actor: actorOf(request), requestId: request.id });
          return { status: 200, body: { ...message, replayed } };
        });
      },
    );

    app.post(
      '/api/v1/release-orders/:number/gate-out',
      {
        schema: {
          tags: ['release'],
          summary: 'The terminal reports the released cargo leaving the gate; the manifest line is written off',
          description:
            'Default: everything the order released. One gate-out per order: the same gateReference and content again answers 200 with replayed: true; any other second gate-out is a 409.',
          params: NumberParams,
          body: GateOutBody,
        },
        bodyLimit: bodyLimits.small,
        config: { access: ['terminal'] },
      },
      async (request, reply) => {
        const at = new Date(request.body.at);
        if (Number.isNaN(at.getTime())) {
          throw invalid([{ pointer: '/at', code: 'format', message: 'must be a date-time with zone, e.g. 2026-06-15T10:30:00+03:00' }]);
        }
        const offices = await officesOf(request);
        return idempotent(deps.db, request, reply, async (tx) => {
          const { receipt, replayed } = await deps.release.gateOut(tx, {
            number: request.params.number,
            offices,
            at,
            gateReference: request.body.gateReference,
            ...(request.body.packages === undefined ? {} : { packages: request.body.packages }),
            ...(request.body.grossMassKg === undefined ? {} : { grossMassKg: request.body.grossMassKg }),
            actor: actorOf(request),
            requestId: request.id,
          });
          return { status: replayed ? 200 : 201, body: { ...receipt, replayed } };
        });
      },
    );

    app.get(
      '/api/v1/release-orders/:number',
      {
        schema: {
          tags: ['release'],
          summary: 'A release order with its gate-out and terminal messages',
          params: NumberParams,
        },
        config: { access: ['terminal', 'agent', 'trader', ...customsRoles] },
      },
      async (request) => {
        const found = await deps.release.describe(deps.db, request.params.number);
        const audience = found && (await audienceFor(request, found.order));
        if (!found || !audience) {
          throw notFound(`Release order ${request.params.number}`);
        }
        return releaseOrderView(audience, releaseOrderFullView(found.order, found.gateOut, found.messages));
      },
    );
    return Promise.resolve();
  };
}
