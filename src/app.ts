// buildApp: the Fastify instance with every module wired in. main.ts and the tests call it.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { sql } from 'kysely';
import type { Config } from './config.ts';
import type { Database } from '#platform/db/database.ts';
import { systemClock, type Clock } from '#platform/clock.ts';
import { installErrorHandler } from '#platform/http/error-handler.ts';
import { installMetrics } from '#platform/http/metrics.ts';
import { installSecurityHeaders } from '#platform/http/security-headers.ts';
import { onAjvCreate } from '#platform/http/validation.ts';
import { bodyLimits, installInputGuard } from '#platform/http/input-guard.ts';
import { OutboxWorker, type OutboxWorkerOptions } from '#platform/events/outbox.ts';
import { referenceRoutes, referenceService } from '#modules/reference/index.ts';
import { TariffCache, cachedReads, tariffRepository, tariffRoutes, tariffService } from '#modules/tariff/index.ts';
import { calculatorRoutes, calculatorService } from '#modules/assessment/index.ts';
import { vehicleRoutes, vehicleService } from '#modules/vehicle/index.ts';
import { installAuth } from '#platform/http/auth.ts';
import { identityRoutes, identityService, identitySettings } from '#modules/identity/index.ts';
import { partiesRoutes, partiesService } from '#modules/parties/index.ts';
import { findTransportDocument, findTransportDocumentById, findTransportDocuments, manifestRoutes, manifestService } from '#modules/manifest/index.ts';
import { paymentRoutes, paymentService } from '#modules/payment/index.ts';
import { deliverToTerminal, releaseRoutes, releaseService } from '#modules/release/index.ts';
import { declarationRoutes, declarationService, keepAcceptedValues, valuesChangedTopic, exportRoutes } from '#modules/declaration/index.ts';
import { recordOutcome, riskEngine, riskRoutes, riskService } from '#modules/risk/index.ts';
import { inspectionRoutes, inspectionService } from '#modules/inspection/index.ts';
import { reliefResolver, reliefRoutes, reliefService } from '#modules/relief/index.ts';
import { originService } from '#modules/origin/index.ts';
import { maintenanceRoutes, maintenanceService } from '#modules/maintenance/index.ts';
import { transitRoutes, transitService } from '#modules/transit/index.ts';
import { overdueSweeper } from '#modules/transit/index.ts';
import { exchangeRoutes, renderCusresOnRelease } from '#modules/exchange/index.ts';
import { reportingRoutes } from '#modules/reporting/index.ts';
import { uploadsRoutes } from '#modules/uploads/index.ts';
import { loadPartnerSettings, partnerRoutes, partnerService, type PartnerSettings } from '#modules/partner/index.ts';
import { workerIndex } from './cluster.ts';
import { installWeb } from './web.ts';
import type { Journal } from '#platform/journal/journal.ts';
import { installStoreAndForward, replayPrincipal } from '#platform/journal/store-and-forward.ts';

/** One /api route and who may call it, as the onRoute hook saw it (HEAD routes left out). */
export interface ApiRoute {
  method: string;
  url: string;
  access: 'public' | readonly string[];
}

/** What GET /ready reports: started (onReady ran) and not draining (a shutdown has begun). */
export interface Readiness {
  started: boolean;
  draining: boolean;
}

export interface AppDeps {
  config: Config;
  database: Database;
  clock?: Clock;
  /** The store-and-forward journal (main.ts opens it when JOURNAL is on); none: lodgements get a 503 while the database is away. */
  journal?: Journal;
  /** Log to stdout (false in tests unless LOG_LEVEL asks for it). */
  logger?: boolean;
  /** Serve the built web from dist/web when it exists (default true). */
  web?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The wired services, for tests and benchmarks that need to reach past HTTP. */
    services: ReturnType<typeof services>;
    /** Every /api route as registered, with its access (see ApiRoute). */
    routeTable: ApiRoute[];
    /** Whether this process takes new work: GET /ready answers from it (graceful shutdown sets draining). */
    readiness: Readiness;
  }
  interface FastifyContextConfig {
    /** Who may call the route: 'public', or the roles allowed. Every API route must say. */
    access?: 'public' | readonly string[];
  }
}

