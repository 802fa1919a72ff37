// What the engine's selections caught: per rule version, per watchlist, per model version, for
// random and valuation selections, and the inspection rate per channel, over the declarations
// decided between two dates. A hit is an inspected declaration where a discrepancy was found;
// the hit rate is hits over inspected; revenue is what those hits recovered (KES).
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../../schema.ts';
import { Dec, fixed } from '#platform/money.ts';

type Q = Kysely<DB>;

interface Counts {
  selections: number;
  inspected: number;
  hits: number;
  hitRate: number | null;
  revenue: string;
}

interface RawCounts {
  selections: string | number;
  inspected: string | number;
  hits: string | number;
  revenue: string | null;
}

const counts = (r: RawCounts): Counts => {
  const inspected = Number(r.inspected);
  const hits = Number(r.hits);
  return {
    selections: Number(r.selections),
    inspected,
    hits,
    hitRate: inspected > 0 ? Math.round((hits / inspected) * 10_000) / 10_000 : null,
    revenue: fixed(new Dec(r.revenue ?? '0'), 2),
  };
};

const aggregates = sql`count(*) as selections,
  count(*) filter (where o.inspected) as inspected,
  count(*) filter (where o.discrepancy) as hits,
  coalesce(sum(o.extra_revenue) filter (where o.discrepancy), 0) as revenue`;

export async function monitoring(q: Q, range: { from: string; to: string }) {
  const within = sql`s.superseded_at is null and s.decision_date between ${range.from}::date and ${range.to}::date`;
  const run = async <T>(query: RawBuilder<T>) => (await query.execute(q)).rows;

  const rules = await run(sql<
    RawCounts & {
      id: string;
      version: number;
      code: string;
      name: string | null;
      channel: string | null;
    }
  >`
    select h.id, h.version, h.code, r.name, r.channel, ${aggregates}
    from (
      select s.declaration_id, e ->> 'id' as id, (e ->> 'version')::int as version, e ->> 'code' as code
      from risk_selection s cross join lateral jsonb_array_elements(s.rules) e
      where ${within}
    ) h
    left join risk_outcome o on o.declaration_id = h.declaration_id
    left join risk_rule r on r.id = h.id::uuid and r.version = h.version
    group by h.id, h.version, h.code, r.name, r.channel
    order by h.code, h.version`);

  const watchlists = await run(sql<RawCounts & { id: string; code: string }>`
    select h.id, h.code, ${aggregates}
    from (
      select distinct s.declaration_id, e ->> 'id' as id, e ->> 'code' as code
      from risk_selection s cross join lateral jsonb_array_elements(s.watchlists) e
      where ${within}
    ) h
    left join risk_outcome o on o.declaration_id = h.declaration_id
    group by h.id, h.code
    order by h.code`);

  const models = await run(sql<
    RawCounts & {
      model_id: string;
      model_version: number;
      scored: string | number;
    }
  >`
    select s.model_id, s.model_version, count(*) as scored,
      count(*) filter (where 'model' = any(s.selected_by)) as selections,
      count(*) filter (where 'model' = any(s.selected_by) and o.inspected) as inspected,
      count(*) filter (where 'model' = any(s.selected_by) and o.discrepancy) as hits,
      coalesce(sum(o.extra_revenue) filter (where 'model' = any(s.selected_by) and o.discrepancy), 0) as revenue
    from risk_selection s left join risk_outcome o on o.declaration_id = s.declaration_id
    where ${within} and s.model_id is not null
    group by s.model_id, s.model_version
    order by s.model_version`);

  const bySource = async (condition: RawBuilder<unknown>) =>
    counts(
      (
        await run(sql<RawCounts>`
          select ${aggregates}
          from risk_selection s left join risk_outcome o on o.declaration_id = s.declaration_id
          where ${within} and ${condition}`)
      )[0] ?? { selections: 0, inspected: 0, hits: 0, revenue: '0' },
    );

  const channels = await run(sql<RawCounts & { channel: string }>`
    select s.channel, ${aggregates}
    from risk_selection s left join risk_outcome o on o.declaration_id = s.declaration_id
    where ${within}
    group by s.channel`);

  const overall = await bySource(sql`true`);
  const total = overall.selections;
  const order = ['red', 'yellow', 'blue', 'green'];
  return {
    from: range.from,
    to: range.to,
    declarations: total,
    inspected: overall.inspected,
    inspectionRate: total > 0 ? Math.round((overall.inspected / total) * 10_000) / 10_000 : null,
    hits: overall.hits,
    revenue: overall.revenue,
    channels: order.map((channel) => {
      const row = channels.find((c) => c.channel === channel);
      const c = counts(row ?? { selections: 0, inspected: 0, hits: 0, revenue: '0' });
      return {
        channel,
        declarations: c.selections,
        share: total > 0 ? Math.round((c.selections / total) * 10_000) / 10_000 : null,
        inspected: c.inspected,
        hits: c.hits,
        hitRate: c.hitRate,
        revenue: c.revenue,
      };
    }),
    rules: rules.map((r) => ({
      id: r.id,
      version: Number(r.version),
      code: r.code,
      name: r.name,
      channel: r.channel,
      ...counts(r),
    })),
    watchlists: watchlists.map((w) => ({
      id: w.id,
      code: w.code,
      ...counts(w),
    })),
    models: models.map((m) => ({
      id: m.model_id,
      version: Number(m.model_version),
      scored: Number(m.scored),
      ...counts(m),
    })),
    random: await bySource(sql`s.random`),
    valuation: await bySource(sql`jsonb_array_length(s.valuation) > 0`),
    prohibited: await bySource(sql`jsonb_array_length(s.prohibited) > 0`),
  };
}

export type Monitoring = Awaited<ReturnType<typeof monitoring>>;
