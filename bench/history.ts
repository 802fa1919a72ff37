// npm run bench:history [-- --requests 400 --concurrency 4 --rate 20 --seconds 15 --plans]
//
// On the history `npm run scale:seed` loaded (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/forodha_history), with the real server over HTTP:
//  - status lookup by declaration reference (the agent who lodged it), by B/L (its carrier);
//  - a trader's consignment list, the first page and then four pages on by cursor (the importer,
//    a big one: NMOTORS carries about one declaration in twenty of the history);
//  - the consignment timeline by B/L (the agent);
//  - lodgement itself at a fixed rate, and the same on an empty database in the same run: the
//    ceiling the history must not lower.
// Lookups pick their references at random across all ten years, so old years are read as much as
// new ones; each is warmed up on half of them (not measured) and measured on the other half. Every figure is given at the seeded size and on an empty database, with the footprint
// of the seeded history (bytes per declaration) and the machine's load average. With --plans it
// writes to docs/history-plans.md the footprint and the EXPLAIN ANALYZE of every read the server
// sends for each of these requests (lodgement's valuation reference included), keeping what is
// written by hand below its marker. The last line printed is the JSON summary.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { root, runLoad, startServer, type LoadResult } from './harness.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const requests = Number(opt('requests', '400'));
const concurrency = Number(opt('concurrency', '4'));
const rate = Number(opt('rate', '20'));
const seconds = Number(opt('seconds', '15'));
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/forodha_history';
const emptyUrl = (() => {
  const u = new URL(databaseUrl);
  u.pathname = `${u.pathname}_empty`;
  return u.toString();
})();

/** B/L numbers are used once per carrier: each run lodges its own. */
const run = Date.now().toString(36).toUpperCase();

const agentKey = { 'x-api-key': 'demo-siginon-key' };
const carrierKey = { 'x-api-key': 'demo-maersk-key' };

interface Latency {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    http
      .get(url, { agent, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
      })
      .on('error', () => resolve({ status: 0, body: '', ms: performance.now() - started }));
  });
}

function summarise(ms: number[], errors: number): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0) * 100) / 100;
  return { requests: sorted.length, p50Ms: at(50), p99Ms: at(99), maxMs: at(100), errors };
}

/** Closed loop: `concurrency` clients take the next URL until `requests` have been answered. */
async function measure(urls: string[], headers: Record<string, string>, follow?: (body: string) => string | null, count = requests): Promise<Latency> {
  const ms: number[] = [];
  let errors = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        let url: string | null = urls[next++ % urls.length]!;
        // A paged walk: each page's cursor leads to the next one, up to five pages.
        for (let page = 0; url !== null && page < (follow ? 5 : 1); page++) {
          const r = await get(url, headers);
          ms.push(r.ms);
          if (r.status !== 200) {
            errors++;
            break;
          }
          url = follow ? follow(r.body) : null;
        }
      }
    }),
  );
  return summarise(ms, errors);
}

async function samples(db: pg.Client, sampling = 'tablesample system (1)'): Promise<{ references: { reference: string; bl: string; carrier: string }[]; bls: string[]; from: string; declarations: number }> {
  const org = async (code: string) => (await db.query<{ id: string }>(`select id from organisation where code = $1`, [code])).rows[0]!.id;
  const siginon = await org('SIGINON');
  const maersk = await org('MAERSK');
  // Random across the whole history: a 1% sample of the table's pages, then a random few of those.
  const references = await db.query<{ reference: string; bl: string; carrier: string }>(
    `select reference, transport_document_number as bl, carrier_code as carrier from declaration ${sampling}
     where declarant_org_id = $1 and reference is not null order by random() limit 300`,
    [siginon],
  );
  const bls = await db.query<{ number: string }>(`select number from transport_document ${sampling} where carrier_org_id = $1 order by random() limit 300`, [maersk]);
  const oldest = await db.query<{ year: string; n: string }>(`select min(created_at)::date::text as year, count(*)::text as n from declaration`);
  if (sampling !== '' && (references.rows.length === 0 || bls.rows.length === 0)) {
    // A small history: 1% of its pages may hold none of these parties' rows.
    return samples(db, '');
  }
  return { references: references.rows, bls: bls.rows.map((r) => r.number), from: oldest.rows[0]!.year, declarations: Number(oldest.rows[0]!.n) };
}

