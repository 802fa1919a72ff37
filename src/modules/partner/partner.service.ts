// Partner exchange: messages between two revenue administrations (Kenya and Uganda, say) about
// the transit movements that cross between them.
//
// Outgoing: the transit module's outbox events (departed, discharged, seal alert) become signed
// messages in the message log (one per event: a redelivered event finds its message made); each
// message is an outbox event of its own ('partner.deliver'), delivered by the outbox worker, with
// its retries and exponential back-off, until the partner acknowledges it. The JWS is made once,
// so every attempt sends the same bytes under the same message id.
// Incoming: the signature is checked against the sender's configured key; the inbox is the
// message log keyed by (sender, message id): the message is recorded and applied in one
// transaction, and a repeat is answered with the first answer and not applied again.
//
// How a dishonest party would use it, and what stops it:
// - forge a partner's message (discharge a movement in Kenya with a fake Ugandan arrival): only a
//   JWS that verifies against the partner's configured public key is taken; others are refused
//   (401) and logged in partner_refusal.
// - replay a genuine message to apply it twice (count an alert twice, re-announce a movement): the
//   inbox key (sender, message id) answers the replay with the first answer and changes nothing.
// - send as one partner with another's key: the sender named in the message must be the key's.
// - discharge a movement bound elsewhere (a partner confirming the arrival of goods that went to a
//   third country): an arrival confirmation is applied only from the movement's destination.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Clock } from '#platform/clock.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { publish, type OutboxEvent } from '#platform/events/outbox.ts';
import { newId } from '#platform/ids.ts';
import { Dec, fixed } from '#platform/money.ts';
import { conflict, invalid, notFound, ProblemError } from '#platform/http/problem.ts';
import type { Principal } from '#platform/http/auth.ts';
import { recordAudit, transition, type Actor } from '#modules/audit/index.ts';
import type { TransitService } from '#modules/transit/index.ts';
import type { DeclarationService, DeclarationView } from '#modules/declaration/index.ts';
import { heldStatus } from '#modules/declaration/index.ts';
import type { ReleaseService } from '#modules/release/index.ts';
import { claimedSender, sign, verify, type Envelope, type PartnerSettings } from './partner.keys.ts';
import { partnerRepository as repo, type MessageFilter, type MessageRow, type PartnerMovementRow, type SctDeclarationRow } from './partner.repository.ts';
import { applyPaymentNotification } from './partner.sct.ts';
import { outgoingLifecycle, partnerMovementLifecycle } from './partner.state.ts';
import { messageTypes, type MessageType } from './partner.tables.ts';

export interface PartnerServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** Undefined when this administration exchanges with no partner (PARTNER_COUNTRY unset). */
  settings: PartnerSettings | undefined;
  transit: TransitService;
  /** Single Customs Territory: the destination reads its declarations; the origin releases on the payment notification. */
  declarations: Pick<DeclarationService, 'get' | 'getByReference'>;
  release: ReleaseService;
  log?: { warn(obj: unknown, msg: string): void };
}

/** What a receiver answers a message: applied, or rejected with the reason (both final). */
export interface Answer {
  messageId: string;
  status: 'applied' | 'rejected';
  detail: string;
}

/** The partner exchange reads transit movements as customs would. */
const exchangePrincipal: Principal = { kind: 'api-key', id: 'partner-exchange', name: 'Partner exchange', organisationId: 'partner-exchange', organisationKind: 'customs', organisationName: 'Forodha', roles: ['admin'] };
const exchangeActor: Actor = { id: 'partner-exchange', name: 'Partner exchange', organisationId: null, role: 'system' };
const partnerActor = (country: string): Actor => ({ id: `partner:${country}`, name: `Partner administration ${country}`, organisationId: null, role: 'partner' });

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const referencePattern = /^[A-Z0-9][A-Z0-9/-]{0,59}$/;

/** A refusal at the door: the HTTP problem to answer and the reason to log. */
export class Refused extends ProblemError {}

function refused(status: 400 | 401, reason: string): Refused {
  return new Refused({ type: status === 401 ? 'partner-message-not-authentic' : 'partner-message-invalid', title: status === 401 ? 'The message is not authentic' : 'The message is not valid', status, detail: reason });
}