/** The composition root: every module's services, wired to each other. */
export function services(database: Database, clock: Clock, config: Config, log?: OutboxWorkerOptions['log'], partnerSettings?: PartnerSettings) {
  // A delivery that fails is retried with back-off; the log says why.
  const outbox = new OutboxWorker(database.db, { pollMs: config.outboxPollMs, ...(log ? { log } : {}) });
  const reference = referenceService(database.db);
  // Tariff lines, rates and settings are read through one short-lived cache shared by every request.
  const tariffCache = new TariffCache();
  const tariff = tariffService(cachedReads(tariffRepository(database.db), tariffCache));
  const relief = reliefService({ db: database.db, clock });
  // Used vehicles are valued from the CRSP schedule in force, never from a price the declarant types.
  const vehicles = vehicleService(database.db);
  const calculator = calculatorService({ tariff, reference, clock, reliefs: relief.resolver, origin: originService(database.db), crsp: vehicles });
  const identity = identityService(database.db, clock, identitySettings(config));
  // Parties and authorisations are read on every lodgement and change rarely: cached (PARTIES_CACHE_MS).
  const parties = partiesService(database.db, clock, { cacheMs: config.partiesCacheMs });
  const manifests = manifestService({ db: database.db, reference, clock, officesServed: (orgId) => parties.officesServed(orgId) });
  // The risk engine chooses the channel at lodgement; analysts manage its rules through riskService.
  const riskEngineInstance = riskEngine({ db: database.db, clock, organisationName: async (q, id) => (await parties.organisation(q, id))?.name });
  const risk = { engine: riskEngineInstance, service: riskService({ clock, engine: riskEngineInstance, parties }) };
  // Payment and release report back into the declaration's lifecycle inside their own
  // transactions: paid with the bank's confirmation, exited with the gate-out. Verification hears
  // of the payment after the declaration: a paid difference passes its control.
  const payments = paymentService({
    db: database.db,
    clock,
    prnValidityDays: config.prnValidityDays,
    onSettled: async (tx, settlement) => {
      await declarations.onSettled(tx, settlement);
      await inspection.onSettled(tx, settlement);
    },
  });
  const release = releaseService({ db: database.db, clock, onExited: (tx, exit) => declarations.onExited(tx, exit) });
  const ratesByExecutor = new WeakMap<object, ReturnType<Parameters<typeof declarationService>[0]['ratesFor']>>();
  const declarations = declarationService({
    db: database.db,
    clock,
    reference,
    // Bound to the declaration's own transaction (PGlite has a single connection), built once per
    // query executor: the pool's for good, a transaction's for its lifetime (validation and
    // assessment share them). The services hold no state of their own beyond the executor.
    ratesFor: (q) => {
      let rates = ratesByExecutor.get(q);
      if (!rates) {
        const tariffInTx = tariffService(cachedReads(tariffRepository(q), tariffCache));
        rates = { tariff: tariffInTx, calculator: calculatorService({ tariff: tariffInTx, reference, clock, reliefs: reliefResolver(q), origin: originService(q), crsp: vehicleService(q) }) };
        ratesByExecutor.set(q, rates);
      }
      return rates;
    },
    parties,
    manifest: { findTransportDocument, findTransportDocumentById, findTransportDocuments },
    payment: payments,
    release,
    selectivity: risk.engine,
    // Exemption letters are drawn (and given back) in the declaration's own transaction.
    letters: relief,
    // A yellow, red or blue declaration becomes a verification task in the lodgement's transaction.
    onSelected: (tx, selected) => inspection.onSelected(tx, selected),
    verificationOf: (q, declarationId) => inspection.hold(q, declarationId),
    // An export's exit is confirmed by customs on duty at the office of exit (the roster).
    officeOnDuty: (q, userId) => inspection.officeOnDuty(q, userId),
  });
  const inspection = inspectionService({
    db: database.db,
    clock,
    declarations,
    payment: payments,
    // The closed task's outcome is the risk engine's next training label.
    outcomes: { recordOutcome: (tx, outcome) => recordOutcome(tx, { ...outcome, at: clock.now() }) },
    officers: identity,
    reference,
  });
  // Transit: the duties at stake are computed by the calculator bound to the movement's own
  // transaction; departure and discharge are done by officers on duty at the office (the roster).
  const transit = transitService({
    db: database.db,
    clock,
    calculatorFor: (q) => {
      const tariffInTx = tariffService(cachedReads(tariffRepository(q), tariffCache));
      return calculatorService({ tariff: tariffInTx, reference, clock, reliefs: reliefResolver(q), origin: originService(q), crsp: vehicleService(q) });
    },
    officeOnDuty: (q, userId) => inspection.officeOnDuty(q, userId),
  });
  // Arrival may re-assess pre-arrival declarations and release those already paid; a release
  // order goes to the terminal's inbox.
  outbox.subscribe('manifest.arrived', (event, db) => declarations.onArrival(event, db));
  outbox.subscribe('release.issued', deliverToTerminal);
  // Terminals that read EDIFACT get the release as a CUSRES beside the JSON message.
  outbox.subscribe('release.issued', renderCusresOnRelease);
  // A declaration cancelled or rejected under verification closes its task.
  outbox.subscribe('declaration.status_changed', (event, db) => inspection.onDeclarationStatusChanged(event, db));
  // The valuation reference's history: accepted unit values, kept as declarations are accepted,
  // changed or cancelled.
  outbox.subscribe('declaration.status_changed', (event, db) => keepAcceptedValues(db, event));
  outbox.subscribe(valuesChangedTopic, (event, db) => keepAcceptedValues(db, event));
  const maintenance = maintenanceService({ db: database.db, clock });
  // Partner exchange: regional movements departed, discharged or alerted are told to the
  // destination's administration; each message is delivered (and retried) from the outbox.
  const partner = partnerService({ db: database.db, clock, settings: partnerSettings, transit, declarations, release, ...(log ? { log } : {}) });
  // Single Customs Territory: a declaration customs marked as clearing goods landed at a partner's
  // port, once paid here, is notified to that partner, which releases the goods there.
  outbox.subscribe('declaration.status_changed', (event, db) => partner.onDeclarationStatus(event, db));
  outbox.subscribe('transit.status_changed', (event, db) => partner.onTransitStatus(event, db));
  outbox.subscribe('transit.alert_raised', (event, db) => partner.onTransitAlert(event, db));
  outbox.subscribe('partner.deliver', (event, db) => partner.deliver(event, db));
  return { outbox, maintenance, reference, tariffCache, tariff, vehicles, calculator, relief, identity, parties, manifests, payments, release, declarations, risk, inspection, transit, partner };
}

