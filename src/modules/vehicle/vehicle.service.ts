// The CRSP schedule as the rest of the system asks it: the row in force for a declared vehicle
// (make + model + fuel + engine cc, and body/drive when declared; case-insensitive), and a bounded
// lookup for traders to see what the list holds.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { Dec } from '#platform/money.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { CrspMatch, CrspQuery, CrspSchedule, RuleRef } from '#modules/assessment/index.ts';
import { vehicleRepository, type CrspRow, type CrspSearch } from './vehicle.repository.ts';
import { describeVariant } from './vehicle.import.ts';

const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();

/** A row fits when every attribute the declarant gave agrees; a row without body/drive fits any. */
function fits(row: CrspRow, q: CrspQuery): boolean {
  return (
    row.fuel === q.fuel &&
    row.engine_cc === q.engineCc &&
    (q.body === undefined || row.body === null || same(row.body, q.body)) &&
    (q.drive === undefined || row.drive === null || same(row.drive, q.drive))
  );
}

export function crspRef(row: CrspRow): RuleRef {
  return { kind: 'crsp', id: String(row.id), key: describeVariant(row), validFrom: row.valid_from, validTo: row.valid_to, value: row.price_kes };
}

export function crspJson(row: CrspRow) {
  return {
    id: String(row.id),
    make: row.make,
    model: row.model,
    body: row.body,
    engineCc: row.engine_cc,
    fuel: row.fuel,
    drive: row.drive,
    priceKes: new Dec(row.price_kes).toFixed(2),
    validFrom: row.valid_from,
    validTo: row.valid_to,
    note: row.note,
  };
}

export function vehicleService(db: Kysely<DB> | Tx): CrspSchedule & { search(q: CrspSearch, date: string, limit: number): Promise<CrspRow[]> } {
  const repo = vehicleRepository(db);
  return {
    async find(q: CrspQuery, date: string): Promise<CrspMatch> {
      const rows = await repo.crspInForce(q.make, q.model, date);
      const matches = rows.filter((r) => fits(r, q));
      const asked = describeVariant({ make: q.make, model: q.model, body: q.body ?? null, engine_cc: q.engineCc, fuel: q.fuel, drive: q.drive ?? null });
      const lookup = `GET /api/v1/vehicles/crsp?make=${encodeURIComponent(q.make)}&model=${encodeURIComponent(q.model)}&date=${date}`;
      if (matches.length === 0) {
        const near = rows.length > 0 ? `; the list has ${rows.slice(0, 5).map(describeVariant).join('; ')}` : '';
        return { ok: false, code: 'crsp_not_found', message: `no CRSP row in force on ${date} for ${asked}${near}; look it up at ${lookup}` };
      }
      // Prices of the matching rows differ: the declarant must say which variant (body, drive), so
      // the list is never read to the lowest price by default.
      const prices = new Set(matches.map((m) => new Dec(m.price_kes).toString()));
      if (prices.size > 1) {
        return {
          ok: false,
          code: 'crsp_ambiguous',
          message: `${matches.length} CRSP rows in force on ${date} fit ${asked} at different prices (${matches.map((m) => `${describeVariant(m)}: KES ${crspJson(m).priceKes}`).join('; ')}); declare vehicle.body and vehicle.drive`,
        };
      }
      const row = matches[0] as CrspRow;
      return { ok: true, price: new Dec(row.price_kes), ref: crspRef(row), variant: describeVariant(row) };
    },
    search: (q, date, limit) => repo.searchCrsp(q, date, limit),
  };
}

export type VehicleService = ReturnType<typeof vehicleService>;
