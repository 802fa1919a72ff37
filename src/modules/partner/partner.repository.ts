// The only file that touches the partner module's tables.
import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Direction, MessageStatus, MessageType } from './partner.tables.ts';

export type Q = Kysely<DB>;
export type MessageRow = Selectable<DB['partner_message']>;
export type PartnerMovementRow = Selectable<DB['partner_movement']>;
export type RefusalRow = Selectable<DB['partner_refusal']>;
export type SctDeclarationRow = Selectable<DB['partner_sct_declaration']>;
export type SctClearanceRow = Selectable<DB['partner_sct_clearance']>;

export interface MessageFilter {
  direction?: Direction;
  status?: MessageStatus;
  type?: MessageType;
  subject?: string;
  partner?: string;
  /** Messages created before this one (cursor: its created_at and id). */
  before?: { at: Date; id: string };
  limit: number;
}

export const partnerRepository = {
  /** Marks a declaration as an SCT clearance; false when it was marked already. */
  async insertSctDeclaration(q: Q, row: SctDeclarationRow): Promise<boolean> {
    const inserted = await q.insertInto('partner_sct_declaration').values(row).onConflict((oc) => oc.column('declaration_id').doNothing()).returning('declaration_id').executeTakeFirst();
    return inserted !== undefined;
  },

  sctDeclaration(q: Q, declarationId: string): Promise<SctDeclarationRow | undefined> {
    return q.selectFrom('partner_sct_declaration').selectAll().where('declaration_id', '=', declarationId).executeTakeFirst();
  },

  async insertSctClearance(q: Q, row: SctClearanceRow): Promise<void> {
    await q.insertInto('partner_sct_clearance').values(row).execute();
  },

  sctClearance(q: Q, sender: string, declarationReference: string): Promise<SctClearanceRow | undefined> {
    return q.selectFrom('partner_sct_clearance').selectAll().where('sender', '=', sender).where('declaration_reference', '=', declarationReference).executeTakeFirst();
  },

  sctClearances(q: Q, f: { transportDocumentNumber?: string; limit: number }): Promise<SctClearanceRow[]> {
    let query = q.selectFrom('partner_sct_clearance').selectAll();
    if (f.transportDocumentNumber) {
      query = query.where('transport_document_number', '=', f.transportDocumentNumber);
    }
    return query.orderBy('cleared_at', 'desc').orderBy('id').limit(f.limit).execute();
  },

  /** Inserts an outgoing message unless its source event made one already; true when inserted. */
  async insertOutgoing(q: Q, row: Insertable<DB['partner_message']>): Promise<boolean> {
    const inserted = await q.insertInto('partner_message').values(row).onConflict((oc) => oc.column('source_event').doNothing()).returning('id').executeTakeFirst();
    return inserted !== undefined;
  },

  async insertIncoming(q: Q, row: Insertable<DB['partner_message']>): Promise<void> {
    await q.insertInto('partner_message').values(row).execute();
  },

  message(q: Q, sender: string, id: string): Promise<MessageRow | undefined> {
    return q.selectFrom('partner_message').selectAll().where('sender', '=', sender).where('id', '=', id).executeTakeFirst();
  },

  async failedAttempt(q: Q, sender: string, id: string, error: string, at: Date): Promise<void> {
    await q
      .updateTable('partner_message')
      .set({ attempts: sql<number>`attempts + 1`, last_error: error.slice(0, 500), last_attempt_at: at })
      .where('sender', '=', sender)
      .where('id', '=', id)
      .execute();
  },

  messages(q: Q, f: MessageFilter): Promise<MessageRow[]> {
    let query = q.selectFrom('partner_message').selectAll();
    if (f.direction) {
      query = query.where('direction', '=', f.direction);
    }
    if (f.status) {
      query = query.where('status', '=', f.status);
    }
    if (f.type) {
      query = query.where('type', '=', f.type);
    }
    if (f.subject) {
      query = query.where('subject', '=', f.subject);
    }
    if (f.partner) {
      const partner = f.partner;
      query = query.where((eb) => eb.or([eb('sender', '=', partner), eb('receiver', '=', partner)]));
    }
    if (f.before) {
      const { at, id } = f.before;
      query = query.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
  },

  async insertMovement(q: Q, row: Insertable<DB['partner_movement']>): Promise<boolean> {
    const inserted = await q.insertInto('partner_movement').values(row).onConflict((oc) => oc.columns(['origin', 'reference']).doNothing()).returning('id').executeTakeFirst();
    return inserted !== undefined;
  },

  movement(q: Q, origin: string, reference: string, opts: { forUpdate?: boolean } = {}): Promise<PartnerMovementRow | undefined> {
    const query = q.selectFrom('partner_movement').selectAll().where('origin', '=', origin).where('reference', '=', reference);
    return opts.forUpdate ? query.forUpdate().executeTakeFirst() : query.executeTakeFirst();
  },

  movementByReference(q: Q, reference: string): Promise<PartnerMovementRow | undefined> {
    return q.selectFrom('partner_movement').selectAll().where('reference', '=', reference).orderBy('announced_at', 'desc').executeTakeFirst();
  },

  async recordAlert(q: Q, id: string, alert: string): Promise<void> {
    await q
      .updateTable('partner_movement')
      .set({ alerts: sql<number>`alerts + 1`, last_alert: alert, version: sql<number>`version + 1` })
      .where('id', '=', id)
      .execute();
  },

  async setOriginStatus(q: Q, id: string, status: string): Promise<void> {
    await q
      .updateTable('partner_movement')
      .set({ origin_status: status, version: sql<number>`version + 1` })
      .where('id', '=', id)
      .execute();
  },

  movements(q: Q, f: { status?: 'expected' | 'arrived'; limit: number }): Promise<PartnerMovementRow[]> {
    let query = q.selectFrom('partner_movement').selectAll();
    if (f.status) {
      query = query.where('status', '=', f.status);
    }
    return query.orderBy('announced_at', 'desc').limit(f.limit).execute();
  },

  async insertRefusal(q: Q, row: Insertable<DB['partner_refusal']>): Promise<void> {
    await q.insertInto('partner_refusal').values(row).execute();
  },

  refusals(q: Q, limit: number): Promise<RefusalRow[]> {
    return q.selectFrom('partner_refusal').selectAll().orderBy('id', 'desc').limit(limit).execute();
  },
};
