// Fuzzing the whole HTTP surface against a real listening server and a real database: every route
// the app describes (discovered, not listed, so routes added later are covered), called as every
// identity the route lets in, with bodies and queries derived from its schemas and then mutated,
// plus the hostile requests review found. Nothing may answer 5xx; afterwards the server is healthy,
// a normal lodgement works, and the heap has not grown past a stated bound.
//
// Deterministic: a fixed fast-check seed (FUZZ_SEED to change it; printed). FUZZ_REQUESTS sets how
// many generated requests are sent (default 9,000, plus the probes and hand-picked ones).
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';
import { blNumber, declarationBody, expectStatus, manifestBody, waitFor } from './e2e/cargo.ts';
import {
  bodyMode,
  encodeBody,
  encodeComponent,
  hostilePathValues,
  mutateOnce,
  operationsOf,
  rawQueryFragments,
  valueFor,
  type GeneratorContext,
  type Operation,
  type Parameter,
} from './fuzz-kit.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20_261_126);
const generatedRequests = Number(process.env.FUZZ_REQUESTS ?? 9_000);
const concurrency = 8;
/** Heap growth allowed across the whole run, measured after a full garbage collection. */
const heapGrowthLimitBytes = 96 * 1024 * 1024;
const clock = '2026-06-15T08:00:00Z';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap in use after collecting everything collectable. */
function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface Identity {
  name: string;
  /** Credential headers; a user logs in again once its session was ended (POST /auth/logout is fuzzed too). */
  headers(): Promise<Record<string, string>>;
  sessionEnded(): void;
}

interface FuzzRequest {
  identity: Identity;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

interface Outcome {
  status: number;
  problem?: { code?: string; errors?: { pointer?: string; code?: string }[] };
  ms: number;
}

interface Failure {
  request: string;
  status: number | string;
  answer: string;
}

let server: TestServer;
let identities: Identity[];
let operations: Operation[];
const allowed = new Map<Operation, Identity[]>();
const ctx: GeneratorContext & { byCollection: Map<string, string[]> } = { pool: [], byCollection: new Map() };
/** Known-good bodies of the main routes, by "METHOD /path/{param}". */
const templates = new Map<string, (n: number) => unknown>();
const failures: Failure[] = [];
const statusCounts = new Map<string, number>();
let sent = 0;
let heapBefore = 0;

function describeRequest(r: FuzzRequest): string {
  const body = r.body === undefined ? '' : ` ${r.body.length > 400 ? `${r.body.slice(0, 400)}... (${r.body.length} chars)` : r.body}`;
  return `${r.identity.name}: ${r.method} ${r.url.length > 300 ? `${r.url.slice(0, 300)}...` : r.url} [${r.headers['content-type'] ?? 'no content type'}]${body}`;
}

async function send(r: FuzzRequest): Promise<Outcome> {
  sent++;
  const started = performance.now();
  try {
    const headers = { ...(await r.identity.headers()), ...r.headers };
    const response = await fetch(server.url + r.url, { method: r.method, headers, ...(r.body === undefined ? {} : { body: r.body }), signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    const ms = performance.now() - started;
    const key = `${Math.floor(response.status / 100)}xx`;
    statusCounts.set(key, (statusCounts.get(key) ?? 0) + 1);
    if (response.status >= 500) {
      failures.push({ request: describeRequest(r), status: response.status, answer: text.slice(0, 500) });
    }
    if (response.status === 401 && r.identity.name !== 'anonymous') {
      r.identity.sessionEnded();
    }
    let problem: Outcome['problem'];
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
      try {
        problem = JSON.parse(text) as Outcome['problem'];
      } catch {
        failures.push({ request: describeRequest(r), status: response.status, answer: `not JSON: ${text.slice(0, 200)}` });
      }
    }
    return { status: response.status, ms, ...(problem ? { problem } : {}) };
  } catch (err) {
    failures.push({ request: describeRequest(r), status: 'no answer', answer: (err as Error).message });
    return { status: 0, ms: performance.now() - started };
  }
}

/** Handles jobs `concurrency` at a time, as they come from `next`. */
async function runAll<T>(next: () => T | undefined, handle: (job: T) => Promise<unknown>): Promise<void> {
  const worker = async () => {
    for (let job = next(); job !== undefined; job = next()) {
      await handle(job);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function userIdentity(username: string): Identity {
  let token: Promise<string> | undefined;
  const login = async () => {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'demo-password' }),
    });
    const body = (await res.json()) as { token?: string };
    return body.token ?? 'login-refused';
  };
  return {
    name: username,
    async headers() {
      token ??= login();
      return { authorization: `Bearer ${await token}` };
    },
    sessionEnded() {
      token = undefined;
    },
  };
}

function keyIdentity(key: string): Identity {
  return { name: key, headers: async () => ({ 'x-api-key': key }), sessionEnded: () => undefined };
}

const anonymous: Identity = { name: 'anonymous', headers: async () => ({}), sessionEnded: () => undefined };

/** Real values for a path parameter: those of its collection (/declarations/{id}, /selections/{declarationId}), else all. */
function realValues(op: Operation, p: Parameter): string[] {
  const segments = op.path.split('/');
  const before = segments[segments.indexOf(`{${p.name}}`) - 1] ?? '';
  const named = p.name.endsWith('Id') ? `${p.name.slice(0, -2)}s` : '';
  return [ctx.byCollection.get(before), ctx.byCollection.get(named)].find((values) => values !== undefined && values.length > 0) ?? ctx.pool;
}

function pathOf(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? 'x');
}

