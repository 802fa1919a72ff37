// The only file that reads and writes the origin tables.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { OriginTables } from './origin.tables.ts';

type Q = Kysely<DB> | Tx;
export type AgreementRow = Selectable<OriginTables['preference_agreement']>;
export type MemberRow = Selectable<OriginTables['agreement_member']>;

/** A membership in force with the agreement it belongs to: what the resolver needs for one item. */
export type MembershipInForce = MemberRow & { name: string; removes: string[]; proof_document: string; precedence: number; source: string };

export function originRepository(db: Q) {
  return {
    /** The country's memberships in force on the date, best precedence first. */
    async membershipsInForce(country: string, date: string): Promise<MembershipInForce[]> {
      return db
        .selectFrom('agreement_member as m')
        .innerJoin('preference_agreement as a', 'a.code', 'm.agreement')
        .select(['m.id', 'm.agreement', 'm.country', 'm.valid_from', 'm.valid_to', 'm.note', 'm.import_id', 'a.name', 'a.removes', 'a.proof_document', 'a.precedence', 'a.source'])
        .where('m.country', '=', country)
        .where('m.valid_from', '<=', date)
        .where((eb) => eb.or([eb('m.valid_to', 'is', null), eb('m.valid_to', '>=', date)]))
        .orderBy('a.precedence')
        .orderBy('a.code')
        .execute();
    },
    async agreements(): Promise<AgreementRow[]> {
      return db.selectFrom('preference_agreement').selectAll().orderBy('precedence').execute();
    },
    async isEmpty(): Promise<boolean> {
      return (await db.selectFrom('preference_agreement').select('code').limit(1).execute()).length === 0;
    },
  };
}

export const originWrites = {
  /** One import at a time: two loads racing could both close the same open membership. */
  async lock(tx: Tx): Promise<void> {
    await sql`lock table agreement_member in share row exclusive mode`.execute(tx);
  },
  existingAgreements(tx: Q, codes: string[]): Promise<AgreementRow[]> {
    return codes.length === 0 ? Promise.resolve([]) : tx.selectFrom('preference_agreement').selectAll().where('code', 'in', codes).execute();
  },
  existingMembers(tx: Q, agreements: string[]): Promise<MemberRow[]> {
    return agreements.length === 0 ? Promise.resolve([]) : tx.selectFrom('agreement_member').selectAll().where('agreement', 'in', agreements).execute();
  },
  async insertAgreement(tx: Q, row: Omit<AgreementRow, 'removes'> & { removes: string[] }): Promise<void> {
    await tx.insertInto('preference_agreement').values({ ...row, removes: JSON.stringify(row.removes) }).execute();
  },
  async describeAgreement(tx: Q, code: string, text: { name: string; source: string; note: string | null }): Promise<void> {
    await tx.updateTable('preference_agreement').set(text).where('code', '=', code).execute();
  },
  async insertMembers(tx: Q, rows: Omit<MemberRow, 'id'>[]): Promise<void> {
    if (rows.length > 0) {
      await tx.insertInto('agreement_member').values(rows).execute();
    }
  },
  async closeMember(tx: Q, id: string, validTo: string): Promise<void> {
    await tx.updateTable('agreement_member').set({ valid_to: validTo }).where('id', '=', id).execute();
  },
};
