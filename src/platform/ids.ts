// Identifiers: UUIDs inside, and references that read like the trade's outside
// (2026MBAIM4000123: year, office, regime, serial). Serials come from PostgreSQL sequences, one
// per scope, because a counter row would make every lodgement at an office wait for the last.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { perDatabase, traitsOf } from './db/registry.ts';

export const newId = (): string => randomUUID();

/** Sequences this process has seen created (and committed) in a database: no need to ask again. */
const knownSequences = perDatabase(() => new Map<string, Promise<void>>());

const maxCreateAttempts = 5;

/**
 * Next serial number in a scope such as "dec_2026_mba_im4"; gaps are possible, repeats never.
 *
 * The scope's sequence is created on first use. On PostgreSQL it is created OUTSIDE the caller's
 * transaction, by an autocommit statement on a connection of its own, so it is committed and
 * visible to every session before nextval runs: the first lodgements of a new year or office,
 * racing, neither wait for each other's transactions nor see a sequence that a rolled-back
 * transaction took away. A sequence created by another process at the same moment is a
 * unique-violation (23505) or duplicate-table (42P07) error on the create: that is retried. So
 * the caller's transaction never sees an error, and needs no savepoint.
 *
 * On the embedded PGlite there is one connection and the caller's transaction holds it, so the
 * sequence is created inside that transaction; transactions there run one at a time, so no one
 * races it, and a rollback takes the sequence with it, which the next call simply recreates.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- works on any schema, inside or outside a transaction
export async function nextSerial(q: Kysely<any>, scope: string): Promise<number> {
  return withSerial(q, scope, async (sequence) => {
    const { rows } = await sql<{ n: string }>`select nextval(${sequence}) as n`.execute(q);
    return Number(rows[0]?.n);
  });
}

/**
 * Runs `read` with the name of the scope's sequence, created first if need be (as nextSerial
 * does), for a statement that draws the serial beside what else it reads: `nextval(<name>)`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
export async function withSerial<T>(q: Kysely<any>, scope: string, read: (sequence: string) => Promise<T>): Promise<T> {
  const name = `serial_${scope.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  const createSequence = traitsOf(q)?.createSequence;
  if (createSequence) {
    await ensureCommitted(q, name, createSequence);
  } else if (!(await exists(q, name))) {
    await sql.raw(`create sequence if not exists ${name}`).execute(q);
  }
  try {
    return await read(name);
  } catch (err) {
    // A sequence dropped by hand after we created it (42P01) must not stay remembered: the next
    // call creates it again.
    knownSequences(q).delete(name);
    throw err;
  }
}

/** Creates the sequence once per process and database: concurrent first users share the one create. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
function ensureCommitted(q: Kysely<any>, name: string, createSequence: (name: string) => Promise<void>): Promise<void> {
  const known = knownSequences(q);
  let created = known.get(name);
  if (created === undefined) {
    created = createWithRetry(name, createSequence);
    known.set(name, created);
    // A create that failed (database away) is forgotten, so the next caller tries again.
    created.catch(() => known.delete(name));
  }
  return created;
}

async function createWithRetry(name: string, createSequence: (name: string) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await createSequence(name);
      return;
    } catch (err) {
      // 23505 / 42P07: another process created it between our "if not exists" check and our insert.
      const code = (err as { code?: string }).code;
      if (attempt >= maxCreateAttempts || (code !== '23505' && code !== '42P07')) {
        throw err;
      }
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
async function exists(q: Kysely<any>, name: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select to_regclass(${name}) is not null as found`.execute(q);
  return rows[0]?.found === true;
}

export function reference(parts: { year: number | string; office: string; kind: string; serial: number; width?: number }): string {
  return `${parts.year}${parts.office.toUpperCase()}${parts.kind.toUpperCase()}${String(parts.serial).padStart(parts.width ?? 6, '0')}`;
}
