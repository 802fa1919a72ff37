// The records the authorisation matrix (authz-matrix.test.ts) points its requests at, built
// through the API as the trade and customs would make them. Two consignment worlds that share
// nothing: world A is Maersk's cargo at Mombasa port (MBA) for Nairobi Motors, declared by Siginon
// (or by Nairobi Motors itself); world B is CMA CGM's cargo at Moi airport (MOI) for Mombasa
// Traders, declared by Bollore. For the carrier, agent, trader and terminal (KPA serves MBA only)
// of world A, every record of world B is another organisation's. Records that a route changes
// are made for that route alone, so one route's own call never spoils another's.
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from '../src/schema.ts';
import { inTransaction } from '../src/platform/db/transaction.ts';
import { storeModel, trainingRows, trainModel } from '../src/modules/risk/index.ts';
import { declarationBody, pins } from './e2e/cargo.ts';
import { declaration as riskDeclaration } from './risk-fixtures.ts';
import type { Client, Res, TestServer } from './server.ts';

/** A record of each world: `own` is world A's, `other` world B's; `ownTrader` the importer's own when it differs. */
export interface Pair<T = string> {
  own: T;
  other: T;
  /** World A's record declared by Nairobi Motors itself, for routes only the declarant may call. */
  ownTrader?: T;
}

/** Password of the users the matrix creates (never the public demo password). */
export const matrixPassword = 'Matrix-Pass-2026!';
/** Seller named by the risk rule that sends a declaration red, so it becomes a verification task. */
const selectedSeller = 'Matrix Selected Exports';

interface World {
  key: 'A' | 'B';
  carrier: Client;
  agent: Client;
  trader: Client;
  office: 'MBA' | 'MOI';
  blPrefix: string;
  importerPin: string;
  consigneeName: string;
}

interface Declared {
  id: string;
  reference: string;
  bl: string;
  prn?: string;
  amountDue?: string;
  requestId?: string;
  releaseOrderNumber?: string;
}

/** A client with a session of `username`, logged in with `password` (the demo helper knows only the demo password). */
export async function loginAs(server: TestServer, username: string, password: string): Promise<Client> {
  const login = await expectOk(server.anonymous().post('/api/v1/auth/login', { username, password }), 200, `login of ${username}`);
  return bearerClient(server.url, login.token as string);
}

function bearerClient(base: string, token: string): Client {
  const call = async (method: string, path: string, body?: unknown, opts: { idempotencyKey?: string; headers?: Record<string, string> } = {}): Promise<Res> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...opts.headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    if (opts.idempotencyKey !== undefined) {
      headers['idempotency-key'] = opts.idempotencyKey;
    }
    const response = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    const parsed: unknown = /json/.test(response.headers.get('content-type') ?? '') && text !== '' ? JSON.parse(text) : text;
    return { status: response.status, body: parsed, headers: response.headers, text };
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body, opts) => call('POST', path, body, opts),
    put: (path, body, opts) => call('PUT', path, body, opts),
    delete: (path) => call('DELETE', path),
  };
}

export async function expectOk(res: Res | Promise<Res>, status: number, what: string): Promise<any> {
  const r = await res;
  if (r.status !== status) {
    throw new Error(`fixture ${what}: expected HTTP ${status}, got ${r.status}: ${r.text.slice(0, 400)}`);
  }
  return r.body;
}

