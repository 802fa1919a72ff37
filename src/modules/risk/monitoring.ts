// What the engine's selections caught: per rule version, per watchlist, per model version, for
// random and valuation selections, and the inspection rate per channel, over the declarations
// decided between two dates. A hit is an inspected declaration where a discrepancy was found;
// the hit rate is hits over inspected; revenue is what those hits recovered (KES).
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { Dec, fixed } from '#platform/money.ts';
import { riskRepository as repo, type RawCounts } from './risk.repository.ts';

type Q = Kysely<DB>;

interface Counts {
  selections: number;
  inspected: number;
  hits: number;
  hitRate: number | null;
  revenue: string;
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

const none: RawCounts = { selections: 0, inspected: 0, hits: 0, revenue: '0' };

export async function monitoring(q: Q, range: { from: string; to: string }) {
  const caught = repo.monitoring(q, range);
  const rules = await caught.rules();
  const watchlists = await caught.watchlists();
  const models = await caught.models();
  const channels = await caught.channels();
  const bySource = async (of: () => Promise<RawCounts | undefined>) => counts((await of()) ?? none);
  const overall = await bySource(caught.all);
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
      const c = counts(row ?? none);
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
    random: await bySource(caught.random),
    valuation: await bySource(caught.valuation),
    prohibited: await bySource(caught.prohibited),
  };
}

export type Monitoring = Awaited<ReturnType<typeof monitoring>>;
