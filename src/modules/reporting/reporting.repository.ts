// The figures the dashboards show, asked of the modules that own them (declarations, manifests)
// through their index.ts: this module reads no table of its own or of theirs. Read-only; every
// range is bounded by the route (at most a year).
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { declarationsPerDay, releasesBetween, revenueOfPaid } from '#modules/declaration/index.ts';
import { arrivalsOf } from '#modules/manifest/index.ts';

type Q = Kysely<DB>;

/** Local (Nairobi) day boundaries as instants: [from 00:00, the day after to 00:00). */
const bounds = (from: string, to: string) => ({
  start: new Date(`${from}T00:00:00+03:00`),
  end: new Date(Date.parse(`${to}T00:00:00+03:00`) + 86_400_000),
});

/** The p-th percentile of sorted values, interpolated between neighbours (PostgreSQL's percentile_cont). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) {
    return null;
  }
  const at = p * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (at - low) * (sorted[high]! - sorted[low]!);
}

const oneDecimal = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

export function reportingRepository(db: Q) {
  return {
    async perDay(from: string, to: string) {
      const { start, end } = bounds(from, to);
      const [lodged, assessed, released] = await Promise.all([declarationsPerDay(db, 'lodged_at', start, end), declarationsPerDay(db, 'assessed_at', start, end), declarationsPerDay(db, 'released_at', start, end)]);
      return { lodged, assessed, released };
    },

    /** Revenue of the declarations paid in the range, by tax head (from their assessment) and by office. */
    async revenue(from: string, to: string) {
      const { start, end } = bounds(from, to);
      return revenueOfPaid(db, start, end);
    },

    /** Hours from the conveyance's arrival to release, for declarations released in the range (those whose conveyance arrived). */
    async arrivalToRelease(from: string, to: string) {
      const { start, end } = bounds(from, to);
      const releases = await releasesBetween(db, start, end);
      const arrivals = await arrivalsOf(
        db,
        releases.map((r) => r.transportDocumentId),
      );
      const hours = releases
        .flatMap((r) => {
          const arrived = arrivals.get(r.transportDocumentId);
          // A release before the recorded arrival counts as none (pre-arrival clearance, then arrival).
          return arrived ? [Math.max((r.releasedAt.getTime() - arrived.getTime()) / 3_600_000, 0)] : [];
        })
        .sort((a, b) => a - b);
      return { released: hours.length, medianHours: oneDecimal(percentile(hours, 0.5)), p90Hours: oneDecimal(percentile(hours, 0.9)) };
    },
  };
}
