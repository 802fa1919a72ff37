// What other modules may read of declarations beyond a single one's view: figures kept from the
// declaration tables, so no other module reads those tables (or their assessment JSON).
//
// Accepted unit values (declaration_unit_value): one row per item of each declaration customs
// accepted and per basis ('kg', or the unit of quantity), written by the outbox consumer
// (flows/accepted-values.ts) whenever a declaration enters or leaves the accepted statuses or
// its accepted values change (an approved amendment, corrections at verification, a
// re-assessment on arrival). The valuation reference reads a bounded window of it.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import type { DeclarationStatus } from './declaration.tables.ts';
import { exportRegimes } from './declaration.regimes.ts';

/** Declarations customs accepted: registered or later, neither cancelled nor rejected. */
export const acceptedStatuses: readonly DeclarationStatus[] = ['registered', 'paid', 'released', 'exited'];

export const isAccepted = (status: string): boolean => (acceptedStatuses as readonly string[]).includes(status);

export interface UnitValueQuery {
  /** Customs value per kg of net mass, or per unit of declared quantity. */
  basis: 'kg' | 'unit';
  /** Digits the items' HS codes start with: HS6 or HS4 (indexed); any other length is read without the index. */
  hsPrefix: string;
  /** ISO country code of origin, upper case; null for every origin. */
  origin: string | null;
  /** Quantity unit, upper case; null for every unit (basis kg). */
  unit: string | null;
  /** The low percentile wanted, 0 to 1. */
  percentile: number;
  /**
   * The values the distribution is taken over: accepted on or after `since` (ISO date), and of
   * those only the newest `entries`. Bounds the rows read whatever the history's size.
   */
  window: { since: string; entries: number };
}

export interface UnitValueDistribution {
  entries: number;
  /** KES per kg or per unit at the percentile, and the median: exact decimal text, null without entries. */
  low: string | null;
  median: string | null;
}

/** The `per` column of a basis: 'kg' (lower case, never a UN/ECE unit code, which are upper case) or the unit. */
const perOf = (a: Pick<UnitValueQuery, 'basis' | 'unit'>) => (a.basis === 'kg' ? 'kg' : (a.unit ?? ''));

/**
 * The distribution of the newest accepted unit values of comparable items (customs value in
 * KES per kg or per unit). percentile_disc: an actual accepted value, exact numeric, never a float.
 * The inner query walks one index newest first and stops after `window.entries` rows.
 */
export async function acceptedUnitValues(q: Kysely<DB>, a: UnitValueQuery): Promise<UnitValueDistribution> {
  const code = a.hsPrefix.length === 6 ? sql`hs6 = ${a.hsPrefix}` : a.hsPrefix.length === 4 ? sql`hs4 = ${a.hsPrefix}` : sql`hs_code like ${`${a.hsPrefix}%`}`;
  const { rows } = await sql<{
    n: string | number;
    low: string | null;
    median: string | null;
  }>`
    select count(*) as n,
           percentile_disc(${a.percentile}::float8) within group (order by v) as low,
           percentile_disc(0.5::float8) within group (order by v) as median
    from (
      select unit_value as v
      from declaration_unit_value
      where ${code}
        and per = ${perOf(a)}
        ${a.origin === null ? sql`` : sql`and origin = ${a.origin}`}
        and accepted_on >= ${a.window.since}::date
      order by accepted_on desc
      limit ${a.window.entries}
    ) x`.execute(q);
  const row = rows[0];
  return {
    entries: Number(row?.n ?? 0),
    low: row?.low ?? null,
    median: row?.median ?? null,
  };
}

/**
 * Writes a declaration's accepted unit values again from its current state: removes them, and
 * when the declaration is accepted, inserts one row per item and basis (customs value from the
 * stored assessment over net mass, and over quantity; items without a positive divisor or a
 * customs value have no row). Idempotent, and independent of the order events arrive in: it
 * reads the declaration as it is now. The same expression backfilled the table
 * (migrations/20261201_0410_declaration_unit_value.ts).
 */