/** Lodges a manifest and declarations, pays, releases and selects, so the fuzz meets real ids in every state. */
async function seedRealRecords(): Promise<void> {
  const analyst = await server.as('kra.risk');
  expectStatus(await analyst.post('/api/v1/risk/settings', { key: 'random.rate', value: 0, validFrom: clock.slice(0, 10), note: 'fuzz: no random selection' }), 201);
  const maersk = server.key('demo-maersk-key');
  const agent = server.key('demo-siginon-key');
  const bls = [blNumber('FZA'), blNumber('FZB'), blNumber('FZC')];
  const manifest = await maersk.post('/api/v1/manifests', manifestBody('2026-06-17T08:00:00Z', bls.map((number) => ({ number }))));
  expectStatus(manifest, 201);
  const paid = await agent.post('/api/v1/declarations', { ...declarationBody(bls[0] as string), lodge: true });
  expectStatus(paid, 201);
  const registered = await agent.post(`/api/v1/declarations/${paid.body.id}/register`);
  expectStatus(registered, 200);
  expectStatus(await maersk.post(`/api/v1/manifests/${manifest.body.id}/arrival`, { actualArrival: '2026-06-15T07:30:00Z' }), 200);
  const prn = registered.body.payment.prn as string;
  expectStatus(await server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: registered.body.payment.amountDue, bankReference: 'FUZZ-0001', paidAt: '2026-06-15T08:00:00Z' }), 201);
  const released = await waitFor(async () => {
    const res = await agent.get(`/api/v1/declarations/${paid.body.id}`);
    return res.body?.releaseOrderNumber ? res.body : undefined;
  }, 20_000);
  const draft = await agent.post('/api/v1/declarations', declarationBody(bls[1] as string));
  expectStatus(draft, 201);
  const rule = await analyst.post('/api/v1/risk/rules', { name: 'Fuzz: T-shirts red', reason: 'seeded for the fuzz run', channel: 'red', priority: 1, validFrom: '2026-01-01', criteria: { hsCodes: ['6109'] } });
  expectStatus(rule, 201);
  const red = await agent.post('/api/v1/declarations', { ...declarationBody(bls[2] as string), lodge: true });
  expectStatus(red, 201);
  const tasks = await (await server.as('kra.officer')).get('/api/v1/inspection/tasks');
  const watchlist = await analyst.post('/api/v1/risk/watchlists', { name: 'Fuzz watchlist', kind: 'importer', reason: 'seeded for the fuzz run' });
  const entry = await analyst.post(`/api/v1/risk/watchlists/${watchlist.body.id}/entries`, { value: 'P051234568B', validFrom: '2026-01-01' });
  const prohibited = await analyst.post('/api/v1/risk/prohibited', { hsPrefix: '9302', reason: 'seeded for the fuzz run', validFrom: '2026-01-01' });
  const models = await analyst.get('/api/v1/risk/models');
  const admin = await server.as('kra.admin');
  const organisations = await admin.get('/api/v1/organisations?limit=200');
  const authorisations = await admin.get('/api/v1/authorisations');
  // A user and a key of their own, so deactivation and revocation meet real ids without locking the fuzz out.
  const user = await admin.post('/api/v1/users', { organisationCode: 'KCB', username: 'fuzz.victim', displayName: 'Fuzz victim', password: 'fuzz-password-123', roles: ['bank'] });
  const key = await admin.post('/api/v1/api-keys', { organisationCode: 'KCB', name: 'Fuzz victim key', roles: ['bank'] });
  const messages = await server.key('demo-kpa-key').get('/api/v1/terminal/messages');
  const ids = (res: { body: Record<string, unknown> }, list: string) => ((res.body[list] ?? []) as { id: string | number }[]).map((x) => String(x.id));
  // Real values by the collection they belong to, as URLs name it (the segment before the parameter).
  const byCollection: Record<string, unknown[]> = {
    manifests: [manifest.body.id],
    'transport-documents': bls,
    declarations: [paid.body.id, draft.body.id, red.body.id],
    'by-reference': [paid.body.reference, red.body.reference],
    'payment-references': [prn],
    'release-orders': [released.value.releaseOrderNumber],
    tasks: ids(tasks, 'items'),
    rules: [rule.body.id],
    versions: ['1'],
    watchlists: [watchlist.body.id],
    entries: [entry.body.id],
    prohibited: [prohibited.body.id],
    models: ids(models, 'items'),
    organisations: ids(organisations, 'items'),
    authorisations: ids(authorisations, 'items'),
    users: [user.body.id],
    'api-keys': [key.body.id],
    messages: ids(messages, 'messages'),
    'exchange-rates': ['USD', 'EUR'],
  };
  for (const [collection, values] of Object.entries(byCollection)) {
    ctx.byCollection.set(collection, values.filter((v): v is string => typeof v === 'string' && v !== ''));
  }
  ctx.pool = [...new Set([...ctx.byCollection.values()].flat()), manifest.body.reference as string];
  const at = '2026-06-15T07:50:00Z';
  const dated = { validFrom: '2026-07-01' };
  const calculator = { currency: 'USD', freight: '900', items: [{ vehicle: { fuel: 'petrol', engineCc: 1986, make: 'TOYOTA', model: 'HARRIER', drive: '2WD', firstRegistration: '2020-06' }, originCountry: 'JP', fob: '8000' }, { hsCode: '8471.30.00', originCountry: 'CN', fob: '1500', quantity: '10', netMassKg: '20' }] };
  const ruleBody = { name: 'Fuzz rule', reason: 'fuzz', channel: 'yellow', priority: 5, offices: ['MBA'], ...dated, criteria: { hsCodes: ['8471'], originCountries: ['CN'], valuePerKg: { below: '10.5' } } };
  // Known-good bodies (n makes numbers and codes unique), mutated one node at a time by the fuzz.
  const known: Record<string, (n: number) => unknown> = {
    'POST /api/v1/calculator': () => calculator,
    'POST /api/v1/manifests': (n) => manifestBody('2026-06-20T08:00:00Z', [{ number: `FZT${n}` }]),
    'POST /api/v1/manifests/{id}/amendments': () => ({ reason: 'recount', documents: [{ action: 'change', number: bls[1], packages: 5, grossMassKg: '1400.5' }] }),
    'POST /api/v1/manifests/{id}/supplementary': (n) => ({ reason: 'left off', documents: manifestBody(at, [{ number: `FZS${n}` }]).documents }),
    'POST /api/v1/manifests/{id}/arrival': () => ({ actualArrival: '2026-06-15T07:30:00Z' }),
    'POST /api/v1/declarations': (n) => ({ ...declarationBody(bls[n % 3] as string), lodge: n % 4 === 0 }),
    'POST /api/v1/declarations/{id}/amend': () => ({ ...declarationBody(bls[1] as string), reason: 'corrected' }),
    'POST /api/v1/declarations/{id}/control': () => ({ result: 'passed', findings: 'all in order\nseals intact' }),
    'POST /api/v1/payments': (n) => ({ prn, amount: '10.50', bankReference: `FZP-${n}`, paidAt: at }),
    'POST /api/v1/release-orders/{number}/gate-out': (n) => ({ at, gateReference: `FZG-${n}`, packages: 1, grossMassKg: '10' }),
    'POST /api/v1/inspection/duty': () => ({ officeCode: 'MBA', onDuty: true }),
    'POST /api/v1/inspection/tasks/{id}/findings': () => ({ result: 'discrepancy', corrections: [{ itemNo: 3, itemPrice: '2500.00', quantity: '1200', hsCode: '6109.10.00', originCountry: 'BD' }], remarks: 'undervalued' }),
    'POST /api/v1/declarations/{id}/verification-response': () => ({ response: 'pay_under_protest', reason: 'the price is genuine' }),
    'POST /api/v1/risk/rules': () => ruleBody,
    'PUT /api/v1/risk/rules/{id}': () => ({ ...ruleBody, expectedVersion: 1, changeReason: 'tighter' }),
    'POST /api/v1/risk/watchlists': () => ({ name: 'Fuzz list', kind: 'seller', channel: 'red', reason: 'fuzz' }),
    'POST /api/v1/risk/watchlists/{id}/entries': () => ({ value: 'Shenzhen Electronics Export Co', note: 'fuzz', ...dated }),
    'POST /api/v1/risk/prohibited': () => ({ hsPrefix: '930200', reason: 'fuzz', ...dated }),
    'POST /api/v1/risk/settings': () => ({ key: 'random.rate', value: 0.01, note: 'fuzz', ...dated }),
    'POST /api/v1/risk/models/{id}/thresholds': () => ({ targetRates: { red: 0.03, yellow: 0.07 }, source: 'validation' }),
    'POST /api/v1/organisations': (n) => ({ code: `FZ${n % 100_000_000}`, kind: 'trader', name: 'Fuzz Traders Ltd', pin: `P${String(n % 1_000_000_000).padStart(9, '0')}Z` }),
    'POST /api/v1/organisations/{id}/licence': () => ({ licenceNumber: 'CA/2026/0999', licenceValidFrom: '2026-01-01', licenceValidTo: '2026-12-31' }),
    'POST /api/v1/authorisations': () => ({ agentCode: 'BOLLORE', ...dated, validTo: null }),
    'POST /api/v1/users': (n) => ({ organisationCode: 'KCB', username: `fuzz.user${n}`, displayName: 'Fuzz User', password: 'long-enough-password', roles: ['bank'] }),
    'POST /api/v1/api-keys': () => ({ organisationCode: 'KCB', name: 'Fuzz key', roles: ['bank'] }),
    'POST /api/v1/auth/login': () => ({ username: 'fuzz.victim', password: 'fuzz-password-123' }),
  };
  for (const [route, body] of Object.entries(known)) {
    templates.set(route, body);
  }
}

