// Closed by default, end to end: `npm start` (src/main.ts) and `forodha` (src/cli.ts) run as
// child processes on a database of their own. The demo shows on loopback; a database holding the
// public demo credentials is refused on an address others can reach until `forodha demo disable`;
// the first administrator comes from `forodha admin create`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/platform/db/database.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { withDatabaseName } from './global-setup.ts';
import { demoApiKeys } from '../src/modules/parties/index.ts';

const root = path.resolve(import.meta.dirname, '..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

/** An empty database for the child processes: a PostgreSQL database of its own, or a PGlite folder. */
interface Target {
  embedded: boolean;
  env: Record<string, string>;
  open(): Promise<Database>;
  remove(): Promise<void>;
}

async function freshTarget(): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-access-'));
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    return {
      embedded: true,
      env: { DATA_DIR: dataDir, DATABASE_URL: '' },
      open: () => openDatabase({ databaseUrl: undefined, dataDir, holder: 'the access test' }),
      remove: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `forodha_access_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const databaseUrl = withDatabaseName(url, name);
  return {
    embedded: false,
    env: { DATA_DIR: dataDir, DATABASE_URL: databaseUrl },
    open: () => openDatabase({ databaseUrl, dataDir, poolSize: 2 }),
    remove: async () => {
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function childEnv(target: Target, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...target.env, PORT: '0', LOG_LEVEL: 'warn', ...extra };
  for (const name of ['HOST', 'DEMO', 'TRUST_PROXY', 'METRICS_PORT']) {
    if (!(name in extra)) {
      delete env[name];
    }
  }
  return env;
}

function cli(target: Target, args: string[], input = '') {
  const r = spawnSync(tsx, [path.join(root, 'src/cli.ts'), ...args], { env: childEnv(target, {}), input, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `npm start` that is expected to stop by itself (refused). */
function startRefused(target: Target, env: Record<string, string>) {
  const r = spawnSync(tsx, [path.join(root, 'src/main.ts')], { env: childEnv(target, env), encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Running {
  port: number;
  out: string;
  stop(): Promise<number | null>;
}

/** `npm start` up to "Forodha is running"; rejects with its output if it exits first. */
function startServer(target: Target, env: Record<string, string>): Promise<Running> {
  const child = spawn(tsx, [path.join(root, 'src/main.ts')], { env: childEnv(target, env) });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = /Forodha is running[\s\S]*localhost:(\d+)/.exec(out)?.[1];
      if (port !== undefined) {
        resolve({
          port: Number(port),
          out,
          // tsx hands SIGTERM to the server, which finishes its requests, closes the database and exits 0.
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before it was running:\n${out}\n${err}`)));
  });
}