export async function buildFixtures(server: TestServer) {
  const now = () => server.clock.now().toISOString();
  const today = now().slice(0, 10);
  const inDays = (days: number) => new Date(server.clock.now().getTime() + days * 86_400_000).toISOString();
  const admin = await server.as('kra.admin');
  const analyst = await server.as('kra.risk');
  const kcb = server.key('demo-kcb-key');
  const db = server.database.db;
  const org: Record<string, string> = {};
  for (const o of await db.selectFrom('organisation').select(['id', 'code']).execute()) {
    org[o.code] = o.id;
  }

  // People and organisations of our own: a supervisor who is not also an officer (the demo
  // supervisors are both), a user of each role whose password the matrix may change, users and
  // keys for the administrator's destructive routes, and clearing agents to authorise and revoke.
  const newUser = async (username: string, organisationCode: string, roles: string[]) =>
    (await expectOk(admin.post('/api/v1/users', { organisationCode, username, displayName: `Matrix ${username}`, password: matrixPassword, roles }), 201, `user ${username}`)).id as string;
  await newUser('mx.supervisor', 'KRA', ['supervisor']);
  const passwordUsers: Record<string, string> = {};
  for (const [role, code] of [['carrier', 'MAERSK'], ['agent', 'SIGINON'], ['trader', 'NMOTORS'], ['officer', 'KRA'], ['supervisor', 'KRA'], ['risk_analyst', 'KRA'], ['admin', 'KRA']] as const) {
    passwordUsers[role] = `mx.password.${role}`;
    await newUser(passwordUsers[role], code, [role]);
  }
  const users = { deactivate: await newUser('mx.leaving', 'MAERSK', ['carrier']), resetPassword: await newUser('mx.forgetful', 'MAERSK', ['carrier']) };
  const newKey = async (name: string) => (await expectOk(admin.post('/api/v1/api-keys', { organisationCode: 'CMA', name, roles: ['carrier'] }), 201, `key ${name}`)).id as string;
  const apiKeys = { rotate: await newKey('Matrix key to rotate'), revoke: await newKey('Matrix key to revoke') };
  const newAgent = async (code: string, licence: string) =>
    (await expectOk(admin.post('/api/v1/organisations', { code, kind: 'clearing_agent', name: `Matrix agent ${code}`, licenceNumber: licence, licenceValidFrom: '2026-01-01', licenceValidTo: '2026-12-31' }), 201, `agent ${code}`)).id as string;
  const agents = { MXAGENT1: await newAgent('MXAGENT1', 'CA/2026/9001'), MXAGENT2: await newAgent('MXAGENT2', 'CA/2026/9002'), MXAGENT3: await newAgent('MXAGENT3', 'CA/2026/9003') };
  const nmotors = await server.as('nmotors.owner');
  const mtraders = await server.as('mtraders.owner');
  const grant = async (client: Client, agentCode: string) => (await expectOk(client.post('/api/v1/authorisations', { agentCode, validFrom: today }), 201, `authorisation of ${agentCode}`)).id as string;
  const authorisationIds = (await expectOk(admin.get('/api/v1/authorisations?limit=200'), 200, 'authorisations')).items as { id: string; agent: { code: string }; client: { code: string } }[];
  const demoAuthorisation = (client: string, agent: string) => authorisationIds.find((a) => a.client.code === client && a.agent.code === agent)?.id as string;
  const authorisations = {
    read: { own: demoAuthorisation('NMOTORS', 'SIGINON'), other: demoAuthorisation('MTRADERS', 'BOLLORE') } satisfies Pair,
    revoke: { own: await grant(nmotors, 'MXAGENT1'), other: await grant(mtraders, 'MXAGENT2') } satisfies Pair,
  };

  // Risk: no random selection, a rule that sends the chosen seller's goods red, and one of each
  // kind of risk record for the analyst's routes, none of which selects anything declared here.
  await expectOk(analyst.post('/api/v1/risk/settings', { key: 'random.rate', value: 0, validFrom: today, note: 'authorisation matrix' }), 201, 'random rate');
  await expectOk(
    analyst.post('/api/v1/risk/rules', { name: 'Matrix: selected seller', reason: 'authorisation matrix: verify', channel: 'red', priority: 10, validFrom: '2026-01-01', criteria: { sellers: [selectedSeller] } }),
    201,
    'selecting rule',
  );
  const harmlessRule = { name: 'Matrix: live horses', reason: 'authorisation matrix', channel: 'yellow', priority: 900, validFrom: '2026-01-01', criteria: { hsCodes: ['0101'] } };
  const rule = await expectOk(analyst.post('/api/v1/risk/rules', harmlessRule), 201, 'harmless rule');
  const watchlist = await expectOk(analyst.post('/api/v1/risk/watchlists', { name: 'Matrix sellers', kind: 'seller', reason: 'authorisation matrix' }), 201, 'watchlist');
  const entry = await expectOk(analyst.post(`/api/v1/risk/watchlists/${watchlist.id}/entries`, { value: 'Matrix Watched Seller', validFrom: today }), 201, 'watchlist entry');
  const prohibited = await expectOk(analyst.post('/api/v1/risk/prohibited', { hsPrefix: '0106', reason: 'authorisation matrix', validFrom: today }), 201, 'prohibited goods');
  const model = await storedModel(server, org);

  // Verification: a supervisor rosters one officer at each office, so each world's tasks are
  // drawn for a known officer.
  const supervisor = await loginAs(server, 'mx.supervisor', matrixPassword);
  const kraUsers = (await expectOk(admin.get('/api/v1/users?organisationCode=KRA&limit=200'), 200, 'KRA users')).items as { id: string; username: string }[];
  const userId = (username: string) => kraUsers.find((u) => u.username === username)?.id as string;
  const roster = async (username: string, officeCode: string) => expectOk(supervisor.post('/api/v1/inspection/duty', { officeCode, onDuty: true, officerId: userId(username) }), 200, `duty of ${username}`);
  await roster('kra.officer', 'MBA');
  await roster('kra.officer2', 'MOI');

  const worldA: World = {
    key: 'A',
    carrier: await server.as('maersk.ops'),
    agent: await server.as('siginon.agent'),
    trader: nmotors,
    office: 'MBA',
    blPrefix: 'MAEUMX',
    importerPin: pins.nmotors,
    consigneeName: 'Nairobi Motors Ltd',
  };
  const worldB: World = {
    key: 'B',
    carrier: await server.as('cma.ops'),
    agent: await server.as('bollore.agent'),
    trader: mtraders,
    office: 'MOI',
    blPrefix: 'CMDUMX',
    importerPin: pins.mtraders,
    consigneeName: 'Mombasa Traders Ltd',
  };

  let blSerial = 0;
  const blNumbers = (w: World, n: number) => Array.from({ length: n }, () => `${w.blPrefix}${String(++blSerial).padStart(5, '0')}`);
  const documentOf = (w: World, number: string) => ({
    number,
    kind: 'BL',
    shipperName: 'Shenzhen Electronics Export Co',
    consigneeName: w.consigneeName,
    consigneePin: w.importerPin,
    packages: 30,
    packageKind: 'CT',
    grossMassKg: '1500',
    description: 'Laptops, smartphones and T-shirts',
    cargoCategory: 'home_use',
    containers: [],
  });
  const manifestBody = (w: World, expectedArrival: string, bls: string[]) => ({
    mode: 'sea',
    conveyanceId: w.key === 'A' ? '9074729' : '9454450',
    conveyanceName: w.key === 'A' ? 'MAERSK SELETAR' : 'CMA CGM TAGE',
    voyageNumber: `MX${w.key}1`,
    portOfLoading: 'CNSHA',
    portOfDischarge: 'KEMBA',
    officeCode: w.office,
    expectedArrival,
    documents: bls.map((number) => documentOf(w, number)),
  });
  /** A manifest of `bls` B/Ls, arriving in three days or (arrived) already in. */
  const manifest = async (w: World, count: number, arrived = false) => {
    const bls = blNumbers(w, count);
    const m = await expectOk(w.carrier.post('/api/v1/manifests', manifestBody(w, arrived ? now() : inDays(3), bls)), 201, `manifest of world ${w.key}`);
    if (arrived) {
      await expectOk(w.carrier.post(`/api/v1/manifests/${m.id}/arrival`, { actualArrival: now() }), 200, 'arrival');
    }
    return { id: m.id as string, reference: m.reference as string, bls };
  };

  // Transit: a guarantee of each world's agent, and a movement lodged by it on a transit B/L of
  // an arrived manifest; in world A a second one, departed, whose seal raised an alert.
  const tracker = server.key('demo-tracker-key');
  const transitOf = async (w: World, agentCode: string, depart = false) => {
    const [bl] = blNumbers(w, 1) as [string];
    const body = manifestBody(w, now(), [bl]);
    const m = await expectOk(w.carrier.post('/api/v1/manifests', { ...body, documents: body.documents.map((d) => ({ ...d, cargoCategory: 'transit', consigneePin: null })) }), 201, `transit manifest of world ${w.key}`);
    await expectOk(w.carrier.post(`/api/v1/manifests/${m.id}/arrival`, { actualArrival: now() }), 200, 'arrival');
    const g = await expectOk(
      admin.post('/api/v1/transit/guarantees', { kind: 'bond', holder: agentCode, guarantor: 'Matrix Insurance', amount: '100000000.00', validFrom: '2026-01-01', validTo: '2026-12-31' }),
      201,
      `guarantee of ${agentCode}`,
    );
    const seal = `MX-${w.key}-${bl}`;
    const movementBody = {
      kind: 'IM8',
      guaranteeReference: g.reference,
      transportDocumentNumber: bl,
      officeOfDeparture: w.office,
      officeOfExit: 'MAL',
      destinationCountry: 'UG',
      currency: 'USD',
      items: [{ hsCode: '8471.30.00', description: 'Laptop computers', quantity: '10', unit: 'NAR', value: '5000.00', originCountry: 'CN' }],
      seals: [seal],
    };
    const movement = await expectOk(w.agent.post('/api/v1/transit/movements', movementBody), 201, `transit movement of ${agentCode}`);
    let alert: string | undefined;
    if (depart) {
      await expectOk((await server.as('kra.officer')).post(`/api/v1/transit/movements/${movement.id}/departure`, {}), 200, 'departure');
      const raised = await expectOk(tracker.post('/api/v1/transit/seal-events', { eventId: `MX-${bl}`, sealId: seal, kind: 'seal_tampered', at: now() }), 201, 'seal event');
      void raised;
      const queue = await expectOk(admin.get('/api/v1/transit/alerts'), 200, 'alerts');
      alert = (queue.alerts as { id: string; movement: string }[]).find((a) => a.movement === movement.reference)?.id;
    }
    return { guarantee: g.reference as string, movement: movement.id as string, reference: movement.reference as string, body: movementBody, alert };
  };
  const transitA = await transitOf(worldA, 'SIGINON');
  const transitB = await transitOf(worldB, 'BOLLORE');
  const transitAlert = (await transitOf(worldA, 'SIGINON', true)).alert as string;

  const declare = async (w: World, by: Client, bl: string, opts: { lodge?: boolean; red?: boolean } = {}): Promise<Declared> => {
    const body = { ...declarationBody(bl, { importerPin: w.importerPin, officeCode: w.office, ...(opts.red ? { sellerName: selectedSeller } : {}) }), lodge: opts.lodge ?? true };
    const d = await expectOk(by.post('/api/v1/declarations', body), 201, `declaration on ${bl}`);
    if ((opts.lodge ?? true) && d.selectivity?.channel !== (opts.red ? 'red' : 'green')) {
      throw new Error(`fixture declaration on ${bl}: channel ${d.selectivity?.channel}, expected ${opts.red ? 'red' : 'green'}`);
    }
    return { id: d.id, reference: d.reference, bl };
  };
  const register = async (by: Client, d: Declared): Promise<Declared> => {
    const r = await expectOk(by.post(`/api/v1/declarations/${d.id}/register`), 200, `registration of ${d.reference}`);
    return { ...d, prn: r.payment.prn, amountDue: r.payment.amountDue };
  };
  /** Registered, with the declarant's request to cancel waiting for an officer. */
  const withRequest = async (by: Client, d: Declared): Promise<Declared> => {
    const registered = await register(by, d);
    const asked = await expectOk(by.post(`/api/v1/declarations/${d.id}/cancel`, { reason: 'goods short-shipped' }), 202, `cancellation request of ${d.reference}`);
    return { ...registered, requestId: asked.pendingRequest.id };
  };
  /** Paid on an arrived manifest, so released at once; its release message is queued for the terminal. */
  const released = async (by: Client, d: Declared): Promise<Declared> => {
    const registered = await register(by, d);
    await expectOk(kcb.post('/api/v1/payments', { prn: registered.prn, amount: registered.amountDue, bankReference: `KCB-MX-${d.reference}`, paidAt: now() }), 201, `payment of ${d.reference}`);
    const view = await expectOk(by.get(`/api/v1/declarations/${d.id}`), 200, `released ${d.reference}`);
    if (view.status !== 'released') {
      throw new Error(`fixture ${d.reference} is ${view.status}, not released`);
    }
    return { ...registered, releaseOrderNumber: view.releaseOrderNumber };
  };
  const taskOf = async (d: Declared) => (await expectOk(admin.get(`/api/v1/declarations/${d.id}/verification`), 200, `task of ${d.reference}`)).id as string;
  const officer = await server.as('kra.officer');
  const discrepancy = async (d: Declared) =>
    expectOk(officer.post(`/api/v1/inspection/tasks/${await taskOf(d)}/findings`, { result: 'discrepancy', corrections: [{ itemNo: 1, itemPrice: '13000.00' }], remarks: 'laptops under-invoiced' }), 200, `findings on ${d.reference}`);

  // World A: manifests and declarations, each for the route that changes it.
  const a = { open: await manifest(worldA, 40), arrived: await manifest(worldA, 4, true), toArrive: await manifest(worldA, 1), toClose: await manifest(worldA, 1, true) };
  const b = { open: await manifest(worldB, 16), arrived: await manifest(worldB, 4, true), toArrive: await manifest(worldB, 1), toClose: await manifest(worldB, 1, true) };
  const nextBl = (list: string[]) => {
    const bl = list.shift();
    if (bl === undefined) {
      throw new Error('fixture: a manifest ran out of B/Ls; give it more');
    }
    return bl;
  };
  const aBls = [...a.open.bls];
  const bBls = [...b.open.bls];
  const A = worldA;
  const B = worldB;
  const drafts: Pair<Declared> = { own: await declare(A, A.agent, nextBl(aBls), { lodge: false }), ownTrader: await declare(A, A.trader, nextBl(aBls), { lodge: false }), other: await declare(B, B.agent, nextBl(bBls), { lodge: false }) };
  const assessedFor = async (): Promise<Pair<Declared>> => ({ own: await declare(A, A.agent, nextBl(aBls)), ownTrader: await declare(A, A.trader, nextBl(aBls)), other: await declare(B, B.agent, nextBl(bBls)) });
  const assessed = { amend: await assessedFor(), register: await assessedFor(), cancel: await assessedFor(), query: await assessedFor(), reject: await assessedFor(), control: await assessedFor() };
  const read: Pair<Declared> = { own: await declare(A, A.agent, nextBl(aBls)), other: await declare(B, B.agent, nextBl(bBls)) };
  const requests = {
    withdraw: { own: await withRequest(A.agent, await declare(A, A.agent, nextBl(aBls))), ownTrader: await withRequest(A.trader, await declare(A, A.trader, nextBl(aBls))), other: await withRequest(B.agent, await declare(B, B.agent, nextBl(bBls))) },
    decide: { own: await withRequest(A.agent, await declare(A, A.agent, nextBl(aBls))), other: await withRequest(B.agent, await declare(B, B.agent, nextBl(bBls))) },
  } satisfies Record<string, Pair<Declared>>;
  const registered: Pair<Declared> = { own: await register(A.agent, await declare(A, A.agent, nextBl(aBls))), other: await register(B.agent, await declare(B, B.agent, nextBl(bBls))) };
  const toPay = await register(A.agent, await declare(A, A.agent, nextBl(a.arrived.bls)));
  const releasedPair: Pair<Declared> = { own: await released(A.agent, await declare(A, A.agent, nextBl(a.arrived.bls))), other: await released(B.agent, await declare(B, B.agent, nextBl(b.arrived.bls))) };

  // Verification tasks of world A, each in the state its route needs; world B's one task is
  // drawn for kra.officer2 at MOI and serves every refused call.
  const redA = async (by: Client) => declare(A, by, nextBl(aBls), { red: true });
  const taskFindings = await redA(A.agent);
  const taskRespond = await redA(A.agent);
  const taskRespondTrader = await redA(A.trader);
  const taskDecide = await redA(A.agent);
  const taskReassign = await redA(A.agent);
  const taskWithdraw = await redA(A.agent);
  const taskB = await declare(B, B.agent, nextBl(bBls), { red: true });
  await discrepancy(taskRespond);
  await discrepancy(taskRespondTrader);
  await discrepancy(taskDecide);
  await expectOk(A.agent.post(`/api/v1/declarations/${taskDecide.id}/verification-response`, { response: 'reject', reason: 'the invoice is genuine' }), 200, 'rejection of findings');
  await expectOk(A.agent.post(`/api/v1/declarations/${taskWithdraw.id}/cancel`, { reason: 'goods to be re-exported' }), 200, 'cancellation under verification');
  // A second officer at MBA, once every task there is drawn, so a task can be reassigned.
  await roster('kra.supervisor2', 'MBA');

  // Release messages reach the terminals' inboxes through the outbox (whose worker is off in
  // tests: each drain delivers one batch).
  while ((await server.app.services.outbox.drain()) > 0) {
    // until nothing is left
  }
  const messageOf = async (number: string | undefined) =>
    String((await db.selectFrom('terminal_message').select('id').where('release_order_number', '=', number ?? '').executeTakeFirstOrThrow()).id);

  const task = async (d: Declared) => taskOf(d);
  const notice = async (title: string) =>
    String((await expectOk(admin.post('/api/v1/maintenance', { title, description: 'Matrix window', impact: 'none', startsAt: inDays(30), endsAt: inDays(31) }), 201, 'a maintenance window')).id);
  const maintenance = { amend: await notice('amend'), withdraw: await notice('withdraw') };
  return {
    org,
    maintenance,
    today,
    now,
    passwordUsers,
    users,
    apiKeys,
    agents,
    authorisations,
    risk: { rule: { id: rule.id as string, version: rule.version as number, body: harmlessRule }, watchlist: watchlist.id as string, entry: entry.id as string, prohibited: prohibited.id as string, model },
    officerIds: { officer: userId('kra.officer'), supervisor2: userId('kra.supervisor2') },
    manifests: {
      open: { own: a.open, other: b.open },
      arrived: { own: a.arrived, other: b.arrived },
      toArrive: { own: a.toArrive, other: b.toArrive },
      toClose: { own: a.toClose, other: b.toClose },
    },
    declarationBody: (w: 'A' | 'B', bl: string) => declarationBody(bl, { importerPin: w === 'A' ? pins.nmotors : pins.mtraders, officeCode: w === 'A' ? 'MBA' : 'MOI' }),
    /** A new manifest of one B/L for world A's carrier, and a B/L of either world for amendments. */
    manifestBody: (bl: string) => manifestBody(worldA, inDays(3), [bl]),
    document: (w: 'A' | 'B', bl: string) => documentOf(w === 'A' ? worldA : worldB, bl),
    spareBl: { own: nextBl(aBls), ownTrader: nextBl(aBls), other: nextBl(bBls) } satisfies Pair,
    newBl: () => `MAEUMXNEW${String(++blSerial).padStart(4, '0')}`,
    drafts,
    assessed,
    read,
    requests,
    registered,
    toPay,
    released: releasedPair,
    transit: {
      own: transitA,
      other: transitB,
      alert: transitAlert,
    },
    messages: { own: await messageOf(releasedPair.own.releaseOrderNumber), other: await messageOf(releasedPair.other.releaseOrderNumber) } satisfies Pair,
    tasks: {
      findings: { own: await task(taskFindings), other: await task(taskB) },
      reassign: { own: await task(taskReassign), other: await task(taskB) },
      withdraw: { own: await task(taskWithdraw), other: await task(taskB) },
      decide: { own: await task(taskDecide), other: await task(taskB) },
    } satisfies Record<string, Pair>,
    /** Declarations under verification: read by their id, answered by the declarant or importer. */
    verified: { read: { own: taskFindings, other: taskB }, respond: { own: taskRespond, ownTrader: taskRespondTrader, other: taskB } } satisfies Record<string, Pair<Declared>>,
  };
}

