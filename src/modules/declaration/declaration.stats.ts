// The dashboards' figures over declarations, for the reporting module (which reads no declaration
// table itself): counts per Nairobi day, revenue of those paid by tax head and office, and when
// each was released from which transport document. Read-only; the caller bounds the range.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';

type Q = Kysely<DB>;

/** Declarations per Nairobi day whose step (lodged, assessed, released) falls in [start, end). */
export async function declarationsPerDay(db: Q, step: 'lodged_at' | 'assessed_at' | 'released_at', start: Date, end: Date): Promise<{ day: string; n: string }[]> {
  return db
    .selectFrom('declaration')
    .select([sql<string>`to_char(${sql.ref(step)} at time zone 'Africa/Nairobi', 'YYYY-MM-DD')`.as('day'), sql<string>`count(*)`.as('n')])
    .where(step, '>=', start)
    .where(step, '<', end)
    .groupBy(sql`1`)
    .execute();
}

/** Revenue (KES, exact decimal text) of the declarations paid in [start, end): by tax head from their assessment, and by office. */
export async function revenueOfPaid(db: Q, start: Date, end: Date): Promise<{ byHead: { code: string; amount: string }[]; byOffice: { officeCode: string; amount: string }[] }> {
  const byHead = await sql<{ code: string; amount: string }>`
    select t.key as code, sum(t.value::numeric)::text as amount
      from declaration d, jsonb_each_text(d.assessment::jsonb -> 'totals') t
     where d.paid_at >= ${start} and d.paid_at < ${end}
     group by t.key order by t.key`.execute(db);
  const byOffice = await db
    .selectFrom('declaration')
    .select(['office_code as officeCode', sql<string>`coalesce(sum(assessed_total), 0)::text`.as('amount')])
    .where('paid_at', '>=', start)
    .where('paid_at', '<', end)
    .groupBy('office_code')
    .orderBy('office_code')
    .execute();
  return { byHead: byHead.rows, byOffice };
}

/** Declarations released in [start, end): when, and from which transport document (for its arrival). */
export async function releasesBetween(db: Q, start: Date, end: Date): Promise<{ transportDocumentId: string; releasedAt: Date }[]> {
  const rows = await db
    .selectFrom('declaration')
    .select(['transport_document_id', 'released_at'])
    .where('released_at', '>=', start)
    .where('released_at', '<', end)
    .where('transport_document_id', 'is not', null)
    .execute();
  return rows.flatMap((r) => (r.transport_document_id !== null && r.released_at !== null ? [{ transportDocumentId: r.transport_document_id, releasedAt: r.released_at }] : []));
}
