// Public consignment status (status and dates, nothing commercial) and the customs dashboards'
// figures. The status is public by design (a consignee, a trucker at the gate, a bank may ask):
// it is rate limited per client and shows no parties, goods, figures, channel or reasons.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import { customsRoles, type Principal } from '#platform/http/auth.ts';
import { invalid } from '#platform/http/problem.ts';
import { IsoDate, Text } from '#platform/http/schemas.ts';
import { reportingRepository } from './reporting.repository.ts';

/** What the public status needs of the declarations: their consignment timeline. */
export interface ConsignmentReader {
  timeline(
    viewer: Principal,
    query: { bl?: string; declaration?: string },
  ): Promise<{
    transportDocument: { number: string | null; expectedArrival: string | null; actualArrival: string | null };
    declarations: { reference: string | null; status: string }[];
    events: { at: string; action: string; declaration: string | null }[];
  }>;
}

/** The steps the public may see, by their audit action: dates of the consignment's progress. */
const publicSteps = new Set([
  'manifest.lodged',
  'manifest.arrived',
  'declaration.lodged',
  'declaration.assessed',
  'declaration.registered',
  'declaration.paid',
  'declaration.released',
  'declaration.cancelled',
  'release_order.exited',
]);

/** The reader the public status asks as: customs' view, narrowed below to status and dates. */
const statusReader: Principal = {
  kind: 'api-key',
  id: '00000000-0000-0000-0000-000000000000',
  name: 'public status',
  organisationId: '00000000-0000-0000-0000-000000000000',
  organisationKind: 'customs',
  organisationName: 'public status',
  roles: ['officer'],
};

const StatusQuery = Type.Object(
  {
    bl: Type.Optional(Text(35, { minLength: 3, description: 'Transport document (B/L, AWB) number' })),
    declaration: Type.Optional(Text(32, { minLength: 6, description: 'Declaration reference, e.g. 2026MBAIM4000123' })),
  },
  { additionalProperties: false },
);

const StatsQuery = Type.Object({ from: IsoDate('First day (Nairobi)'), to: IsoDate('Last day (Nairobi), at most 366 days after from') }, { additionalProperties: false });

export function reportingRoutes(deps: { db: Kysely<DB>; declarations: ConsignmentReader; statusRateLimit: number }): FastifyPluginAsyncTypebox {
  const repo = reportingRepository(deps.db);
  return async (app) => {
    app.get(
      '/api/v1/status',
      {
        schema: {
          tags: ['status'],
          summary: 'Public status of a consignment by B/L or declaration reference: statuses and dates only',
          description: 'No login; rate limited per client address. No parties, goods, figures, channel or reasons: those are for the parties logged in (GET /api/v1/timeline).',
          querystring: StatusQuery,
        },
        config: { access: 'public', rateLimit: { max: deps.statusRateLimit, timeWindow: '1 minute' } },
      },
      async (request) => {
        const { bl, declaration } = request.query;
        if ((bl === undefined) === (declaration === undefined)) {
          throw invalid([{ pointer: '/querystring/bl', code: 'one_of', message: 'give bl (a transport document number) or declaration (a declaration reference), not both' }]);
        }
        const t = await deps.declarations.timeline(statusReader, bl !== undefined ? { bl: bl.toUpperCase() } : { declaration: declaration!.toUpperCase() });
        return {
          transportDocument: { number: t.transportDocument.number, expectedArrival: t.transportDocument.expectedArrival, actualArrival: t.transportDocument.actualArrival },
          declarations: t.declarations.filter((d) => d.reference !== null).map((d) => ({ reference: d.reference, status: d.status })),
          steps: t.events.filter((e) => publicSteps.has(e.action)).map((e) => ({ at: e.at, step: e.action, declaration: e.declaration })),
        };
      },
    );

    app.get(
      '/api/v1/stats',
      {
        schema: {
          tags: ['status'],
          summary: 'Dashboard figures (customs): lodged, assessed, released per day; revenue by tax head and office; hours from arrival to release (median, 90th percentile)',
          querystring: StatsQuery,
        },
        config: { access: customsRoles },
      },
      async (request) => {
        const { from, to } = request.query;
        // A calendar date, not only its shape (2026-02-30 is none).
        for (const [name, value] of [['from', from], ['to', to]] as const) {
          const at = Date.parse(`${value}T00:00:00Z`);
          if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== value) {
            throw invalid([{ pointer: `/querystring/${name}`, code: 'invalid_date', message: `${value} is not a date of the calendar` }]);
          }
        }
        const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
        if (days < 0) {
          throw invalid([{ pointer: '/querystring/to', code: 'before_from', message: `must be on or after from (${from})` }]);
        }
        if (days > 366) {
          throw invalid([{ pointer: '/querystring/to', code: 'range_too_long', message: 'the range is at most 366 days' }]);
        }
        const [perDay, revenue, arrival] = await Promise.all([repo.perDay(from, to), repo.revenue(from, to), repo.arrivalToRelease(from, to)]);
        const series: { day: string; lodged: number; assessed: number; released: number }[] = [];
        for (let d = Date.parse(from); d <= Date.parse(to); d += 86_400_000) {
          series.push({ day: new Date(d).toISOString().slice(0, 10), lodged: 0, assessed: 0, released: 0 });
        }
        const at = new Map(series.map((s) => [s.day, s]));
        for (const key of ['lodged', 'assessed', 'released'] as const) {
          for (const row of perDay[key]) {
            const s = at.get(row.day);
            if (s) {
              s[key] = Number(row.n);
            }
          }
        }
        return { from, to, perDay: series, revenueByTaxHead: revenue.byHead, revenueByOffice: revenue.byOffice, arrivalToRelease: arrival };
      },
    );
  };
}
