// Lookups other modules use to validate codes against reference data. Reference lists are small
// and change rarely, so they are read once and kept; reload() refreshes after a load.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';

export interface ReferenceSets {
  countries: Set<string>;
  currencies: Set<string>;
  locodes: Set<string>;
  offices: Set<string>;
  procedureCodes: Map<string, { regime: string | null; direction: string; description: string }>;
  documentCodes: Set<string>;
  units: Set<string>;
  /** Each unit's kind and how many of the kind's base unit it holds, for converting quantities. */
  unitDefs: Map<string, UnitDef>;
}

export interface UnitDef {
  code: string;
  symbol: string | null;
  kind: string;
  factor: string | null;
}

export function referenceService(db: Kysely<DB>) {
  let cache: ReferenceSets | undefined;
  async function load(): Promise<ReferenceSets> {
    const [countries, currencies, locodes, offices, cpcs, documents, units] = await Promise.all([
      db.selectFrom('country').select('code').execute(),
      db.selectFrom('currency').select('code').execute(),
      db.selectFrom('locode').select('code').execute(),
      db.selectFrom('customs_office').select('code').execute(),
      db.selectFrom('procedure_code').select(['code', 'regime', 'direction', 'description']).execute(),
      db.selectFrom('document_code').select('code').execute(),
      db.selectFrom('unit').select(['code', 'symbol', 'kind', 'factor']).execute(),
    ]);
    return {
      countries: new Set(countries.map((r) => r.code)),
      currencies: new Set(currencies.map((r) => r.code)),
      locodes: new Set(locodes.map((r) => r.code)),
      offices: new Set(offices.map((r) => r.code)),
      procedureCodes: new Map(cpcs.map((r) => [r.code, { regime: r.regime, direction: r.direction, description: r.description }])),
      documentCodes: new Set(documents.map((r) => r.code)),
      units: new Set(units.map((r) => r.code)),
      unitDefs: new Map(units.map((r) => [r.code, r])),
    };
  }
  return {
    async sets(): Promise<ReferenceSets> {
      cache ??= await load();
      return cache;
    },
    reload(): void {
      cache = undefined;
    },
    list(table: 'country' | 'currency' | 'locode' | 'customs_office' | 'regime' | 'procedure_code' | 'document_code' | 'unit') {
      return db.selectFrom(table).selectAll().orderBy('code').execute();
    },
  };
}

export type ReferenceService = ReturnType<typeof referenceService>;
