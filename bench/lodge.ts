// npm run bench:lodge — lodging and assessing import declarations of 3 items over HTTP, on a real
// PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/forodha_bench, recreated
// each run), with the load generator (bench/load.ts) in another process:
//  1. sustained declarations per second: closed loop, --connections clients for --seconds;
//  2. latency at a fixed 500 declarations per second (open loop), p50 and p99;
//  3. the database's own ceiling for a lodgement-shaped transaction, in the same run: pgbench
//     (8 clients, 2 threads, 10 s) inserting a declaration header, its 3 items, an audit record and
//     an outbox event in one commit, into scratch tables made LIKE ours from a real lodgement's
//     rows; printed beside the sustained figure with the ratio.
// The server runs as it would in production: WORKERS processes (default one per core).
// Every declaration is a real lodgement: validated against reference data, the tariff, its bill
// of lading (one per declaration in turn, 1,000 B/Ls) and the agent's authority, assessed, given
// a channel, stored with its audit record. The last line printed is the JSON summary.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { runLoad, startServer, type LoadResult } from './harness.ts';
import { perUnit, snapshot, spent, type Groups } from './cpu.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const seconds = Number(opt('seconds', '20'));
const connections = Number(opt('connections', '32'));
const fixedRate = Number(opt('rate', '500'));
const ceilingSeconds = Number(opt('ceiling-seconds', '10'));
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/forodha_bench';
/** The server's address, known once it has started. */
let url = '';

async function recreateDatabase() {
  const target = new URL(databaseUrl);
  const name = target.pathname.slice(1);
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`drop database if exists ${name} with (force)`);
  await client.query(`create database ${name}`);
  await client.end();
}

async function call(method: string, pathname: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(url + pathname, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) {
    throw new Error(`${method} ${pathname}: ${res.status} ${JSON.stringify(json)}`);
  }
  return json;
}

/** 20 manifests of 50 bills of lading, each big enough for every declaration sent against it. */
async function lodgeManifests(): Promise<string[]> {
  const arrival = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const numbers: string[] = [];
  for (let m = 0; m < 20; m++) {
    const documents = Array.from({ length: 50 }, (_, d) => {
      const number = `MAEUBENCH${String(m * 50 + d).padStart(5, '0')}`;
      numbers.push(number);
      return {
        number, kind: 'BL', shipperName: 'Shenzhen Electronics Export Co', consigneeName: 'Nairobi Motors Ltd', consigneePin: 'P051234567A',
        notifyParty: 'Siginon Freight Ltd', packages: 1_000_000, packageKind: 'CT', grossMassKg: '100000000', description: 'General cargo',
        cargoCategory: 'home_use', containers: [],
      };
    });
    await call('POST', '/api/v1/manifests', {
      mode: 'sea', conveyanceId: '9074729', conveyanceName: 'MAERSK SELETAR', voyageNumber: `B${m}`, portOfLoading: 'CNSHA', portOfDischarge: 'KEMBA',
      officeCode: 'MBA', expectedArrival: arrival, documents,
    }, { 'x-api-key': 'demo-maersk-key' });
  }
  return numbers;
}

function declaration(bl: string) {
  return {
    lodge: true, cpc: '4000000', officeCode: 'MBA', importerPin: 'P051234567A', transportDocumentNumber: bl, invoiceCurrency: 'USD',
    invoiceAmount: '20000.00', incoterm: 'FOB', freight: '1200.00', insurance: '150.00',
    documents: [{ code: 'N380', reference: 'INV-BENCH' }],
    items: [
      { hsCode: '8471.30.00', description: 'Laptop computers', originCountry: 'CN', quantity: '50', unit: 'NAR', netMassKg: '100', grossMassKg: '400', packages: 1, itemPrice: '12000.00' },
      { hsCode: '8517.13.00', description: 'Smartphones', originCountry: 'CN', quantity: '40', unit: 'NAR', netMassKg: '12', grossMassKg: '300', packages: 1, itemPrice: '6000.00' },
      { hsCode: '6109.10.00', description: 'T-shirts of cotton', originCountry: 'BD', quantity: '1000', unit: 'NAR', netMassKg: '200', grossMassKg: '500', packages: 1, itemPrice: '2000.00' },
    ],
  };
}

