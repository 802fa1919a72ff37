// What the fault tests share: a private PostgreSQL cluster they may stop, crash and restart
// (never the shared one on port 5432), the real server as a child process (so a crash is a
// crash), and a client that repeats each POST with its Idempotency-Key until it is acknowledged.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../../src/platform/db/database.ts';
import { prepareDatabase } from '../../src/setup.ts';

const run = promisify(execFile);

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const pgBin = '/usr/lib/postgresql/15/bin';

/** Why the PostgreSQL fault tests cannot run here, or undefined when they can. */
export function whyNoPostgres(): string | undefined {
  for (const tool of ['initdb', 'pg_ctl']) {
    if (!fs.existsSync(path.join(pgBin, tool))) {
      return `fault tests on PostgreSQL skipped: ${path.join(pgBin, tool)} is absent (install postgresql-15)`;
    }
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Outage = 'fast' | 'immediate' | 'crash';

export interface PrivatePostgres {
  url: string;
  /**
   * Takes the server away: a clean fast shutdown, an immediate one (crash recovery on start), or
   * a backend killed (the postmaster restarts every session). `whileAway` runs once it is down.
   */
  outage(kind: Outage, awayMs: number, whileAway?: () => Promise<void>): Promise<void>;
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  destroy(): Promise<void>;
}

/**
 * initdb, start and migrate (demo data loaded) a PostgreSQL cluster of our own in /tmp on a free
 * port. Debian's binaries refuse to run as root, so as root they run as the postgres user.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-faults-pg-'));
  if (asRoot) {
    await run('chown', ['postgres:postgres', dir]);
  }
  const pgTool = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(pgBin, tool), ...args]) : run(path.join(pgBin, tool), args);
  const data = path.join(dir, 'data');
  await pgTool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  // fsync off: only an operating-system crash could lose data, and these tests crash PostgreSQL,
  // not the machine. synchronous_commit stays on: an acknowledged commit must survive.
  const options = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=60 -c shared_buffers=32MB`;
  const start = () => pgTool('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate') => pgTool('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const database = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 4 });
  try {
    await prepareDatabase(database.db, { demo: true });
  } finally {
    await database.close();
  }
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    url,
    query,
    async outage(kind, awayMs, whileAway = async () => undefined) {
      if (kind === 'crash') {
        // A backend dies of SIGKILL: the postmaster ends every other session (57P02) and recovers.
        const backends = await query<{ pid: number }>("select pid from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()");
        const victim = backends[0]?.pid ?? (await query<{ pid: number }>("select pid from pg_stat_activity where backend_type = 'checkpointer'"))[0]?.pid;
        if (victim === undefined) {
          throw new Error('no PostgreSQL process to crash');
        }
        process.kill(victim, 'SIGKILL');
        await Promise.all([sleep(awayMs), whileAway()]);
        return;
      }
      await stop(kind);
      await Promise.all([sleep(awayMs), whileAway()]);
      await start();
    },
    async destroy() {
      await stop('immediate').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server printed (for failure messages). */
  output(): string;
  /** Resolves once the server answers /health with 200. */
  ready(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `npm start`'s entry point as a child process: node --import tsx src/main.ts. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  // A given PORT is kept (a server restarted where its partners expect it); else a free one.
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    output: () => output,
    async ready(timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`the server exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-4000)}`);
        }
        const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (healthy) {
          return;
        }
        await sleep(100);
      }
      throw new Error(`the server did not answer /health within ${timeoutMs} ms:\n${output.slice(-4000)}`);
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      await exited;
    },
  };
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** One HTTP call; a network error is thrown. */
export async function call(base: string, method: string, pathname: string, apiKey: string, body?: unknown, idempotencyKey?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'x-api-key': apiKey };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (idempotencyKey !== undefined) {
    headers['idempotency-key'] = idempotencyKey;
  }
  const res = await fetch(base + pathname, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers };
}

/** Bills of lading and declarations as the demo walk-through lodges them (see README). */
export function manifestBody(bls: string[], voyage: string) {
  return {
    mode: 'sea',
    conveyanceId: '9074729',
    conveyanceName: 'MAERSK SELETAR',
    voyageNumber: voyage,
    portOfLoading: 'CNSHA',
    portOfDischarge: 'KEMBA',
    officeCode: 'MBA',
    expectedArrival: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    documents: bls.map((number) => ({
      number,
      kind: 'BL',
      shipperName: 'Shenzhen Electronics Export Co',
      consigneeName: 'Nairobi Motors Ltd',
      consigneePin: 'P051234567A',
      packages: 20,
      packageKind: 'CT',
      grossMassKg: '900',
      description: 'Laptops and smartphones',
      cargoCategory: 'home_use',
      containers: [],
    })),
  };
}

export function declarationBody(bl: string) {
  return {
    lodge: true,
    cpc: '4000000',
    officeCode: 'MBA',
    importerPin: 'P051234567A',
    transportDocumentNumber: bl,
    invoiceCurrency: 'USD',
    invoiceAmount: '18000.00',
    incoterm: 'FOB',
    freight: '900.00',
    documents: [{ code: 'N380', reference: 'INV-001' }],
    items: [
      { hsCode: '8471.30.00', description: 'Laptop computers', originCountry: 'CN', quantity: '50', unit: 'NAR', netMassKg: '100', grossMassKg: '500', packages: 10, itemPrice: '12000.00' },
      { hsCode: '8517.13.00', description: 'Smartphones', originCountry: 'CN', quantity: '40', unit: 'NAR', netMassKg: '12', grossMassKg: '400', packages: 10, itemPrice: '6000.00' },
    ],
  };
}

/** Today in Nairobi, 'YYYY-MM-DD' (the date the risk settings and licences are read for). */
export function nairobiToday(): string {
  return new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 10);
}

async function login(base: string, username: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo-password' }),
  });
  if (res.status !== 200) {
    throw new Error(`login as ${username}: ${res.status} ${await res.text()}`);
  }
  return ((await res.json()) as { token: string }).token;
}

async function postAs(base: string, token: string, pathname: string, body: unknown): Promise<void> {
  const res = await fetch(base + pathname, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) {
    throw new Error(`POST ${pathname}: ${res.status} ${await res.text()}`);
  }
}

/**
 * The demo data is dated: make sure the demo clearing agent's licence covers today and that the
 * risk engine selects nothing at random, so a paid declaration is green and released on arrival.
 */
export async function prepareForRelease(base: string): Promise<void> {
  const today = nairobiToday();
  const me = await call(base, 'GET', '/api/v1/me', 'demo-siginon-key');
  const admin = await login(base, 'kra.admin');
  await postAs(base, admin, `/api/v1/organisations/${String(me.body.organisation.id)}/licence`, {
    licenceNumber: 'CA/2026/0417',
    licenceValidFrom: today,
    licenceValidTo: `${Number(today.slice(0, 4)) + 1}${today.slice(4, 8)}01`,
  });
  const analyst = await login(base, 'kra.risk');
  await postAs(base, analyst, '/api/v1/risk/settings', { key: 'random.rate', value: 0, validFrom: today, note: 'fault tests: no random selection' });
}
