// Single Customs Territory clearance, the origin's side: goods landed here (Mombasa) for an
// importer in a partner country are declared once, there; the partner assesses and collects, and
// its payment notification (`sct.payment_notification`) makes us release the B/L's goods here: a
// release order for the terminal, as for a home-use declaration, issued by the partner
// administration. The notification is applied in the inbox's transaction, so a replay (same
// message id) is answered by the inbox and changes nothing.
//
// How a dishonest party would use it, and what stops it:
// - get goods out of Mombasa with another country's receipt (pay a lower rate in a neighbour for
//   goods bound for Kenya or elsewhere): a notification is applied only from the country the B/L's
//   goods are bound for: the destination its live regional transit movement (IM8) names.
// - clear more than landed, or the same goods twice (two declarations there, one B/L here): the
//   packages and mass must fit what remains of the B/L (not written off, not released and still in
//   the terminal), checked under a lock of the B/L; one clearance per declaration of the partner.
// - a notification for a B/L we do not know, or at another office: rejected, logged, nothing done.
import type { Clock } from '#platform/clock.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { Dec, fixed, parseDecimal } from '#platform/money.ts';
import { newId } from '#platform/ids.ts';
import { ProblemError } from '#platform/http/problem.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import { findTransportDocument } from '#modules/manifest/index.ts';
import type { ReleaseService } from '#modules/release/index.ts';
import type { TransitService } from '#modules/transit/index.ts';
import type { Envelope } from './partner.keys.ts';
import { partnerRepository as repo } from './partner.repository.ts';

export interface SctDeps {
  clock: Clock;
  transit: TransitService;
  release: ReleaseService;
}

type Outcome = { status: 'applied' | 'rejected'; detail: string };

/**
 * The release order names a declarant and an importer for the trade's view of it; under the SCT
 * they are the partner's traders, unknown here: the nil id, so in Kenya only customs and the
 * terminal see the order.
 */
export const noTraderHere = '00000000-0000-0000-0000-000000000000';

/** The notification's body as the destination sends it (README "Partner exchange"). */
export interface PaymentNotification {
  declarationReference: string;
  transportDocumentNumber: string;
  office: string;
  packages: number;
  grossMassKg: string;
  amountPaid: string;
  currency: string;
  prn: string | null;
  paidAt: string;
}

/** The body checked field by field; a string says what is wrong. */
function checkBody(body: Record<string, unknown>, subject: string): PaymentNotification | string {
  const { declarationReference, transportDocumentNumber, office, packages, grossMassKg, amountPaid, currency, prn, paidAt } = body;
  if (declarationReference !== subject) {
    return 'body.declarationReference must be the subject (the declaration paid)';
  }
  if (typeof transportDocumentNumber !== 'string' || !/^[A-Za-z0-9/-]{1,35}$/.test(transportDocumentNumber)) {
    return 'body.transportDocumentNumber must be the B/L number: 1 to 35 letters, digits, "/" or "-"';
  }
  if (typeof office !== 'string' || !/^[A-Z]{3}$/.test(office)) {
    return 'body.office must be the office of landing: 3 capital letters, e.g. MBA';
  }
  if (typeof packages !== 'number' || !Number.isInteger(packages) || packages < 1 || packages > 10_000_000) {
    return 'body.packages must be a whole number of packages from 1 to 10000000';
  }
  if (typeof grossMassKg !== 'string' || !/^\d{1,11}(\.\d{1,3})?$/.test(grossMassKg)) {
    return 'body.grossMassKg must be kilograms as a decimal string, at most 11 digits and 3 decimals';
  }
  if (typeof amountPaid !== 'string' || !/^\d{1,15}(\.\d{1,2})?$/.test(amountPaid)) {
    return 'body.amountPaid must be a decimal string, at most 15 digits and 2 decimals';
  }
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    return 'body.currency must be an ISO 4217 code';
  }
  if (prn !== null && (typeof prn !== 'string' || !/^[A-Za-z0-9-]{1,40}$/.test(prn))) {
    return 'body.prn must be the payment reference (up to 40 letters, digits or "-") or null';
  }
  if (typeof paidAt !== 'string' || paidAt.length > 40 || Number.isNaN(Date.parse(paidAt))) {
    return 'body.paidAt must be an ISO 8601 date and time';
  }
  return { declarationReference: subject, transportDocumentNumber: transportDocumentNumber.toUpperCase(), office, packages, grossMassKg, amountPaid, currency, prn, paidAt };
}

