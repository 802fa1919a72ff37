// What other modules may read of declarations beyond a single one's view: figures computed over
// the declaration tables, so no other module reads those tables (or their assessment JSON).
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { DeclarationStatus } from './declaration.tables.ts';

/** Declarations customs accepted: registered or later, neither cancelled nor rejected. */
const acceptedStatuses: readonly DeclarationStatus[] = ['registered', 'paid', 'released', 'exited'];

export interface UnitValueQuery {
  /** Customs value per kg of net mass, or per unit of declared quantity. */
  basis: 'kg' | 'unit';
  /** Digits the items' HS codes start with (HS6 or HS4, dots ignored). */
  hsPrefix: string;
  /** ISO country code of origin, upper case; null for every origin. */
  origin: string | null;
  /** Quantity unit, upper case; null for every unit. */
  unit: string | null;
  /** The low percentile wanted, 0 to 1. */
  percentile: number;
}

export interface UnitValueDistribution {
  entries: number;
  /** KES per kg or per unit at the percentile, and the median: exact decimal text, null without entries. */
  low: string | null;
  median: string | null;
}

/**
 * The distribution of accepted unit values of comparable items (customs value in KES from the
 * stored assessment, per kg or per unit). percentile_disc: an actual accepted value, exact
 * numeric, never a float.
 */
export async function acceptedUnitValues(q: Kysely<DB>, a: UnitValueQuery): Promise<UnitValueDistribution> {
  const customsValue = sql`(d.assessment -> 'items' -> (i.item_no - 1) ->> 'customsValue')::numeric`;
  const divisor = a.basis === 'kg' ? sql`i.net_mass_kg` : sql`i.quantity`;
  const { rows } = await sql<{
    n: string | number;
    low: string | null;
    median: string | null;
  }>`
    select count(*) as n,
           percentile_disc(${a.percentile}::float8) within group (order by v) as low,
           percentile_disc(0.5::float8) within group (order by v) as median
    from (
      select ${customsValue} / ${divisor} as v
      from declaration_item i
      join declaration d on d.id = i.declaration_id
      where d.status in (${sql.join(acceptedStatuses.map((s) => sql`${s}`))})
        and left(regexp_replace(i.hs_code, '[^0-9]', '', 'g'), ${a.hsPrefix.length}::int) = ${a.hsPrefix}
        and ${divisor} > 0
        ${a.origin === null ? sql`` : sql`and upper(i.origin_country) = ${a.origin}`}
        ${a.unit === null ? sql`` : sql`and upper(i.unit) = ${a.unit}`}
    ) x
    where v is not null`.execute(q);
  const row = rows[0];
  return {
    entries: Number(row?.n ?? 0),
    low: row?.low ?? null,
    median: row?.median ?? null,
  };
}
