// Closed by default: the settings a fresh start gets, the headers on every answer, metrics that
// are not public, a health check that names no database error, and client addresses that are
// believed only from trusted proxies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../src/app.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startTestServer, type TestServer } from './server.ts';

const metricsToken = 'scraper-secret-0123456789abcdef';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { METRICS_TOKEN: metricsToken, METRICS_PORT: '0' } });
});

afterAll(async () => {
  await server.close();
});

describe('settings on a fresh start', () => {
  it('listen on loopback and load the demo only there', () => {
    const fresh = loadConfig({});
    expect(fresh.host).toBe('127.0.0.1');
    expect(fresh.demo).toBe(true);
    expect(loadConfig({ HOST: 'localhost' }).demo).toBe(true);
    expect(loadConfig({ HOST: '::1' }).demo).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0' }).demo).toBe(false);
    expect(loadConfig({ HOST: '10.1.2.3' }).demo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://forodha@db/forodha' }).demo).toBe(false);
  });

  it('refuse DEMO=true on an address other machines can reach', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0', DEMO: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: '0.0.0.0', DEMO: 'true' })).toThrow(/DEMO=true .*refused on HOST="0.0.0.0"/);
    expect(loadConfig({ HOST: '0.0.0.0', DEMO: 'false' }).demo).toBe(false);
  });

  it('trust no proxy unless told, then a hop count or addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.7']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it('keep metrics off their own port and refuse a short metrics token', () => {
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(loadConfig({}).metricsHost).toBe('127.0.0.1');
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN is too short/);
  });

  it('bound API key validity by its maximum', () => {
    expect(loadConfig({})).toMatchObject({ apiKeyDays: 365, apiKeyMaxDays: 730, apiKeyRotationOverlapHours: 24 });
    expect(() => loadConfig({ API_KEY_MAX_DAYS: '30', API_KEY_DAYS: '60' })).toThrow(/API_KEY_DAYS/);
  });

  it('no longer carry the unused SESSION_SECRET', () => {
    expect(loadConfig({ SESSION_SECRET: 'anything' })).not.toHaveProperty('sessionSecret');
  });
});

function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
  expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
}

describe('security headers', () => {
  it('are on JSON answers, with a policy that lets a browser run nothing', async () => {
    const res = await server.anonymous().get('/api/v1/reference/currencies');
    expect(res.status).toBe(200);
    expectSecurityHeaders(res.headers);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('cache-control')).toBeNull();
  });

  it('are on problem answers', async () => {
    const missing = await server.anonymous().get('/api/v1/no-such-thing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expectSecurityHeaders(missing.headers);
    const refused = await server.anonymous().get('/api/v1/me');
    expect(refused.status).toBe(401);
    expectSecurityHeaders(refused.headers);
  });

  it('keep authenticated answers and session tokens out of caches', async () => {
    const me = await server.key('demo-kpa-key').get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    const login = await server.anonymous().post('/api/v1/auth/login', { username: 'kra.officer', password: 'demo-password' });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
  });

  it('let the API documentation page load its own scripts and styles, and nothing else', async () => {
    const docs = await server.anonymous().get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expectSecurityHeaders(docs.headers);
    const csp = docs.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const script = await server.anonymous().get('/docs/static/swagger-ui-bundle.js');
    expect(script.status).toBe(200);
  });
});

describe('metrics on the main port', () => {
  const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}` });

  it('are refused to anonymous callers and to people who are not administrators', async () => {
    const anonymous = await server.anonymous().get('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(anonymous.text).not.toContain('http_request_duration_seconds');
    const officer = await server.as('kra.officer');
    expect((await officer.get('/metrics')).status).toBe(403);
    const wrongToken = await fetch(`${server.url}/metrics`, { headers: basic('not-the-token-at-all') });
    expect(wrongToken.status).toBe(401);
  });

  it('are served to an administrator and to the scraper with METRICS_TOKEN', async () => {
    const admin = await server.as('kra.admin');
    const asAdmin = await admin.get('/metrics');
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.text).toContain('http_request_duration_seconds');
    const scraper = await fetch(`${server.url}/metrics`, { headers: basic(metricsToken) });
    expect(scraper.status).toBe(200);
    expect(await scraper.text()).toContain('http_request_duration_seconds');
  });

  it('are served without credentials on METRICS_PORT, which listens on loopback', async () => {
    const address = server.app.metricsListener?.address() as AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${address.port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('process_cpu_user_seconds_total');
    expect((await fetch(`http://127.0.0.1:${address.port}/api/v1/me`)).status).toBe(404);
  });
});

describe('client addresses behind a proxy', () => {
  const calculation = { date: '2025-03-01', currency: 'USD', exchangeRate: '129.50', items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob: '1000' }] };

  async function calculate(app: Awaited<ReturnType<typeof buildApp>>, forwardedFor: string): Promise<number> {
    const res = await app.inject({ method: 'POST', url: '/api/v1/calculator', payload: calculation, remoteAddress: '10.0.0.5', headers: { 'x-forwarded-for': forwardedFor } });
    return res.statusCode;
  }

  it('are the proxy itself by default, so a made-up X-Forwarded-For buys no fresh rate-limit bucket', async () => {
    const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', OUTBOX_WORKER: 'false', CALCULATOR_RATE_LIMIT: '2' }), database: server.database, clock: server.clock, logger: false });
    try {
      expect(await calculate(app, '203.0.113.1')).toBe(200);
      expect(await calculate(app, '203.0.113.2')).toBe(200);
      expect(await calculate(app, '203.0.113.3')).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('are the forwarded client with TRUST_PROXY=1, so each client has its own bucket', async () => {
    const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', OUTBOX_WORKER: 'false', CALCULATOR_RATE_LIMIT: '2', TRUST_PROXY: '1' }), database: server.database, clock: server.clock, logger: false });
    try {
      expect(await calculate(app, '203.0.113.1')).toBe(200);
      expect(await calculate(app, '203.0.113.1')).toBe(200);
      expect(await calculate(app, '203.0.113.1')).toBe(429);
      expect(await calculate(app, '203.0.113.2')).toBe(200);
    } finally {
      await app.close();
    }
  });
});

// Last in this file: it takes the database away from the server.
describe('the health check', () => {
  it('says ok with the database up', async () => {
    const res = await server.anonymous().get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: { ok: true } });
  });

  it('says unavailable without the database error text', async () => {
    await server.database.db.destroy();
    const res = await server.anonymous().get('/health');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'unavailable', database: { kind: server.database.kind, ok: false } });
    expect(res.text).not.toMatch(/destroyed|error/i);
  });
});
