// The figures the dashboards show, read from the declarations, their transport documents and
// manifests. Read-only; every range is bounded by the route (at most a year).
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';

type Q = Kysely<DB>;

/** Local (Nairobi) day boundaries as instants: [from 00:00, the day after to 00:00). */
const bounds = (from: string, to: string) => ({
  start: new Date(`${from}T00:00:00+03:00`),
  end: new Date(Date.parse(`${to}T00:00:00+03:00`) + 86_400_000),
});

export function reportingRepository(db: Q) {
  return {
    async perDay(from: string, to: string) {
      const { start, end } = bounds(from, to);
      const day = (column: 'lodged_at' | 'assessed_at' | 'released_at') =>
        db
          .selectFrom('declaration')
          .select([sql<string>`to_char(${sql.ref(column)} at time zone 'Africa/Nairobi', 'YYYY-MM-DD')`.as('day'), sql<string>`count(*)`.as('n')])
          .where(column, '>=', start)
          .where(column, '<', end)
          .groupBy(sql`1`)
          .execute();
      const [lodged, assessed, released] = await Promise.all([day('lodged_at'), day('assessed_at'), day('released_at')]);
      return { lodged, assessed, released };
    },

    /** Revenue of the declarations paid in the range, by tax head (from their assessment) and by office. */
    async revenue(from: string, to: string) {
      const { start, end } = bounds(from, to);
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
    },

    /** Hours from the conveyance's arrival to release, for declarations released in the range. */
    async arrivalToRelease(from: string, to: string) {
      const { start, end } = bounds(from, to);
      const r = await sql<{ released: string; median: string | null; p90: string | null }>`
        select count(*)::text as released,
               round((percentile_cont(0.5) within group (order by h))::numeric, 1)::text as median,
               round((percentile_cont(0.9) within group (order by h))::numeric, 1)::text as p90
          from (select greatest(extract(epoch from d.released_at - m.actual_arrival) / 3600, 0) as h
                  from declaration d
                  join transport_document td on td.id = d.transport_document_id
                  join manifest m on m.id = td.manifest_id
                 where d.released_at >= ${start} and d.released_at < ${end}
                   and m.actual_arrival is not null) x`.execute(db);
      const row = r.rows[0];
      return { released: Number(row?.released ?? 0), medianHours: row?.median === null || row?.median === undefined ? null : Number(row.median), p90Hours: row?.p90 === null || row?.p90 === undefined ? null : Number(row.p90) };
    },
  };
}