async function login(url: string, username: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'demo-password' }) });
  const json = (await res.json()) as { token?: string };
  if (!json.token) {
    throw new Error(`login as ${username}: ${res.status} ${JSON.stringify(json)}`);
  }
  return { authorization: `Bearer ${json.token}` };
}

async function call(url: string, pathname: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(url + pathname, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (res.status >= 300) {
    throw new Error(`POST ${pathname}: ${res.status} ${await res.text()}`);
  }
}

/** Manifests of `perManifest` fresh B/Ls due in three days (as bench:lodge), and a declaration of 3 items on each B/L. */
function lodgementBodies(tag: string, manifests: number, perManifest: number) {
  const arrival = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const bls: string[] = [];
  const manifest = Array.from({ length: manifests }, (_, m) => {
    const documents = Array.from({ length: perManifest }, (_, d) => {
      const number = `MAEU${tag}${run}${String(m * perManifest + d).padStart(5, '0')}`;
      bls.push(number);
      return {
        number, kind: 'BL', shipperName: 'Shenzhen Electronics Export Co', consigneeName: 'Nairobi Motors Ltd', consigneePin: 'P051234567A', notifyParty: 'Siginon Freight Ltd',
        packages: 1_000_000, packageKind: 'CT', grossMassKg: '100000000', description: 'General cargo', cargoCategory: 'home_use', containers: [],
      };
    });
    return { mode: 'sea', conveyanceId: '9074729', conveyanceName: 'MAERSK SELETAR', voyageNumber: `H${tag}${run}${m}`, portOfLoading: 'CNSHA', portOfDischarge: 'KEMBA', officeCode: 'MBA', expectedArrival: arrival, documents };
  });
  const declarations = bls.map((bl) => ({
    lodge: true, cpc: '4000000', officeCode: 'MBA', importerPin: 'P051234567A', transportDocumentNumber: bl, invoiceCurrency: 'USD', invoiceAmount: '20000.00', incoterm: 'FOB', freight: '1200.00', insurance: '150.00',
    documents: [{ code: 'N380', reference: 'INV-HIST' }],
    items: [
      { hsCode: '8471.30.00', description: 'Laptop computers', originCountry: 'CN', quantity: '50', unit: 'NAR', netMassKg: '100', grossMassKg: '400', packages: 1, itemPrice: '12000.00' },
      { hsCode: '8517.13.00', description: 'Smartphones', originCountry: 'CN', quantity: '40', unit: 'NAR', netMassKg: '12', grossMassKg: '300', packages: 1, itemPrice: '6000.00' },
      { hsCode: '6109.10.00', description: 'T-shirts of cotton', originCountry: 'BD', quantity: '1000', unit: 'NAR', netMassKg: '200', grossMassKg: '500', packages: 1, itemPrice: '2000.00' },
    ],
  }));
  return { manifest, declarations };
}

/** Lodgement at a fixed rate over HTTP, after a warm-up, each declaration on a fresh B/L (manifests of 50). */
async function lodgement(url: string, tag: string): Promise<LoadResult & { warmUpMaxMs: number }> {
  const warmUpSeconds = 10;
  const warmUpRate = 5;
  const { manifest, declarations } = lodgementBodies(tag, Math.ceil((rate * seconds + warmUpRate * warmUpSeconds) / 50) + 1, 50);
  for (const m of manifest) {
    await call(url, '/api/v1/manifests', m, carrierKey);
  }
  // The load generator takes its bodies from the first: warm-up and measure each get their own B/Ls.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-history-'));
  const file = (name: string, bodies: unknown[]) => {
    fs.writeFileSync(path.join(dir, name), JSON.stringify(bodies));
    return path.join(dir, name);
  };
  const warmUpBodies = file('warm-up.json', declarations.slice(0, warmUpRate * warmUpSeconds));
  const measuredBodies = file('measured.json', declarations.slice(warmUpRate * warmUpSeconds));
  const load = (bodies: string, extra: Record<string, number>) => runLoad({ url: `${url}/api/v1/declarations`, 'bodies-file': bodies, headers: JSON.stringify(agentKey), ...extra });
  // Warm-up: JIT, the pool, and the caches, among them the risk engine's valuation references
  // (each a bounded read of declaration_unit_value on a miss): its worst case is reported.
  const warmUp = await load(warmUpBodies, { seconds: warmUpSeconds, rate: warmUpRate });
  return { ...(await load(measuredBodies, { seconds, rate })), warmUpMaxMs: warmUp.maxMs };
}

async function recreate(url: string) {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.query(`create database ${name}`);
  await c.end();
}

// --- Plans ----------------------------------------------------------------------------------------
//
// The plans are those of the statements the server sends today, not of copies of its SQL: the app
// is built in this process on the seeded database, each request is answered once to warm what is
// cached per process, then answered again while the driver records the statements sent on its
// behalf (its async context), and every read among them is run again under EXPLAIN ANALYZE with
// the same parameters. Lodgement is recorded on its first request for these goods, so the risk
// engine's valuation references are read (they are cached afterwards).

interface Statement {
  text: string;
  values: unknown[];
}

const recording = new AsyncLocalStorage<{ open: boolean; statements: Statement[] }>();

/** Records, on the driver, the statements sent while `recording` holds a list. */
function recordStatements(): () => void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, called with its client as `this`
  const original = pg.Client.prototype.query;
  (pg.Client.prototype as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const sent = recording.getStore();
    if (sent?.open) {
      const [first, second] = args;
      const config = typeof first === 'string' ? { text: first, values: Array.isArray(second) ? (second as unknown[]) : [] } : (first as { text?: string; values?: unknown[] });
      sent.statements.push({ text: String(config.text), values: config.values ?? [] });
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  return () => {
    pg.Client.prototype.query = original;
  };
}

/** A statement that only reads (EXPLAIN ANALYZE runs it): no writing CTE, no sequence or advisory lock drawn. */
const isRead = (text: string) =>
  /^\s*(select|with)\b/i.test(text) && !/^\s*select\s+1\s*$/i.test(text) && !/\b(insert\s+into|update\s+"?\w+"?\s+set|delete\s+from|nextval|setval|pg_advisory|set_config)\b/i.test(text);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
/** A read's name in the document: the first table it reads. */
const readsFrom = (text: string) => /\bfrom\s+"?(\w+)"?/i.exec(text)?.[1] ?? 'a query';

interface Recorded {
  title: string;
  statements: Statement[];
}

/** The statements of the request that carries this header are recorded (as test/lodge-round-trips.test.ts counts them). */
const recordHeader = 'x-bench-record';

/**
 * Answers `send` once to warm the caches, then again while recording its statements: the request
 * carries recordHeader, and the server's listener (recordRequestsOf) enters the recording's
 * context for it, so what its handlers send is recorded and the server's own timers are not.
 */
async function record(title: string, send: (headers: Record<string, string>) => Promise<Response>, warm = true): Promise<Recorded> {
  if (warm) {
    await (await send({})).text();
  }
  const id = String(++recordings);
  const statements: Statement[] = [];
  pending.set(id, statements);
  const res = await send({ [recordHeader]: id });
  const body = await res.text();
  pending.delete(id);
  if (res.status >= 300) {
    throw new Error(`${title}: ${res.status} ${body.slice(0, 300)}`);
  }
  if (statements.length === 0) {
    throw new Error(`${title}: no statement recorded (the driver spy missed the request's context)`);
  }
  return { title, statements };
}
let recordings = 0;
const pending = new Map<string, Statement[]>();

/** Runs on the server's 'request' event before Fastify's own listener, in the same synchronous emit. */
function recordRequestsOf(app: FastifyInstance): void {
  app.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers[recordHeader];
    const statements = typeof id === 'string' ? pending.get(id) : undefined;
    if (statements) {
      const store = { open: true, statements };
      recording.enterWith(store);
      // Statements after the response (the outbox delivering its events) belong to no request.
      res.on('finish', () => (store.open = false));
    }
  });
}

