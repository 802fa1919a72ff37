// npm run worker / forodha worker: the outbox worker as a process of its own, for a production
// topology whose app processes run with OUTBOX_WORKER=false. It delivers the events the app
// processes publish (arrivals, releases to terminals, verification tasks) and serves no HTTP.
// Several may run at once: rows are claimed with FOR UPDATE SKIP LOCKED (outbox.ts). It expects a
// migrated database (the app processes or `forodha migrate` prepare it).
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from './config.ts';
import { openDatabase } from '#platform/db/database.ts';
import { isConnectionError } from '#platform/db/errors.ts';
import { systemClock } from '#platform/clock.ts';
import { services } from './app.ts';
import { loadPartnerSettings } from '#modules/partner/index.ts';

type Level = 'info' | 'warn' | 'error';

/** One JSON line per message on stderr, shaped like the server's log lines. */
function logLine(level: Level, obj: unknown, msg: string): void {
  const err = obj && typeof obj === 'object' && 'err' in obj ? String((obj).err) : undefined;
  console.error(JSON.stringify({ level, time: Date.now(), name: 'forodha-worker', msg, ...(err ? { err } : {}) }));
}

const log = {
  info: (obj: unknown, msg: string) => logLine('info', obj, msg),
  warn: (obj: unknown, msg: string) => logLine('warn', obj, msg),
  error: (obj: unknown, msg: string) => logLine('error', obj, msg),
};

/** Runs the outbox drain until SIGTERM or SIGINT; resolves with the exit code. */
export async function runWorker(config: Config = loadConfig()): Promise<number> {
  if (config.databaseUrl === undefined) {
    log.error({}, 'the outbox worker runs beside app processes on PostgreSQL: set DATABASE_URL (the embedded database is opened by one process only)');
    return 2;
  }
  // A database restart or failover must not take the worker down: lost connections are logged
  // and the next poll reconnects (as in main.ts).
  process.on('uncaughtException', (err, origin) => {
    if (isConnectionError(err)) {
      log.warn({ err }, 'database connection lost; reconnecting on next poll');
      return;
    }
    log.error({ err }, `uncaught ${origin}`);
    process.exit(1);
  });
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: Math.min(config.dbPoolSize, 5),
    preparedStatements: config.dbPreparedStatements,
    waitSeconds: config.dbWaitSeconds,
    onConnectionError: (err) => log.warn({ err }, 'database connection lost; reconnecting on next poll'),
  });
  const s = services(database, systemClock, config, log, config.partner ? await loadPartnerSettings(config.partner) : undefined);
  // Re-assessment on arrival chooses a channel: rules, settings and the model are read once first.
  await s.risk.engine.refresh();
  s.outbox.start();
  log.info({}, `outbox worker running on ${database.location} (poll ${config.outboxPollMs} ms)`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        return;
      }
      stopping = true;
      log.info({}, `${signal}: finishing the batch in hand`);
      const timer = setTimeout(() => {
        log.error({}, 'graceful shutdown timed out');
        resolve(1);
      }, config.shutdownGraceSeconds * 1000);
      timer.unref();
      void s.outbox
        .stop()
        .then(() => database.close())
        .then(() => resolve(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runWorker().then(
    (code) => process.exit(code),
    (err: unknown) => {
      log.error({ err }, 'the outbox worker could not start');
      process.exit(1);
    },
  );
}
