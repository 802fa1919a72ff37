// Transit over HTTP. Customs register and top up guarantees, let movements depart at the office of
// departure, confirm exit or arrival (which discharges), call guarantees of overdue movements and
// work the alerts queue; the clearing agent lodges, amends and cancels its movements and reads its
// own guarantees; seal tracking operators report events. Reads run the overdue sweep first, so a
// movement past its deadline is shown overdue whoever looks.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { actorOf, isCustoms, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { invalid } from '#platform/http/problem.ts';
import { Text } from '#platform/http/schemas.ts';
import { Type } from 'typebox';
import { bodyLimits } from '#platform/http/input-guard.ts';
import { timeline } from '#modules/audit/index.ts';
import { documentSubject } from '#modules/manifest/index.ts';
import type { Caller, TransitService } from './transit.service.ts';
import { AcknowledgeBody, AlertQuery, AmendBody, ConclusionBody, DepartureBody, GuaranteeBody, IdParams, ListQuery, MovementBody, ReasonBody, ReferenceParams, SealEventBody, TopUpBody } from './transit.schemas.ts';
import { alertView, guaranteeView, movementView, transitTimeline, type TransitAudience } from './transit.views.ts';
import { transitRepository } from './transit.repository.ts';

export interface TransitRouteDeps {
  db: Kysely<DB>;
  transit: TransitService;
}

const customsClerks = ['officer', 'supervisor', 'admin'] as const;
const readers = ['agent', 'officer', 'supervisor', 'risk_analyst', 'admin'] as const;
const officers = ['officer', 'supervisor'] as const;

function callerOf(request: FastifyRequest): Caller {
  return { principal: principalOf(request), actor: actorOf(request), requestId: request.id };
}

function audienceOf(request: FastifyRequest): TransitAudience {
  return isCustoms(principalOf(request)) ? 'customs' : 'trade';
}

