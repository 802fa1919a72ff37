import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { localDate, type Clock } from '#platform/clock.ts';
import { Integer, IsoDate, Text } from '#platform/http/schemas.ts';
import { vehicleFuels } from '#modules/tariff/index.ts';
import { crspJson, type VehicleService } from './vehicle.service.ts';

export function vehicleRoutes(deps: { vehicles: VehicleService; clock: Clock }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/vehicles/crsp',
      {
        schema: {
          tags: ['vehicles'],
          summary: 'Look up the CRSP schedule in force: the retail prices used vehicles are valued from',
          description: 'make and model match from their start, without case. At least make is required.',
          querystring: Type.Object(
            {
              make: Text(60, { minLength: 1, description: 'e.g. TOYOTA' }),
              model: Type.Optional(Text(80, { minLength: 1, description: 'e.g. HARRIER' })),
              fuel: Type.Optional(Type.Union(vehicleFuels.map((f) => Type.Literal(f)))),
              engineCc: Type.Optional(Integer({ minimum: 0, maximum: 20000 })),
              date: Type.Optional(IsoDate('Date whose list applies; default today in Nairobi')),
              limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
            },
            { additionalProperties: false },
          ),
        },
        config: { access: 'public' },
      },
      async (request) => {
        const { make, model, fuel, engineCc } = request.query;
        const date = request.query.date ?? localDate(deps.clock.now());
        const rows = await deps.vehicles.search(
          { make, ...(model === undefined ? {} : { model }), ...(fuel === undefined ? {} : { fuel }), ...(engineCc === undefined ? {} : { engineCc }) },
          date,
          request.query.limit ?? 50,
        );
        return { date, rows: rows.map(crspJson) };
      },
    );
  };
}
