// The partner module's tables: the message log of both directions (the outgoing queue and the
// idempotent inbox in one table, keyed by sender and message id), the movements a partner
// announced to us, and the messages refused at the door (bad signature, unknown sender).
import type { ColumnType, Generated } from 'kysely';

type Json<T = unknown> = ColumnType<T, string, string>;

export const messageTypes = ['transit.departure', 'transit.seal_alert', 'transit.arrival', 'transit.discharge', 'sct.payment_notification'] as const;
export type MessageType = (typeof messageTypes)[number];
export type Direction = 'out' | 'in';
/**
 * out: pending (queued or being retried: see attempts and last_error) -> acknowledged (the partner
 * took it: applied or rejected there) ; in: applied or rejected (recorded with the answer we gave).
 */
export type MessageStatus = 'pending' | 'acknowledged' | 'applied' | 'rejected';
export type PartnerMovementStatus = 'expected' | 'arrived';

export interface PartnerTables {
  partner_message: {
    /** The sender's message id (a UUID). */
    id: string;
    /** Country codes (ISO 3166 alpha-2) of the two administrations. */
    sender: string;
    receiver: string;
    direction: Direction;
    type: MessageType;
    /** The business reference the message is about (the transit movement's reference). */
    subject: string;
    /** The outbox event that caused an outgoing message: a redelivered event makes no second message. */
    source_event: string | null;
    body: Json;
    /** The compact JWS as sent or received: retries send the same bytes. */
    jws: string;
    status: MessageStatus;
    attempts: number;
    last_error: string | null;
    last_attempt_at: Date | null;
    /** What the receiver answered (out) or what we answered (in). */
    answer: Json | null;
    created_at: Date;
    acknowledged_at: Date | null;
  };
  partner_movement: {
    id: string;
    /** The administration of departure that announced it. */
    origin: string;
    reference: string;
    status: PartnerMovementStatus;
    /** The movement as the origin announced it: goods, duties at stake, seals, deadline, itinerary. */
    detail: Json;
    stake: string | null;
    currency: string;
    seals: ColumnType<string[], string[], string[]>;
    deadline: Date | null;
    /** Seal alerts heard from the origin (each message counted once). */
    alerts: number;
    last_alert: Json | null;
    /** The origin's last word on the movement (departed, discharged). */
    origin_status: string;
    announced_at: Date;
    arrived_at: Date | null;
    arrived_by: string | null;
    version: number;
  };
  /** Destination side of the Single Customs Territory: declarations customs marked as clearing goods landed in a partner country. */
  partner_sct_declaration: {
    declaration_id: string;
    declaration_reference: string;
    /** The administration where the goods landed (it releases them on our payment notification). */
    origin: string;
    /** Its office where the goods are, e.g. MBA. */
    office: string;
    transport_document_number: string;
    marked_by: string;
    marked_at: Date;
  };
  /** Origin side: a partner's payment notification applied, with the release order it gave. */
  partner_sct_clearance: {
    id: string;
    sender: string;
    message_id: string;
    /** The declaration at the destination (the partner's reference). */
    declaration_reference: string;
    transport_document_id: string;
    transport_document_number: string;
    packages: number;
    gross_mass_kg: ColumnType<string, string, string>;
    amount_paid: ColumnType<string, string, string>;
    currency: string;
    prn: string | null;
    paid_at: Date;
    release_order_number: string;
    cleared_at: Date;
  };
  partner_refusal: {
    id: Generated<string>;
    at: Date;
    /** The sender the message claimed to be (unchecked), if it said. */
    claimed_sender: string | null;
    reason: string;
    remote_address: string;
    request_id: string;
  };
}