async function explain(db: pg.Client, s: Statement, jit: boolean): Promise<string> {
  // As the server ran it: the timeline turns JIT off in its transaction (audit.service.ts).
  await db.query(jit ? 'reset jit' : 'set jit = off');
  const { rows } = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${s.text}`, s.values);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** The requests bench:history measures, and lodgement, recorded on the seeded history in this process. */
async function recordRequests(s: Awaited<ReturnType<typeof samples>>): Promise<Recorded[]> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, DEMO: 'true', LOG_LEVEL: 'warn' });
  const database = await openDatabase({ databaseUrl, dataDir: config.dataDir, poolSize: 4 });
  const app = await buildApp({ config, database, logger: false, web: false });
  recordRequestsOf(app);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const restore = recordStatements();
  try {
    const get = (pathname: string, credential: Record<string, string>) => (headers: Record<string, string>) => fetch(base + pathname, { headers: { ...credential, ...headers } });
    const post = (pathname: string, body: unknown, credential: Record<string, string>) => (headers: Record<string, string>) =>
      fetch(base + pathname, { method: 'POST', headers: { 'content-type': 'application/json', ...credential, ...headers }, body: JSON.stringify(body) });
    const trader = await login(base, 'nmotors.owner');
    const ref = s.references[0]!;
    const out: Recorded[] = [];
    out.push(await record(`Status by reference: GET /api/v1/declarations/by-reference/${ref.reference} (the agent)`, get(`/api/v1/declarations/by-reference/${ref.reference}`, agentKey)));
    out.push(await record(`Status by B/L: GET /api/v1/transport-documents/${s.bls[0]} (the carrier)`, get(`/api/v1/transport-documents/${s.bls[0]}`, carrierKey)));
    out.push(await record("The big importer's consignment list, first page: GET /api/v1/declarations?limit=50 (NMOTORS)", get('/api/v1/declarations?limit=50', trader)));
    // Four pages on by cursor, as the benchmark walks.
    let cursor: string | null = null;
    for (let page = 0; page < 4; page++) {
      const res = await fetch(`${base}/api/v1/declarations?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: trader });
      cursor = ((await res.json()) as { nextCursor: string | null }).nextCursor;
    }
    if (cursor) {
      out.push(await record('The same list, the fifth page by cursor', get(`/api/v1/declarations?limit=50&cursor=${encodeURIComponent(cursor)}`, trader)));
    }
    out.push(await record(`Timeline of a consignment: GET /api/v1/timeline?bl=${ref.bl}&carrier=${ref.carrier} (the agent)`, get(`/api/v1/timeline?bl=${ref.bl}${ref.carrier ? `&carrier=${ref.carrier}` : ''}`, agentKey)));
    // Lodgement: a manifest of two fresh B/Ls, one lodged with other goods to warm the caches, then the measured one.
    const { manifest, declarations } = lodgementBodies('P', 1, 2);
    await call(base, '/api/v1/manifests', manifest[0], carrierKey);
    const [warmUp, measured] = declarations;
    await call(base, '/api/v1/declarations', { ...warmUp, invoiceAmount: '12000.00', items: [{ ...warmUp!.items[0]!, hsCode: '1006.30.00', description: 'Semi-milled rice', unit: 'KGM', quantity: '20000', netMassKg: '20000', grossMassKg: '20100' }] }, agentKey);
    out.push(await record('Lodgement of 3 items: POST /api/v1/declarations (the agent; the first lodgement of these goods in the process, so the valuation references are read)', post('/api/v1/declarations', measured, agentKey), false));
    return out;
  } finally {
    restore();
    await app.close();
    await database.close();
  }
}