export function transitRoutes(deps: TransitRouteDeps): FastifyPluginAsyncTypebox {
  const { transit } = deps;
  return (app) => {
    // ---- Guarantees ----
    app.post(
      '/api/v1/transit/guarantees',
      { schema: { tags: ['transit'], summary: "Customs registers a guarantee: an agent's bond account or a regional transit guarantee", body: GuaranteeBody }, bodyLimit: bodyLimits.small, config: { access: customsClerks } },
      async (request, reply) =>
        idempotent(deps.db, request, reply, async (tx) => ({ status: 201, body: guaranteeView('customs', await transit.registerGuarantee(tx, callerOf(request), request.body)) })),
    );
    app.post(
      '/api/v1/transit/guarantees/:reference/top-up',
      { schema: { tags: ['transit'], summary: 'Customs tops a guarantee up (the guarantor raised it)', params: ReferenceParams, body: TopUpBody }, bodyLimit: bodyLimits.small, config: { access: customsClerks } },
      async (request, reply) =>
        idempotent(deps.db, request, reply, async (tx) => ({
          status: 200,
          body: guaranteeView('customs', await transit.topUp(tx, callerOf(request), request.params.reference.trim().toUpperCase(), request.body.amount, request.body.reason)),
        })),
    );
    app.get(
      '/api/v1/transit/guarantees',
      { schema: { tags: ['transit'], summary: 'Guarantees: every one for customs, its own for an agent', querystring: AlertQuery }, config: { access: readers } },
      async (request) => {
        const list = await transit.guarantees(deps.db, principalOf(request), request.query.limit ?? 50);
        return { guarantees: list.map((g) => guaranteeView(audienceOf(request), g)) };
      },
    );
    app.get(
      '/api/v1/transit/guarantees/:reference',
      { schema: { tags: ['transit'], summary: 'A guarantee with its balance and ledger (the balance is the ledger sum, checked)', params: ReferenceParams }, config: { access: readers } },
      async (request) => guaranteeView(audienceOf(request), await transit.guarantee(deps.db, principalOf(request), request.params.reference)),
    );

    // ---- Movements ----
    app.post(
      '/api/v1/transit/movements',
      {
        schema: {
          tags: ['transit'],
          summary: 'The agent lodges a transit declaration (IM8 regional transit, TR national transfer) against a B/L with transit cargo',
          description: 'The duties at stake are estimated at today\'s rates (estimatedStake); departure computes them again at the rates then in force and debits the guarantee.',
          body: MovementBody,
        },
        bodyLimit: bodyLimits.small,
        config: { access: ['agent'] },
      },
      async (request, reply) => idempotent(deps.db, request, reply, async (tx) => ({ status: 201, body: movementView('trade', await transit.lodge(tx, callerOf(request), request.body)) })),
    );
    app.get(
      '/api/v1/transit/movements',
      { schema: { tags: ['transit'], summary: 'Transit movements, newest first: every one for customs, its own for an agent', querystring: ListQuery }, config: { access: readers } },
      async (request) => {
        await transit.sweepOverdue();
        const list = await transit.movements(deps.db, principalOf(request), { ...(request.query.status === undefined ? {} : { status: request.query.status }), limit: request.query.limit ?? 50 });
        return { movements: list.map((m) => movementView(audienceOf(request), m)) };
      },
    );
    app.get(
      '/api/v1/transit/movements/:id',
      { schema: { tags: ['transit'], summary: 'A transit movement', params: IdParams }, config: { access: readers } },
      async (request) => {
        await transit.sweepOverdue();
        return movementView(audienceOf(request), await transit.movement(deps.db, principalOf(request), request.params.id));
      },
    );
    app.get(
      '/api/v1/transit/movements/:id/timeline',
      { schema: { tags: ['transit'], summary: "The movement's timeline: its steps and its B/L's, as the caller may read them", params: IdParams }, config: { access: readers } },
      async (request) => {
        await transit.sweepOverdue();
        const p = principalOf(request);
        const m = await transit.movementRow(deps.db, p, request.params.id);
        const events = await timeline(deps.db, [m.reference, documentSubject(m.transport_document_id)]);
        const orgIds = [...new Set(events.map((e) => e.actor.organisationId).filter((o): o is string => o !== null))];
        const names = await transitRepository.organisationNames(deps.db, orgIds);
        return { movement: m.reference, events: transitTimeline(events, audienceOf(request), p.organisationId, names, m.reference) };
      },
    );
    app.post(
      '/api/v1/transit/movements/:id/amend',
      { schema: { tags: ['transit'], summary: 'The agent amends a lodged movement (never after departure)', params: IdParams, body: AmendBody }, bodyLimit: bodyLimits.small, config: { access: ['agent'] } },
      async (request, reply) => {
        const { reason, ...input } = request.body;
        return idempotent(deps.db, request, reply, async (tx) => ({ status: 200, body: movementView('trade', await transit.amend(tx, callerOf(request), request.params.id, input, reason)) }));
      },
    );
    app.post(
      '/api/v1/transit/movements/:id/cancel',
      { schema: { tags: ['transit'], summary: 'The agent cancels a movement before departure', params: IdParams, body: ReasonBody }, bodyLimit: bodyLimits.small, config: { access: ['agent'] } },
      async (request, reply) => idempotent(deps.db, request, reply, async (tx) => ({ status: 200, body: movementView('trade', await transit.cancel(tx, callerOf(request), request.params.id, request.body.reason)) })),
    );
    app.post(
      '/api/v1/transit/movements/:id/departure',
      {
        schema: {
          tags: ['transit'],
          summary: 'Customs at the office of departure lets the movement go: guarantee debited, seals affixed, deadline set',
          description: '422 insufficient-guarantee naming the shortfall when the guarantee does not cover the duties at stake at the rates in force today.',
          params: IdParams,
          body: DepartureBody,
        },
        bodyLimit: bodyLimits.small,
        config: { access: officers },
      },
      async (request, reply) =>
        idempotent(deps.db, request, reply, async (tx) => ({ status: 200, body: movementView('customs', await transit.depart(tx, callerOf(request), request.params.id, request.body)) })),
    );
    for (const [path, how, summary] of [
      ['exit', 'exit', 'Customs at the border office of exit confirms the goods left Kenya: the movement is discharged and the guarantee restored'],
      ['arrival', 'arrive', 'Customs at the destination depot confirms arrival: the movement is discharged and the guarantee restored'],
    ] as const) {
      app.post(
        `/api/v1/transit/movements/:id/${path}`,
        { schema: { tags: ['transit'], summary, params: IdParams, body: ConclusionBody }, bodyLimit: bodyLimits.small, config: { access: officers } },
        async (request, reply) => {
          await transit.sweepOverdue();
          return idempotent(deps.db, request, reply, async (tx) => ({
            status: 200,
            body: movementView('customs', await transit.conclude(tx, callerOf(request), request.params.id, how, request.body.remarks === undefined ? {} : { remarks: request.body.remarks })),
          }));
        },
      );
    }
    app.post(
      '/api/v1/transit/movements/:id/call-guarantee',
      { schema: { tags: ['transit'], summary: 'A supervisor calls the guarantee of an overdue movement: the duties at stake are taken for good', params: IdParams, body: ReasonBody }, bodyLimit: bodyLimits.small, config: { access: ['supervisor'] } },
      async (request, reply) => {
        await transit.sweepOverdue();
        return idempotent(deps.db, request, reply, async (tx) => ({ status: 200, body: movementView('customs', await transit.callGuarantee(tx, callerOf(request), request.params.id, request.body.reason)) }));
      },
    );

    // ---- Tracking ----
    app.post(
      '/api/v1/transit/seal-events',
      {
        schema: {
          tags: ['transit'],
          summary: "A seal tracking operator reports an electronic seal's event (position, speed, opened, tampered, off route, stopped)",
          description: 'Idempotent by eventId: the same event again answers 200 with replayed: true. Events of a seal not on a departed movement are refused (422).',
          body: SealEventBody,
        },
        bodyLimit: bodyLimits.small,
        config: { access: ['tracker'] },
      },
      async (request, reply) => {
        if (Number.isNaN(new Date(request.body.at).getTime())) {
          throw invalid([{ pointer: '/at', code: 'format', message: 'must be a date-time with zone' }]);
        }
        return idempotent(deps.db, request, reply, async (tx) => {
          const { event, alert, replayed } = await transit.sealEvent(tx, callerOf(request), request.body);
          return { status: replayed ? 200 : 201, body: { eventId: event.operator_event_id, sealId: event.seal_id, kind: event.kind, at: event.at.toISOString(), alert: alert ? { kind: alert.kind, message: alert.message } : null, replayed } };
        });
      },
    );
    app.get(
      '/api/v1/transit/alerts',
      { schema: { tags: ['transit'], summary: "The officers' queue of seal alerts, newest first (default: open ones)", querystring: AlertQuery }, config: { access: ['officer', 'supervisor', 'risk_analyst', 'admin'] } },
      async (request) => {
        await transit.sweepOverdue();
        const rows = await transit.alerts(deps.db, { status: request.query.status ?? 'open', limit: request.query.limit ?? 50 });
        return { alerts: rows.map((a) => alertView(a)) };
      },
    );
    app.post(
      '/api/v1/transit/alerts/:id/acknowledge',
      { schema: { tags: ['transit'], summary: 'An officer acknowledges an alert, saying what was done', params: Type.Object({ id: Text(40, { minLength: 1 }) }), body: AcknowledgeBody }, bodyLimit: bodyLimits.small, config: { access: officers } },
      async (request, reply) => idempotent(deps.db, request, reply, async (tx) => ({ status: 200, body: alertView(await transit.acknowledgeAlert(tx, callerOf(request), request.params.id, request.body.note)) })),
    );
    return Promise.resolve();
  };
}
