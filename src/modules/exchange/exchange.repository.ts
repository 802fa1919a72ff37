// The only file of the exchange module that speaks SQL.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inForceOn } from '#platform/db/in-force.ts';
import type { CodeKind } from './exchange.tables.ts';

type Q = Kysely<DB>;

export interface CodeMapping {
  kind: CodeKind;
  externalCode: string;
  internalCode: string;
  validFrom: string;
  validTo: string | null;
  note: string | null;
}

export interface StoredEdifact {
  id: string;
  messageType: string;
  releaseOrderNumber: string;
  declarationReference: string;
  officeCode: string;
  interchange: string;
  createdAt: string;
}

export interface InterchangeAnswer {
  organisationId: string;
  key: string;
  requestHash: string;
  status: number;
  answer: string;
  manifests: string | null;
  answeredAt: Date;
}

export const exchangeRepository = {
  async interchangeAnswer(q: Q, organisationId: string, key: string): Promise<InterchangeAnswer | undefined> {
    const row = await q.selectFrom('exchange_interchange').selectAll().where('organisation_id', '=', organisationId).where('key', '=', key).executeTakeFirst();
    return row && { organisationId: row.organisation_id, key: row.key, requestHash: row.request_hash, status: row.status, answer: row.answer, manifests: row.manifests, answeredAt: row.answered_at };
  },

  /** Records the answer; `replace` overwrites an earlier answer under the same key (else the first one stands). */
  async storeInterchangeAnswer(q: Q, a: InterchangeAnswer, replace: boolean): Promise<void> {
    const values = { organisation_id: a.organisationId, key: a.key, request_hash: a.requestHash, status: a.status, answer: a.answer, manifests: a.manifests, answered_at: a.answeredAt };
    await q
      .insertInto('exchange_interchange')
      .values(values)
      .onConflict((oc) => (replace ? oc.columns(['organisation_id', 'key']).doUpdateSet({ request_hash: a.requestHash, status: a.status, answer: a.answer, manifests: a.manifests, answered_at: a.answeredAt }) : oc.columns(['organisation_id', 'key']).doNothing()))
      .execute();
  },

  /** Our code for a partner's, in force on `date`; undefined when none is mapped. */
  async mapped(q: Q, kind: CodeKind, externalCode: string, date: string): Promise<string | undefined> {
    const row = await q
      .selectFrom('exchange_code_map')
      .select('internal_code')
      .where('kind', '=', kind)
      .where('external_code', '=', externalCode)
      .where(inForceOn(date))
      .orderBy('valid_from', 'desc')
      .executeTakeFirst();
    return row?.internal_code;
  },

  async addMappings(q: Q, rows: CodeMapping[]): Promise<number> {
    if (rows.length === 0) {
      return 0;
    }
    const added = await q
      .insertInto('exchange_code_map')
      .values(rows.map((r) => ({ kind: r.kind, external_code: r.externalCode, internal_code: r.internalCode, valid_from: r.validFrom, valid_to: r.validTo, note: r.note })))
      .onConflict((oc) => oc.columns(['kind', 'external_code', 'valid_from']).doNothing())
      .returning('kind')
      .execute();
    return added.length;
  },

  /** Stores a rendered message once per release order; false when it was there already. */
  async storeEdifact(q: Q, m: Omit<StoredEdifact, 'id' | 'createdAt'> & { createdAt: Date }): Promise<boolean> {
    const inserted = await q
      .insertInto('exchange_edifact_message')
      .values({ message_type: m.messageType, release_order_number: m.releaseOrderNumber, declaration_reference: m.declarationReference, office_code: m.officeCode, interchange: m.interchange, created_at: m.createdAt })
      .onConflict((oc) => oc.column('release_order_number').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  },

  async edifactMessages(q: Q, filter: { offices: readonly string[]; after?: string; limit: number }): Promise<StoredEdifact[]> {
    if (filter.offices.length === 0) {
      return [];
    }
    let query = q.selectFrom('exchange_edifact_message').selectAll().where('office_code', 'in', [...filter.offices]);
    if (filter.after !== undefined) {
      query = query.where('id', '>', filter.after);
    }
    const rows = await query.orderBy('id').limit(filter.limit).execute();
    return rows.map((r) => ({
      id: String(r.id),
      messageType: r.message_type,
      releaseOrderNumber: r.release_order_number,
      declarationReference: r.declaration_reference,
      officeCode: r.office_code,
      interchange: r.interchange,
      createdAt: r.created_at.toISOString(),
    }));
  },
};