/** Bytes on disk per declaration: every table of the schema with its indexes and TOAST, and the biggest parts. */
async function footprint(db: pg.Client) {
  const { rows } = await db.query<{ name: string; bytes: string; rows: string }>(
    `select c.relname as name, pg_total_relation_size(c.oid)::text as bytes, c.reltuples::bigint::text as rows
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') order by pg_total_relation_size(c.oid) desc`,
  );
  const declarations = Number((await db.query<{ n: string }>(`select count(*)::text as n from declaration`)).rows[0]!.n);
  const total = rows.reduce((sum, r) => sum + Number(r.bytes), 0);
  const widths = (
    await db.query<{ assessment: string; audit_after: string; audit_events: string }>(
      `select (select avg(pg_column_size(assessment))::int::text from (select assessment from declaration tablesample system (5)) d) as assessment,
              (select avg(coalesce(pg_column_size(after), 0) + coalesce(pg_column_size(before), 0))::int::text from (select after, before from audit_event tablesample system (5)) a) as audit_after,
              (select (count(*)::float8 / greatest(1, $1))::numeric(6, 2)::text from audit_event) as audit_events`,
      [declarations],
    )
  ).rows[0]!;
  return {
    declarations,
    databaseBytes: total,
    bytesPerDeclaration: declarations > 0 ? Math.round(total / declarations) : null,
    tables: rows.filter((r) => Number(r.bytes) >= total / 100).map((r) => ({ table: r.name, bytes: Number(r.bytes), bytesPerDeclaration: declarations > 0 ? Math.round(Number(r.bytes) / declarations) : null })),
    storedAssessmentBytes: Number(widths.assessment),
    auditBeforeAfterBytes: Number(widths.audit_after),
    auditRecordsPerDeclaration: Number(widths.audit_events),
  };
}