/** Who may call each operation: every identity not refused with 401 or 403 when calling it plainly. */
async function probeAccess(): Promise<void> {
  const jobs = operations.flatMap((op) => identities.map((identity) => ({ op, identity })));
  for (const op of operations) {
    allowed.set(op, []);
  }
  let i = 0;
  await runAll(
    () => jobs[i++],
    async ({ op, identity }) => {
      const url = pathOf(op, Object.fromEntries(op.pathParams.map((p) => [p.name, encodeComponent(realValues(op, p)[0] ?? 'x')])));
      let outcome = await send({ identity, method: op.method, url, headers: {} });
      // The probe of POST /auth/logout ends a user's session while others are in flight: a 401 to a
      // user is asked once more, with a fresh login, before it counts as "not let in".
      if (outcome.status === 401 && identity !== anonymous) {
        outcome = await send({ identity, method: op.method, url, headers: {} });
      }
      // A 403 carrying a code is the route letting the caller in and then refusing this record in
      // its present state (an agent whose authority another probe just revoked, say); a role
      // refusal carries none.
      const refusedByRole = outcome.status === 401 || (outcome.status === 403 && outcome.problem?.code === undefined);
      if (!refusedByRole) {
        allowed.get(op)?.push(identity);
      }
    },
  );
}

