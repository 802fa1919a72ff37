// Identifiers: UUIDs inside, and references that read like the trade's outside
// (2026MBAIM4000123: year, office, regime, serial). Serials come from PostgreSQL sequences, one
// per scope, because a counter row would make every lodgement at an office wait for the last.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

export const newId = (): string => randomUUID();

const known = new Set<string>();

/**
 * Next serial number in a scope such as "dec_2026_mba_im4"; gaps are possible, repeats never.
 * The scope's sequence is created on first use. Inside a transaction every step runs under a
 * savepoint: if another transaction creates the same sequence at the same moment, or the one
 * that created it rolled back (so the sequence we remembered is gone), we recover instead of
 * aborting the caller's transaction.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- works on any schema, inside or outside a transaction
export async function nextSerial(q: Kysely<any>, scope: string): Promise<number> {
  const name = `serial_${scope.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await guarded(q, async () => {
        if (!known.has(name)) {
          await sql.raw(`create sequence if not exists ${name}`).execute(q);
        }
        const { rows } = await sql<{ n: string }>`select nextval(${name}) as n`.execute(q);
        known.add(name);
        return Number(rows[0]?.n);
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      // 42P01: the sequence we remembered was rolled back; 23505/42P07: created concurrently.
      if (attempt >= 3 || !['42P01', '23505', '42P07'].includes(code ?? '')) {
        throw err;
      }
      known.delete(name);
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
async function guarded<T>(q: Kysely<any>, work: () => Promise<T>): Promise<T> {
  if (!q.isTransaction) {
    return work();
  }
  await sql`savepoint forodha_serial`.execute(q);
  try {
    const result = await work();
    await sql`release savepoint forodha_serial`.execute(q);
    return result;
  } catch (err) {
    await sql`rollback to savepoint forodha_serial`.execute(q);
    throw err;
  }
}

export function reference(parts: { year: number | string; office: string; kind: string; serial: number; width?: number }): string {
  return `${parts.year}${parts.office.toUpperCase()}${parts.kind.toUpperCase()}${String(parts.serial).padStart(parts.width ?? 6, '0')}`;
}