const handWritten = '<!-- Everything below is written by hand and kept by bench:history --plans. -->';

async function plans(db: pg.Client, s: Awaited<ReturnType<typeof samples>>, size: Awaited<ReturnType<typeof footprint>>): Promise<string> {
  const recorded = await recordRequests(s);
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  let out = `# Query plans at ${s.declarations.toLocaleString('en')} declarations (history from ${s.from})\n\n`;
  out += `Written by \`npm run bench:history -- --plans\` on ${new Date().toISOString().slice(0, 10)} (load average ${os.loadavg().map((l) => l.toFixed(1)).join(', ')}): the statements the server sent for each request, recorded at the driver, and \`EXPLAIN (ANALYZE, BUFFERS)\` of each read among them with the same parameters (with JIT where the server's transaction had it). Lookups are recorded on their second request (the first warms the process's caches: API keys, sessions, parties); lodgement on the first of its goods, so the valuation reference is read. A statement sent several times with other parameters is explained once, with its first.\n`;
  out += `\n## Footprint\n\n${size.databaseBytes.toLocaleString('en')} bytes in all tables with their indexes and TOAST (\`pg_total_relation_size\`), **${size.bytesPerDeclaration?.toLocaleString('en')} bytes per declaration**. A declaration's stored assessment is ${size.storedAssessmentBytes} bytes on average; it has ${size.auditRecordsPerDeclaration} audit records, whose before and after are ${size.auditBeforeAfterBytes} bytes each on average.\n\n| table | size | bytes per declaration |\n|---|---:|---:|\n`;
  out += size.tables.map((t) => `| ${t.table} | ${mb(t.bytes)} | ${t.bytesPerDeclaration?.toLocaleString('en')} |`).join('\n') + '\n';
  for (const r of recorded) {
    out += `\n## ${r.title}\n\n${r.statements.length} statements:\n\n${r.statements.map((st, i) => `${i + 1}. \`${oneLine(st.text).slice(0, 300)}\``).join('\n')}\n`;
    const seen = new Set<string>();
    let jit = true;
    for (const [i, st] of r.statements.entries()) {
      if (/^\s*set local jit\s*=\s*off/i.test(st.text)) {
        jit = false;
      } else if (/^\s*(commit|rollback)\b/i.test(st.text)) {
        jit = true;
      }
      if (!isRead(st.text) || seen.has(st.text)) {
        continue;
      }
      seen.add(st.text);
      const title = /declaration_unit_value/.test(st.text) ? 'the valuation reference (declaration_unit_value, acceptedUnitValues)' : readsFrom(st.text);
      out += `\n### ${i + 1}. ${title}\n\n\`\`\`sql\n${oneLine(st.text)}\n-- ${JSON.stringify(st.values).slice(0, 400)}\n\`\`\`\n\n\`\`\`\n${await explain(db, st, jit)}\n\`\`\`\n`;
    }
  }
  return out;
}

