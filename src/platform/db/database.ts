// The only place that knows which PostgreSQL we talk to: a real server (DATABASE_URL) or the
// embedded PGlite in the data folder. Everything above sees a Kysely instance.
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../../schema.ts';
import { acquireDataLock, type DataLock } from './lock.ts';

export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  db: Kysely<DB>;
  kind: DatabaseKind;
  /** Where the data lives, for logs: a URL without password, or a folder. */
  location: string;
  close(): Promise<void>;
}

// Dates stay 'YYYY-MM-DD' text: a JS Date would shift them by the process time zone.
// numeric and int8 stay text: exact, and converted to Decimal or Number where needed.
const DATE_OID = 1082;
const NUMERIC_OID = 1700;
const INT8_OID = 20;

pg.types.setTypeParser(DATE_OID, (v: string) => v);

export interface OpenOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize?: number;
  /** Who holds the embedded database (shown to anyone else who tries to open it). */
  holder?: string;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) {
    return openPostgres(options.databaseUrl, options.poolSize ?? 20);
  }
  return openPglite(options.dataDir, options.holder ?? 'forodha');
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      u.password = '***';
    }
    return u.toString();
  } catch {
    return 'postgres (unparseable URL)';
  }
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'forodha' });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  await sql`select 1`.execute(db);
  return { db, kind: 'postgres', location: redactUrl(url), close: () => db.destroy() };
}

async function openPglite(dataDir: string, holder: string): Promise<Database> {
  fs.mkdirSync(dataDir, { recursive: true });
  const lock: DataLock = acquireDataLock(dataDir, holder);
  try {
    const { PGlite, types } = await import('@electric-sql/pglite');
    const { PGliteDialect } = await import('kysely-pglite-dialect');
    const client = await PGlite.create(path.join(dataDir, 'pg'), {
      parsers: {
        [types.DATE]: (v: string) => v,
        [NUMERIC_OID]: (v: string) => v,
        [INT8_OID]: (v: string) => v,
      },
    });
    const db = new Kysely<DB>({ dialect: new PGliteDialect(client) });
    return {
      db,
      kind: 'pglite',
      location: path.join(dataDir, 'pg'),
      close: async () => {
        await db.destroy();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** Opens a PGlite database in memory: for unit tests that need SQL but no files. */
export async function openMemoryDatabase(): Promise<Database> {
  const { PGlite, types } = await import('@electric-sql/pglite');
  const { PGliteDialect } = await import('kysely-pglite-dialect');
  const client = await PGlite.create({
    parsers: {
      [types.DATE]: (v: string) => v,
      [NUMERIC_OID]: (v: string) => v,
      [INT8_OID]: (v: string) => v,
    },
  });
  const db = new Kysely<DB>({ dialect: new PGliteDialect(client) });
  return { db, kind: 'pglite', location: 'memory', close: () => db.destroy() };
}
