// Every setting Forodha reads, parsed once from the environment. Documented in README.md.
import path from 'node:path';

export interface Config {
  /** TCP port of the HTTP server. */
  port: number;
  /** Interface to listen on. */
  host: string;
  /** PostgreSQL connection string; when unset the embedded PGlite database in dataDir is used. */
  databaseUrl: string | undefined;
  /** Folder of the embedded database and its lock file. */
  dataDir: string;
  /** Maximum connections in the PostgreSQL pool. */
  dbPoolSize: number;
  /** Load demo organisations, users and sample data on start. */
  demo: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Public duty calculator: requests per minute per client address. */
  calculatorRateLimit: number;
  /** Secret that signs session tokens; generated per start when unset (sessions then end on restart). */
  sessionSecret: string | undefined;
  /** Milliseconds between outbox polls when idle. */
  outboxPollMs: number;
  /** Run the outbox worker inside the server process. */
  outboxWorker: boolean;
  /** Seconds to let in-flight requests finish on SIGTERM before exiting. */
  shutdownGraceSeconds: number;
  /** Days a payment registration number (PRN) stays valid, to the end of that Nairobi day. */
  prnValidityDays: number;
  /** Seconds a write waits (retrying) for a database that is away before answering 503. */
  dbWaitSeconds: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}="${raw}" is not valid: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (['1', 'true', 'yes', 'on'].includes(raw)) {
    return true;
  }
  if (['0', 'false', 'no', 'off'].includes(raw)) {
    return false;
  }
  throw new ConfigError(`${name}="${raw}" is not valid: expected true or false`);
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL="${logLevel}" is not valid: expected one of ${logLevels.join(', ')}`);
  }
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR ?? 'data'),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 20, 1, 500),
    demo: boolean(env, 'DEMO', databaseUrl === undefined),
    logLevel: logLevel as Config['logLevel'],
    calculatorRateLimit: integer(env, 'CALCULATOR_RATE_LIMIT', 120, 1, 1_000_000),
    sessionSecret: env.SESSION_SECRET === '' ? undefined : env.SESSION_SECRET,
    outboxPollMs: integer(env, 'OUTBOX_POLL_MS', 500, 10, 60_000),
    outboxWorker: boolean(env, 'OUTBOX_WORKER', true),
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 20, 0, 600),
    prnValidityDays: integer(env, 'PRN_VALIDITY_DAYS', 14, 1, 365),
    dbWaitSeconds: integer(env, 'DB_WAIT_SECONDS', 5, 0, 300),
  };
}
