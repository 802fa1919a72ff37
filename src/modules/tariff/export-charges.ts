// Export duties and levies: data with validity dates (migration 20261202_0302), matched on the
// leading digits of the HS code. Most goods match nothing and leave at no charge.
import type { Generated, Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inForceOn } from '#platform/db/in-force.ts';
import { Dec } from '#platform/money.ts';

export interface ExportChargeTables {
  export_charge: {
    id: Generated<number>;
    code: string;
    name: string;
    hs_prefix: string;
    /** Percent of the FOB value in KES, as exact decimal text. */
    rate_percent: string;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
  };
}

export interface ExportCharge {
  id: number;
  code: string;
  name: string;
  hsPrefix: string;
  ratePercent: string;
  validFrom: string;
  validTo: string | null;
}

/** Every export charge in force on `date` (YYYY-MM-DD); the caller matches them to HS codes (chargesFor). */
export async function exportChargesInForce(q: Kysely<DB>, date: string): Promise<ExportCharge[]> {
  const rows = await q
    .selectFrom('export_charge')
    .select(['id', 'code', 'name', 'hs_prefix', 'rate_percent', 'valid_from', 'valid_to'])
    .where(inForceOn(date))
    .orderBy('code')
    .orderBy('hs_prefix')
    .execute();
  return rows.map((r) => ({ id: r.id, code: r.code, name: r.name, hsPrefix: r.hs_prefix, ratePercent: new Dec(String(r.rate_percent)).toString(), validFrom: dateText(r.valid_from), validTo: r.valid_to === null ? null : dateText(r.valid_to) }));
}

/** The charges whose HS prefix the code (digits only) starts with; one per charge code, the longest prefix. */
export function chargesFor(hsDigits: string, inForce: readonly ExportCharge[]): ExportCharge[] {
  const best = new Map<string, ExportCharge>();
  for (const c of inForce) {
    if (hsDigits.startsWith(c.hsPrefix) && (best.get(c.code)?.hsPrefix.length ?? -1) < c.hsPrefix.length) {
      best.set(c.code, c);
    }
  }
  return [...best.values()];
}

/** date columns may arrive as Date objects from the driver: shown as YYYY-MM-DD. */
function dateText(d: unknown): string {
  return d instanceof Date ? d.toISOString().slice(0, 10) : String(d);
}
