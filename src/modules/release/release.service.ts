// Release: the order that lets goods leave, its message to the terminal, and the gate-out that
// ends it. One release order per declaration is a unique constraint, so two officers releasing
// at once get one order and one clear 409. The terminal's message is written by an outbox
// subscriber, once per order whatever the redeliveries. The gate-out writes the cargo off the
// manifest in the same transaction, so the B/L can never show goods gone that did not leave.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { eventWindow, localDate, partnerClockSkewMs, type Clock } from '#platform/clock.ts';
import { Dec, fixed, parseDecimal } from '#platform/money.ts';
import { newId, nextSerial, reference } from '#platform/ids.ts';
import { conflict, FieldErrors, notFound } from '#platform/http/problem.ts';
import { publish, type OutboxEvent } from '#platform/events/outbox.ts';
import { recordAudit, systemActor, transition, type Actor } from '#modules/audit/index.ts';
import { documentSubject, writeOff } from '#modules/manifest/index.ts';
import { releaseLifecycle } from './release.state.ts';
import * as repo from './release.repository.ts';
import type { GateOutRow, ReleaseOrderRow, TerminalMessageRow } from './release.repository.ts';

export interface Exit {
  declarationId: string;
  at: Date;
}

export interface ReleaseServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** Called inside the gate-out's transaction, once per release order, after the cargo is written off. */
  onExited: (tx: Tx, exit: Exit) => Promise<void>;
}

export interface IssueReleaseInput {
  declarationId: string;
  declarationReference: string;
  /** Who may read the order besides customs and terminals. */
  declarantOrgId: string;
  importerOrgId: string;
  transportDocumentId: string;
  transportDocumentNumber: string;
  /** Customs office releasing, e.g. MBA: it goes into the order number. */
  officeCode: string;
  packages: number;
  /** Decimal string, kilograms. */
  grossMassKg: string;
  actor: Actor;
  requestId?: string | null;
}

export interface GateOutInput {
  number: string;
  /** The offices the reporting terminal serves: an order at any other office is not found. */
  offices: readonly string[];
  at: Date;
  gateReference: string;
  /** Default: all packages of the release. */
  packages?: number;
  /** Decimal string; default: all of the release's mass. */
  grossMassKg?: string;
  actor: Actor;
  requestId?: string | null;
}

export interface GateOutReceipt {
  releaseOrderNumber: string;
  declarationReference: string;
  transportDocumentNumber: string;
  status: 'exited';
  gateReference: string;
  at: string;
  packages: number;
  grossMassKg: string;
  recordedAt: string;
}

/** The message a terminal receives: enough to let the cargo out at the gate. */
export interface ReleaseMessage {
  releaseOrderNumber: string;
  declarationReference: string;
  transportDocumentNumber: string;
  officeCode: string;
  packages: number;
  grossMassKg: string;
  releasedAt: string;
}

export interface TerminalMessageView {
  id: string;
  releaseOrderNumber: string;
  kind: string;
  payload: unknown;
  createdAt: string;
  deliveredAt: string | null;
  acknowledgedAt: string | null;
}

const kg = (v: Dec | string) => fixed(new Dec(v), 3);
/**
 * Clocks disagree by a few minutes (the terminal's, ours): a gate-out may be dated up to this much
 * before its release order was issued or after our now. Not a business rule, so not a setting.
 */
export const gateOutClockSkewMs = partnerClockSkewMs;

/** The gate-out time must lie between the release and now, give or take the clock skew. */
function checkGateOutTime(errors: FieldErrors, at: Date, order: ReleaseOrderRow, now: Date): void {
  const window = eventWindow(order.released_at, now, gateOutClockSkewMs);
  if (!window.contains(at)) {
    errors.add('/at', 'gate_out_time_out_of_range', window.describe(`release order ${order.number} was issued`));
  }
}

export function messageView(m: TerminalMessageRow): TerminalMessageView {
  return {
    id: m.id,
    releaseOrderNumber: m.release_order_number,
    kind: m.kind,
    payload: m.payload,
    createdAt: m.created_at.toISOString(),
    deliveredAt: m.delivered_at?.toISOString() ?? null,
    acknowledgedAt: m.acknowledged_at?.toISOString() ?? null,
  };
}

