// npm run bench:history [-- --requests 400 --concurrency 4 --rate 50 --seconds 15 --plans]
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
// new ones. With --plans it writes the EXPLAIN ANALYZE of the queries these rely on to
// docs/history-plans.md. The last line printed is the JSON summary.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
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
async function measure(urls: string[], headers: Record<string, string>, follow?: (body: string) => string | null): Promise<Latency> {
  const ms: number[] = [];
  let errors = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
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

async function samples(db: pg.Client, sampling = 'tablesample system (1)') {
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

/** As bench:lodge: 10 manifests of 50 B/Ls due in three days, then declarations of 3 items sent at a fixed rate. */
async function lodgement(url: string, tag: string): Promise<LoadResult & { warmUpMaxMs: number }> {
  const arrival = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const bls: string[] = [];
  for (let m = 0; m < 10; m++) {
    const documents = Array.from({ length: 50 }, (_, d) => {
      const number = `MAEU${tag}${run}${String(m * 50 + d).padStart(5, '0')}`;
      bls.push(number);
      return {
        number, kind: 'BL', shipperName: 'Shenzhen Electronics Export Co', consigneeName: 'Nairobi Motors Ltd', consigneePin: 'P051234567A', notifyParty: 'Siginon Freight Ltd',
        packages: 1_000_000, packageKind: 'CT', grossMassKg: '100000000', description: 'General cargo', cargoCategory: 'home_use', containers: [],
      };
    });
    await call(url, '/api/v1/manifests', {
      mode: 'sea', conveyanceId: '9074729', conveyanceName: 'MAERSK SELETAR', voyageNumber: `H${tag}${run}${m}`, portOfLoading: 'CNSHA', portOfDischarge: 'KEMBA', officeCode: 'MBA', expectedArrival: arrival, documents,
    }, carrierKey);
  }
  const bodies = bls.map((bl) => ({
    lodge: true, cpc: '4000000', officeCode: 'MBA', importerPin: 'P051234567A', transportDocumentNumber: bl, invoiceCurrency: 'USD', invoiceAmount: '20000.00', incoterm: 'FOB', freight: '1200.00', insurance: '150.00',
    documents: [{ code: 'N380', reference: 'INV-HIST' }],
    items: [
      { hsCode: '8471.30.00', description: 'Laptop computers', originCountry: 'CN', quantity: '50', unit: 'NAR', netMassKg: '100', grossMassKg: '400', packages: 1, itemPrice: '12000.00' },
      { hsCode: '8517.13.00', description: 'Smartphones', originCountry: 'CN', quantity: '40', unit: 'NAR', netMassKg: '12', grossMassKg: '300', packages: 1, itemPrice: '6000.00' },
      { hsCode: '6109.10.00', description: 'T-shirts of cotton', originCountry: 'BD', quantity: '1000', unit: 'NAR', netMassKg: '200', grossMassKg: '500', packages: 1, itemPrice: '2000.00' },
    ],
  }));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-history-')), 'bodies.json');
  fs.writeFileSync(file, JSON.stringify(bodies));
  const load = (extra: Record<string, number>) => runLoad({ url: `${url}/api/v1/declarations`, 'bodies-file': file, headers: JSON.stringify(agentKey), ...extra });
  // Warm-up: JIT, the pool, and the caches, among them the risk engine's unit-value references,
  // which on a cold start read the whole history of each HS code: its worst case is reported.
  const warmUp = await load({ seconds: 10, rate: 5 });
  return { ...(await load({ seconds, rate })), warmUpMaxMs: warmUp.maxMs };
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

async function plans(db: pg.Client, s: Awaited<ReturnType<typeof samples>>): Promise<string> {
  const org = async (code: string) => (await db.query<{ id: string }>(`select id from organisation where code = $1`, [code])).rows[0]!.id;
  const [siginon, nmotors, maersk, small] = [await org('SIGINON'), await org('NMOTORS'), await org('MAERSK'), await org('HT000100')];
  const orList = `select * from declaration where (declarant_org_id = $1 or (importer_org_id = $1 and status <> 'draft')) order by created_at desc, id desc limit 51`;
  const unionList = `select * from (select * from declaration where declarant_org_id = $1 order by created_at desc, id desc limit 51) as d
  union all select * from (select * from declaration where importer_org_id = $1 and declarant_org_id <> $1 and status <> 'draft' order by created_at desc, id desc limit 51) as i
  order by created_at desc, id desc limit 51`;
  const ref = s.references[0]!;
  const doc = (await db.query<{ id: string }>(`select transport_document_id as id from declaration where reference = $1`, [ref.reference])).rows[0]!.id;
  const subjects = (await db.query<{ s: string[] }>(`select array[reference, 'td:' || transport_document_id, prn, release_order_number] as s from declaration where reference = $1`, [ref.reference])).rows[0]!.s.filter(Boolean);
  const queries: [string, string, unknown[]][] = [
    ['Status by reference (declarationRepository.findByReference)', `select * from declaration where reference = $1`, [ref.reference]],
    ['Transport document by B/L and carrier (manifestRepository.documentsByNumber)', `select d.*, m.reference from transport_document d join manifest m on m.id = d.manifest_id where d.number = $1 and d.status = 'active' and d.carrier_org_id = $2`, [s.bls[0], maersk]],
    ['Before: a small importer\'s list as one OR (walks the table backwards by date)', orList, [small]],
    ["A small importer's list, first page (declarationRepository.list: two index walks merged)", unionList, [small]],
    ["The big importer's list, first page", unionList, [nmotors]],
    ["The agent's list, a page deep in its history (cursor as a row comparison)", unionList.replace(/order by created_at desc, id desc limit 51\) as/g, `and (created_at, id) < ($2, 'ffffffff-ffff-ffff-ffff-ffffffffffff') order by created_at desc, id desc limit 51) as`), [siginon, '2019-06-01T00:00:00Z']],
    ['Before: the timeline with JIT, as the misestimate triggers it', `select at, action, entity_type, entity_id, actor_name, role, actor_org, reason, after, id from audit_event where subject_refs && $1::text[] order by at, id`, [subjects]],
    ['Timeline of a consignment (audit timeline, run with jit off)', `select at, action, entity_type, entity_id, actor_name, role, actor_org, reason, after, id from audit_event where subject_refs && $1::text[] order by at, id`, [subjects]],
    ['Lodgement: declarations on the B/L (declarationRepository.claimedOnDocument)', `select coalesce(sum(i.packages), 0), coalesce(sum(i.gross_mass_kg), 0) from declaration_item i join declaration d on d.id = i.declaration_id where d.transport_document_id = $1 and d.id <> '00000000-0000-0000-0000-000000000000' and d.status in ('lodged', 'assessed', 'queried', 'registered', 'paid', 'released', 'exited')`, [doc]],
    ["Lodgement: the importer's refused declarations (declarationRepository.priorDeclarations)", `select id from declaration where importer_org_id = $1 and status in ('cancelled', 'rejected') and id <> '00000000-0000-0000-0000-000000000000' and channel is not null and channel <> 'green' and updated_at >= now() - interval '365 days' order by updated_at desc limit 20`, [nmotors]],
    ['Lodgement: the risk engine\'s unit-value reference for HS 847130 (risk valuation, on a cache miss)', `select count(*) from declaration_item i join declaration d on d.id = i.declaration_id where d.status in ('assessed', 'registered', 'paid', 'released', 'exited') and left(regexp_replace(i.hs_code, '[^0-9]', '', 'g'), 6) = '847130' and i.net_mass_kg > 0`, []],
  ];
  let out = `# Query plans at ${s.declarations.toLocaleString('en')} declarations (history from ${s.from})\n\nWritten by \`npm run bench:history -- --plans\`; each is \`EXPLAIN (ANALYZE, BUFFERS)\` of the query the repository sends, with sample values from the seeded history.\n`;
  for (const [title, text, params] of queries) {
    await db.query(title.startsWith('Timeline') ? 'set jit = off' : 'reset jit');
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${text}`, params);
    out += `\n## ${title}\n\n\`\`\`\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\`\n`;
  }
  return out;
}

// --- Run ---------------------------------------------------------------------------------------------

// The server first: it applies any migration the history has not had yet (indexes included).
const server = await startServer({ DATABASE_URL: databaseUrl, DEMO: 'true' }, 3960);
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const s = await samples(db);
if (args.includes('--plans')) {
  const file = path.join(root, 'docs/history-plans.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await plans(db, s));
  console.log(`plans written to ${path.relative(root, file)}`);
}
await db.end();

/** The four lookups, on references drawn from `s`. */
async function lookups(url: string, s: Awaited<ReturnType<typeof samples>>) {
  const trader = await login(url, 'nmotors.owner');
  const byReference = await measure(s.references.map((r) => `${url}/api/v1/declarations/by-reference/${r.reference}`), agentKey);
  const byBl = await measure(s.bls.map((n) => `${url}/api/v1/transport-documents/${n}`), carrierKey);
  const list = await measure([`${url}/api/v1/declarations?limit=50`], trader, (body) => {
    const cursor = (JSON.parse(body) as { nextCursor: string | null }).nextCursor;
    return cursor ? `${url}/api/v1/declarations?limit=50&cursor=${encodeURIComponent(cursor)}` : null;
  });
  const timeline = await measure(s.references.map((r) => `${url}/api/v1/timeline?bl=${r.bl}${r.carrier ? `&carrier=${r.carrier}` : ''}`), agentKey);
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
    load: os.loadavg().map((l) => Math.round(l * 10) / 10),
  }),
);