// --- Run ---------------------------------------------------------------------------------------------

// The server first: it applies any migration the history has not had yet (indexes included).
const server = await startServer({ DATABASE_URL: databaseUrl, DEMO: 'true' }, 3960);
const db = new pg.Client({ connectionString: databaseUrl });
let s: Awaited<ReturnType<typeof samples>>;
let size: Awaited<ReturnType<typeof footprint>>;
try {
  await db.connect();
  s = await samples(db);
  // Measured before lodging: the footprint of the seeded history alone.
  size = await footprint(db);
  if (args.includes('--plans')) {
    const file = path.join(root, 'docs/history-plans.md');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const kept = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split(handWritten)[1] : undefined;
    fs.writeFileSync(file, `${await plans(db, s, size)}\n${handWritten}${kept ?? '\n'}`);
    console.log(`plans written to ${path.relative(root, file)}`);
  }
} catch (err) {
  // Never leave the server running behind a failed run: it would hold its port and query on.
  await server.stop();
  throw err;
} finally {
  await db.end();
}

/** Requests sent to each lookup before it is measured, on other references: JIT, pool connections, caches. */
const warmUpRequests = 200;

/**
 * The four lookups, on references drawn from `s`: each first warmed up on half of the sample (not
 * measured), then measured on the other half, so a figure is the server's steady state and not
 * its first requests (the first of a fresh server open pool connections and compile code paths).
 */
async function lookups(url: string, s: Awaited<ReturnType<typeof samples>>) {
  const trader = await login(url, 'nmotors.owner');
  const halves = <T>(all: T[]) => {
    const middle = Math.ceil(all.length / 2);
    return all.length < 2 ? { warm: all, measured: all } : { warm: all.slice(middle), measured: all.slice(0, middle) };
  };
  const references = halves(s.references);
  const bls = halves(s.bls);
  const byReferenceUrls = (refs: typeof s.references) => refs.map((r) => `${url}/api/v1/declarations/by-reference/${r.reference}`);
  const byBlUrls = (numbers: string[]) => numbers.map((n) => `${url}/api/v1/transport-documents/${n}`);
  const timelineUrls = (refs: typeof s.references) => refs.map((r) => `${url}/api/v1/timeline?bl=${r.bl}${r.carrier ? `&carrier=${r.carrier}` : ''}`);
  const nextPage = (body: string) => {
    const cursor = (JSON.parse(body) as { nextCursor: string | null }).nextCursor;
    return cursor ? `${url}/api/v1/declarations?limit=50&cursor=${encodeURIComponent(cursor)}` : null;
  };
  await measure(byReferenceUrls(references.warm), agentKey, undefined, warmUpRequests);
  const byReference = await measure(byReferenceUrls(references.measured), agentKey);
  await measure(byBlUrls(bls.warm), carrierKey, undefined, warmUpRequests);
  const byBl = await measure(byBlUrls(bls.measured), carrierKey);
  await measure([`${url}/api/v1/declarations?limit=50`], trader, nextPage, warmUpRequests / 5);
  const list = await measure([`${url}/api/v1/declarations?limit=50`], trader, nextPage);
  await measure(timelineUrls(references.warm), agentKey, undefined, warmUpRequests);
  const timeline = await measure(timelineUrls(references.measured), agentKey);
  return { byReference, byBl, list, timeline };
}

