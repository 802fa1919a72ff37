// What other modules may read of manifests beyond one manifest's view, so none reads these tables.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';

/** Asked a thousand at a time: a year's releases name many documents. */
const chunk = 1000;

/** The conveyance's actual arrival for each transport document given (those not arrived are left out). */
export async function arrivalsOf(db: Kysely<DB>, transportDocumentIds: readonly string[]): Promise<Map<string, Date>> {
  const ids = [...new Set(transportDocumentIds)];
  const out = new Map<string, Date>();
  for (let i = 0; i < ids.length; i += chunk) {
    const rows = await db
      .selectFrom('transport_document as td')
      .innerJoin('manifest as m', 'm.id', 'td.manifest_id')
      .select(['td.id', 'm.actual_arrival'])
      .where('td.id', 'in', ids.slice(i, i + chunk))
      .where('m.actual_arrival', 'is not', null)
      .execute();
    for (const r of rows) {
      if (r.actual_arrival !== null) {
        out.set(r.id, r.actual_arrival);
      }
    }
  }
  return out;
}
