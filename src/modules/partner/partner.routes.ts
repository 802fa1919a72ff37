// Partner exchange over HTTP. A partner administration posts signed messages (the signature is
// the credential: the route is open to the network, bounded and limited, and refuses what does
// not verify); customs read the message log, the refusals and the movements partners announced,
// and confirm an announced movement's arrival (which tells its origin).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import { actorOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { invalid } from '#platform/http/problem.ts';
import { Integer, IsoDateTime, Text, Uuid } from '#platform/http/schemas.ts';
import { messageTypes } from './partner.tables.ts';
import type { PartnerService } from './partner.service.ts';
import type { MessageRow, PartnerMovementRow, RefusalRow, SctClearanceRow, SctDeclarationRow } from './partner.repository.ts';

export interface PartnerRouteDeps {
  db: Kysely<DB>;
  partner: PartnerService;
  /** Messages a partner's address may post per minute. */
  rateLimit: number;
}

/** The largest message taken: a departure notice of 50 items and 20 seals, signed, is well under it. */
export const maxMessageBytes = 64 * 1024;

const readers = ['officer', 'supervisor', 'risk_analyst', 'admin'] as const;
const officers = ['officer', 'supervisor'] as const;

const MessageBody = Type.Object(
  { jws: Type.String({ minLength: 20, maxLength: maxMessageBytes - 100, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', description: 'The message as a compact JWS (EdDSA, Ed25519), signed by the sending administration' }) },
  { additionalProperties: false },
);
const MessageQuery = Type.Object({
  direction: Type.Optional(Type.Union([Type.Literal('out'), Type.Literal('in')])),
  status: Type.Optional(Type.Union(['pending', 'acknowledged', 'applied', 'rejected'].map((s) => Type.Literal(s)))),
  type: Type.Optional(Type.Union(messageTypes.map((t) => Type.Literal(t)))),
  subject: Type.Optional(Text(60, { minLength: 1, description: 'A movement reference' })),
  partner: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', maxLength: 2, description: 'The other administration, e.g. UG' })),
  beforeAt: Type.Optional(IsoDateTime('Cursor: the createdAt of the last message of the previous page')),
  beforeId: Type.Optional(Uuid('Cursor: the id of the last message of the previous page')),
  limit: Type.Optional(Integer({ minimum: 1, maximum: 500, default: 100 })),
});
const ListQuery = Type.Object({ limit: Type.Optional(Integer({ minimum: 1, maximum: 500, default: 100 })) });
const MovementQuery = Type.Object({ status: Type.Optional(Type.Union([Type.Literal('expected'), Type.Literal('arrived')])), limit: Type.Optional(Integer({ minimum: 1, maximum: 500, default: 100 })) });
const ReferenceParams = Type.Object({ reference: Text(60, { minLength: 3, description: 'The movement reference the origin gave, e.g. 2026MBAIM8000001' }) });
const ArrivalBody = Type.Object({ office: Text(5, { minLength: 2, description: 'The customs office of destination where the goods arrived, e.g. UGKLA' }) }, { additionalProperties: false });

const DeclarationParams = Type.Object({ reference: Text(60, { minLength: 3, description: 'The declaration reference, e.g. 2026MBAIM4000001' }) });
const SctBody = Type.Object(
  {
    originCountry: Type.String({ pattern: '^[A-Z]{2}$', maxLength: 2, description: 'The partner administration where the goods landed (it releases them on our payment notification), e.g. KE' }),
    office: Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3, description: 'Its office where the goods are, e.g. MBA' }),
  },
  { additionalProperties: false },
);
const ClearanceQuery = Type.Object({
  transportDocumentNumber: Type.Optional(Text(35, { minLength: 1, description: 'Only the clearances of this B/L' })),
  limit: Type.Optional(Integer({ minimum: 1, maximum: 500, default: 100 })),
});

function sctDeclarationView(m: SctDeclarationRow & { notification: string | null }) {
  return { declarationId: m.declaration_id, declarationReference: m.declaration_reference, originCountry: m.origin, office: m.office, transportDocumentNumber: m.transport_document_number, markedBy: m.marked_by, markedAt: m.marked_at.toISOString(), paymentNotification: m.notification };
}

function sctClearanceView(c: SctClearanceRow) {
  return {
    destination: c.sender,
    messageId: c.message_id,
    declarationReference: c.declaration_reference,
    transportDocumentNumber: c.transport_document_number,
    packages: c.packages,
    grossMassKg: c.gross_mass_kg,
    amountPaid: c.amount_paid,
    currency: c.currency,
    prn: c.prn,
    paidAt: c.paid_at.toISOString(),
    releaseOrderNumber: c.release_order_number,
    clearedAt: c.cleared_at.toISOString(),
  };
}

/** The message log as customs read it (the JWS itself is left out: the body is its content). */
function messageView(m: MessageRow) {
  return {
    id: m.id,
    direction: m.direction,
    sender: m.sender,
    receiver: m.receiver,
    type: m.type,
    subject: m.subject,
    status: m.status,
    attempts: m.attempts,
    lastError: m.last_error,
    lastAttemptAt: m.last_attempt_at?.toISOString() ?? null,
    createdAt: m.created_at.toISOString(),
    acknowledgedAt: m.acknowledged_at?.toISOString() ?? null,
    answer: m.answer,
    body: m.body,
  };
}

function movementView(m: PartnerMovementRow) {
  return {
    origin: m.origin,
    reference: m.reference,
    status: m.status,
    originStatus: m.origin_status,
    stake: m.stake,
    currency: m.currency,
    seals: m.seals,
    deadline: m.deadline?.toISOString() ?? null,
    alerts: m.alerts,
    lastAlert: m.last_alert,
    announcedAt: m.announced_at.toISOString(),
    arrivedAt: m.arrived_at?.toISOString() ?? null,
    arrivedBy: m.arrived_by,
    detail: m.detail,
  };
}

function refusalView(r: RefusalRow) {
  return { at: r.at.toISOString(), claimedSender: r.claimed_sender, reason: r.reason, remoteAddress: r.remote_address, requestId: r.request_id };
}

export function partnerRoutes(deps: PartnerRouteDeps): FastifyPluginAsyncTypebox {
  const { partner } = deps;
   
  return async (app) => {
    app.post(
      '/api/v1/partner/messages',
      {
        schema: {
          tags: ['partner'],
          summary: 'A partner administration delivers a signed message (idempotent by sender and message id)',
          description:
            'The body is {"jws": "<compact JWS>"}, signed with the sender\'s Ed25519 key (EdDSA; header kid = the sender\'s country code). ' +
            'Answers 200 with {messageId, status: applied|rejected, detail}; the same message again gets the same answer (header partner-replay: true) and is not applied twice. ' +
            'A signature that does not verify, or an unknown sender, is refused (401) and logged; a malformed message is refused (400); a message that comes before the one it follows gets a 409 and should be sent again later.',
          body: MessageBody,
        },
        bodyLimit: maxMessageBytes,
        config: { access: 'public', rateLimit: { max: deps.rateLimit, timeWindow: '1 minute' } },
      },
      async (request, reply) => {
        const { answer, replayed } = await partner.receive(request.body.jws, { remoteAddress: request.ip, requestId: request.id });
        void reply.header('partner-replay', String(replayed));
        return answer;
      },
    );
    app.get(
      '/api/v1/partner/messages',
      { schema: { tags: ['partner'], summary: 'The partner message log, both directions, newest first, with each message\'s status and attempts', querystring: MessageQuery }, config: { access: readers } },
      async (request) => {
        const q = request.query;
        if ((q.beforeAt === undefined) !== (q.beforeId === undefined)) {
          throw invalid([{ pointer: q.beforeAt === undefined ? '/beforeAt' : '/beforeId', code: 'cursor_incomplete', message: 'give beforeAt and beforeId together (the last message of the previous page)' }]);
        }
        const list = await partner.messages(deps.db, {
          ...(q.direction ? { direction: q.direction } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.subject ? { subject: q.subject.trim().toUpperCase() } : {}),
          ...(q.partner ? { partner: q.partner } : {}),
          ...(q.beforeAt && q.beforeId ? { before: { at: new Date(q.beforeAt), id: q.beforeId } } : {}),
          limit: q.limit ?? 100,
        });
        return { country: partner.settings?.country ?? null, messages: list.map(messageView) };
      },
    );
    app.get(
      '/api/v1/partner/refusals',
      { schema: { tags: ['partner'], summary: 'Messages refused at the door (bad signature, unknown sender, malformed), newest first', querystring: ListQuery }, config: { access: readers } },
      async (request) => ({ refusals: (await partner.refusals(deps.db, request.query.limit ?? 100)).map(refusalView) }),
    );
    app.get(
      '/api/v1/partner/movements',
      { schema: { tags: ['partner'], summary: 'Transit movements partner administrations announced to us (expected or arrived)', querystring: MovementQuery }, config: { access: readers } },
      async (request) => ({ movements: (await partner.movements(deps.db, { ...(request.query.status ? { status: request.query.status } : {}), limit: request.query.limit ?? 100 })).map(movementView) }),
    );
    app.post(
      '/api/v1/partner/movements/:reference/arrival',
      { schema: { tags: ['partner'], summary: 'Customs of destination confirm an announced movement arrived: its origin is told (and discharges it)', params: ReferenceParams, body: ArrivalBody }, config: { access: officers } },
      async (request, reply) =>
        idempotent(deps.db, request, reply, async (tx) => ({
          status: 200,
          body: movementView(await partner.confirmArrival(tx, { actor: actorOf(request), requestId: request.id }, request.params.reference.trim().toUpperCase(), request.body.office.trim().toUpperCase())),
        })),
    );
    app.post(
      '/api/v1/partner/sct/declarations/:reference',
      {
        schema: {
          tags: ['partner'],
          summary: 'Customs mark a declaration as a Single Customs Territory clearance of goods landed in a partner country: once paid here, that country is told and releases them',
          params: DeclarationParams,
          body: SctBody,
        },
        config: { access: officers },
      },
      async (request, reply) => {
        const declaration = await partner.sctDeclaration(request.params.reference.trim().toUpperCase());
        return idempotent(deps.db, request, reply, async (tx) => ({
          status: 201,
          body: sctDeclarationView(await partner.markSct(tx, { actor: actorOf(request), requestId: request.id }, declaration, request.body)),
        }));
      },
    );
    app.get(
      '/api/v1/partner/sct/clearances',
      { schema: { tags: ['partner'], summary: 'Single Customs Territory clearances partners notified (paid there), each with the release order it gave here; newest first', querystring: ClearanceQuery }, config: { access: readers } },
      async (request) => ({
        clearances: (await partner.sctClearances(deps.db, { ...(request.query.transportDocumentNumber ? { transportDocumentNumber: request.query.transportDocumentNumber.trim().toUpperCase() } : {}), limit: request.query.limit ?? 100 })).map(sctClearanceView),
      }),
    );
  };
}
