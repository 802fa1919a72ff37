// /api/v1/inspection (officers' duty, verification tasks, findings, supervisors' decisions) and
// the declarant's side under /api/v1/declarations/:id. Every POST runs through idempotent(): one
// transaction, replayed for a repeated Idempotency-Key. There is no route to take a task: tasks
// are drawn at random among the officers on duty.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { actorOf, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { Caller, InspectionService } from './inspection.service.ts';
import { DecisionBody, DutyBody, DutyQuery, FindingsBody, IdParams, ReassignBody, ResponseBody, TaskListQuery, WithdrawBody } from './inspection.schemas.ts';

const officers = ['officer'] as const;
const supervisors = ['supervisor'] as const;
const onDuty = ['officer', 'supervisor'] as const;
const customs = ['officer', 'supervisor', 'risk_analyst', 'admin'] as const;
const declarants = ['agent', 'trader'] as const;
const readers = ['agent', 'trader', 'officer', 'supervisor', 'risk_analyst', 'admin'] as const;
const keyNote = 'Send an Idempotency-Key header: a retry with the same key and body returns the first answer; another body with it is a 422.';

export function inspectionRoutes(deps: { db: Kysely<DB>; inspection: InspectionService }): FastifyPluginAsyncTypebox {
  const { inspection } = deps;
  const caller = (request: FastifyRequest): Caller => ({ principal: principalOf(request), actor: actorOf(request), requestId: request.id });
  const change = async <T>(request: FastifyRequest, reply: FastifyReply, work: (tx: Tx, c: Caller) => Promise<T>) => {
    const c = caller(request);
    await inspection.ready();
    return idempotent(deps.db, request, reply, async (tx) => ({ status: 200, body: await work(tx, c) }));
  };

  return async (app) => {
    app.post(
      '/api/v1/inspection/duty',
      {
        schema: {
          tags: ['verification'],
          summary: 'A supervisor rosters an officer on or off duty at an office; an officer may only go off duty themselves',
          description: `Nobody puts themselves on duty (they would choose which tasks they are drawn for). Coming on duty draws the tasks waiting at the office; going off duty hands back the tasks still awaiting the officer's findings, drawn again among those on duty. ${keyNote}`,
          body: DutyBody,
        },
        config: { access: onDuty },
      },
      async (request, reply) => change(request, reply, (tx, c) => inspection.setDuty(tx, c, request.body)),
    );

    app.get(
      '/api/v1/inspection/duty',
      { schema: { tags: ['verification'], summary: 'Officers on duty (at an office), with the tasks awaiting their findings', querystring: DutyQuery }, config: { access: customs } },
      async (request) => inspection.dutyRoster(request.query),
    );

    app.get(
      '/api/v1/inspection/tasks',
      {
        schema: {
          tags: ['verification'],
          summary: 'Verification tasks, newest first (customs); assignedTo=me for your own',
          querystring: TaskListQuery,
        },
        config: { access: customs },
      },
      async (request) => inspection.list(principalOf(request), request.query),
    );

    app.get(
      '/api/v1/inspection/tasks/:id',
      {
        schema: {
          tags: ['verification'],
          summary: 'A verification task: customs see the risk reasons, the officer and every step; the declarant and importer the findings, corrections and what to pay',
          params: IdParams,
        },
        config: { access: readers },
      },
      async (request) => inspection.get(principalOf(request), request.params.id),
    );

    app.post(
      '/api/v1/inspection/tasks/:id/findings',
      {
        schema: {
          tags: ['verification'],
          summary: 'Record findings (the officer the task was drawn for): no_discrepancy passes the control; discrepancy re-assesses with the corrections',
          description: `With discrepancy give corrections [{ itemNo, hsCode?, quantity?, itemPrice?, originCountry? }] and remarks; the difference in duties and taxes is computed and the declarant answers. ${keyNote}`,
          params: IdParams,
          body: FindingsBody,
        },
        // Corrections for up to 999 items, a hundred-odd bytes each, and the remarks.
        bodyLimit: 512 * 1024,
        config: { access: officers },
      },
      async (request, reply) => change(request, reply, (tx, c) => inspection.recordFindings(tx, c, request.params.id, request.body)),
    );

    app.post(
      '/api/v1/inspection/tasks/:id/reassign',
      {
        schema: {
          tags: ['verification'],
          summary: 'Move a task to another officer on duty (supervisor), named or drawn at random; always with a reason',
          description: keyNote,
          params: IdParams,
          body: ReassignBody,
        },
        config: { access: supervisors },
      },
      async (request, reply) => change(request, reply, (tx, c) => inspection.reassign(tx, c, request.params.id, request.body)),
    );

    app.post(
      '/api/v1/inspection/tasks/:id/withdraw',
      {
        schema: {
          tags: ['verification'],
          summary: 'End the check of a cancelled declaration whose goods will not be declared again (supervisor), with a reason',
          description: `A cancelled declaration's check stays open and carries over to the next declaration of the goods; withdraw it only when there will be none. ${keyNote}`,
          params: IdParams,
          body: WithdrawBody,
        },
        config: { access: supervisors },
      },
      async (request, reply) => change(request, reply, (tx, c) => inspection.withdraw(tx, c, request.params.id, request.body.reason)),
    );

    app.post(
      '/api/v1/inspection/tasks/:id/decision',
      {
        schema: {
          tags: ['verification'],
          summary: "Decide a rejected discrepancy or review a payment under protest (supervisor, not the one who recorded the findings)",
          description: `uphold: the corrections stand (the difference is due); overturn: the declared assessment stands (after a protest, the difference paid is refundable). ${keyNote}`,
          params: IdParams,
          body: DecisionBody,
        },
        config: { access: supervisors },
      },
      async (request, reply) => change(request, reply, (tx, c) => inspection.decide(tx, c, request.params.id, request.body)),
    );

    app.get(
      '/api/v1/declarations/:id/verification',
      {
        schema: { tags: ['verification'], summary: "The verification of a declaration: status, findings, corrections, difference and what to pay (no risk reasons for the trade)", params: IdParams },
        config: { access: readers },
      },
      async (request) => inspection.ofDeclaration(principalOf(request), request.params.id),
    );

    app.post(
      '/api/v1/declarations/:id/verification-response',
      {
        schema: {
          tags: ['verification'],
          summary: "Answer a discrepancy (declarant or importer): accept (pay the difference), reject (a supervisor decides) or pay_under_protest",
          description: `Accepting amends the declaration with the corrections and asks for the difference: a new PRN for the corrected total while the first is unpaid, a supplementary PRN for the difference once it is paid. The control passes when it is paid. ${keyNote}`,
          params: IdParams,
          body: ResponseBody,
        },
        config: { access: declarants },
      },
      async (request, reply) => change(request, reply, (tx, c) => inspection.respond(tx, c, request.params.id, request.body)),
    );
  };
}