function receiptOf(order: ReleaseOrderRow, g: GateOutRow): GateOutReceipt {
  return {
    releaseOrderNumber: order.number,
    declarationReference: order.declaration_reference,
    transportDocumentNumber: order.transport_document_number,
    status: 'exited',
    gateReference: g.gate_reference,
    at: g.at.toISOString(),
    packages: g.packages,
    grossMassKg: kg(g.gross_mass_kg),
    recordedAt: g.recorded_at.toISOString(),
  };
}

function isReleaseMessage(v: unknown): v is ReleaseMessage {
  return typeof v === 'object' && v !== null && typeof (v as { releaseOrderNumber?: unknown }).releaseOrderNumber === 'string';
}

/**
 * Outbox subscriber for `release.issued`: posts the release message to the terminal's inbox.
 * Idempotent (one message per order and kind), as at-least-once delivery requires.
 */
export async function deliverToTerminal(event: OutboxEvent, db: Kysely<DB>): Promise<void> {
  if (!isReleaseMessage(event.payload)) {
    throw new Error(`release.issued event ${event.id} has no releaseOrderNumber`);
  }
  const message = event.payload;
  // Works whether the worker hands over its own transaction or the database.
  const run = (work: (tx: Tx) => Promise<void>) => (db.isTransaction ? work(db as Tx) : inTransaction(db, work));
  await run(async (tx) => {
    if (await repo.postMessage(tx, { releaseOrderNumber: message.releaseOrderNumber, kind: 'release', payload: message })) {
      await recordAudit(tx, {
        actor: systemActor,
        action: 'terminal_message.queued',
        entityType: 'release_order',
        entityId: message.releaseOrderNumber,
        subjects: [message.declarationReference, message.releaseOrderNumber],
        after: { kind: 'release' },
      });
    }
  });
}