/** The scratch tables (ceiling_*), shaped like ours, and one template row set from a real lodgement. */
const scratch = [
  { table: 'declaration', template: `select * from declaration where status = 'assessed' and channel = 'green' limit 1` },
  { table: 'declaration_item', template: `select * from declaration_item where declaration_id = (select id from ceiling_t_declaration)` },
  { table: 'audit_event', template: `select * from audit_event where entity_id = (select id::text from ceiling_t_declaration) order by id limit 1` },
  { table: 'outbox', template: `select * from outbox where key = (select id::text from ceiling_t_declaration) order by id limit 1` },
] as const;

/** The transaction's declaration id, from two random pgbench variables: no extra round trip for it. */
const did = `(lpad(to_hex(:a::bigint), 16, '0') || lpad(to_hex(:b::bigint), 16, '0'))::uuid`;
/** How each row of the transaction differs from its template: a fresh id, its own reference and stream. */
const fresh: Record<string, Record<string, string>> = {
  declaration: { id: did, reference: `'C' || md5(random()::text)` },
  declaration_item: { declaration_id: did },
  audit_event: { entity_id: `${did}::text`, stream: `'declaration:' || ${did}::text` },
  outbox: { key: `${did}::text` },
};

/** Transactions per second the database sustains for one lodgement's writes (pgbench, 8 clients). */
async function databaseCeiling(): Promise<{ transactionsPerSecond: number; databaseCpuMs: number; pgbenchCpuMs: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const statements: string[] = [];
  try {
    for (const { table, template } of scratch) {
      await client.query(`drop table if exists ceiling_${table}, ceiling_t_${table}`);
      await client.query(`create table ceiling_${table} (like ${table} including defaults including indexes)`);
      await client.query(`create table ceiling_t_${table} as ${template}`);
      // Columns filled by their defaults (serial ids, the writing transaction) are left to them.
      const { rows } = await client.query<{ name: string; defaulted: boolean }>(
        `select column_name as name, column_default is not null or is_generated = 'ALWAYS' or is_identity = 'YES' as defaulted from information_schema.columns where table_name = $1 and table_schema = current_schema() order by ordinal_position`,
        [table],
      );
      const columns = rows.filter((c) => !(c.defaulted && ['id', 'xid', 'created_at', 'available_at'].includes(c.name)) || fresh[table]?.[c.name] !== undefined);
      const values = columns.map((c) => fresh[table]?.[c.name] ?? `t.${c.name}`);
      statements.push(`insert into ceiling_${table} (${columns.map((c) => c.name).join(', ')}) select ${values.join(', ')} from ceiling_t_${table} t;`);
    }
  } finally {
    await client.end();
  }
  const script = ['\\set a random(1, 9000000000000000000)', '\\set b random(1, 9000000000000000000)', 'begin;', ...statements, 'commit;'].join('\n');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-ceiling-')), 'lodgement.sql');
  fs.writeFileSync(file, script);
  const running = promisify(execFile)(pgbench(), ['-n', '-f', file, '-c', '8', '-j', '2', '-T', String(ceilingSeconds), databaseUrl], { encoding: 'utf8' });
  // The database's CPU per transaction, over the run's middle (pgbench's connections end with it).
  const window = Math.max(ceilingSeconds - 2, 1);
  await sleep(1000);
  const before = snapshot();
  await sleep(window * 1000);
  const cpu = spent(before, snapshot(), cpuGroups);
  const { stdout } = await running;
  const tps = /tps = ([\d.]+)/.exec(stdout);
  if (!tps?.[1]) {
    throw new Error(`pgbench printed no tps:\n${stdout}`);
  }
  const transactionsPerSecond = Math.round(Number(tps[1]));
  return { transactionsPerSecond, databaseCpuMs: perUnit(cpu.database!, transactionsPerSecond * window), pgbenchCpuMs: perUnit(cpu.pgbench!, transactionsPerSecond * window) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** a / b to three places (0 when nothing was measured beneath). */
const ratioOf = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 1000) / 1000 : 0);

/** Whose CPU is counted: the server (its workers too), this database's backends, the load generator, pgbench. */
const cpuGroups: Groups = {
  server: (c) => c.includes('src/main.ts'),
  database: (c) => c.startsWith('postgres') && c.includes(` ${new URL(databaseUrl).pathname.slice(1)} `),
  load: (c) => c.includes('bench/load.ts'),
  pgbench: (c) => c.startsWith('pgbench') || c.includes('/pgbench '),
};

