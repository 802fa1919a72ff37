// The only place that knows which PostgreSQL we talk to: a real server (DATABASE_URL) or the
// embedded PGlite in the data folder. Everything above sees a Kysely instance.
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../../schema.ts';
import { acquireDataLock, type DataLock } from './lock.ts';
import { defaultWaitMs, registerDatabase, type DatabaseKind } from './registry.ts';
import { locatingClient, parseHosts, PrimaryLocator, redactUrlText } from './hosts.ts';
import { preparingClient, StatementNames } from './prepared.ts';

export type { DatabaseKind } from './registry.ts';

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
  /** Prepare repeated statements once per connection (prepared.ts); default on. */
  preparedStatements?: boolean;
  /** Who holds the embedded database (shown to anyone else who tries to open it). */
  holder?: string;
  /** How long write transactions keep retrying while the database is away (DB_WAIT_SECONDS). */
  waitSeconds?: number;
  /** Told of every connection the driver loses (the process carries on and reconnects). */
  onConnectionError?: (err: Error) => void;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const waitMs = options.waitSeconds === undefined ? defaultWaitMs : options.waitSeconds * 1000;
  if (options.databaseUrl) {
    return openPostgres(options.databaseUrl, { poolSize: options.poolSize ?? 20, prepared: options.preparedStatements ?? true }, waitMs, options.onConnectionError ?? (() => undefined));
  }
  const database = await openPglite(options.dataDir, options.holder ?? 'forodha');
  registerDatabase(database.db, { kind: 'pglite', waitMs });
  return database;
}

export function redactUrl(url: string): string {
  if (parseHosts(url)) {
    return redactUrlText(url);
  }
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

/**
 * A pool whose clients may lose their server at any moment (restart, crash, failover) without
 * taking the process down. pg emits 'error' on a client whose socket breaks; the pool listens
 * only while the client is idle, so a client in use (between two queries of a transaction)
 * would raise an unhandled 'error' event and kill the process. Every client gets a listener the
 * moment it connects; the failed query (if any) still rejects, and pg drops the broken client
 * from the pool when it is released, so the next request connects afresh.
 */
function resilientPool(config: pg.PoolConfig, onConnectionError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({ keepAlive: true, ...config });
  pool.on('connect', (client) => client.on('error', onConnectionError));
  // The pool re-emits an idle client's error, already reported by the listener above.
  pool.on('error', () => undefined);
  return pool;
}

async function openPostgres(url: string, { poolSize, prepared }: { poolSize: number; prepared: boolean }, waitMs: number, reportConnectionError: (err: Error) => void): Promise<Database> {
  // Waiting for a connection (a free slot, or a server that does not answer) is bounded like the
  // rest of a request's wait for the database, so an unreachable server ends in a 503, not a hang.
  const connectionTimeoutMillis = Math.max(waitMs, 1000);
  // Several hosts (or target_session_attrs): every pool's connections go to the primary the
  // locator found (hosts.ts); a lost connection makes it look again.
  const hosts = parseHosts(url);
  const locator = hosts ? new PrimaryLocator(hosts, Math.min(Math.max(waitMs / 4, 1000), 5000)) : undefined;
  // Statements sent again and again are prepared once per connection (prepared.ts), unless a
  // pooler in front of the server cannot keep them (DB_PREPARED_STATEMENTS=false).
  const Base = locator ? locatingClient(locator) : pg.Client;
  const Client = prepared ? preparingClient(Base, new StatementNames()) : Base;
  const located: Partial<pg.PoolConfig> = locator && hosts ? { connectionString: hosts.urls[0], Client } : { connectionString: url, Client };
  const onConnectionError = (err: Error) => {
    locator?.invalidate();
    reportConnectionError(err);
  };
  // Connections are kept a minute idle, not pg-pool's 10 s: a new backend reads its catalogs and
  // plans every statement afresh (7 ms for one of lodgement's at a million declarations), so a
  // pool that drops its spare connections between bursts pays that on every burst's first requests.
  const pool = resilientPool({ ...located, max: poolSize, application_name: 'forodha', connectionTimeoutMillis, idleTimeoutMillis: 60_000 }, onConnectionError);
  // Sequences for serials are created on a connection of their own, outside any caller's
  // transaction (see ids.ts): a separate one-connection pool, so that callers holding every
  // connection of the main pool can never starve it.
  const ddlPool = resilientPool(
    { ...located, max: 1, application_name: 'forodha-ddl', connectionTimeoutMillis, idleTimeoutMillis: 5_000 },
    onConnectionError,
  );
  // The outbox worker holds its claimed rows locked while subscribers work on the main pool
  // (see outbox.ts): its own few connections, so a busy main pool cannot deadlock it.
  const lockHolder = new Kysely<DB>({
    dialect: new PostgresDialect({
      pool: resilientPool({ ...located, max: 4, application_name: 'forodha-outbox', connectionTimeoutMillis, idleTimeoutMillis: 10_000 }, onConnectionError),
    }),
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  registerDatabase(db, {
    kind: 'postgres',
    waitMs,
    createSequence: async (name) => {
      // Looked up first: a role without CREATE on the schema may still use sequences made for it.
      const { rows } = await ddlPool.query<{ found: boolean }>('select to_regclass($1) is not null as found', [name]);
      if (!rows[0]?.found) {
        await ddlPool.query(`create sequence if not exists ${name}`);
      }
    },
    lockHolder,
    ...(locator ? { relocate: (readOnly: boolean) => locator.invalidate(readOnly) } : {}),
  });
  const close = async () => {
    await Promise.allSettled([db.destroy(), lockHolder.destroy(), ddlPool.end()]);
  };
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await close();
    throw err;
  }
  return { db, kind: 'postgres', location: redactUrl(url), close };
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
  registerDatabase(db, { kind: 'pglite', waitMs: defaultWaitMs });
  return { db, kind: 'pglite', location: 'memory', close: () => db.destroy() };
}
