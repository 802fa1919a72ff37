// npm start: config -> database (PGlite or DATABASE_URL) -> migrate -> reference and demo data -> listen.
import { loadConfig, ConfigError } from './config.ts';
import { DataLockedError } from '#platform/db/lock.ts';
import { isConnectionError } from '#platform/db/errors.ts';
import { buildApp } from './app.ts';
import { Journal } from '#platform/journal/journal.ts';
import { openPreparedDatabase, refuseExposedDemo } from './setup.ts';
import cluster from 'node:cluster';
import { openDatabase } from '#platform/db/database.ts';
import { joinCluster, runPrimary, workerIndex } from './cluster.ts';
import { AuditKeyError, startAuditCheckpoints } from '#modules/audit/index.ts';
import { ensureWebBuilt } from './web.ts';
import { PartnerConfigError } from '#modules/partner/index.ts';

/** Where the safety net and the driver report lost connections: stderr until the app's logger exists. */
let logConnectionLost = (err: unknown) => console.error(`forodha: database connection lost: ${String(err)}`);

/**
 * The process's safety net. A database restart must never take the server down: the driver
 * reports each lost connection (see database.ts) and the next request reconnects. Should a lost
 * connection still surface as an uncaught error, it is logged and the server carries on; any
 * other uncaught error is a bug, and the process stops as Node would have stopped it.
 */
process.on('uncaughtException', (err, origin) => {
  if (isConnectionError(err)) {
    logConnectionLost(err);
    return;
  }
  console.error(`forodha: ${origin}:`, err);
  process.exit(1);
});

/** Migrations, reference and demo data, and the exposed-demo check: once, before serving. */
async function prepare(config: ReturnType<typeof loadConfig>, poolSize: number) {
  const ready = await openPreparedDatabase(config, {
    poolSize,
    holder: 'the Forodha server',
    waitSeconds: config.dbWaitSeconds,
    onConnectionError: (err) => logConnectionLost(err),
  });
  await refuseExposedDemo(ready.database.db, config.host, new Date()).catch(async (err: unknown) => {
    await ready.database.close();
    throw err;
  });
  return ready;
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (cluster.isPrimary) {
    // The web is built once, before any process serves it: when missing or older than web/.
    await ensureWebBuilt((message) => console.log(`forodha: ${message}`));
  }
  if (config.workers > 1 && cluster.isPrimary) {
    // The primary prepares the database and forks the servers; it serves nothing itself.
    await runPrimary(config.workers, async () => {
      const ready = await prepare(config, 2);
      for (const warning of ready.warnings) {
        console.error(`forodha: ${warning}`);
      }
      await ready.database.close();
    });
    return;
  }
  joinCluster();
  // A cluster worker finds the database prepared by the primary.
  const { database, prepared, warnings } = cluster.isWorker
    ? {
        database: await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, preparedStatements: config.dbPreparedStatements, waitSeconds: config.dbWaitSeconds, onConnectionError: (err) => logConnectionLost(err) }),
        prepared: undefined,
        warnings: [],
      }
    : await prepare(config, config.dbPoolSize);
  // The store-and-forward journal of this process (and of any process of this node that died).
  const journal = config.journal ? await Journal.open(config.journal.dir, config.journal) : undefined;
  const app = await buildApp({ config, database, ...(journal ? { journal } : {}) });
  const hasAdministrator = await app.services.identity.hasAdministrator(database.db);
  logConnectionLost = (err) => app.log.warn({ err }, 'database connection lost; reconnecting on next use');
  app.log.info({ database: database.location, worker: workerIndex(), ...(prepared ? { migrations: prepared.migrations.length, demo: prepared.demo } : {}) }, 'database ready');
  for (const warning of warnings) {
    app.log.warn(warning);
  }
  // Checkpoints are the leader's work (worker 0, or the only process).
  const checkpoints = workerIndex() === 0 ? startAuditCheckpoints(database.db, config, app.log) : undefined;

  // Graceful shutdown: readiness turns 503 at once (the load balancer stops sending), then after
  // SHUTDOWN_DRAIN_SECONDS the listener closes: idle keep-alive connections are closed, requests
  // in flight finish, the outbox worker ends its current batch, the pool closes, exit 0. After
  // SHUTDOWN_GRACE_SECONDS in all the process exits anyway (1), whatever is still running.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    app.readiness.draining = true;
    app.log.info({ signal, drainSeconds: config.shutdownDrainSeconds }, 'shutting down: readiness 503, finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error({ graceSeconds: config.shutdownGraceSeconds }, 'graceful shutdown timed out; exiting anyway');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    timer.unref();
    try {
      if (config.shutdownDrainSeconds > 0) {
        await new Promise((r) => setTimeout(r, config.shutdownDrainSeconds * 1000));
      }
      await app.close();
      await checkpoints?.stop();
      await database.close();
    } catch (err) {
      app.log.error({ err }, 'graceful shutdown failed');
      process.exit(1);
    }
    app.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://localhost:${port}`;
  if (workerIndex() !== 0) {
    return;
  }
  console.log(
    [
      '',
      `Forodha is running on ${database.kind === 'pglite' ? `the embedded database in ${database.location}` : database.location}`,
      `  open          ${url}/docs   (API documentation)`,
      `  health        ${url}/health`,
      `  calculator    POST ${url}/api/v1/calculator`,
      config.demo ? `  demo data     loaded, reachable from this machine only (HOST=${config.host}); see README.md for the walk-through` : '',
      hasAdministrator ? '' : '  no administrator yet: npm run cli -- admin create --username NAME --name "FULL NAME" (the embedded database: stop the server first)',
      '',
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataLockedError || err instanceof AuditKeyError || err instanceof PartnerConfigError) {
    console.error(`forodha: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