/** The goods have not landed yet: not recorded, the partner sends it again (the outbox retries). */
function notLanded(detail: string): ProblemError {
  return new ProblemError({ type: 'partner-message-out-of-order', title: 'The message comes before the one it follows', status: 409, detail });
}

/** Applies a payment notification in the inbox's transaction: releases the B/L's goods here, or says why not. */
export async function applyPaymentNotification(deps: SctDeps, tx: Tx, e: Envelope, actor: Actor): Promise<Outcome> {
  const n = checkBody(e.body as Record<string, unknown>, e.subject);
  if (typeof n === 'string') {
    return { status: 'rejected', detail: n };
  }
  const earlier = await repo.sctClearance(tx, e.sender, n.declarationReference);
  if (earlier) {
    return { status: 'rejected', detail: `${e.sender} declaration ${n.declarationReference} was cleared already (release order ${earlier.release_order_number}, message ${earlier.message_id})` };
  }
  // The B/L is locked: two notifications on one B/L are weighed one after the other.
  const doc = await findTransportDocument(tx, n.transportDocumentNumber, { forUpdate: true }).catch((err: unknown) => {
    if (err instanceof ProblemError) {
      return err;
    }
    throw err;
  });
  if (doc instanceof ProblemError) {
    return { status: 'rejected', detail: String(doc.problem.detail) };
  }
  if (!doc || doc.status !== 'active') {
    return { status: 'rejected', detail: `B/L ${n.transportDocumentNumber} is on no manifest here` };
  }
  if (doc.officeCode !== n.office) {
    return { status: 'rejected', detail: `B/L ${doc.number} landed at ${doc.officeCode}, not ${n.office}` };
  }
  const destinations = await deps.transit.destinationsOfDocument(tx, doc.id);
  if (!destinations.includes(e.sender)) {
    const bound = destinations.length === 0 ? 'no partner country (no regional transit movement names its destination)' : destinations.join(', ');
    return { status: 'rejected', detail: `B/L ${doc.number} is bound for ${bound}, not ${e.sender}: its clearance is not ${e.sender}'s` };
  }
  if (!doc.actualArrival) {
    throw notLanded(`B/L ${doc.number} has not landed at ${doc.officeCode} yet (this message is not recorded; send it again)`);
  }
  const inTerminal = await deps.release.releasedNotExited(tx, doc.id);
  const packagesLeft = doc.remainingPackages - inTerminal.packages;
  const massLeft = new Dec(doc.remainingMassKg).minus(inTerminal.grossMassKg);
  const mass = parseDecimal(n.grossMassKg)!;
  if (n.packages > packagesLeft || mass.gt(massLeft)) {
    return { status: 'rejected', detail: `${n.packages} packages, ${n.grossMassKg} kg exceed what remains of B/L ${doc.number}: ${packagesLeft} packages, ${fixed(massLeft, 3)} kg` };
  }
  const id = newId();
  const now = deps.clock.now();
  const order = await deps.release.issueReleaseOrder(tx, {
    declarationId: id,
    declarationReference: n.declarationReference,
    declarantOrgId: noTraderHere,
    importerOrgId: noTraderHere,
    transportDocumentId: doc.id,
    transportDocumentNumber: doc.number,
    officeCode: doc.officeCode,
    packages: n.packages,
    grossMassKg: n.grossMassKg,
    actor,
  });
  await repo.insertSctClearance(tx, {
    id,
    sender: e.sender,
    message_id: e.id,
    declaration_reference: n.declarationReference,
    transport_document_id: doc.id,
    transport_document_number: doc.number,
    packages: n.packages,
    gross_mass_kg: fixed(mass, 3),
    amount_paid: n.amountPaid,
    currency: n.currency,
    prn: n.prn,
    paid_at: new Date(n.paidAt),
    release_order_number: order.number,
    cleared_at: now,
  });
  await recordAudit(tx, {
    actor,
    action: 'partner.sct_cleared',
    entityType: 'partner_sct_clearance',
    entityId: id,
    subjects: [n.declarationReference, order.number],
    after: { messageId: e.id, destination: e.sender, transportDocumentNumber: doc.number, packages: n.packages, grossMassKg: n.grossMassKg, amountPaid: n.amountPaid, currency: n.currency, prn: n.prn, releaseOrderNumber: order.number },
    at: now,
  });
  return { status: 'applied', detail: `B/L ${doc.number}: ${n.packages} packages released at ${doc.officeCode} under release order ${order.number} on ${e.sender}'s payment of ${n.currency} ${n.amountPaid}` };
}
