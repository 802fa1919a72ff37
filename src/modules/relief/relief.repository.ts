// The only file that touches the relief tables.
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { inForceOn } from '#platform/db/in-force.ts';
import type { ReliefTables } from './relief.tables.ts';
import type { LetterRecord, ReliefRule } from './relief.resolver.ts';

export type ReliefRow = Selectable<ReliefTables['relief']>;
export type LetterRow = Selectable<ReliefTables['exemption_letter']>;
export type NewReliefRow = Omit<ReliefRow, 'id'>;
export type NewLetterRow = Omit<LetterRow, 'created_at' | 'procedure_codes' | 'charges'> & { procedure_codes: string; charges: string };

export function ruleOf(r: ReliefRow): ReliefRule {
  return {
    id: String(r.id),
    cpc: r.cpc,
    documentCode: r.document_code,
    hsPrefix: r.hs_prefix,
    charge: r.charge,
    kind: r.kind,
    rate: r.rate,
    requiredDocument: r.required_document,
    letterRequired: r.letter_required,
    name: r.name,
    validFrom: r.valid_from,
    validTo: r.valid_to,
  };
}

export function letterOf(r: LetterRow): LetterRecord {
  return {
    id: r.id,
    number: r.number,
    documentCode: r.document_code,
    holderPin: r.holder_pin,
    procedureCodes: r.procedure_codes,
    charges: r.charges,
    cover: r.cover,
    unit: r.unit,
    hsPrefix: r.hs_prefix,
    balance: r.balance,
    validFrom: r.valid_from,
    validTo: r.valid_to,
  };
}

export const reliefRepository = {
  async rulesInForce(q: Kysely<DB>, cpc: string, date: string): Promise<ReliefRow[]> {
    return q
      .selectFrom('relief')
      .selectAll()
      .where('cpc', '=', cpc)
      .where(inForceOn(date))
      .orderBy('id')
      .execute();
  },
  async existingRules(q: Kysely<DB>, cpcs: string[]): Promise<ReliefRow[]> {
    return cpcs.length === 0 ? [] : q.selectFrom('relief').selectAll().where('cpc', 'in', cpcs).execute();
  },
  async closeRule(tx: Tx, id: string, validTo: string): Promise<void> {
    await tx.updateTable('relief').set({ valid_to: validTo }).where('id', '=', id).execute();
  },
  async insertRules(tx: Tx, rows: NewReliefRow[]): Promise<void> {
    if (rows.length > 0) {
      await tx.insertInto('relief').values(rows).execute();
    }
  },
  async isEmpty(q: Kysely<DB>): Promise<boolean> {
    return (await q.selectFrom('relief').select('id').limit(1).executeTakeFirst()) === undefined;
  },
  async lettersByNumber(q: Kysely<DB>, numbers: string[]): Promise<LetterRow[]> {
    return numbers.length === 0 ? [] : q.selectFrom('exemption_letter').selectAll().where('number', 'in', numbers).execute();
  },
  async letter(q: Kysely<DB>, id: string): Promise<LetterRow | undefined> {
    return q.selectFrom('exemption_letter').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async letters(q: Kysely<DB>, query: { holderPin?: string; after?: string; limit: number }): Promise<LetterRow[]> {
    let s = q.selectFrom('exemption_letter').selectAll().orderBy('number').limit(query.limit);
    if (query.holderPin !== undefined) {
      s = s.where('holder_pin', '=', query.holderPin);
    }
    if (query.after !== undefined) {
      s = s.where('number', '>', query.after);
    }
    return s.execute();
  },
  async insertLetter(tx: Tx, row: NewLetterRow): Promise<LetterRow> {
    return tx.insertInto('exemption_letter').values(row).returningAll().executeTakeFirstOrThrow();
  },
  /** Locks the letters in id order, so two declarations drawing on the same letters never deadlock. */
  async lockLetters(tx: Tx, ids: string[]): Promise<LetterRow[]> {
    return ids.length === 0 ? [] : tx.selectFrom('exemption_letter').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
  },
  /** Moves a balance by `delta` (positive draws) only if it stays at or above zero: undefined otherwise. */
  async moveBalance(tx: Tx, id: string, delta: string): Promise<string | undefined> {
    const row = await tx
      .updateTable('exemption_letter')
      .set((eb) => ({ balance: eb('balance', '-', delta) }))
      .where('id', '=', id)
      .where('balance', '>=', delta)
      .returning('balance')
      .executeTakeFirst();
    return row?.balance;
  },
  async debitsOf(q: Kysely<DB>, declarationId: string) {
    return q.selectFrom('exemption_debit').selectAll().where('declaration_id', '=', declarationId).execute();
  },
  async replaceDebits(tx: Tx, declarationId: string, rows: { letter_id: string; item_no: number; amount: string; debited_at: Date }[]): Promise<void> {
    await tx.deleteFrom('exemption_debit').where('declaration_id', '=', declarationId).execute();
    if (rows.length > 0) {
      await tx.insertInto('exemption_debit').values(rows.map((r) => ({ ...r, declaration_id: declarationId }))).execute();
    }
  },
};
