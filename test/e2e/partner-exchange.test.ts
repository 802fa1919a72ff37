// Partner exchange between two real Forodha servers (child processes, `npm start`'s entry point),
// Kenya (KE) and Uganda (UG), each with its own database and keys. Regional transit movements
// depart in Kenya, their seals raise alerts, one exits at Malaba, the other is confirmed arrived
// by Uganda; Uganda is killed (SIGKILL) in the middle of the stream and started again. Then every
// message sent is applied exactly once on the other side: none lost, none applied twice. Also:
// a forged or unknown sender's message is refused (401) and logged; a replay is acknowledged
// with the first answer and not applied again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { testDatabase, type TestDatabase } from '../db.ts';
import { freePort, sleep, startServerProcess, type ServerProcess } from '../faults/support.ts';
import { keygenCommand } from '../../src/modules/partner/index.ts';
import type { Client, Res, TestServer } from '../server.ts';
import { expectStatus, lodgeDeclaration, manifestBody } from './cargo.ts';
import { movementBody, onDuty, registerGuarantee } from './transit-kit.ts';

/** The clients the transit kit needs, against a server running in another process. */
function remote(url: string): TestServer {
  const call = (credential: Record<string, string>) => async (method: string, pathname: string, body?: unknown, opts: { idempotencyKey?: string; headers?: Record<string, string> } = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...credential, ...opts.headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    if (opts.idempotencyKey !== undefined) {
      headers['idempotency-key'] = opts.idempotencyKey;
    }
    const res = await fetch(url + pathname, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    return { status: res.status, body: /json/.test(res.headers.get('content-type') ?? '') && text !== '' ? JSON.parse(text) : text, headers: res.headers, text };
  };
  const client = (credential: Record<string, string>): Client => {
    const c = call(credential);
    return { get: (p) => c('GET', p), post: (p, b, o) => c('POST', p, b, o), put: (p, b, o) => c('PUT', p, b, o), delete: (p) => c('DELETE', p) };
  };
  const tokens = new Map<string, string>();
  const as = async (username: string) => {
    let token = tokens.get(username);
    if (token === undefined) {
      const res = await client({}).post('/api/v1/auth/login', { username, password: 'demo-password' });
      expectStatus(res, 200);
      token = res.body.token as string;
      tokens.set(username, token);
    }
    return client({ authorization: `Bearer ${token}` });
  };
  return { url, as, relogin: as, key: (apiKey: string) => client({ 'x-api-key': apiKey }), anonymous: () => client({}) } as unknown as TestServer;
}

interface Instance {
  country: 'KE' | 'UG';
  env: Record<string, string>;
  database: TestDatabase | undefined;
  process: ServerProcess;
  api: TestServer;
}

let dir: string;
const instances: Partial<Record<'KE' | 'UG', Instance>> = {};

async function start(i: Omit<Instance, 'process' | 'api'>): Promise<Instance> {
  const process = await startServerProcess(i.env);
  try {
    await process.ready(360_000);
  } catch (err) {
    await process.kill('SIGKILL');
    throw err;
  }
  return { ...i, process, api: remote(process.url) };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-partner-'));
  // Each administration makes its key pair; they exchange public keys and endpoints.
  const quiet = () => undefined;
  expect(await keygenCommand([dir, 'KE'], quiet)).toBe(0);
  expect(await keygenCommand([dir, 'UG'], quiet)).toBe(0);
  expect(fs.statSync(path.join(dir, 'KE-private.jwk')).mode & 0o077).toBe(0);
  const publicKey = (c: string) => JSON.parse(fs.readFileSync(path.join(dir, `${c}-public.jwk`), 'utf8')) as JWK;
  const ports = { KE: await freePort(), UG: await freePort() };
  for (const [us, them] of [['KE', 'UG'], ['UG', 'KE']] as const) {
    fs.writeFileSync(path.join(dir, `${us}-partners.json`), JSON.stringify([{ country: them, endpoint: `http://127.0.0.1:${ports[them]}`, publicKey: publicKey(them) }]));
  }
  await Promise.all(
    (['KE', 'UG'] as const).map(async (country) => {
      const env: Record<string, string> = {
        PORT: String(ports[country]),
        DATA_DIR: path.join(dir, `data-${country}`),
        DEMO: 'true',
        AUDIT_CHECKPOINT_SECONDS: '0',
        OUTBOX_POLL_MS: '200',
        PARTNER_COUNTRY: country,
        PARTNER_KEY_FILE: path.join(dir, `${country}-private.jwk`),
        PARTNER_PARTNERS_FILE: path.join(dir, `${country}-partners.json`),
        PARTNER_TIMEOUT_MS: '3000',
      };
      let database: TestDatabase | undefined;
      if (process.env.TEST_DATABASE_URL) {
        database = await testDatabase();
        env.DATABASE_URL = database.ownerUrl!;
        env.WORKERS = '1';
      }
      instances[country] = await start({ country, env, database });
    }),
  );
}, 800_000);

