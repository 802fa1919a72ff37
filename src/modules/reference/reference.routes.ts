import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ReferenceService } from './reference.service.ts';

const lists = {
  countries: 'country',
  currencies: 'currency',
  locodes: 'locode',
  offices: 'customs_office',
  regimes: 'regime',
  'procedure-codes': 'procedure_code',
  'document-codes': 'document_code',
  units: 'unit',
} as const;

export function referenceRoutes(deps: { reference: ReferenceService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const [path, table] of Object.entries(lists)) {
      app.get(
        `/api/v1/reference/${path}`,
        { schema: { tags: ['reference'], summary: `Reference list: ${path}` }, config: { access: 'public' } },
        async () => ({ items: await deps.reference.list(table) }),
      );
    }
  };
}
