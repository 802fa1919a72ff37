// The risk API: analysts (risk_analyst) manage rules, watchlists, prohibited goods, settings
// and models; every customs role may read them, see a declaration's selection and follow the
// monitoring figures. Traders and agents see none of it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { actorOf, customsRoles } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { invalid } from '#platform/http/problem.ts';
import { addDays, type Clock } from '#platform/clock.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { Caller, RiskReferenceSets, RiskService } from './risk.service.ts';
import type { RiskEngine } from './engine.ts';
import { activateModel, listModels, modelView, RecentTooFew, rethreshold } from './model-store.ts';
import { monitoring } from './monitoring.ts';
import { parseSetting } from './risk.settings.ts';
import { riskRepository } from './risk.repository.ts';
import {
  DeclarationParams,
  EndBody,
  EntryBody,
  EntryParams,
  IdParams,
  MonitoringQuery,
  ProhibitedBody,
  RuleBody,
  RuleChangeBody,
  RuleListQuery,
  RuleVersionParams,
  SettingBody,
  SettingsQuery,
  ThresholdsBody,
  ValuationQuery,
  WatchlistBody,
  WatchlistChangeBody,
} from './risk.schemas.ts';

export interface RiskRouteDeps {
  db: Kysely<DB>;
  clock: Clock;
  risk: RiskService;
  engine: RiskEngine;
  reference: { sets(): Promise<RiskReferenceSets> };
}

const analyst = ['risk_analyst'] as const;
/** Seven criteria lists of up to 500 codes of 200 characters. */
const ruleBodyLimit = 1024 * 1024;
const tags = ['risk'];

function callerOf(request: FastifyRequest): Caller {
  return { actor: actorOf(request), requestId: request.id };
}