function queryArb(op: Operation): fc.Arbitrary<string> {
  if (op.query.length === 0) {
    return fc.oneof({ arbitrary: fc.constant(''), weight: 8 }, { arbitrary: fc.constantFrom(...rawQueryFragments), weight: 1 });
  }
  const pairs = op.query.map((p) =>
    fc.option(
      valueFor(p.schema, ctx, true).map((v) => {
        const values = Array.isArray(v) && v.length < 5 ? v : [v];
        return values.map((x) => `${encodeComponent(p.name)}=${encodeComponent(typeof x === 'string' ? x : JSON.stringify(x) ?? '')}`).join('&');
      }),
      { freq: p.required ? 20 : 2 },
    ),
  );
  return fc.tuple(fc.tuple(...pairs), fc.option(fc.constantFrom(...rawQueryFragments, 'unknown=1'), { freq: 8 })).map(([parts, raw]) => {
    const query = [...parts.filter((x): x is string => x !== null && x !== ''), ...(raw === null ? [] : [raw])].join('&');
    return query === '' ? '' : `?${query.length > 20_000 ? query.slice(0, 20_000) : query}`;
  });
}

function pathArb(op: Operation): fc.Arbitrary<string> {
  const values = op.pathParams.map((p) =>
    fc.oneof(
      { arbitrary: fc.constantFrom(...realValues(op, p)).map(encodeComponent), weight: 6 },
      { arbitrary: valueFor(p.schema, ctx, true).map((v) => encodeComponent(typeof v === 'string' ? v : JSON.stringify(v) ?? '')), weight: 2 },
      { arbitrary: fc.constantFrom(...hostilePathValues), weight: 1 },
    ),
  );
  return fc.tuple(...values).map((vs) => pathOf(op, Object.fromEntries(op.pathParams.map((p, i) => [p.name, (vs[i] as string).slice(0, 4000)]))));
}

