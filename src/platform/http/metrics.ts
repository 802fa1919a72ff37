// Prometheus metrics: request counts and latencies by route, plus process metrics. They describe
// the system's load and routes, so they are not public: on the main port /metrics answers an
// administrator, or a scraper that presents METRICS_TOKEN as its HTTP Basic password; with
// METRICS_PORT set, a separate listener (loopback by default) serves them without credentials.
import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import client from 'prom-client';
import { forbidden, unauthorized } from './problem.ts';

export interface MetricsOptions {
  /** The scraper's secret on the main port (Basic auth password; the user name is not checked). */
  token: string | undefined;
  /** A separate listener for the scraper; undefined = none. */
  port: number | undefined;
  host: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The separate metrics listener, when METRICS_PORT is set (listening once the app is ready). */
    metricsListener: http.Server | undefined;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** True when the request carries `Authorization: Basic <anything:token>`. */
function presentsToken(request: FastifyRequest, token: string | undefined): boolean {
  const header = request.headers.authorization;
  if (token === undefined || typeof header !== 'string' || !header.toLowerCase().startsWith('basic ')) {
    return false;
  }
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  // Compared as digests: equal length, and no timing hint about how much of it matched.
  return timingSafeEqual(digest(password), digest(token));
}

export function installMetrics(app: FastifyInstance, options: MetricsOptions): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  // 'public' to the auth hook, which then resolves any session or API key presented; the handler
  // decides: an administrator, or the scraper's token.
  app.get('/metrics', { schema: { hide: true }, config: { access: 'public' } }, async (request, reply) => {
    const admin = request.principal?.roles.includes('admin') ?? false;
    if (!admin && !presentsToken(request, options.token)) {
      if (request.principal) {
        throw forbidden('Metrics are for administrators and the metrics scraper');
      }
      void reply.header('www-authenticate', 'Basic realm="metrics"');
      throw unauthorized('Metrics need an administrator, or the METRICS_TOKEN as the HTTP Basic password');
    }
    void reply.type(registry.contentType);
    return registry.metrics();
  });
  app.decorate('metricsListener', options.port === undefined ? undefined : metricsListener(app, registry, options.port, options.host));
  return registry;
}

/** The scraper's own port: only /metrics, no credentials; reachable where METRICS_HOST says. */
function metricsListener(app: FastifyInstance, registry: client.Registry, port: number, host: string): http.Server {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(text),
      (err: unknown) => {
        app.log.error({ err }, 'metrics could not be collected');
        res.writeHead(500).end();
      },
    );
  });
  app.addHook('onReady', () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  }));
  app.addHook('onClose', () => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}
