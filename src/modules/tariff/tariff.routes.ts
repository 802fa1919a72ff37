import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { localDate, type Clock } from '#platform/clock.ts';
import { invalid } from '#platform/http/problem.ts';
import { Integer, IsoDate, Text } from '#platform/http/schemas.ts';
import type { TariffService } from './tariff.service.ts';

export function tariffRoutes(deps: { tariff: TariffService; clock: Clock }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/tariff/lines',
      {
        schema: {
          tags: ['tariff'],
          summary: 'Search tariff lines in force by code prefix or words of the description',
          querystring: Type.Object({
            q: Text(100, { minLength: 2 }),
            date: Type.Optional(IsoDate()),
            limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
          }),
        },
        config: { access: 'public' },
      },
      async (request) => {
        const date = request.query.date ?? localDate(deps.clock.now());
        const lines = await deps.tariff.search(request.query.q, date, request.query.limit ?? 50);
        return {
          date,
          lines: lines.map((m) => ({
            hsCode: m.hsCode,
            description: m.description,
            unit: m.unit,
            importDuty: { rate: m.importDuty.rate?.toString() ?? null, specific: m.importDuty.specific ? { ...m.importDuty.specific, amount: m.importDuty.specific.amount.toString() } : null },
            excise: { rate: m.excise.rate?.toString() ?? null, specific: m.excise.specific ? { ...m.excise.specific, amount: m.excise.specific.amount.toString() } : null },
            vat: m.vat,
            validFrom: m.ref.validFrom,
            validTo: m.ref.validTo,
          })),
        };
      },
    );
    app.get(
      '/api/v1/tariff/exchange-rates/:currency',
      {
        schema: {
          tags: ['tariff'],
          summary: 'The exchange rate in force for a currency on a date',
          params: Type.Object({ currency: Text(3, { minLength: 3 }) }),
          querystring: Type.Object({ date: Type.Optional(IsoDate()) }),
        },
        config: { access: 'public' },
      },
      async (request) => {
        const date = request.query.date ?? localDate(deps.clock.now());
        const currency = request.params.currency.toUpperCase();
        const { rates, missing } = await deps.tariff.exchangeRates([currency], date);
        const m = missing[0];
        if (m) {
          throw invalid([{ pointer: '/params/currency', code: 'exchange_rate_missing', message: m.message }]);
        }
        const rate = rates.get(currency);
        return { currency, date, rate: rate?.rate.toString(), ...(rate?.ref.kind === 'exchange-rate' ? { validFrom: rate.ref.validFrom, validTo: rate.ref.validTo } : {}) };
      },
    );
    app.get(
      '/api/v1/tariff/settings',
      {
        schema: {
          tags: ['tariff'],
          summary: 'National settings (preferential levies, rounding, valuation) in force on a date; tax heads and their rates are at /api/v1/tariff/charges',
          querystring: Type.Object({ date: Type.Optional(IsoDate()) }),
        },
        config: { access: 'public' },
      },
      async (request) => {
        const date = request.query.date ?? localDate(deps.clock.now());
        const national = await deps.tariff.nationalRules(date);
        if ('missing' in national) {
          throw invalid([{ pointer: '/query/date', code: 'rules_missing', message: `no settings in force on ${date} for ${national.missing.join(', ')}` }]);
        }
        return {
          date,
          settings: Object.values(national.rules).map((s: { ref: { key: string; value?: unknown; validFrom: string; validTo: string | null } }) => ({
            key: s.ref.key,
            value: s.ref.value,
            validFrom: s.ref.validFrom,
            validTo: s.ref.validTo,
          })),
        };
      },
    );

    app.get(
      '/api/v1/tariff/charges',
      {
        schema: {
          tags: ['tariff'],
          summary: 'Tax heads (charge types) and their scheduled rates by HS prefix in force on a date',
          description: 'Import duty and excise rates are on each tariff line (GET /api/v1/tariff/lines); the others (VAT, IDF, RDL, EIPL, fuel levies...) are scheduled here, the longest HS prefix winning.',
          querystring: Type.Object({ date: Type.Optional(IsoDate()) }),
        },
        config: { access: 'public' },
      },
      async (request) => {
        const date = request.query.date ?? localDate(deps.clock.now());
        const { types, rates } = await deps.tariff.chargeSchedule(date);
        return {
          date,
          chargeTypes: types.map((t) => ({
            code: t.code,
            name: t.name,
            base: t.base,
            plus: t.plus,
            joinsVatBase: t.joinsVatBase,
            rateSource: t.rateSource,
            rounding: t.rounding ?? null,
            minimum: t.minimum?.toString() ?? null,
            maximum: t.maximum?.toString() ?? null,
            sequence: t.sequence,
            validFrom: t.ref.validFrom,
            validTo: t.ref.validTo,
          })),
          chargeRates: rates.map((r) => ({
            charge: r.charge,
            hsPrefix: r.hsPrefix,
            rate: r.rate?.toString() ?? null,
            specific: r.specific ? { amount: r.specific.amount.toString(), unit: r.specific.unit, currency: r.specific.currency } : null,
            treatment: r.treatment,
            validFrom: r.ref.validFrom,
            validTo: r.ref.validTo,
          })),
        };
      },
    );
  };
}