afterAll(async () => {
  for (const i of Object.values(instances)) {
    await i?.process.kill('SIGKILL');
    await i?.database?.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

interface LoggedMessage {
  id: string;
  direction: 'in' | 'out';
  type: string;
  subject: string;
  status: string;
  attempts: number;
  lastError: string | null;
  answer: { messageId: string; status: string; detail: string } | null;
}

async function log(i: Instance, query = ''): Promise<LoggedMessage[]> {
  const res = await (await i.api.as('kra.supervisor')).get(`/api/v1/partner/messages?limit=500${query}`);
  expectStatus(res, 200);
  return res.body.messages as LoggedMessage[];
}

/** Waits until every outgoing message of the instance is acknowledged. */
async function settled(i: Instance, expected: number, timeoutMs = 180_000): Promise<LoggedMessage[]> {
  const until = Date.now() + timeoutMs;
  let out: LoggedMessage[] = [];
  while (Date.now() < until) {
    out = await log(i, '&direction=out');
    if (out.length >= expected && out.every((m) => m.status === 'acknowledged')) {
      return out;
    }
    await sleep(500);
  }
  throw new Error(`${i.country}: ${out.filter((m) => m.status !== 'acknowledged').length} of ${out.length} outgoing messages still unacknowledged (expected ${expected}): ${JSON.stringify(out.filter((m) => m.status !== 'acknowledged').slice(0, 3))}`);
}

async function movement(i: Instance, reference: string) {
  const res = await (await i.api.as('kra.supervisor')).get('/api/v1/partner/movements?limit=500');
  expectStatus(res, 200);
  return (res.body.movements as { reference: string; status: string; originStatus: string; alerts: number; seals: string[]; stake: string }[]).find((m) => m.reference === reference);
}

/** A message signed with a key of the test's choosing (the sender's real key, or a forger's). */
async function signed(key: JWK, header: { kid: string }, payload: Record<string, unknown>): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', typ: 'forodha-partner+jws', kid: header.kid }).sign(await importJWK(key, 'EdDSA'));
}

describe('partner exchange between Kenya and Uganda', () => {
  const references: string[] = [];
  const movementIds: string[] = [];
  const alertsPerMovement = [0, 0];
  let elsewhere = '';

  it('delivers every message exactly once across a SIGKILL of the receiver', { timeout: 600_000 }, async () => {
    const ke = instances.KE!;
    const api = ke.api;
    const now = Date.now();
    const bls = [0, 1, 2].map((n) => ({ number: `MAEUPX${String(now % 1_000_000).padStart(6, '0')}${n}`, packages: 20, grossMassKg: '800' }));
    // The servers run on the real clock: the vessel is expected in three hours and arrives now.
    const manifest = manifestBody(new Date(now + 3 * 3_600_000).toISOString(), bls.map((b) => ({ ...b, cargoCategory: 'transit', consigneePin: null })));
    manifest.documents.forEach((d) => (d.consigneeName = 'Kampala Hardware Ltd'));
    const maersk = api.key('demo-maersk-key');
    const lodgedManifest = await maersk.post('/api/v1/manifests', manifest);
    expectStatus(lodgedManifest, 201);
    expectStatus(await maersk.post(`/api/v1/manifests/${lodgedManifest.body.id}/arrival`, { actualArrival: new Date(now - 60_000).toISOString() }), 200);
    const { mombasa, malaba } = await onDuty(api);
    const supervisor = await api.as('kra.supervisor');
    const agent = await api.as('siginon.agent');
    const guarantee = (await registerGuarantee(supervisor, '50000000.00', { validTo: `${new Date(now).getUTCFullYear() + 1}-12-31` })).reference;
    // A third movement, bound for Rwanda, stays lodged: Uganda has no say over it.
    const toRwanda = await agent.post('/api/v1/transit/movements', movementBody(bls[2]!.number, guarantee, { destinationCountry: 'RW' }));
    expectStatus(toRwanda, 201);
    elsewhere = toRwanda.body.reference as string;
    for (const bl of bls.slice(0, 2)) {
      const lodged = await agent.post('/api/v1/transit/movements', movementBody(bl.number, guarantee));
      expectStatus(lodged, 201);
      const departed = await mombasa.post(`/api/v1/transit/movements/${lodged.body.id}/departure`, {});
      expectStatus(departed, 200);
      references.push(lodged.body.reference as string);
      movementIds.push(lodged.body.id as string);
    }
    const seals = await Promise.all(movementIds.map(async (id) => ((await supervisor.get(`/api/v1/transit/movements/${id}`)).body.seals as string[])[0]!));
    const tracker = api.key('demo-tracker-key');

    // The stream: seal alerts on both movements; Uganda is killed a third of the way through and
    // comes back (same port, same database) while Kenya keeps sending.
    const total = 24;
    for (let n = 0; n < total; n++) {
      const which = n % 2;
      const res = await tracker.post('/api/v1/transit/seal-events', { eventId: `px-${now}-${n}`, sealId: seals[which], kind: 'seal_tampered', at: new Date().toISOString(), latitude: 0.45, longitude: 34.1 });
      expectStatus(res, 201);
      alertsPerMovement[which]! += 1;
      if (n === 8) {
        await instances.UG!.process.kill('SIGKILL');
      }
      await sleep(n < 8 ? 100 : 50);
    }
    await sleep(1_000);
    const ug = await start({ country: 'UG', env: instances.UG!.env, database: instances.UG!.database });
    instances.UG = ug;

    // Movement 1 exits at Malaba (Kenya tells Uganda it is discharged); movement 2 is confirmed
    // arrived by Uganda (Uganda tells Kenya, which discharges it, and tells Uganda so).
    expectStatus(await malaba.post(`/api/v1/transit/movements/${movementIds[0]}/exit`, { remarks: 'seals checked' }), 200);
    const ugOfficer = await ug.api.as('kra.officer');
    // Uganda can confirm only once it heard of the movement.
    let arrival: Res | undefined;
    for (let tries = 0; tries < 240; tries++) {
      arrival = await ugOfficer.post(`/api/v1/partner/movements/${references[1]}/arrival`, { office: 'UGKLA' }, { idempotencyKey: `arrival-${references[1]}` });
      if (arrival.status !== 404) {
        break;
      }
      await sleep(500);
    }
    expectStatus(arrival!, 200);
    expect(arrival!.body).toMatchObject({ reference: references[1], status: 'arrived' });
    // A retried confirmation (same Idempotency-Key) sends nothing twice.
    expectStatus(await ugOfficer.post(`/api/v1/partner/movements/${references[1]}/arrival`, { office: 'UGKLA' }, { idempotencyKey: `arrival-${references[1]}` }), 200);

    // Kenya sent: 2 departure notices, 24 alerts, 2 discharges; Uganda sent 1 arrival confirmation.
    const sentByKe = await settled(ke, total + 4);
    const sentByUg = await settled(ug, 1);
    expect(sentByKe).toHaveLength(total + 4);
    expect(sentByUg).toHaveLength(1);
    const kenyaDischarged = await supervisor.get(`/api/v1/transit/movements/${movementIds[1]}`);
    expect(kenyaDischarged.body).toMatchObject({ status: 'discharged', concludedOffice: 'MAL' });

    // Every message Kenya sent is in Uganda's inbox once, applied; and the other way round.
    const ugIn = await log(ug, '&direction=in');
    const keIn = await log(ke, '&direction=in');
    expect(ugIn.map((m) => m.id).sort()).toEqual(sentByKe.map((m) => m.id).sort());
    expect(new Set(ugIn.map((m) => m.id)).size).toBe(ugIn.length);
    expect(ugIn.every((m) => m.status === 'applied')).toBe(true);
    expect(sentByKe.every((m) => m.answer?.status === 'applied')).toBe(true);
    expect(keIn.map((m) => m.id)).toEqual(sentByUg.map((m) => m.id));
    expect(keIn[0]).toMatchObject({ type: 'transit.arrival', status: 'applied' });
    // The kill cost attempts, not messages: some deliveries failed and were retried.
    expect(sentByKe.some((m) => m.attempts > 1)).toBe(true);

    // The effects were applied once each: Uganda counts exactly the alerts Kenya raised.
    for (const [n, reference] of references.entries()) {
      const m = await movement(ug, reference);
      expect(m).toMatchObject({ alerts: alertsPerMovement[n], originStatus: 'discharged', seals: [seals[n]] });
      expect(Number(m!.stake)).toBeGreaterThan(0);
    }
    expect((await movement(ug, references[1]!))!.status).toBe('arrived');
    const byType = (list: LoggedMessage[]) => list.reduce<Record<string, number>>((acc, m) => ({ ...acc, [m.type]: (acc[m.type] ?? 0) + 1 }), {});
    expect(byType(ugIn)).toEqual({ 'transit.departure': 2, 'transit.seal_alert': total, 'transit.discharge': 2 });
  });

  it('acknowledges a replay with the first answer and does not apply it again', { timeout: 120_000 }, async () => {
    const ug = instances.UG!;
    const keKey = JSON.parse(fs.readFileSync(path.join(dir, 'KE-private.jwk'), 'utf8')) as JWK;
    const reference = references[0]!;
    const before = (await movement(ug, reference))!.alerts;
    const jws = await signed(keKey, { kid: 'KE' }, { id: randomUUID(), sender: 'KE', receiver: 'UG', type: 'transit.seal_alert', subject: reference, createdAt: new Date().toISOString(), body: { reference, kind: 'seal_tampered' } });
    const door = ug.api.anonymous();
    const first = await door.post('/api/v1/partner/messages', { jws });
    expectStatus(first, 200);
    expect(first.body.status).toBe('applied');
    expect(first.headers.get('partner-replay')).toBe('false');
    const again = await door.post('/api/v1/partner/messages', { jws });
    expectStatus(again, 200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('partner-replay')).toBe('true');
    expect((await movement(ug, reference))!.alerts).toBe(before + 1);
  });

  it('applies an arrival confirmation only from the movement\'s destination', { timeout: 120_000 }, async () => {
    const ke = instances.KE!;
    const ugKey = JSON.parse(fs.readFileSync(path.join(dir, 'UG-private.jwk'), 'utf8')) as JWK;
    const jws = await signed(ugKey, { kid: 'UG' }, { id: randomUUID(), sender: 'UG', receiver: 'KE', type: 'transit.arrival', subject: elsewhere, createdAt: new Date().toISOString(), body: { reference: elsewhere, office: 'UGKLA' } });
    const res = await ke.api.anonymous().post('/api/v1/partner/messages', { jws });
    expectStatus(res, 200);
    expect(res.body.status).toBe('rejected');
    expect(res.body.detail).toMatch(/bound for RW, not UG/);
    const movementThere = await (await ke.api.as('kra.supervisor')).get(`/api/v1/transit/movements/${elsewhere}`);
    expect(movementThere.body.status).toBe('lodged');
  });

  it('refuses and logs a bad signature, an unknown sender and a malformed message, changing nothing', { timeout: 120_000 }, async () => {
    const ug = instances.UG!;
    const door = ug.api.anonymous();
    const reference = references[0]!;
    const before = (await movement(ug, reference))!.alerts;
    const inboxBefore = (await log(ug, '&direction=in')).length;
    const payload = (sender: string) => ({ id: randomUUID(), sender, receiver: 'UG', type: 'transit.seal_alert', subject: reference, createdAt: new Date().toISOString(), body: { reference } });
    // A forger's key, claiming to be Kenya.
    const forger = await exportJWK((await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })).privateKey);
    const forged = await door.post('/api/v1/partner/messages', { jws: await signed(forger, { kid: 'KE' }, payload('KE')) });
    expectStatus(forged, 401);
    expect(forged.headers.get('content-type')).toMatch(/problem\+json/);
    // Kenya's genuine signature over a payload altered afterwards.
    const keKey = JSON.parse(fs.readFileSync(path.join(dir, 'KE-private.jwk'), 'utf8')) as JWK;
    const genuine = await signed(keKey, { kid: 'KE' }, payload('KE'));
    const [h, , s] = genuine.split('.');
    const altered = `${h}.${Buffer.from(JSON.stringify(payload('KE'))).toString('base64url')}.${s}`;
    expectStatus(await door.post('/api/v1/partner/messages', { jws: altered }), 401);
    // A sender that is not a partner.
    expectStatus(await door.post('/api/v1/partner/messages', { jws: await signed(forger, { kid: 'TZ' }, payload('TZ')) }), 401);
    // Signed by Kenya but naming another sender inside.
    expectStatus(await door.post('/api/v1/partner/messages', { jws: await signed(keKey, { kid: 'KE' }, payload('RW')) }), 400);
    // Not a JWS at all; too large.
    const notJws = await door.post('/api/v1/partner/messages', { jws: 'not-a-jws' });
    expectStatus(notJws, 422);
    expect(notJws.body.errors[0].pointer).toBe('/jws');
    const huge = await door.post('/api/v1/partner/messages', { jws: `${'a'.repeat(70_000)}.b.c` });
    expectStatus(huge, 413);

    expect((await movement(ug, reference))!.alerts).toBe(before);
    expect(await log(ug, '&direction=in')).toHaveLength(inboxBefore);
    const refusals = (await (await ug.api.as('kra.supervisor')).get('/api/v1/partner/refusals')).body.refusals as { claimedSender: string; reason: string }[];
    expect(refusals.slice(0, 4).map((r) => r.claimedSender)).toEqual(['KE', 'TZ', 'KE', 'KE']);
    expect(refusals.some((r) => /signature does not verify/.test(r.reason))).toBe(true);
    expect(refusals.some((r) => /TZ is not a configured partner/.test(r.reason))).toBe(true);
    // The log is for customs only.
    expectStatus(await door.get('/api/v1/partner/messages'), 401);
    expectStatus(await (await ug.api.as('siginon.agent')).get('/api/v1/partner/messages'), 403);
  });
});

