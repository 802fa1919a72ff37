// The terminal's side of release: pull release messages, acknowledge them, report gate-out.
// Customs, terminals and the declaration's own parties read release orders.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { actorOf, customsRoles, isCustoms, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { invalid, notFound } from '#platform/http/problem.ts';
import { bodyLimits } from '#platform/http/input-guard.ts';
import { Count, Integer, IsoDateTime, MassKg, Text } from '#platform/http/schemas.ts';
import { Dec, fixed } from '#platform/money.ts';
import { messageView, type ReleaseService } from './release.service.ts';

export interface ReleaseRouteDeps {
  db: Kysely<DB>;
  release: ReleaseService;
}

const NumberParams = Type.Object({ number: Text(40, { minLength: 1, description: 'Release order number, e.g. 2026MBARO000123' }) });

export const GateOutBody = Type.Object(
  {
    at: IsoDateTime('When the cargo passed the gate (ISO 8601 with zone)'),
    gateReference: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,63}$', description: "The terminal's own gate transaction reference" }),
    packages: Type.Optional(Count('Packages that left; default all packages released')),
    grossMassKg: Type.Optional(MassKg('Kilograms that left; default all released')),
  },
  { additionalProperties: false },
);

export function releaseRoutes(deps: ReleaseRouteDeps): FastifyPluginAsyncTypebox {
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
      async (request) =>
        inTransaction(deps.db, (tx) =>
          deps.release.pullMessages(tx, {
            ...(request.query.after === undefined ? {} : { after: request.query.after }),
            limit: request.query.limit ?? 100,
            actor: actorOf(request),
            requestId: request.id,
          }),
        ),
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
      async (request, reply) =>
        idempotent(deps.db, request, reply, async (tx) => {
          const { message, replayed } = await deps.release.acknowledge(tx, { id: request.params.id, actor: actorOf(request), requestId: request.id });
          return { status: 200, body: { ...message, replayed } };
        }),
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
        return idempotent(deps.db, request, reply, async (tx) => {
          const { receipt, replayed } = await deps.release.gateOut(tx, {
            number: request.params.number,
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
        const p = principalOf(request);
        const o = found?.order;
        if (!found || !o || !(isCustoms(p) || p.roles.includes('terminal') || p.organisationId === o.declarant_org_id || p.organisationId === o.importer_org_id)) {
          throw notFound(`Release order ${request.params.number}`);
        }
        const g = found.gateOut;
        return {
          number: o.number,
          status: o.status,
          declarationId: o.declaration_id,
          declarationReference: o.declaration_reference,
          transportDocumentNumber: o.transport_document_number,
          officeCode: o.office_code,
          packages: o.packages,
          grossMassKg: fixed(new Dec(o.gross_mass_kg), 3),
          releasedAt: o.released_at.toISOString(),
          releasedBy: o.released_by,
          exitedAt: o.exited_at?.toISOString() ?? null,
          gateOut: g
            ? { at: g.at.toISOString(), gateReference: g.gate_reference, packages: g.packages, grossMassKg: fixed(new Dec(g.gross_mass_kg), 3), recordedBy: g.recorded_by, recordedAt: g.recorded_at.toISOString() }
            : null,
          terminalMessages: found.messages.map((m) => {
            const { payload: _payload, ...rest } = messageView(m);
            return rest;
          }),
        };
      },
    );
    return Promise.resolve();
  };
}