async function call(port: number, pathname: string, init: { apiKey?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = init.apiKey ? { 'x-api-key': init.apiKey } : {};
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`, { method: init.body === undefined ? 'GET' : 'POST', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  const text = await res.text();
  return { status: res.status, body: text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
}

// Each step starts a process that opens the database and brings it up to date: allow for a slow machine.
describe('the demo and an exposed address', { timeout: 600_000 }, () => {
  it('shows the demo on loopback, refuses to expose its credentials, and starts once they are disabled', async () => {
    const target = await freshTarget();
    try {
      // A fresh start on the embedded database loads the demo by itself (DEMO unset); on a
      // PostgreSQL server the demo is asked for.
      const demo = await startServer(target, target.embedded ? {} : { DEMO: 'true' });
      try {
        expect(demo.out).toMatch(/demo data +loaded, reachable from this machine only \(HOST=127\.0\.0\.1\)/);
        expect((await call(demo.port, '/api/v1/me', { apiKey: 'demo-kcb-key' })).status).toBe(200);
      } finally {
        expect(await demo.stop()).toBe(0);
      }

      const exposed = startRefused(target, { HOST: '0.0.0.0' });
      expect(exposed.code).toBe(2);
      expect(exposed.err).toMatch(/refusing to listen on HOST=0\.0\.0\.0: this database still accepts the public demo credentials/);
      expect(exposed.err).toMatch(/npm run cli -- demo disable/);
      expect(exposed.out).not.toMatch(/Forodha is running/);
      const demoExposed = startRefused(target, { HOST: '0.0.0.0', DEMO: 'true' });
      expect(demoExposed.code).toBe(2);
      expect(demoExposed.err).toMatch(/DEMO=true .*refused on HOST="0\.0\.0\.0"/);

      const disabled = cli(target, ['demo', 'disable']);
      expect(disabled.code).toBe(0);
      expect(disabled.out).toMatch(/demo API keys revoked: .*KCB payments gateway/);
      expect(disabled.out).toMatch(/demo users deactivated: .*kra\.admin/);

      const open = await startServer(target, { HOST: '0.0.0.0' });
      try {
        expect(open.out).not.toMatch(/demo data/);
        expect(open.out).toMatch(/no administrator yet: npm run cli -- admin create/);
        expect((await call(open.port, '/health')).status).toBe(200);
        expect((await call(open.port, '/api/v1/me', { apiKey: 'demo-kcb-key' })).status).toBe(401);
        expect((await call(open.port, '/api/v1/auth/login', { body: { username: 'kra.admin', password: 'demo-password' } })).status).toBe(401);
      } finally {
        expect(await open.stop()).toBe(0);
      }

      const database = await target.open();
      try {
        const audit = await database.db.selectFrom('audit_event').select(['action', 'role']).where('actor_name', 'like', 'forodha demo disable%').execute();
        // Every demo system's key (carriers, banks, agents, terminal, tracker), each revoked once.
        expect(audit.filter((a) => a.action === 'api_key.revoked')).toHaveLength(demoApiKeys.length);
        expect(audit.filter((a) => a.action === 'user.deactivated')).toHaveLength(14);
        expect(audit.every((a) => a.role === 'cli')).toBe(true);
      } finally {
        await database.close();
      }
    } finally {
      await target.remove();
    }
  });
});

describe('forodha admin create', { timeout: 600_000 }, () => {
  it('bootstraps the administration and its first administrator, refusing weak passwords and taken usernames', async () => {
    const target = await freshTarget();
    try {
      const create = ['admin', 'create', '--username', 'root.admin', '--name', 'Wanjiku Kamau'];
      const weak = cli(target, create, 'short\n');
      expect(weak.code).toBe(1);
      expect(weak.err).toMatch(/\/password: use at least 12 characters/);

      const first = cli(target, create, 'Kilindini-harbour-2026\n');
      expect(first.code).toBe(0);
      expect(first.out).toMatch(/created the customs organisation KRA \(Kenya Revenue Authority\)/);
      expect(first.out).toMatch(/created administrator root\.admin \(Wanjiku Kamau\) of KRA/);

      const again = cli(target, create, 'Another-long-passphrase-1\n');
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/root\.admin is taken/);

      const second = cli(target, ['admin', 'create', '--username', 'second.admin', '--name', 'Otieno Odhiambo', '--generate-password']);
      expect(second.code).toBe(0);
      expect(second.out).not.toMatch(/created the customs organisation/);
      const generated = /password \(shown once, store it now\): (\S+)/.exec(second.out)?.[1];
      expect(generated).toMatch(/^[\w-]{43}$/);

      expect(cli(target, ['admin', 'create', '--username', 'third.admin']).code).toBe(2);

      const database = await target.open();
      const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', OUTBOX_WORKER: 'false' }), database, logger: false });
      try {
        await app.listen({ port: 0, host: '127.0.0.1' });
        const port = (app.server.address() as { port: number }).port;
        const root = await call(port, '/api/v1/auth/login', { body: { username: 'root.admin', password: 'Kilindini-harbour-2026' } });
        expect(root.status).toBe(200);
        expect(root.body.user).toMatchObject({ roles: ['admin'], organisation: { code: 'KRA', kind: 'customs' } });
        expect((await call(port, '/api/v1/auth/login', { body: { username: 'second.admin', password: generated } })).status).toBe(200);
        // Nothing of the demo came with it.
        expect((await call(port, '/api/v1/auth/login', { body: { username: 'kra.admin', password: 'demo-password' } })).status).toBe(401);
        const audit = await database.db.selectFrom('audit_event').select(['action', 'actor_name', 'role']).where('action', 'in', ['user.created', 'organisation.created']).execute();
        expect(audit.map((a) => a.action).sort()).toEqual(['organisation.created', 'user.created', 'user.created']);
        expect(audit.every((a) => a.role === 'cli' && a.actor_name.startsWith('forodha admin create ('))).toBe(true);
      } finally {
        await app.close();
        await database.close();
      }
    } finally {
      await target.remove();
    }
  });
});