/** A message that cannot be applied yet (it came before the one it follows): not recorded, the sender retries. */
function notYet(detail: string): ProblemError {
  return new ProblemError({ type: 'partner-message-out-of-order', title: 'The message comes before the one it follows', status: 409, detail });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The envelope's fields, checked; a string says what is wrong. */
function checkEnvelope(payload: unknown, sender: string, us: string): Envelope | string {
  if (!isObject(payload)) {
    return 'the payload is not a JSON object';
  }
  const { id, type, subject, createdAt, body } = payload;
  if (typeof id !== 'string' || !uuidPattern.test(id)) {
    return 'id must be a UUID';
  }
  if (payload.sender !== sender) {
    return `sender must be the signing administration (${sender})`;
  }
  if (payload.receiver !== us) {
    return `receiver must be this administration (${us})`;
  }
  if (typeof type !== 'string' || !(messageTypes as readonly string[]).includes(type)) {
    return `type must be one of ${messageTypes.join(', ')}`;
  }
  if (typeof subject !== 'string' || !referencePattern.test(subject)) {
    return 'subject must be a movement reference: up to 60 capital letters, digits, "/" or "-"';
  }
  if (typeof createdAt !== 'string' || createdAt.length > 40 || Number.isNaN(Date.parse(createdAt))) {
    return 'createdAt must be an ISO 8601 date and time';
  }
  if (!isObject(body)) {
    return 'body must be a JSON object';
  }
  return { id, sender, receiver: us, type, subject, createdAt, body };
}

export function partnerService(deps: PartnerServiceDeps) {
  const { clock, settings } = deps;
  // When a partner did not answer, the next deliveries to it fail at once for a while instead of
  // each waiting out the timeout: the outbox delivers in turn, and a silent partner must not hold
  // up the releases to terminals queued behind its messages.
  const unreachableUntil = new Map<string, number>();

  /**
   * Writes a signed outgoing message and its delivery event in the caller's transaction; nothing
   * when the receiver is not a configured partner. A source event already turned into a message
   * makes no second one (the outbox delivers at least once).
   */
  async function queue(tx: Tx, m: { receiver: string; type: MessageType; subject: string; body: Record<string, unknown>; sourceEvent: string | null }): Promise<string | undefined> {
    if (!settings?.partners.has(m.receiver)) {
      return undefined;
    }
    const now = clock.now();
    const envelope: Envelope = { id: newId(), sender: settings.country, receiver: m.receiver, type: m.type, subject: m.subject, createdAt: now.toISOString(), body: m.body };
    const jws = await sign(settings, envelope);
    const inserted = await repo.insertOutgoing(tx, {
      id: envelope.id,
      sender: envelope.sender,
      receiver: envelope.receiver,
      direction: 'out',
      type: m.type,
      subject: m.subject,
      source_event: m.sourceEvent,
      body: JSON.stringify(m.body),
      jws,
      status: 'pending',
      attempts: 0,
      created_at: now,
    });
    if (!inserted) {
      return undefined;
    }
    await recordAudit(tx, {
      actor: exchangeActor,
      action: 'partner.message_queued',
      entityType: 'partner_message',
      entityId: envelope.id,
      subjects: [m.subject],
      after: { type: m.type, receiver: m.receiver, status: 'pending' },
      at: now,
    });
    await publish(tx, 'partner.deliver', envelope.id, { messageId: envelope.id });
    return envelope.id;
  }

  /** Applies an incoming message in the inbox's transaction; the answer is recorded with it. */
  async function apply(tx: Tx, e: Envelope): Promise<Omit<Answer, 'messageId'>> {
    const body = e.body as Record<string, unknown>;
    const now = clock.now();
    const actor = partnerActor(e.sender);
    switch (e.type as MessageType) {
      case 'transit.departure': {
        const seals = Array.isArray(body.seals) ? body.seals.filter((s): s is string => typeof s === 'string').slice(0, 20) : [];
        const stake = typeof body.stake === 'string' && /^\d{1,16}(\.\d{1,2})?$/.test(body.stake) ? body.stake : null;
        const deadline = typeof body.deadline === 'string' && !Number.isNaN(Date.parse(body.deadline)) ? new Date(body.deadline) : null;
        const currency = typeof body.stakeCurrency === 'string' && /^[A-Z]{3}$/.test(body.stakeCurrency) ? body.stakeCurrency : 'KES';
        const inserted = await repo.insertMovement(tx, {
          id: newId(),
          origin: e.sender,
          reference: e.subject,
          status: 'expected',
          detail: JSON.stringify(body),
          stake,
          currency,
          seals,
          deadline,
          alerts: 0,
          last_alert: null,
          origin_status: 'departed',
          announced_at: now,
          arrived_at: null,
          arrived_by: null,
          version: 1,
        });
        if (!inserted) {
          return { status: 'rejected', detail: `movement ${e.subject} from ${e.sender} was announced already (another message id)` };
        }
        await recordAudit(tx, { actor, action: 'partner.movement_announced', entityType: 'partner_movement', entityId: e.subject, subjects: [e.subject], after: { origin: e.sender, messageId: e.id, stake, seals, deadline: deadline?.toISOString() ?? null }, at: now });
        return { status: 'applied', detail: `movement ${e.subject} expected from ${e.sender}` };
      }
      case 'transit.seal_alert':
      case 'transit.discharge': {
        const m = await repo.movement(tx, e.sender, e.subject, { forUpdate: true });
        if (!m) {
          throw notYet(`movement ${e.subject} has not been announced by ${e.sender} yet: send its departure notice first (this message is not recorded; send it again)`);
        }
        if (e.type === 'transit.seal_alert') {
          await repo.recordAlert(tx, m.id, JSON.stringify(body));
          await recordAudit(tx, { actor, action: 'partner.seal_alert', entityType: 'partner_movement', entityId: e.subject, subjects: [e.subject], after: { messageId: e.id, alert: body, alerts: m.alerts + 1 }, at: now });
          return { status: 'applied', detail: `seal alert recorded on ${e.subject}` };
        }
        await repo.setOriginStatus(tx, m.id, 'discharged');
        await recordAudit(tx, { actor, action: 'partner.origin_discharged', entityType: 'partner_movement', entityId: e.subject, subjects: [e.subject], before: { originStatus: m.origin_status }, after: { originStatus: 'discharged', messageId: e.id, detail: body }, at: now });
        return { status: 'applied', detail: `${e.sender} discharged ${e.subject}` };
      }
      case 'transit.arrival': {
        const ours = await deps.transit.movement(tx, exchangePrincipal, e.subject).catch(() => undefined);
        if (!ours) {
          return { status: 'rejected', detail: `no transit movement ${e.subject} here` };
        }
        // Only the administration the movement is bound for may confirm its arrival.
        if (ours.itinerary.destinationCountry !== e.sender) {
          return { status: 'rejected', detail: `${e.subject} is bound for ${ours.itinerary.destinationCountry}, not ${e.sender}: its arrival is not ${e.sender}'s to confirm` };
        }
        const office = typeof body.office === 'string' ? body.office.slice(0, 20) : 'the destination';
        const done = await deps.transit.dischargeOnPartnerConfirmation(tx, e.subject, { actor, remarks: `arrival confirmed by ${e.sender} at ${office} (message ${e.id})` });
        return { status: 'applied', detail: done ? `${e.subject} discharged on ${e.sender}'s arrival confirmation` : `${e.subject} was no longer on the road (already concluded); the confirmation is recorded` };
      }
      case 'sct.payment_notification':
        return applyPaymentNotification(deps, tx, e, actor);
    }
  }

  /** The payment notification of an SCT declaration paid here, queued in the caller's transaction (once per declaration). */
  async function notifyPayment(tx: Tx, sct: SctDeclarationRow, d: Record<string, unknown>): Promise<string | undefined> {
    const items = (d.items ?? []) as { packages: number; grossMassKg: string }[];
    const payment = (d.payment ?? {}) as { prn?: string | null; amountDue?: string | null };
    const body = {
      declarationReference: sct.declaration_reference,
      transportDocumentNumber: sct.transport_document_number,
      office: sct.office,
      packages: items.reduce((n, i) => n + i.packages, 0),
      grossMassKg: fixed(items.reduce((m, i) => m.plus(i.grossMassKg), new Dec(0)), 3),
      amountPaid: payment.amountDue ?? '0.00',
      // The declaration's amounts are all in Kenya shillings (declaration view: "every amount is in KES").
      currency: 'KES',
      prn: payment.prn ?? null,
      paidAt: typeof d.paidAt === 'string' ? d.paidAt : clock.now().toISOString(),
    };
    return queue(tx, { receiver: sct.origin, type: 'sct.payment_notification', subject: sct.declaration_reference, body, sourceEvent: `sct:${sct.declaration_id}` });
  }

  /** Records a refusal (its own transaction) and logs it; returns the problem to answer. */
  async function refuse(problem: Refused, meta: { claimedSender: string | undefined; remoteAddress: string; requestId: string }): Promise<Refused> {
    deps.log?.warn({ claimedSender: meta.claimedSender, reason: problem.problem.detail, remoteAddress: meta.remoteAddress }, 'partner message refused');
    await inTransaction(deps.db, (tx) =>
      repo.insertRefusal(tx, { at: clock.now(), claimed_sender: meta.claimedSender ?? null, reason: String(problem.problem.detail).slice(0, 500), remote_address: meta.remoteAddress.slice(0, 100), request_id: meta.requestId.slice(0, 200) }),
    );
    return problem;
  }

  return {
    settings,

    /** Outbox subscriber of transit.status_changed: a regional movement departed or discharged is told to its destination's administration. */
    async onTransitStatus(event: OutboxEvent, db: Kysely<DB>): Promise<void> {
      const p = event.payload as { movementId: string; kind: string; status: string };
      if (!settings || p.kind !== 'IM8' || (p.status !== 'departed' && p.status !== 'discharged')) {
        return;
      }
      const m = await deps.transit.movement(db, exchangePrincipal, p.movementId);
      const body: Record<string, unknown> =
        p.status === 'departed'
          ? {
              reference: m.reference,
              kind: m.kind,
              itinerary: m.itinerary,
              transportDocument: { number: m.transportDocument.number, manifestReference: m.transportDocument.manifestReference },
              packages: m.packages,
              grossMassKg: m.grossMassKg,
              currency: m.currency,
              items: m.items,
              seals: m.seals,
              stake: m.stake,
              stakeCurrency: 'KES',
              guaranteeReference: m.guaranteeReference,
              departedAt: m.departedAt,
              deadline: m.deadline,
            }
          : { reference: m.reference, status: m.status, concludedOffice: m.concludedOffice, concludedAt: m.concludedAt, dischargedAt: m.dischargedAt };
      await inTransaction(db, (tx) => queue(tx, { receiver: m.itinerary.destinationCountry, type: p.status === 'departed' ? 'transit.departure' : 'transit.discharge', subject: m.reference, body, sourceEvent: `outbox:${event.id}` }));
    },

    /** Outbox subscriber of declaration.status_changed: an SCT declaration paid here is notified to the country where its goods landed. */
    async onDeclarationStatus(event: OutboxEvent, db: Kysely<DB>): Promise<void> {
      const p = event.payload as { declarationId: string; to: string };
      if (!settings || p.to !== 'paid') {
        return;
      }
      const sct = await repo.sctDeclaration(db, p.declarationId);
      if (!sct) {
        return;
      }
      const d = await deps.declarations.get(exchangePrincipal, p.declarationId);
      await inTransaction(db, (tx) => notifyPayment(tx, sct, d));
    },

    /**
     * Customs here mark a declaration as a Single Customs Territory clearance of goods landed in a
     * partner country (at its office): once paid here, that country is told and releases them.
     * A declaration paid already is notified at once. The declaration's view is read first
     * (sctDeclaration), outside the transaction (the declaration module reads through its own
     * connection); its status is read again inside, held, so a payment cannot slip between.
     */
    async markSct(tx: Tx, by: { actor: Actor; requestId: string }, d: DeclarationView, input: { originCountry: string; office: string }): Promise<SctDeclarationRow & { notification: string | null }> {
      const reference = String(d.reference);
      if (!settings) {
        throw new ProblemError({ type: 'partner-exchange-off', title: 'Partner exchange is not configured here', status: 404, detail: 'This administration exchanges with no partner (PARTNER_COUNTRY is unset)' });
      }
      if (!settings.partners.has(input.originCountry)) {
        throw invalid([{ pointer: '/originCountry', code: 'not_a_partner', message: `${input.originCountry} is not a configured partner administration (${[...settings.partners.keys()].join(', ')})` }]);
      }
      // Read again under a share lock: a payment committing while this marking is made waits for
      // it, and its event then finds the marking; one committed before is seen here as paid.
      const status = (await heldStatus(tx, d.id)) ?? String(d.status);
      if (d.regime === 'EX1' || d.regime === 'EX3' || ['draft', 'cancelled', 'rejected'].includes(status)) {
        throw conflict(`Declaration ${reference} is ${d.regime === 'EX1' || d.regime === 'EX3' ? 'an export' : status}: only a lodged import is cleared for a partner's port`);
      }
      const now = clock.now();
      const row: SctDeclarationRow = {
        declaration_id: d.id,
        declaration_reference: String(d.reference),
        origin: input.originCountry,
        office: input.office,
        transport_document_number: String((d.transportDocument as { number: string }).number).toUpperCase(),
        marked_by: by.actor.name,
        marked_at: now,
      };
      if (!(await repo.insertSctDeclaration(tx, row))) {
        throw conflict(`Declaration ${reference} is marked as a Single Customs Territory clearance already`);
      }
      await recordAudit(tx, { actor: by.actor, action: 'partner.sct_marked', entityType: 'declaration', entityId: d.id, subjects: [row.declaration_reference], after: { origin: row.origin, office: row.office, transportDocumentNumber: row.transport_document_number }, requestId: by.requestId, at: now });
      const paid = ['paid', 'released', 'exited'].includes(status);
      const notification = paid ? ((await notifyPayment(tx, row, d)) ?? null) : null;
      return { ...row, notification };
    },

    /** The declaration to mark, as customs see it (404 when there is none). */
    sctDeclaration: (reference: string): Promise<DeclarationView> => deps.declarations.getByReference(exchangePrincipal, reference),

    sctClearances: (q: Kysely<DB>, f: { transportDocumentNumber?: string; limit: number }) => repo.sctClearances(q, f),

    /** Outbox subscriber of transit.alert_raised: a seal alert on a regional movement is told to its destination. */
    async onTransitAlert(event: OutboxEvent, db: Kysely<DB>): Promise<void> {
      const p = event.payload as { alertId: string; movementId: string };
      if (!settings) {
        return;
      }
      const m = await deps.transit.movement(db, exchangePrincipal, p.movementId);
      const alert = m.alerts.find((a) => a.id === p.alertId);
      if (m.kind !== 'IM8' || !alert) {
        return;
      }
      const body = { reference: m.reference, alertId: alert.id, kind: alert.kind, message: alert.message, raisedAt: alert.raisedAt, lastPosition: m.lastPosition };
      await inTransaction(db, (tx) => queue(tx, { receiver: m.itinerary.destinationCountry, type: 'transit.seal_alert', subject: m.reference, body, sourceEvent: `outbox:${event.id}` }));
    },

    /**
     * Outbox subscriber of partner.deliver: sends the message; the partner's answer acknowledges
     * it. A failure is counted on the message and thrown, so the outbox retries it with back-off.
     */
    async deliver(event: OutboxEvent, db: Kysely<DB>): Promise<void> {
      const { messageId } = event.payload as { messageId: string };
      if (!settings) {
        throw new Error('partner exchange is not configured (PARTNER_COUNTRY): the message waits');
      }
      const m = await repo.message(db, settings.country, messageId);
      if (!m || m.direction !== 'out' || m.status !== 'pending') {
        return;
      }
      const partner = settings.partners.get(m.receiver);
      const at = clock.now();
      let answer: Answer;
      try {
        if (!partner) {
          throw new Error(`${m.receiver} is no longer a configured partner`);
        }
        if ((unreachableUntil.get(partner.country) ?? 0) > Date.now()) {
          throw new Error(`${partner.country} did not answer a moment ago; not tried again yet`);
        }
        const res = await fetch(`${partner.endpoint}/api/v1/partner/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jws: m.jws }),
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
        const text = (await res.text()).slice(0, 2000);
        if (res.status !== 200) {
          throw new Error(`${partner.country} answered ${res.status}: ${text.slice(0, 300)}`);
        }
        answer = JSON.parse(text) as Answer;
        if (answer.messageId !== m.id || (answer.status !== 'applied' && answer.status !== 'rejected')) {
          throw new Error(`${partner.country} answered for another message or without a status: ${text.slice(0, 300)}`);
        }
      } catch (err) {
        if (err instanceof Error && err.name === 'TimeoutError' && partner) {
          unreachableUntil.set(partner.country, Date.now() + settings.timeoutMs);
        }
        const reason = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
        await repo.failedAttempt(db, m.sender, m.id, reason, at);
        throw new Error(`partner message ${m.id} (${m.type}) to ${m.receiver} not delivered: ${reason}`);
      }
      await inTransaction(db, async (tx) => {
        const now = await repo.message(tx, m.sender, m.id);
        if (now?.status !== 'pending') {
          return;
        }
        await transition(tx, {
          lifecycle: outgoingLifecycle,
          table: 'partner_message',
          id: m.id,
          from: 'pending',
          action: 'acknowledge',
          set: { acknowledged_at: at, last_attempt_at: at, answer: JSON.stringify(answer), attempts: now.attempts + 1, last_error: null },
          audit: { actor: exchangeActor, action: 'partner.message_acknowledged', entityType: 'partner_message', entityId: m.id, subjects: [m.subject], before: { status: 'pending', attempts: now.attempts }, after: { status: 'acknowledged', answer }, at },
        });
      });
    },

    /**
     * An incoming message (compact JWS): refused (401/400, logged) unless signed by a configured
     * partner and well-formed; else recorded and applied in one transaction, or, when it came
     * before, answered with the first answer and not applied again.
     */
    async receive(jws: string, meta: { remoteAddress: string; requestId: string }): Promise<{ answer: Answer; replayed: boolean }> {
      if (!settings) {
        // Not a 503: nothing will change by trying again until the administration configures partners.
        throw new ProblemError({ type: 'partner-exchange-off', title: 'Partner exchange is not configured here', status: 404, detail: 'This administration exchanges with no partner (PARTNER_COUNTRY is unset)' });
      }
      const claimed = claimedSender(jws);
      const partner = claimed === undefined ? undefined : settings.partners.get(claimed);
      if (!partner) {
        throw await refuse(refused(401, claimed === undefined ? 'the JWS header names no sender (kid)' : `${claimed} is not a configured partner`), { claimedSender: claimed, ...meta });
      }
      let payload: unknown;
      try {
        payload = await verify(jws, partner);
      } catch {
        throw await refuse(refused(401, `the signature does not verify with ${partner.country}'s configured key`), { claimedSender: claimed, ...meta });
      }
      const envelope = checkEnvelope(payload, partner.country, settings.country);
      if (typeof envelope === 'string') {
        throw await refuse(refused(400, envelope), { claimedSender: claimed, ...meta });
      }
      return inTransaction(deps.db, async (tx) => {
        const earlier = await repo.message(tx, envelope.sender, envelope.id);
        if (earlier) {
          if (earlier.direction !== 'in') {
            throw conflict(`message ${envelope.id} is one of ours`);
          }
          return { answer: earlier.answer as Answer, replayed: true };
        }
        const outcome = await apply(tx, envelope);
        const answer: Answer = { messageId: envelope.id, ...outcome };
        const now = clock.now();
        await repo.insertIncoming(tx, {
          id: envelope.id,
          sender: envelope.sender,
          receiver: envelope.receiver,
          direction: 'in',
          type: envelope.type as MessageType,
          subject: envelope.subject,
          source_event: null,
          body: JSON.stringify(envelope.body),
          jws,
          status: outcome.status,
          attempts: 1,
          answer: JSON.stringify(answer),
          created_at: now,
          acknowledged_at: now,
        });
        await recordAudit(tx, { actor: partnerActor(envelope.sender), action: `partner.message_${outcome.status}`, entityType: 'partner_message', entityId: envelope.id, subjects: [envelope.subject], after: { type: envelope.type, detail: outcome.detail }, at: now });
        return { answer, replayed: false };
      });
    },

    /** Customs at the destination confirms an announced movement arrived: the origin is told, in the same transaction. */
    async confirmArrival(tx: Tx, by: { actor: Actor; requestId: string }, reference: string, office: string): Promise<PartnerMovementRow> {
      const found = await repo.movementByReference(tx, reference);
      const m = found ? await repo.movement(tx, found.origin, found.reference, { forUpdate: true }) : undefined;
      if (!m) {
        throw notFound(`Announced transit movement ${reference}`);
      }
      const now = clock.now();
      const updated = await transition(tx, {
        lifecycle: partnerMovementLifecycle,
        table: 'partner_movement',
        id: m.id,
        from: m.status,
        action: 'arrive',
        set: { arrived_at: now, arrived_by: by.actor.name, version: m.version + 1 },
        audit: { actor: by.actor, action: 'partner.movement_arrived', entityType: 'partner_movement', entityId: m.reference, subjects: [m.reference], before: { status: m.status }, after: { status: 'arrived', office, origin: m.origin }, requestId: by.requestId, at: now },
      });
      await queue(tx, { receiver: m.origin, type: 'transit.arrival', subject: m.reference, body: { reference: m.reference, office, arrivedAt: now.toISOString() }, sourceEvent: null });
      return updated;
    },

    messages: (q: Kysely<DB>, filter: MessageFilter): Promise<MessageRow[]> => repo.messages(q, filter),
    movements: (q: Kysely<DB>, filter: { status?: 'expected' | 'arrived'; limit: number }) => repo.movements(q, filter),
    refusals: (q: Kysely<DB>, limit: number) => repo.refusals(q, limit),
  };
}

export type PartnerService = ReturnType<typeof partnerService>;
