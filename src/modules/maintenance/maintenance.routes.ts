// Maintenance notices over HTTP: administrators announce, amend and withdraw; anyone may list.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import { actorOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { FreeText, IsoDateTime, Text, Uuid } from '#platform/http/schemas.ts';
import type { MaintenanceService } from './maintenance.service.ts';

const NoticeBody = Type.Object(
  {
    title: Text(200, { minLength: 1, description: 'What is maintained, e.g. "Database upgrade to PostgreSQL 16"' }),
    description: FreeText(4000, { description: 'What callers should expect' }),
    impact: Type.Union([Type.Literal('none'), Type.Literal('degraded'), Type.Literal('lodging-delayed')], { description: 'none: nothing visible; degraded: slower answers; lodging-delayed: lodgements may be answered 202 with a receipt' }),
    offices: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z0-9]{2,8}$', maxLength: 8 }), { maxItems: 100, description: 'Customs offices concerned; none = every office' })),
    startsAt: IsoDateTime(),
    endsAt: IsoDateTime(),
  },
  { additionalProperties: false },
);
const AmendBody = Type.Object({ ...NoticeBody.properties, reason: Type.Optional(FreeText(1000)) }, { additionalProperties: false });
const WithdrawBody = Type.Object({ reason: FreeText(1000, { minLength: 1 }) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Uuid() });

export function maintenanceRoutes(deps: { db: Kysely<DB>; maintenance: MaintenanceService }) {
  const { db, maintenance } = deps;
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/maintenance',
      { schema: { tags: ['platform'], summary: 'Current and upcoming maintenance windows (public); the system stays up during them' }, config: { access: 'public' } },
      async () => ({ notices: await maintenance.list() }),
    );
    app.post(
      '/api/v1/maintenance',
      { schema: { tags: ['platform'], summary: 'Announce a maintenance window (administrator)', body: NoticeBody }, config: { access: ['admin'] } },
      async (request, reply) => idempotent(db, request, reply, async (tx) => ({ status: 201, body: await maintenance.announce(tx, actorOf(request), request.body) })),
    );
    app.post(
      '/api/v1/maintenance/:id/amend',
      { schema: { tags: ['platform'], summary: 'Amend an announced window (administrator)', params: IdParams, body: AmendBody }, config: { access: ['admin'] } },
      async (request, reply) => idempotent(db, request, reply, async (tx) => ({ status: 200, body: await maintenance.amend(tx, actorOf(request), request.params.id, request.body) })),
    );
    app.post(
      '/api/v1/maintenance/:id/withdraw',
      { schema: { tags: ['platform'], summary: 'Withdraw an announced window (administrator)', params: IdParams, body: WithdrawBody }, config: { access: ['admin'] } },
      async (request, reply) => idempotent(db, request, reply, async (tx) => ({ status: 200, body: await maintenance.withdraw(tx, actorOf(request), request.params.id, request.body.reason) })),
    );
  };
}