describe('Single Customs Territory clearance between Kenya and Uganda', () => {
  it('releases at Mombasa the goods declared and paid in Uganda, once, and only for the B/L\'s destination', { timeout: 300_000 }, async () => {
    const ke = instances.KE!;
    const ug = instances.UG!;
    const now = Date.now();
    const tag = String(now % 1_000_000).padStart(6, '0');
    const bl = `MAEUSCT${tag}1`;
    const toRwanda = `MAEUSCT${tag}2`;
    // Kenya: the vessel lands both B/Ls at Mombasa; their regional movements name where they go.
    const keManifest = manifestBody(new Date(now + 3 * 3_600_000).toISOString(), [
      { number: bl, packages: 40, grossMassKg: '1600', cargoCategory: 'transit', consigneePin: null },
      { number: toRwanda, packages: 40, grossMassKg: '1600', cargoCategory: 'transit', consigneePin: null },
    ]);
    keManifest.voyageNumber = `S${tag.slice(-4)}`;
    const maersk = ke.api.key('demo-maersk-key');
    const landed = await maersk.post('/api/v1/manifests', keManifest);
    expectStatus(landed, 201);
    expectStatus(await maersk.post(`/api/v1/manifests/${landed.body.id}/arrival`, { actualArrival: new Date(now - 60_000).toISOString() }), 200);
    const keSupervisor = await ke.api.as('kra.supervisor');
    const agent = await ke.api.as('siginon.agent');
    const guarantee = (await registerGuarantee(keSupervisor, '50000000.00', { validTo: `${new Date(now).getUTCFullYear() + 1}-12-31` })).reference;
    expectStatus(await agent.post('/api/v1/transit/movements', movementBody(bl, guarantee)), 201);
    expectStatus(await agent.post('/api/v1/transit/movements', movementBody(toRwanda, guarantee, { destinationCountry: 'RW' })), 201);

    // Uganda: the importer declares the goods once, there (30 packages, 1200 kg); customs mark
    // the declaration as clearing goods landed at Kenya's Mombasa; it is registered and paid.
    const ugManifest = manifestBody(new Date(now + 3 * 3_600_000).toISOString(), [{ number: bl }]);
    ugManifest.voyageNumber = `S${tag.slice(-4)}`;
    const ugMaersk = ug.api.key('demo-maersk-key');
    const reported = await ugMaersk.post('/api/v1/manifests', ugManifest);
    expectStatus(reported, 201);
    expectStatus(await ugMaersk.post(`/api/v1/manifests/${reported.body.id}/arrival`, { actualArrival: new Date(now - 60_000).toISOString() }), 200);
    const declared = await lodgeDeclaration(await ug.api.as('siginon.agent'), bl);
    const ugOfficer = await ug.api.as('kra.officer');
    expectStatus(await ugOfficer.post(`/api/v1/partner/sct/declarations/${declared.reference}`, { originCountry: 'TZ', office: 'DAR' }), 422);
    const marked = await ugOfficer.post(`/api/v1/partner/sct/declarations/${declared.reference}`, { originCountry: 'KE', office: 'MBA' });
    expectStatus(marked, 201);
    expect(marked.body).toMatchObject({ declarationReference: declared.reference, originCountry: 'KE', office: 'MBA', transportDocumentNumber: bl, paymentNotification: null });
    expectStatus(await ugOfficer.post(`/api/v1/partner/sct/declarations/${declared.reference}`, { originCountry: 'KE', office: 'MBA' }), 409);
    const registered = await (await ug.api.as('siginon.agent')).post(`/api/v1/declarations/${declared.id}/register`);
    expectStatus(registered, 200);
    const prn = registered.body.payment.prn as string;
    const amount = registered.body.payment.amountDue as string;
    expect(Number(amount)).toBeGreaterThan(0);
    expectStatus(await ug.api.key('demo-kcb-key').post('/api/v1/payments', { prn, amount, bankReference: `KCB-${declared.reference}`, paidAt: new Date().toISOString() }), 201);

    // Kenya hears of the payment and releases the 30 packages at Mombasa for the terminal.
    const clearancesOf = async (number: string) => {
      const res = await keSupervisor.get(`/api/v1/partner/sct/clearances?transportDocumentNumber=${number}`);
      expectStatus(res, 200);
      return res.body.clearances as { destination: string; declarationReference: string; packages: number; grossMassKg: string; amountPaid: string; prn: string; releaseOrderNumber: string }[];
    };
    let cleared: Awaited<ReturnType<typeof clearancesOf>> = [];
    for (let tries = 0; tries < 240 && cleared.length === 0; tries++) {
      await sleep(500);
      cleared = await clearancesOf(bl);
    }
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ destination: 'UG', declarationReference: declared.reference, packages: 30, grossMassKg: '1200.000', amountPaid: amount, prn });
    const order = await keSupervisor.get(`/api/v1/release-orders/${cleared[0]!.releaseOrderNumber}`);
    expectStatus(order, 200);
    expect(JSON.stringify(order.body)).toContain(bl);
    expect(JSON.stringify(order.body)).toMatch(/"status":"released"/);
    const sent = (await log(ug, '&direction=out&type=sct.payment_notification')).filter((m) => m.subject === declared.reference);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.answer?.status).toBe('applied');

    // A replay is answered with the first answer; another message for the same declaration, or
    // more than remains of the B/L, or a B/L bound for Rwanda, is rejected; none releases anything.
    const ugKey = JSON.parse(fs.readFileSync(path.join(dir, 'UG-private.jwk'), 'utf8')) as JWK;
    const notification = (reference: string, number: string, packages: number) =>
      signed(ugKey, { kid: 'UG' }, {
        id: randomUUID(),
        sender: 'UG',
        receiver: 'KE',
        type: 'sct.payment_notification',
        subject: reference,
        createdAt: new Date().toISOString(),
        body: { declarationReference: reference, transportDocumentNumber: number, office: 'MBA', packages, grossMassKg: '10', amountPaid: '1000.00', currency: 'KES', prn: null, paidAt: new Date().toISOString() },
      });
    const door = ke.api.anonymous();
    const again = await door.post('/api/v1/partner/messages', { jws: await notification(declared.reference as string, bl, 5) });
    expectStatus(again, 200);
    expect(again.body).toMatchObject({ status: 'rejected', detail: expect.stringMatching(/cleared already/) });
    const tooMany = await notification(`UG${tag}X1`, bl, 11);
    const first = await door.post('/api/v1/partner/messages', { jws: tooMany });
    expect(first.body).toMatchObject({ status: 'rejected', detail: expect.stringMatching(/exceed what remains of B\/L .*: 10 packages/) });
    const replay = await door.post('/api/v1/partner/messages', { jws: tooMany });
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('partner-replay')).toBe('true');
    const fits = await notification(`UG${tag}X2`, bl, 10);
    const applied = await door.post('/api/v1/partner/messages', { jws: fits });
    expect(applied.body.status).toBe('applied');
    const appliedAgain = await door.post('/api/v1/partner/messages', { jws: fits });
    expect(appliedAgain.body).toEqual(applied.body);
    expect(appliedAgain.headers.get('partner-replay')).toBe('true');
    expect((await clearancesOf(bl)).map((c) => c.packages).sort()).toEqual([10, 30]);
    const wrongCountry = await door.post('/api/v1/partner/messages', { jws: await notification(`UG${tag}X3`, toRwanda, 5) });
    expect(wrongCountry.body).toMatchObject({ status: 'rejected', detail: expect.stringMatching(/bound for RW, not UG/) });
    const unknown = await door.post('/api/v1/partner/messages', { jws: await notification(`UG${tag}X4`, `NOSUCH${tag}`, 5) });
    expect(unknown.body).toMatchObject({ status: 'rejected', detail: expect.stringMatching(/on no manifest here/) });
    expect(await clearancesOf(toRwanda)).toEqual([]);
    // The clearances are for customs only.
    expectStatus(await door.get('/api/v1/partner/sct/clearances'), 401);
    expectStatus(await agent.get('/api/v1/partner/sct/clearances'), 403);
  });
});
