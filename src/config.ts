// Every setting Forodha reads, parsed once from the environment. Documented in README.md.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Config {
  /** TCP port of the HTTP server. */
  port: number;
  /** Interface to listen on; loopback (this machine only) unless a deployment says otherwise. */
  host: string;
  /** PostgreSQL connection string; when unset the embedded PGlite database in dataDir is used. */
  databaseUrl: string | undefined;
  /** Folder of the embedded database and its lock file. */
  dataDir: string;
  /** Server processes (Node cluster workers), sharing nothing but the database: one per core on PostgreSQL, 1 on PGlite. */
  workers: number;
  /** Maximum connections in the PostgreSQL pool (of each worker). */
  dbPoolSize: number;
  /** Prepare repeated statements once per connection (off behind a pooler that cannot keep them). */
  dbPreparedStatements: boolean;
  /** Load demo organisations, users and sample data on start (only ever on a loopback host). */
  demo: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Public duty calculator: requests per minute per client address. */
  calculatorRateLimit: number;
  /** Milliseconds between outbox polls when idle. */
  outboxPollMs: number;
  /** Milliseconds organisations and agent authorisations are kept in memory (0 = read every time). */
  partiesCacheMs: number;
  /** Run the outbox worker inside the server process. */
  outboxWorker: boolean;
  /** Seconds between sweeps that flag transit movements past their deadline overdue (0 = only when movements are read). */
  transitOverdueSweepSeconds: number;
  /** Seconds a graceful shutdown may take in all (in-flight requests, outbox batch, pool): then the process exits anyway. */
  shutdownGraceSeconds: number;
  /** Seconds between readiness turning 503 and the listener closing, so a load balancer stops sending first. */
  shutdownDrainSeconds: number;
  /** Days a payment registration number (PRN) stays valid, to the end of that Nairobi day. */
  prnValidityDays: number;
  /** Schema owner's connection string: migrations and grants run as it, the server as DATABASE_URL's role. */
  databaseOwnerUrl: string | undefined;
  /** Ed25519 private key (PEM) that signs audit checkpoints; unset = no checkpoints. */
  auditSigningKey: string | undefined;
  /** Create auditSigningKey when missing: only for the embedded database's default key in dataDir. */
  auditCreateKey: boolean;
  /** Append-only file of signed audit checkpoints (JSON lines). */
  auditCheckpointFile: string | undefined;
  /** Seconds between checkpoints taken by the server; 0 = none (run `forodha audit checkpoint` instead). */
  auditCheckpointSeconds: number;
  /** Proxies whose X-Forwarded-For is believed: false, a hop count, or their addresses/CIDRs. */
  trustProxy: false | number | string[];
  /** Port of a separate, unauthenticated metrics listener; undefined = none. */
  metricsPort: number | undefined;
  /** Interface of the metrics listener. */
  metricsHost: string;
  /** Token that lets a scraper read /metrics on the main port (HTTP Basic password). */
  metricsToken: string | undefined;
  /** Days an API key is valid when the issuer does not say. */
  apiKeyDays: number;
  /** The longest validity an API key may be issued with, in days. */
  apiKeyMaxDays: number;
  /** Hours a rotated API key keeps working beside its successor, unless the rotation says. */
  apiKeyRotationOverlapHours: number;
  /** Failed logins of one username (from any address) within the window that lock it. */
  loginAccountFailures: number;
  /** The window in which failed logins of one username are counted, in minutes. */
  loginAccountWindowMinutes: number;
  /** How long a username stays locked after too many failed logins, in minutes. */
  loginLockoutMinutes: number;
  /** Login attempts per second across all callers. */
  loginRatePerSecond: number;
  /** Password hashes computed at once (keep below the number of cores). */
  passwordHashConcurrency: number;
  /** Password hashes waiting for their turn; beyond that a login answers 503 at once. */
  passwordHashQueue: number;
  /** Seconds a write holds (retrying) for a database that is away (restart, failover) before giving up: DB_HOLD_SECONDS. */
  dbWaitSeconds: number;
  /** Store-and-forward journal of lodgements taken while the database is away; undefined = off. */
  journal: { dir: string; maxEntries: number; maxBytes: number } | undefined;
  /** Partner exchange (README "Partner exchange"): our country code and the files of our key and our partners; undefined = off. */
  partner: { country: string; keyFile: string | undefined; partnersFile: string | undefined; timeoutMs: number; rateLimit: number } | undefined;
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

