// Relief rules change when reliefs are imported (the CLI, or the demo seed) and are read on every
// lodgement and calculation, by procedure code and date: kept in memory for 30 s, as the tariff
// cache keeps tariff rows. An import in this process forgets them at once (when its
// transaction ends); one made by another process (the CLI) is seen within the time limit.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { reliefRepository as repo, type ReliefRow } from './relief.repository.ts';

const ttlMs = 30_000;
/** Far more procedure code and date pairs than a day of lodgements asks for: a bound against misuse. */
const maxEntries = 5_000;
const entries = new Map<string, { expires: number; rows: ReliefRow[] }>();

/** The rules in force for the procedure code on the date, from memory while fresh. */
export async function rulesInForce(q: Kysely<DB>, cpc: string, date: string): Promise<ReliefRow[]> {
  const key = `${cpc}:${date}`;
  const hit = entries.get(key);
  if (hit && hit.expires > Date.now()) {
    return hit.rows;
  }
  const rows = await repo.rulesInForce(q, cpc, date);
  if (entries.size >= maxEntries) {
    entries.clear();
  }
  entries.set(key, { expires: Date.now() + ttlMs, rows });
  return rows;
}

/** Forgets every rule read: called when an import in this process has changed them. */
export function forgetReliefRules(): void {
  entries.clear();
}
