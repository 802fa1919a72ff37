// Test support (not used by the application): the real Forodha app (auth, demo parties, error
// handler, validation) listening on a port, with a module's routes mounted a second time under
// /module, wired to services the test builds itself: with spies for onSettled or onExited, in
// place of the declaration module the composition root wires in.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import type { Database } from '#platform/db/database.ts';
import { mutableClock, type Client, type MutableClock, type RequestOptions, type Res } from '../../../test/server.ts';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';

export const mountPrefix = '/module';

export interface ModuleServer {
  url: string;
  database: TestDatabase;
  clock: MutableClock;
  app: FastifyInstance;
  /** A client of the mounted routes, logged in as this demo user (password demo-password). */
  as(username: string): Promise<Client>;
  /** A client of the mounted routes presenting this API key. */
  key(apiKey: string): Client;
  anonymous(): Client;
  close(): Promise<void>;
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
    const json = /json/.test(response.headers.get('content-type') ?? '') && text !== '';
    return { status: response.status, body: json ? (JSON.parse(text) as unknown) : text, headers: response.headers, text };
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body, opts) => call('POST', path, body, opts),
    put: (path, body, opts) => call('PUT', path, body, opts),
    delete: (path) => call('DELETE', path),
  };
}

export async function startModuleServer(
  mount: (ctx: { database: Database; clock: MutableClock }) => FastifyPluginAsync | Promise<FastifyPluginAsync>,
  opts: { clock?: string } = {},
): Promise<ModuleServer> {
  const database = await testDatabase();
  const clock = mutableClock(opts.clock ?? '2026-06-15T08:00:00Z');
  const config = loadConfig({ LOG_LEVEL: 'silent', DEMO: 'true', OUTBOX_WORKER: 'false' });
  const app = await buildApp({ config, database, clock, logger: false });
  await app.register(await mount({ database, clock }), { prefix: mountPrefix });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('the test server has no TCP address');
  }
  const url = `http://127.0.0.1:${address.port}`;
  const tokens = new Map<string, string>();
  return {
    url,
    database,
    clock,
    app,
    async as(username) {
      let token = tokens.get(username);
      if (token === undefined) {
        const res = await client(url, {}).post('/api/v1/auth/login', { username, password: 'demo-password' });
        if (res.status !== 200) {
          throw new Error(`login as ${username} failed: ${res.status} ${res.text}`);
        }
        token = (res.body as { token: string }).token;
        tokens.set(username, token);
      }
      return client(url + mountPrefix, { authorization: `Bearer ${token}` });
    },
    key: (apiKey) => client(url + mountPrefix, { 'x-api-key': apiKey }),
    anonymous: () => client(url + mountPrefix, {}),
    async close() {
      await app.close();
      await database.close();
    },
  };
}