/** Mostly no extra header (a bad one stops a request before its body is read); now and then one. */
const optionalHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 6 },
  { arbitrary: fc.uuid().map((key) => ({ 'idempotency-key': key })), weight: 2 },
  {
    arbitrary: fc.constantFrom<Record<string, string>>(
      { 'idempotency-key': 'x'.repeat(201) },
      { 'idempotency-key': 'bad key!' },
      { 'idempotency-key': '' },
      { 'if-match': '"1"' },
      { 'if-match': 'W/"2"' },
      { 'if-match': '"99999999999999999999"' },
      { 'if-match': '*' },
      { 'x-request-id': 'x'.repeat(200) },
      { 'x-request-id': '../../' },
    ),
    weight: 1,
  },
);

function requestArb(op: Operation): fc.Arbitrary<FuzzRequest> {
  const who = allowed.get(op) ?? [];
  const callers = who.length > 0 ? who : [anonymous];
  const hasBody = op.method !== 'GET';
  const template = templates.get(`${op.method} ${op.path}`);
  const fromSchema = op.body ? fc.oneof(valueFor(op.body, ctx, true), valueFor(op.body, ctx, false)) : fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 });
  const fromTemplate = template && fc.nat({ max: 1_000_000_000 }).chain((n) => fc.oneof({ arbitrary: mutateOnce(template(n)), weight: 5 }, { arbitrary: fc.constant(template(n)), weight: 1 }));
  const bodyArb = fromTemplate ? fc.oneof({ arbitrary: fromTemplate, weight: 2 }, { arbitrary: fromSchema, weight: 1 }) : fromSchema;
  return fc
    .record({
      identity: fc.oneof({ arbitrary: fc.constantFrom(...callers), weight: 9 }, { arbitrary: fc.constantFrom(...identities), weight: 1 }),
      path: pathArb(op),
      query: queryArb(op),
      body: bodyArb,
      mode: hasBody ? bodyMode : fc.constant('none' as const),
      roll: fc.nat(),
      headers: optionalHeaders,
    })
    .map(({ identity, path, query, body, mode, roll, headers }) => {
      const encoded = body === undefined && mode === 'json' ? {} : encodeBody(body, mode, roll);
      return {
        identity,
        method: op.method,
        url: path + query,
        headers: { ...headers, ...(encoded.contentType ? { 'content-type': encoded.contentType } : {}) },
        ...(encoded.body === undefined ? {} : { body: encoded.body }),
      };
    });
}

