// Identifiers: UUIDs inside, and references that read like the trade's outside
// (2026MBAIM4000123: year, office, regime, serial). Serials come from PostgreSQL sequences, one
// per scope, because a counter row would make every lodgement at an office wait for the last.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

export const newId = (): string => randomUUID();

const created = new Set<string>();

/** Next serial number in a scope such as "dec_2026_mba_im4"; gaps are possible, repeats never. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- works on any schema, inside or outside a transaction
export async function nextSerial(db: Kysely<any>, scope: string): Promise<number> {
  const name = `serial_${scope.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  if (!created.has(name)) {
    try {
      await sql.raw(`create sequence if not exists ${name}`).execute(db);
    } catch (err) {
      // Two processes creating the same sequence at once: the other one won, which is fine.
      if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P07') {
        throw err;
      }
    }
    created.add(name);
  }
  const { rows } = await sql<{ n: string }>`select nextval(${name}) as n`.execute(db);
  return Number(rows[0]?.n);
}

export function reference(parts: { year: number | string; office: string; kind: string; serial: number; width?: number }): string {
  return `${parts.year}${parts.office.toUpperCase()}${parts.kind.toUpperCase()}${String(parts.serial).padStart(parts.width ?? 6, '0')}`;
}