export type Fixtures = Awaited<ReturnType<typeof buildFixtures>>;

/** A small learned model, stored but not active, for the analyst's model routes. */
async function storedModel(server: TestServer, org: Record<string, string>): Promise<string> {
  const rows = Array.from({ length: 400 }, (_, i) => {
    const d = riskDeclaration(org, { importerPin: `P${String(100000000 + (i % 40)).padStart(9, '0')}Z`, date: `2026-0${1 + (i % 5)}-1${i % 10}` }, { netMassKg: String(10 + (i % 37)) });
    return trainingRows(d, i % 40 < 4 ? i % 3 !== 0 : i % 17 === 0);
  }).flat();
  const trained = trainModel(rows, { source: 'database', seed: 1, targetRates: { red: 0.03, yellow: 0.07 }, currency: 'KES', now: server.clock.now(), rounds: 30 });
  const stored = await inTransaction(server.database.db, (tx) => storeModel(tx, trained, { id: 'matrix', name: 'authorisation matrix', organisationId: null, role: 'risk_analyst' }, server.clock.now()));
  return stored.id;
}

/**
 * A fingerprint of every table: a hash of its rows. Taken before and after the refused requests,
 * it shows that none of them changed anything, whichever table a hole would have written to.
 */
export async function fingerprint(db: Kysely<DB>): Promise<Map<string, string>> {
  const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const prints = new Map<string, string>();
  for (const { name } of tables.rows) {
    const row = await sql<{ n: string; h: string | null }>`select count(*)::text as n, md5(string_agg(t::text, '|' order by t::text)) as h from ${sql.table(name)} t`.execute(db);
    prints.set(name, `${row.rows[0]?.n}:${row.rows[0]?.h ?? ''}`);
  }
  return prints;
}