export async function refreshAcceptedValues(q: Kysely<DB>, declarationId: string): Promise<number> {
  return writeAcceptedValues(q, [declarationId]);
}

/** refreshAcceptedValues for several declarations in one delete and one insert. */
async function writeAcceptedValues(q: Kysely<DB>, declarationIds: readonly string[]): Promise<number> {
  if (declarationIds.length === 0) {
    return 0;
  }
  await q.deleteFrom('declaration_unit_value').where('declaration_id', 'in', declarationIds).execute();
  const result = await sql`
    insert into declaration_unit_value (declaration_id, item_no, per, hs_code, hs6, hs4, origin, unit, customs_value, unit_value, accepted_on)
    select i.declaration_id, i.item_no, b.per, h.code, left(h.code, 6), left(h.code, 4), upper(i.origin_country), upper(i.unit), c.value, c.value / b.divisor,
           coalesce((d.registered_at at time zone 'Africa/Nairobi')::date, d.assessment_date, (d.created_at at time zone 'Africa/Nairobi')::date)
    from declaration d
    join declaration_item i on i.declaration_id = d.id
    cross join lateral (select regexp_replace(i.hs_code, '[^0-9]', '', 'g') as code) h
    cross join lateral (select (d.assessment -> 'items' -> (i.item_no - 1) ->> 'customsValue')::numeric as value) c
    cross join lateral (values ('kg', i.net_mass_kg::numeric), (upper(i.unit), i.quantity::numeric)) b (per, divisor)
    where d.id in (${sql.join(declarationIds.map((id) => sql`${id}`))})
      and d.status in (${sql.join(acceptedStatuses.map((s) => sql`${s}`))})
      -- Exports are valued FOB at departure: they would skew the import values the reference compares.
      and d.regime not in (${sql.join(exportRegimes.map((r) => sql`${r}`))})
      and b.divisor > 0 and c.value is not null`.execute(q);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Writes the accepted unit values of every declaration again, `batch` declarations per
 * transaction in id order: for a history loaded with COPY after migrating (npm run scale:seed),
 * or to repair the table. Returns the declarations read and the rows written.
 */
export async function rebuildAcceptedValues(
  db: Kysely<DB>,
  options: { batch: number; progress?: (declarations: number, rows: number) => void },
): Promise<{ declarations: number; rows: number }> {
  let after: string | null = null;
  let declarations = 0;
  let rows = 0;
  for (;;) {
    const from: string | null = after;
    let query = db.selectFrom('declaration').select('id').orderBy('id').limit(options.batch);
    if (from !== null) {
      query = query.where('id', '>', from);
    }
    const ids = (await query.execute()).map((r) => r.id);
    if (ids.length === 0) {
      return { declarations, rows };
    }
    rows += await inTransaction(db, async (tx) => {
      // As the consumer does: a declaration's values are never written by two transactions at once.
      await tx.selectFrom('declaration').select('id').where('id', 'in', ids).forUpdate().execute();
      return writeAcceptedValues(tx, ids);
    });
    declarations += ids.length;
    after = ids[ids.length - 1]!;
    options.progress?.(declarations, rows);
  }
}

/** Locks the declaration's row while its accepted values are written, so two deliveries of its events do not interleave. */
/**
 * The declaration's status now, held (FOR SHARE) until the caller's transaction ends: a status
 * change waits for it, so what the caller decides on this status cannot be overtaken by one.
 */
export async function heldStatus(q: Kysely<DB>, declarationId: string): Promise<string | undefined> {
  const row = await q.selectFrom('declaration').select('status').where('id', '=', declarationId).forShare().executeTakeFirst();
  return row?.status;
}

export async function lockForAcceptedValues(q: Kysely<DB>, declarationId: string): Promise<boolean> {
  const row = await q.selectFrom('declaration').select('id').where('id', '=', declarationId).forUpdate().executeTakeFirst();
  return row !== undefined;
}