/** True when the address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') {
    return true;
  }
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/** false, a number of proxy hops, or a list of proxy addresses and CIDR ranges. */
function trustProxy(env: Env): false | number | string[] {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || raw.toLowerCase() === 'false') {
    return false;
  }
  if (/^\d+$/.test(raw)) {
    return integer(env, 'TRUST_PROXY', 0, 0, 10) || false;
  }
  const entries = raw.split(',').map((e) => e.trim());
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = net.isIP(address);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      throw new ConfigError(`TRUST_PROXY="${raw}" is not valid: "${entry}" is not an IP address or CIDR range; give false, a hop count (1 for one load balancer) or addresses such as 10.0.0.0/8`);
    }
  }
  return entries;
}

function optionalPort(env: Env, name: string): number | undefined {
  return env[name] === undefined || env[name] === '' ? undefined : integer(env, name, 0, 0, 65535);
}

function secretSetting(env: Env, name: string, minLength: number): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return undefined;
  }
  if (raw.length < minLength) {
    throw new ConfigError(`${name} is too short: use at least ${minLength} random characters (e.g. openssl rand -base64 32)`);
  }
  return raw;
}

/** Demo mode loads public credentials: only where nobody else can reach them. */
function demoMode(env: Env, host: string, embedded: boolean): boolean {
  const demo = boolean(env, 'DEMO', embedded && isLoopback(host));
  if (demo && !isLoopback(host)) {
    throw new ConfigError(
      `DEMO=true loads public credentials (password demo-password, keys demo-*-key) and is refused on HOST="${host}", which other machines can reach. ` +
        'Run the demo on HOST=127.0.0.1 (the default), or unset DEMO for a real deployment.',
    );
  }
  return demo;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL="${logLevel}" is not valid: expected one of ${logLevels.join(', ')}`);
  }
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  const host = env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST;
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host,
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR ?? 'data'),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 20, 1, 500),
    dbPreparedStatements: boolean(env, 'DB_PREPARED_STATEMENTS', true),
    workers: workers(env, databaseUrl === undefined),
    demo: demoMode(env, host, databaseUrl === undefined),
    logLevel: logLevel as Config['logLevel'],
    calculatorRateLimit: integer(env, 'CALCULATOR_RATE_LIMIT', 120, 1, 1_000_000),
    outboxPollMs: integer(env, 'OUTBOX_POLL_MS', 500, 10, 60_000),
    partiesCacheMs: integer(env, 'PARTIES_CACHE_MS', 5_000, 0, 300_000),
    outboxWorker: boolean(env, 'OUTBOX_WORKER', true),
    transitOverdueSweepSeconds: integer(env, 'TRANSIT_OVERDUE_SWEEP_SECONDS', 300, 0, 86_400),
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 25, 0, 600),
    shutdownDrainSeconds: integer(env, 'SHUTDOWN_DRAIN_SECONDS', 0, 0, 60),
    prnValidityDays: integer(env, 'PRN_VALIDITY_DAYS', 14, 1, 365),
    databaseOwnerUrl: ownerUrl(env, databaseUrl),
    ...auditSettings(env, databaseUrl === undefined, path.resolve(env.DATA_DIR ?? 'data')),
    auditCheckpointSeconds: integer(env, 'AUDIT_CHECKPOINT_SECONDS', 60, 0, 86_400),
    trustProxy: trustProxy(env),
    metricsPort: optionalPort(env, 'METRICS_PORT'),
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    metricsToken: secretSetting(env, 'METRICS_TOKEN', 16),
    ...apiKeySettings(env),
    loginAccountFailures: integer(env, 'LOGIN_ACCOUNT_FAILURES', 10, 1, 1000),
    loginAccountWindowMinutes: integer(env, 'LOGIN_ACCOUNT_WINDOW_MINUTES', 15, 1, 1440),
    loginLockoutMinutes: integer(env, 'LOGIN_LOCKOUT_MINUTES', 15, 1, 1440),
    loginRatePerSecond: integer(env, 'LOGIN_RATE_PER_SECOND', 20, 1, 100_000),
    passwordHashConcurrency: integer(env, 'PASSWORD_HASH_CONCURRENCY', Math.max(1, os.availableParallelism() - 1), 1, 64),
    passwordHashQueue: integer(env, 'PASSWORD_HASH_QUEUE', 32, 0, 10_000),
    // DB_WAIT_SECONDS is the older name of DB_HOLD_SECONDS, still read.
    dbWaitSeconds: env.DB_HOLD_SECONDS ? integer(env, 'DB_HOLD_SECONDS', 20, 0, 300) : integer(env, 'DB_WAIT_SECONDS', 20, 0, 300),
    journal: journalSettings(env, path.resolve(env.DATA_DIR ?? 'data')),
    partner: partnerSettings(env),
  };
}

/** PARTNER_COUNTRY turns the partner exchange on; the key and the partners are files (read at start-up). */
function partnerSettings(env: Env): Config['partner'] {
  const country = env.PARTNER_COUNTRY || undefined;
  if (country === undefined) {
    return undefined;
  }
  return {
    country,
    keyFile: env.PARTNER_KEY_FILE ? path.resolve(env.PARTNER_KEY_FILE) : undefined,
    partnersFile: env.PARTNER_PARTNERS_FILE ? path.resolve(env.PARTNER_PARTNERS_FILE) : undefined,
    timeoutMs: integer(env, 'PARTNER_TIMEOUT_MS', 5_000, 100, 120_000),
    rateLimit: integer(env, 'PARTNER_RATE_LIMIT', 6_000, 1, 1_000_000),
  };
}

/** One process per core on PostgreSQL; the embedded PGlite can be opened by one process only. */
function workers(env: Env, embedded: boolean): number {
  const n = integer(env, 'WORKERS', embedded ? 1 : os.availableParallelism(), 1, 256);
  if (embedded && n > 1) {
    throw new ConfigError(`WORKERS=${n} needs DATABASE_URL: the embedded database can be opened by one process only`);
  }
  return n;
}

function ownerUrl(env: Env, databaseUrl: string | undefined): string | undefined {
  const owner = env.DATABASE_OWNER_URL || undefined;
  if (owner !== undefined && databaseUrl === undefined) {
    throw new ConfigError('DATABASE_OWNER_URL needs DATABASE_URL (the application role): the embedded database has no roles');
  }
  return owner;
}

// The embedded database keeps its signing key and checkpoint file in DATA_DIR so checkpoints are on
// out of the box; a PostgreSQL deployment names both, kept away from the database's administrators.
function auditSettings(env: Env, embedded: boolean, dataDir: string) {
  const key = env.AUDIT_SIGNING_KEY || undefined;
  const file = env.AUDIT_CHECKPOINT_FILE || undefined;
  if (!embedded && (key === undefined) !== (file === undefined)) {
    throw new ConfigError(`AUDIT_SIGNING_KEY and AUDIT_CHECKPOINT_FILE go together: set both, or neither`);
  }
  return {
    auditSigningKey: key === undefined ? (embedded ? path.join(dataDir, 'audit-signing-key.pem') : undefined) : path.resolve(key),
    auditCreateKey: embedded && key === undefined,
    auditCheckpointFile: file === undefined ? (embedded ? path.join(dataDir, 'audit-checkpoints.jsonl') : undefined) : path.resolve(file),
  };
}

function apiKeySettings(env: Env): Pick<Config, 'apiKeyDays' | 'apiKeyMaxDays' | 'apiKeyRotationOverlapHours'> {
  const apiKeyMaxDays = integer(env, 'API_KEY_MAX_DAYS', 730, 1, 3650);
  const apiKeyDays = integer(env, 'API_KEY_DAYS', Math.min(365, apiKeyMaxDays), 1, apiKeyMaxDays);
  return { apiKeyDays, apiKeyMaxDays, apiKeyRotationOverlapHours: integer(env, 'API_KEY_ROTATION_OVERLAP_HOURS', 24, 0, 168) };
}

/** The lodgement journal: on unless JOURNAL=false; in JOURNAL_DIR, else DATA_DIR/journal. */
function journalSettings(env: Env, dataDir: string): Config['journal'] {
  if (!boolean(env, 'JOURNAL', true)) {
    return undefined;
  }
  return {
    dir: path.resolve(env.JOURNAL_DIR || path.join(dataDir, 'journal')),
    maxEntries: integer(env, 'JOURNAL_MAX_ENTRIES', 10_000, 1, 10_000_000),
    maxBytes: integer(env, 'JOURNAL_MAX_BYTES', 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
  };
}