export function riskRoutes(deps: RiskRouteDeps): FastifyPluginAsyncTypebox {
  const { db, risk, engine, clock } = deps;

  /** Runs a change in one idempotent transaction, then lets the engine read the new state. */
  async function change<T>(request: FastifyRequest, reply: FastifyReply, status: number, work: (tx: Tx) => Promise<T>): Promise<T> {
    const body = await idempotent(db, request, reply, async (tx) => ({
      status,
      body: await work(tx),
    }));
    await engine.refresh();
    return body;
  }

  return async (app) => {
    app.get(
      '/api/v1/risk/rules',
      {
        schema: {
          tags,
          summary: 'Selectivity rules in force (current versions)',
          querystring: RuleListQuery,
        },
        config: { access: customsRoles },
      },
      async (request) => ({
        items: await risk.listRules(db, {
          includeInactive: request.query.includeInactive ?? false,
        }),
      }),
    );

    app.post(
      '/api/v1/risk/rules',
      {
        schema: {
          tags,
          summary: 'Create a selectivity rule (version 1)',
          body: RuleBody,
        },
        bodyLimit: ruleBodyLimit,
        config: { access: analyst },
      },
      async (request, reply) => {
        const sets = await deps.reference.sets();
        return change(request, reply, 201, (tx) => risk.createRule(tx, callerOf(request), sets, request.body));
      },
    );

    app.get(
      '/api/v1/risk/rules/:id',
      {
        schema: {
          tags,
          summary: 'A rule: its current version and every earlier one',
          params: IdParams,
        },
        config: { access: customsRoles },
      },
      async (request) => risk.rule(db, request.params.id),
    );

    app.get(
      '/api/v1/risk/rules/:id/versions/:version',
      {
        schema: {
          tags,
          summary: 'One version of a rule, as it was',
          params: RuleVersionParams,
        },
        config: { access: customsRoles },
      },
      async (request) => risk.ruleVersion(db, request.params.id, request.params.version),
    );

    app.put(
      '/api/v1/risk/rules/:id',
      {
        schema: {
          tags,
          summary: 'Change a rule: a new version; the old one is kept',
          params: IdParams,
          body: RuleChangeBody,
        },
        bodyLimit: ruleBodyLimit,
        config: { access: analyst },
      },
      async (request, reply) => {
        const sets = await deps.reference.sets();
        return change(request, reply, 200, (tx) => risk.changeRule(tx, callerOf(request), sets, request.params.id, request.body));
      },
    );

    app.get(
      '/api/v1/risk/watchlists',
      {
        schema: { tags, summary: 'Watchlists with their entries' },
        config: { access: customsRoles },
      },
      async () => ({ items: await risk.listWatchlists(db) }),
    );

    app.post(
      '/api/v1/risk/watchlists',
      {
        schema: {
          tags,
          summary: 'Create a watchlist of importers, declarants, sellers or HS codes',
          body: WatchlistBody,
        },
        config: { access: analyst },
      },
      async (request, reply) => change(request, reply, 201, (tx) => risk.createWatchlist(tx, callerOf(request), request.body)),
    );

    app.get(
      '/api/v1/risk/watchlists/:id',
      {
        schema: {
          tags,
          summary: 'A watchlist with its entries',
          params: IdParams,
        },
        config: { access: customsRoles },
      },
      async (request) => risk.watchlist(db, request.params.id),
    );

    app.put(
      '/api/v1/risk/watchlists/:id',
      {
        schema: {
          tags,
          summary: "Change a watchlist's name, channel, reason or active flag",
          params: IdParams,
          body: WatchlistChangeBody,
        },
        config: { access: analyst },
      },
      async (request, reply) => change(request, reply, 200, (tx) => risk.changeWatchlist(tx, callerOf(request), request.params.id, request.body)),
    );

    app.post(
      '/api/v1/risk/watchlists/:id/entries',
      {
        schema: {
          tags,
          summary: 'Put a party or HS code on the watchlist for a period',
          params: IdParams,
          body: EntryBody,
        },
        config: { access: analyst },
      },
      async (request, reply) => change(request, reply, 201, (tx) => risk.addEntry(tx, callerOf(request), request.params.id, request.body)),
    );

    app.post(
      '/api/v1/risk/watchlists/:id/entries/:entryId/end',
      {
        schema: {
          tags,
          summary: 'End a watchlist entry on a date',
          params: EntryParams,
          body: EndBody,
        },
        config: { access: analyst },
      },
      async (request, reply) => change(request, reply, 200, (tx) => risk.endEntry(tx, callerOf(request), request.params.id, request.params.entryId, request.body)),
    );

    app.get(
      '/api/v1/risk/prohibited',
      {
        schema: {
          tags,
          summary: 'Prohibited and restricted goods (always red)',
        },
        config: { access: customsRoles },
      },
      async () => ({ items: await risk.listProhibited(db) }),
    );

    app.post(
      '/api/v1/risk/prohibited',
      {
        schema: {
          tags,
          summary: 'Add prohibited or restricted goods by HS prefix',
          body: ProhibitedBody,
        },
        config: { access: analyst },
      },
      async (request, reply) => change(request, reply, 201, (tx) => risk.addProhibited(tx, callerOf(request), request.body)),
    );

    app.post(
      '/api/v1/risk/prohibited/:id/end',
      {
        schema: {
          tags,
          summary: 'End a prohibited goods entry on a date',
          params: IdParams,
          body: EndBody,
        },
        config: { access: analyst },
      },
      async (request, reply) => change(request, reply, 200, (tx) => risk.endProhibited(tx, callerOf(request), request.params.id, request.body)),
    );

    app.get(
      '/api/v1/risk/settings',
      {
        schema: {
          tags,
          summary: 'Engine settings in force on a date (default today) and their history',
          querystring: SettingsQuery,
        },
        config: { access: customsRoles },
      },
      async (request) => risk.settings(db, request.query.date ?? risk.today()),
    );

    app.post(
      '/api/v1/risk/settings',
      {
        schema: {
          tags,
          summary: 'A new dated value of a setting',
          body: SettingBody,
        },
        config: { access: analyst },
      },
      async (request, reply) => change(request, reply, 201, (tx) => risk.addSetting(tx, callerOf(request), request.body)),
    );

    app.get(
      '/api/v1/risk/models',
      {
        schema: {
          tags,
          summary: 'Learned models, newest first, with held-out metrics and thresholds',
        },
        config: { access: customsRoles },
      },
      async () => ({ items: await listModels(db) }),
    );

    app.post(
      '/api/v1/risk/models/:id/activate',
      {
        schema: {
          tags,
          summary: 'Make this model the one that scores lodgements',
          params: IdParams,
        },
        config: { access: analyst },
      },
      async (request, reply) =>
        change(request, reply, 200, async (tx) => {
          const { model: _model, ...row } = await activateModel(tx, request.params.id, actorOf(request), clock.now(), request.id);
          engine.invalidate();
          return modelView(row);
        }),
    );

    app.post(
      '/api/v1/risk/models/:id/thresholds',
      {
        schema: {
          tags,
          summary: "Set the model's target inspection rates, or re-read its cut-offs from recent declarations",
          params: IdParams,
          body: ThresholdsBody,
        },
        config: { access: analyst },
      },
      async (request, reply) => {
        let targetRates = request.body.targetRates;
        if (targetRates) {
          try {
            targetRates = parseSetting('model.targetRates', targetRates);
          } catch (err) {
            throw invalid([
              {
                pointer: '/targetRates',
                code: 'invalid_rates',
                message: (err as Error).message,
              },
            ]);
          }
        }
        return change(request, reply, 200, async (tx) => {
          const current = await riskRepository.modelThresholds(tx, request.params.id);
          const rates = targetRates ?? (current as { targetRates?: { red: number; yellow: number } } | undefined)?.targetRates ?? { red: 0.03, yellow: 0.07 };
          try {
            const { model: _model, ...row } = await rethreshold(tx, request.params.id, {
              targetRates: rates,
              source: request.body.source ?? 'validation',
              days: request.body.days ?? 30,
              now: clock.now(),
              actor: actorOf(request),
              requestId: request.id,
            });
            engine.invalidate();
            return modelView(row);
          } catch (err) {
            if (err instanceof RecentTooFew) {
              throw invalid([
                {
                  pointer: '/days',
                  code: 'too_few_scores',
                  message: err.message,
                },
              ]);
            }
            throw err;
          }
        });
      },
    );

    app.get(
      '/api/v1/risk/selections/:declarationId',
      {
        schema: {
          tags,
          summary: "The engine's decision on a declaration, with its reasons (customs only)",
          params: DeclarationParams,
        },
        config: { access: customsRoles },
      },
      async (request) => risk.selection(db, request.params.declarationId),
    );

    app.get(
      '/api/v1/risk/valuation',
      {
        schema: {
          tags,
          summary: 'Valuation reference: accepted unit values of comparable goods',
          querystring: ValuationQuery,
        },
        config: { access: customsRoles },
      },
      async (request) => {
        const settings = await risk.settings(db, risk.today());
        const args = {
          hsCode: request.query.hsCode,
          origin: request.query.origin.toUpperCase(),
          basis: request.query.unit ? ('unit' as const) : ('kg' as const),
          unit: request.query.unit ?? 'KGM',
          percentile: settings.inForce['valuation.percentile'],
          minEntries: 1,
          ttlSeconds: settings.inForce['valuation.cacheSeconds'],
          since: addDays(risk.today(), -settings.inForce['valuation.windowDays']),
          windowEntries: settings.inForce['valuation.windowEntries'],
          now: clock.now().getTime(),
        };
        return {
          reference: await engine.valuation.reference(db, args),
          minEntries: settings.inForce['valuation.minEntries'],
        };
      },
    );

    app.get(
      '/api/v1/risk/monitoring',
      {
        schema: {
          tags,
          summary: 'Selections, hits, hit rates and revenue per rule, watchlist, model version and channel',
          querystring: MonitoringQuery,
        },
        config: { access: customsRoles },
      },
      async (request) => {
        if (request.query.to < request.query.from) {
          throw invalid([
            {
              pointer: '/querystring/to',
              code: 'before_from',
              message: `must be on or after from (${request.query.from})`,
            },
          ]);
        }
        return monitoring(db, {
          from: request.query.from,
          to: request.query.to,
        });
      },
    );
  };
}