/** TRUST_PROXY as Fastify takes it: a hop count becomes "the first n hops". */
function trustedProxies(setting: Config['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    logger: deps.logger === false ? false : { level: deps.config.logLevel },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    // Bodies are JSON and never coerced ("Infinity" is not a number of packages); querystring and
    // path values are converted by the input guard, strictly. The first pass stops at the first
    // error; the error handler lists them all when the input is of ordinary size (validation.ts).
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false }, onCreate: onAjvCreate },
    // The largest body any route takes (a manifest); each route has its own, smaller by default.
    bodyLimit: bodyLimits.max,
    // Once closing (graceful shutdown): new requests on open connections get a 503 with
    // Connection: close, idle keep-alive connections are closed at once, busy ones when their
    // request is answered.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // request.ip (rate limits, idempotency scope) is the client's only behind proxies we trust.
    trustProxy: trustedProxies(deps.config.trustProxy),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Every /api route with its access, as registered: the authorisation matrix test walks it.
  const routeTable: ApiRoute[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    const url = route.url;
    const access = route.config?.access;
    if (!url.startsWith('/api/')) {
      return;
    }
    // A route that forgets to say who may call it is a bug, caught at start-up rather than in production.
    if (access === undefined) {
      throw new Error(`route ${String(route.method)} ${url} does not declare who may call it (config.access)`);
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routeTable.push(...methods.filter((m) => m !== 'HEAD').map((method) => ({ method, url, access })));
  });
  installErrorHandler(app);
  installSecurityHeaders(app);
  installInputGuard(app);
  const partnerSettings = deps.config.partner ? await loadPartnerSettings(deps.config.partner) : undefined;
  const s = services(deps.database, clock, deps.config, app.log, partnerSettings);
  installAuth(app, s.identity.authenticator, replayPrincipal);
  // Lodgements go to the journal when the database stays away (the routes below are wrapped).
  installStoreAndForward(app, { db: deps.database.db, journal: deps.journal, clock, log: app.log });

  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Forodha customs API', version: '0.1.0', description: 'Customs management: tariff, assessment, declarations, risk, release.' },
      servers: [],
    },
  });
  // No validator badge: it would send the API description to validator.swagger.io.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());
  installMetrics(app, { token: deps.config.metricsToken, port: deps.config.metricsPort, host: deps.config.metricsHost });

  app.get(
    '/health',
    { schema: { tags: ['platform'], summary: 'Liveness and database check' }, config: { access: 'public' } },
    async (request, reply) => {
      const started = performance.now();
      try {
        await sql`select 1`.execute(deps.database.db);
        return { status: 'ok', worker: workerIndex(), database: { kind: deps.database.kind, ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 } };
      } catch (err) {
        // The driver's message names hosts and internals: it goes to the log, not to the caller.
        request.log.warn({ err }, 'health check: database unavailable');
        void reply.header('retry-after', '2');
        return reply.status(503).send({ status: 'unavailable', database: { kind: deps.database.kind, ok: false } });
      }
    },
  );

  // Readiness, for load balancers: 200 while this process takes new work, 503 from the moment a
  // graceful shutdown begins (and before start-up ends). Liveness and the database are /health's.
  const readiness: Readiness = { started: false, draining: false };
  app.decorate('readiness', readiness);
  app.addHook('onReady', async () => {
    readiness.started = true;
  });
  app.get(
    '/ready',
    { schema: { tags: ['platform'], summary: 'Readiness: 200 while this process takes new work, 503 once it is shutting down' }, config: { access: 'public' } },
    async (_request, reply) => {
      if (readiness.draining || !readiness.started) {
        void reply.header('retry-after', '1');
        return reply.status(503).send({ status: readiness.draining ? 'draining' : 'starting', worker: workerIndex() });
      }
      return { status: 'ready', worker: workerIndex() };
    },
  );

  // The public status: readiness, the database, and the maintenance windows current and to come.
  app.get(
    '/status',
    { schema: { tags: ['platform'], summary: 'Public status: whether the system takes work, and maintenance windows current and upcoming' }, config: { access: 'public' } },
    async () => {
      const database = await sql`select 1`.execute(deps.database.db).then(
        () => 'up' as const,
        () => 'unavailable' as const,
      );
      const notices = database === 'up' ? await s.maintenance.list() : await s.maintenance.current();
      return {
        status: readiness.draining || !readiness.started ? 'draining' : database === 'up' ? 'operational' : 'lodging-delayed',
        detail:
          database === 'up'
            ? 'Every service is available'
            : 'The database is away for a moment: lodgements are taken and answered 202 with a receipt, other answers are delayed (503 with Retry-After), none is wrong',
        database,
        maintenance: notices,
      };
    },
  );
  // During a maintenance window every answer names it; the system stays up.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/api/') || request.url === '/status') {
      const current = await s.maintenance.current();
      const first = current[0];
      if (first) {
        void reply.header('forodha-maintenance', `${first.id}; impact=${first.impact}; ends=${first.endsAt}`);
        void reply.header('link', '</api/v1/maintenance>; rel="notice"');
      }
    }
    return payload;
  });

  // The outbox worker delivers events in this process unless production runs it separately.
  if (deps.config.outboxWorker) {
    app.addHook('onReady', async () => s.outbox.start());
    app.addHook('onClose', async () => s.outbox.stop());
  }
  // Transit movements past their deadline are flagged overdue on a tick, not only when someone reads them.
  const overdue = overdueSweeper(() => s.transit.sweepOverdue(), { intervalSeconds: deps.config.transitOverdueSweepSeconds, log: app.log });
  app.addHook('onReady', async () => overdue.start());
  app.addHook('onClose', async () => overdue.stop());
  // A change that committed may have published events: deliver them now rather than at the next
  // poll, so a paid, green consignment is released within a second of its arrival.
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400) {
      s.outbox.kick();
    }
  });
  app.decorate('services', s);
  await app.register(maintenanceRoutes({ db: deps.database.db, maintenance: s.maintenance }));
  await app.register(referenceRoutes({ reference: s.reference }));
  await app.register(tariffRoutes({ tariff: s.tariff, clock }));
  await app.register(reliefRoutes({ db: deps.database.db, relief: s.relief }));
  await app.register(vehicleRoutes({ vehicles: s.vehicles, clock }));
  await app.register(calculatorRoutes({ calculator: s.calculator, rateLimit: deps.config.calculatorRateLimit }));
  await app.register(identityRoutes({ db: deps.database.db, identity: s.identity, parties: s.parties }));
  await app.register(partiesRoutes({ db: deps.database.db, parties: s.parties }));
  await app.register(manifestRoutes({ db: deps.database.db, manifests: s.manifests }));
  await app.register(paymentRoutes({ db: deps.database.db, clock, payments: s.payments }));
  await app.register(releaseRoutes({ db: deps.database.db, release: s.release, officesServed: (orgId) => s.parties.officesServed(orgId) }));
  await app.register(declarationRoutes({ db: deps.database.db, declarations: s.declarations }));
  await app.register(exportRoutes({ db: deps.database.db, declarations: s.declarations, officesServed: (orgId) => s.parties.officesServed(orgId) }));
  await app.register(inspectionRoutes({ db: deps.database.db, inspection: s.inspection }));
  await app.register(transitRoutes({ db: deps.database.db, transit: s.transit }));
  await app.register(partnerRoutes({ db: deps.database.db, partner: s.partner, rateLimit: deps.config.partner?.rateLimit ?? 6_000 }));
  await app.register(riskRoutes({ db: deps.database.db, clock, risk: s.risk.service, engine: s.risk.engine, reference: s.reference }));
  // WCO Data Model and UN/EDIFACT adapters (after the declaration routes: they validate against them).
  await app.register(exchangeRoutes({ db: deps.database.db, clock, declarations: s.declarations, manifests: s.manifests, parties: s.parties, reference: s.reference, officesServed: (orgId) => s.parties.officesServed(orgId) }));
  // Public consignment status (limited like the calculator) and the customs dashboards' figures.
  await app.register(reportingRoutes({ db: deps.database.db, declarations: s.declarations, statusRateLimit: deps.config.calculatorRateLimit }));
  // Administrators upload tariff, exchange rates and CRSP; what loads is read at once, not after the cache's life.
  await app.register(uploadsRoutes({ db: deps.database.db, onLoaded: () => s.tariffCache.clear() }));
  // Rules, settings and the active model are read once before the first lodgement.
  app.addHook('onReady', async () => s.risk.engine.refresh());
  // The web (dist/web), when built: its files, and its index.html for the app's own paths.
  if (deps.web !== false) {
    await installWeb(app);
  }
  return app;
}