const show = (where: string, results: Record<string, Latency | LoadResult>) => {
  for (const [name, l] of Object.entries(results)) {
    console.log(`${where} ${name}: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms, ${l.requests} requests, errors ${l.errors}`);
  }
};

let seeded: Awaited<ReturnType<typeof lookups>> & { lodge: LoadResult & { warmUpMaxMs: number } };
try {
  seeded = { ...(await lookups(server.url, s)), lodge: await lodgement(server.url, 'S') };
  show('history', seeded);
} finally {
  await server.stop();
}

// The ceiling: the same lodgements on an empty database in the same run, then the same lookups
// on what they lodged (no history at all).
await recreate(emptyUrl);
const empty = await startServer({ DATABASE_URL: emptyUrl, DEMO: 'true' }, 3970);
let ceiling: Awaited<ReturnType<typeof lookups>> & { lodge: LoadResult & { warmUpMaxMs: number } };
try {
  const lodge = await lodgement(empty.url, 'E');
  const emptyDb = new pg.Client({ connectionString: emptyUrl });
  await emptyDb.connect();
  const few = await samples(emptyDb, '');
  await emptyDb.end();
  ceiling = { ...(await lookups(empty.url, few)), lodge };
  show('empty', ceiling);
} finally {
  await empty.stop();
}
agent.destroy();

// A lookup answered with errors measured an error page, not the lookup: the figures are void.
const failed = Object.entries({ ...seeded, ...Object.fromEntries(Object.entries(ceiling).map(([k, v]) => [`empty ${k}`, v])) }).filter(([, l]) => l.errors > 0);
if (failed.length > 0) {
  console.error(`requests failed in: ${failed.map(([k, l]) => `${k} (${l.errors})`).join(', ')}`);
  process.exitCode = 1;
}

const pick = (l: Latency | LoadResult) => ({ p50Ms: l.p50Ms, p99Ms: l.p99Ms, maxMs: l.maxMs, requests: l.requests, errors: l.errors });
const both = (name: 'byReference' | 'byBl' | 'list' | 'timeline') => ({ ...pick(seeded[name]), emptyDatabase: pick(ceiling[name]) });
const { lodge } = seeded;
console.log(
  JSON.stringify({
    declarations: s.declarations,
    historyFrom: s.from,
    concurrency,
    statusByReference: both('byReference'),
    statusByBl: both('byBl'),
    traderListPaged: both('list'),
    timeline: both('timeline'),
    lodge: { rate, achieved: lodge.requestsPerSecond, ...pick(lodge), statuses: lodge.statuses, warmUpMaxMs: lodge.warmUpMaxMs },
    lodgeEmptyDatabase: { rate, achieved: ceiling.lodge.requestsPerSecond, ...pick(ceiling.lodge), statuses: ceiling.lodge.statuses, warmUpMaxMs: ceiling.lodge.warmUpMaxMs },
    lodgeP99Ratio: Math.round((lodge.p99Ms / ceiling.lodge.p99Ms) * 100) / 100,
    footprint: { bytesPerDeclaration: size.bytesPerDeclaration, databaseBytes: size.databaseBytes, storedAssessmentBytes: size.storedAssessmentBytes, auditBeforeAfterBytes: size.auditBeforeAfterBytes, auditRecordsPerDeclaration: size.auditRecordsPerDeclaration },
    load: os.loadavg().map((l) => Math.round(l * 10) / 10),
  }),
);