function pgbench(): string {
  for (const candidate of ['/usr/bin/pgbench', '/usr/lib/postgresql/17/bin/pgbench', '/usr/lib/postgresql/16/bin/pgbench', '/usr/lib/postgresql/15/bin/pgbench']) {
    if (fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return 'pgbench';
}

function load(extra: Record<string, string | number>, bodiesFile: string): Promise<LoadResult> {
  return runLoad({ url: `${url}/api/v1/declarations`, 'bodies-file': bodiesFile, headers: JSON.stringify({ 'x-api-key': 'demo-siginon-key' }), ...extra });
}

await recreateDatabase();
const workers = Number(opt('workers', String(os.availableParallelism())));
const server = await startServer({ DATABASE_URL: databaseUrl, DEMO: 'true', WORKERS: String(workers) }, 3900);
url = server.url;
try {
  const bls = await lodgeManifests();
  const bodiesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-lodge-')), 'bodies.json');
  fs.writeFileSync(bodiesFile, JSON.stringify(bls.map(declaration)));

  await load({ seconds: 3, connections: 8 }, bodiesFile); // warm-up: JIT, caches, pool
  const before = snapshot();
  const sustained = await load({ seconds, connections }, bodiesFile);
  const cpu = spent(before, snapshot(), cpuGroups);
  const lodged = sustained.statuses['201'] ?? 0;
  const cpuPerDeclaration = { serverMs: perUnit(cpu.server!, lodged), databaseMs: perUnit(cpu.database!, lodged) };
  console.log(`sustained: ${sustained.requestsPerSecond} declarations/s over ${sustained.requests} lodgements (${connections} connections), p50 ${sustained.p50Ms} ms, p99 ${sustained.p99Ms} ms, errors ${sustained.errors}`);
  console.log(`CPU per declaration: server ${cpuPerDeclaration.serverMs} ms, database ${cpuPerDeclaration.databaseMs} ms`);
  const fixed = await load({ seconds, rate: fixedRate }, bodiesFile);
  console.log(`at ${fixedRate}/s: p50 ${fixed.p50Ms} ms, p90 ${fixed.p90Ms} ms, p99 ${fixed.p99Ms} ms, max ${fixed.maxMs} ms, errors ${fixed.errors}`);
  const { transactionsPerSecond: ceiling, databaseCpuMs, pgbenchCpuMs } = await databaseCeiling();
  const ratio = ratioOf(sustained.requestsPerSecond, ceiling);
  const cpuRatio = ratioOf(databaseCpuMs, cpuPerDeclaration.databaseMs);
  console.log(`database ceiling: ${ceiling} lodgement-shaped transactions/s (pgbench, 8 clients); sustained is ${(ratio * 100).toFixed(1)}% of it`);
  console.log(`database CPU per transaction: pgbench's ${databaseCpuMs} ms, a lodgement's ${cpuPerDeclaration.databaseMs} ms (${(cpuRatio * 100).toFixed(1)}% of it is the ceiling's shape)`);
  console.log(
    JSON.stringify({
      itemsPerDeclaration: 3,
      workers,
      load: os.loadavg().map((l) => Math.round(l * 100) / 100),
      databaseCeiling: { transactionsPerSecond: ceiling, clients: 8, shape: 'header + 3 items + audit record + outbox event, one commit', databaseCpuMsPerTransaction: databaseCpuMs, pgbenchCpuMsPerTransaction: pgbenchCpuMs },
      ratioToCeiling: ratio,
      cpuMsPerDeclaration: cpuPerDeclaration,
      databaseCpuRatioToCeiling: cpuRatio,
      sustained: { declarationsPerSecond: sustained.requestsPerSecond, connections, p50Ms: sustained.p50Ms, p99Ms: sustained.p99Ms, errors: sustained.errors, statuses: sustained.statuses },
      fixedRate: { rate: fixedRate, achieved: fixed.requestsPerSecond, p50Ms: fixed.p50Ms, p90Ms: fixed.p90Ms, p99Ms: fixed.p99Ms, errors: fixed.errors },
    }),
  );
} finally {
  await server.stop();
}