export function releaseService(deps: ReleaseServiceDeps) {
  return {
    /** Issues the declaration's release order; a second one for the same declaration is a 409. */
    async issueReleaseOrder(tx: Tx, input: IssueReleaseInput): Promise<{ number: string; releasedAt: Date }> {
      const mass = parseDecimal(input.grossMassKg);
      if (!Number.isInteger(input.packages) || input.packages < 0 || !mass || mass.isNegative()) {
        throw new RangeError(`issueReleaseOrder needs whole packages >= 0 and a mass >= 0, got ${input.packages} and "${input.grossMassKg}"`);
      }
      const existing = await repo.orderOfDeclaration(tx, input.declarationId);
      if (existing) {
        throw alreadyReleased(input.declarationReference, existing);
      }
      const now = deps.clock.now();
      const office = input.officeCode.trim().toUpperCase();
      // One serial for all offices and years (created by the migration, so transactions never race
      // to create it); year and office in front keep the number readable.
      const number = reference({ year: localDate(now).slice(0, 4), office, kind: 'RO', serial: await nextSerial(tx, 'release_order') });
      const row: ReleaseOrderRow = {
        id: newId(),
        number,
        declaration_id: input.declarationId,
        declaration_reference: input.declarationReference,
        declarant_org_id: input.declarantOrgId,
        importer_org_id: input.importerOrgId,
        transport_document_id: input.transportDocumentId,
        transport_document_number: input.transportDocumentNumber,
        office_code: office,
        packages: input.packages,
        gross_mass_kg: kg(mass),
        released_at: now,
        released_by: input.actor.name,
        status: 'released',
        exited_at: null,
      };
      if (!(await repo.insertReleaseOrder(tx, row))) {
        // Another release of the same declaration committed while this one was being made.
        const winner = await repo.orderOfDeclaration(tx, input.declarationId);
        throw winner ? alreadyReleased(input.declarationReference, winner) : conflict(`Declaration ${input.declarationReference} was being released at the same moment; reload it`);
      }
      const message: ReleaseMessage = {
        releaseOrderNumber: number,
        declarationReference: input.declarationReference,
        transportDocumentNumber: input.transportDocumentNumber,
        officeCode: office,
        packages: input.packages,
        grossMassKg: kg(mass),
        releasedAt: now.toISOString(),
      };
      await recordAudit(tx, {
        actor: input.actor,
        action: 'release_order.issued',
        entityType: 'release_order',
        entityId: number,
        subjects: [input.declarationReference, documentSubject(input.transportDocumentId), number],
        after: { status: 'released', ...message },
        requestId: input.requestId ?? null,
        at: now,
      });
      await publish(tx, 'release.issued', number, message);
      return { number, releasedAt: now };
    },

    /**
     * Records the goods leaving the terminal: writes the cargo off the manifest, ends the order and
     * tells the declaration. The same gate reference again is a replay; any other second gate-out, a 409.
     */
    async gateOut(tx: Tx, input: GateOutInput): Promise<{ receipt: GateOutReceipt; replayed: boolean }> {
      const order = await repo.lockOrder(tx, input.number);
      // Another office's order is none of this terminal's business: not found, as if it did not exist.
      if (!order || !input.offices.includes(order.office_code)) {
        throw notFound(`Release order ${input.number}`);
      }
      const packages = input.packages ?? order.packages;
      const mass = input.grossMassKg === undefined ? new Dec(order.gross_mass_kg) : parseDecimal(input.grossMassKg);
      if (order.status === 'exited') {
        const earlier = await repo.gateOutOf(tx, order.id);
        if (earlier && earlier.gate_reference === input.gateReference && earlier.at.getTime() === input.at.getTime() && earlier.packages === packages && mass?.eq(earlier.gross_mass_kg)) {
          return { receipt: receiptOf(order, earlier), replayed: true };
        }
        releaseLifecycle.next(order.status, 'gateOut');
      }
      const now = deps.clock.now();
      const errors = new FieldErrors();
      checkGateOutTime(errors, input.at, order, now);
      if (!Number.isInteger(packages) || packages < 0 || packages > order.packages) {
        errors.add('/packages', 'more_than_released', `must be a whole number from 0 to the ${order.packages} packages released`);
      }
      if (!mass || mass.isNegative() || mass.decimalPlaces() > 3 || mass.gt(order.gross_mass_kg)) {
        errors.add('/grossMassKg', 'more_than_released', `must be kilograms from 0 to the ${kg(order.gross_mass_kg)} kg released, at most 3 decimals`);
      }
      errors.throwIfAny();
      const gate: GateOutRow = {
        id: newId(),
        release_order_id: order.id,
        at: input.at,
        gate_reference: input.gateReference,
        packages,
        gross_mass_kg: kg(mass as Dec),
        recorded_by: input.actor.name,
        recorded_at: now,
      };
      await repo.insertGateOut(tx, gate);
      await writeOff(tx, order.transport_document_id, { packages, grossMassKg: gate.gross_mass_kg }, input.actor, {
        requestId: input.requestId ?? null,
        at: now,
        reason: `gate-out ${input.gateReference} under release order ${order.number}`,
      });
      const receipt = receiptOf(order, gate);
      await transition(tx, {
        lifecycle: releaseLifecycle,
        table: 'release_order',
        id: order.id,
        from: order.status,
        action: 'gateOut',
        set: { exited_at: input.at },
        audit: {
          actor: input.actor,
          action: 'release_order.exited',
          entityType: 'release_order',
          entityId: order.number,
          subjects: [order.declaration_reference, documentSubject(order.transport_document_id), order.number],
          before: { status: order.status },
          after: { status: releaseLifecycle.next(order.status, 'gateOut'), gateReference: gate.gate_reference, at: input.at, packages, grossMassKg: gate.gross_mass_kg },
          requestId: input.requestId ?? null,
          at: now,
        },
        event: { topic: 'release.exited', key: order.number, payload: { ...receipt, declarationId: order.declaration_id, transportDocumentId: order.transport_document_id } },
      });
      await deps.onExited(tx, { declarationId: order.declaration_id, at: input.at });
      return { receipt, replayed: false };
    },

    /**
     * The terminal pulls its inbox: unacknowledged messages of orders at the offices it serves, after
     * the cursor (and any it never received); they become delivered.
     */
    async pullMessages(
      tx: Tx,
      input: { offices: readonly string[]; after?: string; limit: number; actor: Actor; requestId?: string | null },
    ): Promise<{ messages: TerminalMessageView[]; next: string | null }> {
      const rows = await repo.pendingMessages(tx, input.offices, input.after, input.limit);
      const now = deps.clock.now();
      const firstTime = rows.filter((r) => r.delivered_at === null);
      await repo.markDelivered(
        tx,
        firstTime.map((r) => r.id),
        now,
      );
      for (const r of firstTime) {
        const payload = isReleaseMessage(r.payload) ? r.payload : undefined;
        await recordAudit(tx, {
          actor: input.actor,
          action: 'terminal_message.delivered',
          entityType: 'release_order',
          entityId: r.release_order_number,
          subjects: [...(payload ? [payload.declarationReference] : []), r.release_order_number],
          after: { message: r.id, kind: r.kind },
          requestId: input.requestId ?? null,
          at: now,
        });
      }
      const messages = rows.map((r) => messageView(r.delivered_at === null ? { ...r, delivered_at: now } : r));
      return { messages, next: rows.at(-1)?.id ?? input.after ?? null };
    },

    /** The terminal confirms it took in a message of an order at one of its offices; again is harmless. */
    async acknowledge(
      tx: Tx,
      input: { id: string; offices: readonly string[]; actor: Actor; requestId?: string | null },
    ): Promise<{ message: TerminalMessageView; replayed: boolean }> {
      const row = /^\d{1,18}$/.test(input.id) ? await repo.lockMessage(tx, input.id) : undefined;
      const order = row && (await repo.findOrder(tx, row.release_order_number));
      if (!row || !order || !input.offices.includes(order.office_code)) {
        throw notFound(`Terminal message ${input.id}`);
      }
      if (row.acknowledged_at !== null) {
        return { message: messageView(row), replayed: true };
      }
      const now = deps.clock.now();
      await repo.acknowledge(tx, row.id, now);
      const payload = isReleaseMessage(row.payload) ? row.payload : undefined;
      await recordAudit(tx, {
        actor: input.actor,
        action: 'terminal_message.acknowledged',
        entityType: 'release_order',
        entityId: row.release_order_number,
        subjects: [...(payload ? [payload.declarationReference] : []), row.release_order_number],
        after: { message: row.id, kind: row.kind },
        requestId: input.requestId ?? null,
        at: now,
      });
      return { message: messageView({ ...row, acknowledged_at: now, delivered_at: row.delivered_at ?? now }), replayed: false };
    },

    /** A release order with its gate-out and messages, for the routes (which decide who sees it). */
    async describe(q: Kysely<DB> | Tx, number: string) {
      const order = await repo.findOrder(q, number);
      if (!order) {
        return undefined;
      }
      return { order, gateOut: await repo.gateOutOf(q, order.id), messages: await repo.messagesOf(q, number) };
    },

    /** What of a document is released but still in the terminal: it no longer remains to be released. */
    releasedNotExited: (q: Kysely<DB> | Tx, transportDocumentId: string) => repo.releasedNotExited(q, transportDocumentId),

    /** The declaration's release order, if it has one. */
    async ofDeclaration(q: Kysely<DB> | Tx, declarationId: string): Promise<{ number: string; status: string; releasedAt: Date; exitedAt: Date | null } | undefined> {
      const o = await repo.orderOfDeclaration(q, declarationId);
      return o ? { number: o.number, status: o.status, releasedAt: o.released_at, exitedAt: o.exited_at } : undefined;
    },
  };
}

function alreadyReleased(declarationReference: string, order: ReleaseOrderRow) {
  return conflict(`Declaration ${declarationReference} already has release order ${order.number} (issued ${order.released_at.toISOString()}, ${order.status})`, {
    releaseOrderNumber: order.number,
    state: order.status,
  });
}

export type ReleaseService = ReturnType<typeof releaseService>;
