// A real listening Forodha for HTTP tests: a fresh database with the demo parties, a clock the
// test controls, and clients that log in as the demo users or present the demo API keys.
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../src/platform/clock.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { testDatabase, type TestDatabase } from './db.ts';

export const demoPassword = 'demo-password';

/** A clock tests can move: set it to an instant or advance it by milliseconds. */
export interface MutableClock extends Clock {
  set(iso: string): void;
  advance(ms: number): void;
}

export function mutableClock(start: string): MutableClock {
  let at = new Date(start).getTime();
  return {
    now: () => new Date(at),
    set: (iso) => {
      at = new Date(iso).getTime();
    },
    advance: (ms) => {
      at += ms;
    },
  };
}

export interface Res {
  status: number;
  body: any;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

export interface Client {
  get(path: string): Promise<Res>;
  post(path: string, body?: unknown, opts?: RequestOptions): Promise<Res>;
  put(path: string, body?: unknown, opts?: RequestOptions): Promise<Res>;
  delete(path: string): Promise<Res>;
}

export interface TestServer {
  url: string;
  database: TestDatabase;
  app: FastifyInstance;
  clock: MutableClock;
  close(): Promise<void>;
  /** A client logged in as this demo user (password demo-password); the token is reused. */
  as(username: string): Promise<Client>;
  /** As `as`, with a new login (after the clock moved past the session's life, say). */
  relogin(username: string): Promise<Client>;
  /** A client presenting this API key (X-API-Key). */
  key(apiKey: string): Client;
  anonymous(): Client;
}

function client(base: string, credential: Record<string, string>): Client {
  const call = async (method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...credential, ...opts.headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    if (opts.idempotencyKey !== undefined) {
      headers['idempotency-key'] = opts.idempotencyKey;
    }
    const response = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (/json/.test(type) && text !== '') {
      parsed = JSON.parse(text);
    }
    return { status: response.status, body: parsed, headers: response.headers, text };
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body, opts) => call('POST', path, body, opts),
    put: (path, body, opts) => call('PUT', path, body, opts),
    delete: (path) => call('DELETE', path),
  };
}

export async function startTestServer(opts: { clock?: string; env?: Record<string, string> } = {}): Promise<TestServer> {
  const database = await testDatabase();
  const clock = mutableClock(opts.clock ?? '2026-06-15T08:00:00Z');
  const config = loadConfig({ LOG_LEVEL: 'silent', DEMO: 'true', OUTBOX_WORKER: 'false', CALCULATOR_RATE_LIMIT: '100000', ...opts.env });
  const app = await buildApp({ config, database, clock, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('the test server has no TCP address');
  }
  const url = `http://127.0.0.1:${address.port}`;
  const tokens = new Map<string, Promise<string>>();
  const login = async (username: string): Promise<string> => {
    const res = await client(url, {}).post('/api/v1/auth/login', { username, password: demoPassword });
    if (res.status !== 200) {
      throw new Error(`login as ${username} failed: ${res.status} ${res.text}`);
    }
    return (res.body as { token: string }).token;
  };
  const as = async (username: string): Promise<Client> => {
    let token = tokens.get(username);
    if (token === undefined) {
      token = login(username);
      tokens.set(username, token);
      token.catch(() => tokens.delete(username));
    }
    return client(url, { authorization: `Bearer ${await token}` });
  };
  return {
    url,
    database,
    app,
    clock,
    async close() {
      await app.close();
      await database.close();
    },
    as,
    async relogin(username) {
      tokens.delete(username);
      return as(username);
    },
    key: (apiKey) => client(url, { 'x-api-key': apiKey }),
    anonymous: () => client(url, {}),
  };
}