/** The hostile requests review found, each expected to be refused with a 4xx naming the field. */
function handPicked(): { name: string; request: FuzzRequest; pointer?: string }[] {
  const bank = identities.find((i) => i.name === 'demo-kcb-key') as Identity;
  const carrier = identities.find((i) => i.name === 'demo-maersk-key') as Identity;
  const agent = identities.find((i) => i.name === 'demo-siginon-key') as Identity;
  const analyst = identities.find((i) => i.name === 'kra.risk') as Identity;
  const json = { 'content-type': 'application/json' };
  const calculator = (fob: string) => JSON.stringify({ currency: 'USD', items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob }] });
  const bl = ctx.pool.find((v) => v.startsWith('MAEU')) as string;
  const declaration = (overrides: Record<string, unknown>, item: Record<string, unknown> = {}) => {
    const body = declarationBody(bl, overrides);
    body.items = body.items.map((i) => ({ ...i, ...item }));
    return JSON.stringify(body);
  };
  const manifest = (doc: Record<string, unknown>) => {
    const body = manifestBody('2026-06-20T08:00:00Z', [{ number: blNumber('FZH') }]);
    body.documents = body.documents.map((d) => ({ ...d, ...doc }));
    return JSON.stringify(body);
  };
  const post = (identity: Identity, url: string, body: string | undefined, headers: Record<string, string> = json) => ({ identity, method: 'POST', url, headers, ...(body === undefined ? {} : { body }) });
  const get = (identity: Identity, url: string) => ({ identity, method: 'GET', url, headers: {} });
  return [
    { name: 'calculator fob of 1. and 80,000 zeros', request: post(anonymous, '/api/v1/calculator', calculator(`1.${'0'.repeat(80_000)}1`)) },
    { name: 'calculator fob of 150,000 digits', request: post(anonymous, '/api/v1/calculator', calculator('9'.repeat(150_000))) },
    { name: 'calculator fob of 40 digits', request: post(anonymous, '/api/v1/calculator', calculator('9'.repeat(40))), pointer: '/items/0/fob' },
    { name: 'calculator fob with an exponent', request: post(anonymous, '/api/v1/calculator', calculator('1e400')), pointer: '/items/0/fob' },
    { name: 'calculator engine capacity "Infinity"', request: post(anonymous, '/api/v1/calculator', JSON.stringify({ currency: 'USD', items: [{ vehicle: { fuel: 'petrol', engineCc: 'Infinity' }, originCountry: 'JP', fob: '8000' }] })), pointer: '/items/0/vehicle/engineCc' },
    { name: 'calculator year 1e400', request: post(anonymous, '/api/v1/calculator', '{"currency":"USD","items":[{"vehicle":{"fuel":"petrol","engineCc":1500,"firstRegistrationYear":1e400},"originCountry":"JP","fob":"8000"}]}') },
    { name: 'calculator date 0000-01-01', request: post(anonymous, '/api/v1/calculator', JSON.stringify({ currency: 'USD', date: '0000-01-01', items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob: '1' }] })), pointer: '/date' },
    { name: 'NUL in a text field', request: post(anonymous, '/api/v1/calculator', JSON.stringify({ currency: 'US\u0000', items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob: '1' }] })), pointer: '/currency' },
    { name: 'NUL in a query parameter', request: get(anonymous, '/api/v1/tariff/lines?q=87%00') , pointer: '/querystring/q' },
    { name: 'date 0000-01-01 in a query', request: get(anonymous, '/api/v1/tariff/settings?date=0000-01-01'), pointer: '/querystring/date' },
    { name: 'limit Infinity in a query', request: get(anonymous, '/api/v1/tariff/lines?q=8703&limit=Infinity'), pointer: '/querystring/limit' },
    { name: 'lone surrogate in a jsonb field (document reference)', request: post(agent, '/api/v1/declarations', declaration({ documents: [{ code: 'N380', reference: 'INV-\ud800' }] })), pointer: '/documents/0/reference' },
    { name: 'lone surrogate in a container seal', request: post(carrier, '/api/v1/manifests', manifest({ containers: [{ number: 'CSQU3054383', sizeType: '22G1', seals: ['\udc00'] }] })), pointer: '/documents/0/containers/0/seals/0' },
    { name: 'lone surrogate in a risk setting value', request: post(analyst, '/api/v1/risk/settings', JSON.stringify({ key: 'random.rate', value: { x: 'a\ud83d' }, validFrom: '2026-07-01' })), pointer: '/value/x' },
    { name: 'packages 2^31 on a declaration item', request: post(agent, '/api/v1/declarations', declaration({}, { packages: 2 ** 31 })), pointer: '/items/0/packages' },
    { name: 'packages 2^31 on a manifest document', request: post(carrier, '/api/v1/manifests', manifest({ packages: 2 ** 31 })), pointer: '/documents/0/packages' },
    { name: 'packages "Infinity" on a manifest document', request: post(carrier, '/api/v1/manifests', manifest({ packages: 'Infinity' })), pointer: '/documents/0/packages' },
    { name: '14-digit net mass', request: post(agent, '/api/v1/declarations', declaration({}, { netMassKg: '12345678901234' })), pointer: '/items/0/netMassKg' },
    { name: '16-digit payment amount', request: post(bank, '/api/v1/payments', JSON.stringify({ prn: '2026PRN483920175065', amount: '1234567890123456', bankReference: 'FUZZ-16', paidAt: '2026-06-15T07:00:00Z' })), pointer: '/amount' },
    { name: 'payment at 23:59:60', request: post(bank, '/api/v1/payments', JSON.stringify({ prn: '2026PRN483920175065', amount: '1', bankReference: 'FUZZ-60', paidAt: '2024-12-31T23:59:60Z' })), pointer: '/paidAt' },
    { name: 'malformed JSON', request: post(anonymous, '/api/v1/calculator', '{"currency":') },
    { name: 'empty body with a JSON content type', request: post(anonymous, '/api/v1/calculator', '') },
    { name: 'wrong content type', request: post(anonymous, '/api/v1/calculator', calculator('1'), { 'content-type': 'text/plain' }) },
    { name: 'form content type', request: post(anonymous, '/api/v1/auth/login', 'username=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' }) },
    { name: 'a body on a route that takes none', request: post(agent, `/api/v1/declarations/${ctx.byCollection.get('declarations')?.[0] ?? 'x'}/register`, '{"admin":true}'), pointer: '/' },
    { name: '100,000 nested arrays', request: post(anonymous, '/api/v1/calculator', '['.repeat(100_000) + ']'.repeat(100_000)) },
    { name: '100,000 nested arrays in a manifest', request: post(carrier, '/api/v1/manifests', '['.repeat(100_000) + ']'.repeat(100_000)) },
    { name: 'a huge array of items', request: post(anonymous, '/api/v1/calculator', JSON.stringify({ currency: 'USD', items: new Array(200_000).fill(0) })) },
    { name: 'a manifest of a million empty documents', request: post(carrier, '/api/v1/manifests', JSON.stringify({ mode: 'sea', documents: new Array(1_000_000).fill(1) })) },
    { name: 'a manifest body over the largest limit', request: post(carrier, '/api/v1/manifests', JSON.stringify({ mode: 'sea', conveyanceId: 'x'.repeat(9 * 1024 * 1024) })) },
    { name: 'duplicated keys', request: post(anonymous, '/api/v1/calculator', '{"currency":"USD","currency":"KES","items":[{"fob":"1","fob":"2"}]}'), pointer: '/currency' },
    { name: 'a __proto__ key', request: post(anonymous, '/api/v1/calculator', '{"__proto__":{"isAdmin":true},"currency":"USD","items":[]}'), pointer: '/__proto__' },
    { name: 'a constructor.prototype key', request: post(analyst, '/api/v1/risk/settings', '{"key":"random.rate","value":{"constructor":{"prototype":{"x":1}}},"validFrom":"2026-07-01"}') },
    { name: 'uuid with a urn prefix', request: get(agent, '/api/v1/declarations/urn:uuid:00000000-0000-4000-8000-000000000000'), pointer: '/params/id' },
    { name: 'officer id of 36 dashes', request: get(identities.find((i) => i.name === 'kra.officer') as Identity, `/api/v1/inspection/tasks?assignedTo=${'-'.repeat(36)}`), pointer: '/querystring/assignedTo' },
    { name: 'rule version 2^31', request: get(analyst, `/api/v1/risk/rules/${ctx.byCollection.get('rules')?.[0] ?? 'x'}/versions/2147483648`), pointer: '/params/version' },
  ];
}

