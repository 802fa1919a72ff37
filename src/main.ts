// npm start: config -> database (PGlite or DATABASE_URL) -> migrate -> reference and demo data -> listen.
import { loadConfig, ConfigError } from './config.ts';
import { DataLockedError } from '#platform/db/lock.ts';
import { isConnectionError } from '#platform/db/errors.ts';
import { buildApp } from './app.ts';
import { openPreparedDatabase, refuseExposedDemo } from './setup.ts';
import { AuditKeyError, startAuditCheckpoints } from '#modules/audit/index.ts';

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

async function main(): Promise<void> {
  const config = loadConfig();
  const { database, prepared, warnings } = await openPreparedDatabase(config, {
    poolSize: config.dbPoolSize,
    holder: 'the Forodha server',
    waitSeconds: config.dbWaitSeconds,
    onConnectionError: (err) => logConnectionLost(err),
  });
  await refuseExposedDemo(database.db, config.host, new Date()).catch(async (err: unknown) => {
    await database.close();
    throw err;
  });
  const app = await buildApp({ config, database });
  const hasAdministrator = await app.services.identity.hasAdministrator(database.db);
  logConnectionLost = (err) => app.log.warn({ err }, 'database connection lost; reconnecting on next use');
  app.log.info({ database: database.location, migrations: prepared.migrations.length, demo: prepared.demo }, 'database ready');
  for (const warning of warnings) {
    app.log.warn(warning);
  }
  const checkpoints = startAuditCheckpoints(database.db, config, app.log);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    timer.unref();
    await app.close();
    await checkpoints?.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://localhost:${port}`;
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
  if (err instanceof ConfigError || err instanceof DataLockedError || err instanceof AuditKeyError) {
    console.error(`forodha: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