describe('fuzz: no input yields a 5xx', () => {
  beforeAll(async () => {
    // Fuzzed logouts end sessions, and each identity logs in again: lift the global login ceiling for this server.
    server = await startTestServer({ clock, env: { LOGIN_RATE_PER_SECOND: '1000' } });
    server.app.services.outbox.start();
    identities = [
      anonymous,
      ...['kra.officer', 'kra.supervisor', 'kra.risk', 'kra.admin', 'maersk.ops', 'siginon.agent', 'nmotors.owner'].map(userIdentity),
      ...['demo-kcb-key', 'demo-kpa-key', 'demo-maersk-key', 'demo-siginon-key', 'demo-tracker-key'].map(keyIdentity),
    ];
    await seedRealRecords();
    operations = operationsOf(server.app.swagger() as Parameters<typeof operationsOf>[0]);
    await probeAccess();
    heapBefore = settledHeap();
    console.log(`fuzz: seed ${seed}, ${operations.length} operations discovered, ${ctx.pool.length} real values, heap ${(heapBefore / 2 ** 20).toFixed(0)} MiB`);
  }, 300_000);

  afterAll(async () => {
    await server?.app.services.outbox.stop();
    await server?.close();
  });

  it('covers every route the app describes, as the identities it lets in', () => {
    expect(operations.length).toBeGreaterThan(50);
    for (const op of operations) {
      expect(allowed.get(op)?.length, `${op.method} ${op.path}`).toBeGreaterThan(0);
    }
    // Routes behind a login are reached by someone with the right role, not only refused.
    expect(operations.filter((op) => !(allowed.get(op) ?? []).includes(anonymous)).length).toBeGreaterThan(40);
  });

  it('refuses the hostile requests review found with a 4xx naming the field, at once', async () => {
    for (const { name, request, pointer } of handPicked()) {
      const outcome = await send(request);
      expect(outcome.status, `${name}: ${describeRequest(request)}`).toBeGreaterThanOrEqual(400);
      expect(outcome.status, name).toBeLessThan(500);
      expect(outcome.problem?.errors?.[0]?.pointer, name).toBeDefined();
      if (pointer !== undefined) {
        expect(outcome.problem?.errors?.[0]?.pointer, name).toBe(pointer);
      }
      if (name.startsWith('calculator fob of')) {
        console.log(`fuzz: ${name}: ${outcome.status} in ${outcome.ms.toFixed(0)} ms`);
        // Before the bound, the 80,000-digit fob took the process to 1.7 GB; now it is a pattern miss.
        // Generous for a shared 2-core machine; the point is seconds, not minutes.
        expect(outcome.ms, name).toBeLessThan(5000);
      }
    }
  }, 120_000);

  it(`answers ${generatedRequests} generated hostile requests without a 5xx`, async () => {
    // Routes that take input get the requests, those with a known-good body most (their mutants
    // travel deepest); a route without any input (a reference list) needs few.
    const weightOf = (op: Operation) => (templates.has(`${op.method} ${op.path}`) ? 30 : op.body ? 10 : op.pathParams.length + op.query.length > 0 ? 6 : 1);
    const weighted = operations.map((op) => ({ arbitrary: requestArb(op), weight: weightOf(op) }));
    const anyRequest = fc.oneof(...weighted);
    // Generated in batches (each its own seed, derived from the run's), so huge values never pile up in memory.
    const batchSize = 250;
    let batch: FuzzRequest[] = [];
    let produced = 0;
    let generatingMs = 0;
    const started = performance.now();
    await runAll(() => {
      if (batch.length === 0) {
        if (produced >= generatedRequests) {
          return undefined;
        }
        const n = Math.min(batchSize, generatedRequests - produced);
        const t0 = performance.now();
        batch = fc.sample(anyRequest, { seed: seed + produced, numRuns: n });
        generatingMs += performance.now() - t0;
        produced += n;
      }
      return batch.pop();
    }, send);
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzz: generating took ${(generatingMs / 1000).toFixed(1)} s of it`);
    console.log(`fuzz: ${sent} requests in all, generated ones in ${seconds.toFixed(1)} s; answers ${JSON.stringify(Object.fromEntries(statusCounts))}`);
    if (process.env.FUZZ_REQUESTS === undefined) {
      expect(sent).toBeGreaterThanOrEqual(10_000);
    }
    expect(failures.slice(0, 10), `${failures.length} requests got a 5xx or no answer (seed ${seed}); the first ones are listed`).toEqual([]);
  }, 600_000);

  it('is healthy afterwards: /health answers, a normal lodgement works, memory is bounded', async () => {
    const health = await server.anonymous().get('/health');
    expect(health.status).toBe(200);
    const bl = blNumber('FZOK');
    expectStatus(await server.key('demo-maersk-key').post('/api/v1/manifests', manifestBody('2026-06-20T08:00:00Z', [{ number: bl }])), 201);
    // The importer declares for itself: the fuzz may well have given its agent's licence other dates.
    const importer = await server.as('nmotors.owner');
    const lodged = await importer.post('/api/v1/declarations', { ...declarationBody(bl), lodge: true });
    expectStatus(lodged, 201);
    expect(lodged.body.reference).toMatch(/^2026MBAIM4\d+$/);
    const heapAfter = settledHeap();
    const rss = process.memoryUsage().rss;
    console.log(`fuzz: heap ${(heapBefore / 2 ** 20).toFixed(0)} -> ${(heapAfter / 2 ** 20).toFixed(0)} MiB after GC, rss ${(rss / 2 ** 20).toFixed(0)} MiB`);
    expect(heapAfter - heapBefore).toBeLessThan(heapGrowthLimitBytes);
  }, 120_000);
});
