// The manifest API over a real listening server: API keys and logins of the demo parties,
// idempotent POSTs, problem+json answers and who sees what.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Client, type TestServer } from '../../../test/server.ts';
import { sampleDocument, sampleLodgement } from './manifest.fixtures.ts';

let server: TestServer;
let maersk: Client;
let kpa: Client;
let seq = 0;
const tag = () => `H${String(++seq).padStart(3, '0')}Y`;
const inHours = (n: number) => new Date(server.clock.now().getTime() + n * 3_600_000);

beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T08:00:00Z' });
  maersk = server.key('demo-maersk-key');
  kpa = server.key('demo-kpa-key');
});

afterAll(async () => {
  await server.close();
});

describe('POST /api/v1/manifests', () => {
  it('lodges for the carrier of the API key and replays the answer for the same Idempotency-Key', async () => {
    const body = sampleLodgement(inHours(72), tag());
    const first = await maersk.post('/api/v1/manifests', body, { idempotencyKey: 'lodge-h1' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ reference: expect.stringMatching(/^2026MBAMF\d{6}$/), status: 'lodged', version: 1, late: false });
    const replay = await maersk.post('/api/v1/manifests', body, { idempotencyKey: 'lodge-h1' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.reference).toBe(first.body.reference);
    const reused = await maersk.post('/api/v1/manifests', { ...body, voyageNumber: '246W' }, { idempotencyKey: 'lodge-h1' });
    expect(reused.status).toBe(422);
    const list = await maersk.get('/api/v1/manifests?limit=200');
    expect(list.body.items.filter((m: { reference: string }) => m.reference === first.body.reference)).toHaveLength(1);
  });

  it('makes one manifest when the same keyed request arrives twice at once', async () => {
    const body = sampleLodgement(inHours(72), tag());
    const [a, b] = await Promise.all([
      maersk.post('/api/v1/manifests', body, { idempotencyKey: 'lodge-race' }),
      maersk.post('/api/v1/manifests', body, { idempotencyKey: 'lodge-race' }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).toBe(b.body.id);
  });

  it('answers problem+json with a pointer to the field and a stable code', async () => {
    const body = sampleLodgement(inHours(72), tag());
    (body.documents[0] as { containers: unknown[] }).containers = [{ number: 'MSKU1234566', sizeType: '22G1', seals: [] }];
    const res = await maersk.post('/api/v1/manifests', body);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([{ pointer: '/documents/0/containers/0/number', code: 'container_check_digit', message: expect.stringMatching(/check digit/) }]);
    const { expectedArrival: _e, ...noArrival } = sampleLodgement(inHours(72), tag());
    const missing = await maersk.post('/api/v1/manifests', noArrival);
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toContainEqual(expect.objectContaining({ pointer: '/expectedArrival', code: 'required' }));
  });

  it('flags a sea manifest lodged inside 48 hours as late', async () => {
    const res = await maersk.post('/api/v1/manifests', sampleLodgement(inHours(12), tag()));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ late: true, lateByHours: 36 });
  });

  it('is for carriers only', async () => {
    expect((await server.anonymous().post('/api/v1/manifests', sampleLodgement(inHours(72), tag()))).status).toBe(401);
    const trader = await server.as('nmotors.owner');
    expect((await trader.post('/api/v1/manifests', sampleLodgement(inHours(72), tag()))).status).toBe(403);
  });
});

describe('a voyage from lodging to arrival', () => {
  let t: string;
  let manifest: { id: string; reference: string };
  beforeAll(async () => {
    t = tag();
    manifest = (await (await server.as('maersk.ops')).post('/api/v1/manifests', sampleLodgement(inHours(72), t))).body;
  });

  it('amends before arrival, then the terminal confirms arrival once', async () => {
    const amended = await maersk.post(`/api/v1/manifests/${manifest.id}/amendments`, { reason: 'Recount at loading', documents: [{ action: 'change', number: `MAEU${t}0002`, packages: 5 }] });
    expect(amended.status).toBe(200);
    expect(amended.body.version).toBe(2);
    const at = server.clock.now().toISOString();
    const arrived = await kpa.post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: at }, { idempotencyKey: 'arrive-1' });
    expect(arrived.status).toBe(200);
    expect(arrived.body).toMatchObject({ status: 'arrived', actualArrival: at });
    const again = await maersk.post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: at });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(arrived.body);
    const other = await kpa.post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: new Date(server.clock.now().getTime() - 60_000).toISOString() });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ state: 'arrived' });
    const events = await server.database.db.selectFrom('outbox').select('payload').where('topic', '=', 'manifest.arrived').where('key', '=', manifest.reference).execute();
    expect(events).toHaveLength(1);
  });

  it('refuses amendments after arrival and takes supplementary documents', async () => {
    const refused = await maersk.post(`/api/v1/manifests/${manifest.id}/amendments`, { reason: 'too late', documents: [{ action: 'remove', number: `MAEU${t}0003` }] });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/manifest is arrived/);
    const supplementary = await maersk.post(`/api/v1/manifests/${manifest.id}/supplementary`, { reason: 'Left off at Shanghai', documents: [sampleDocument(`MAEU${t}0004`)] });
    expect(supplementary.status).toBe(201);
    const versions = await (await server.as('kra.officer')).get(`/api/v1/manifests/${manifest.id}/versions`);
    expect(versions.body.versions.map((v: { kind: string }) => v.kind)).toEqual(['original', 'amendment', 'supplementary']);
  });

  it('shows a house bill by its number as the manifest shows it, with its master', async () => {
    const t = tag();
    const body = sampleLodgement(inHours(72), t);
    body.documents.push(sampleDocument(`HBL${t}1`, { masterNumber: `MAEU${t}0001`, packages: 6, grossMassKg: '7000' }));
    const lodged = await maersk.post('/api/v1/manifests', body);
    expect(lodged.status).toBe(201);
    const house = await maersk.get(`/api/v1/transport-documents/HBL${t}1`);
    expect(house.body).toMatchObject({ number: `HBL${t}1`, masterNumber: `MAEU${t}0001`, manifest: { reference: lodged.body.reference } });
    const { documents, ...header } = lodged.body;
    const listed = (documents as { number: string }[]).find((d) => d.number === `HBL${t}1`);
    expect(house.body).toEqual({ ...listed, manifest: header, conveyanceArrived: false });
    expect((await maersk.get(`/api/v1/transport-documents/MAEU${t}0001`)).body).toMatchObject({ masterNumber: null });
  });

  it('shows each party only what is theirs, and 404 to the rest', async () => {
    const cma = await server.as('cma.ops');
    expect((await cma.get(`/api/v1/manifests/${manifest.id}`)).status).toBe(404);
    expect((await server.key('demo-cma-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: server.clock.now().toISOString() })).status).toBe(404);
    const nmotors = await (await server.as('nmotors.owner')).get(`/api/v1/manifests/${manifest.id}`);
    expect(nmotors.status).toBe(200);
    expect(nmotors.body.documents.map((d: { number: string }) => d.number)).toEqual([`MAEU${t}0001`, `MAEU${t}0004`]);
    const siginon = await server.as('siginon.agent');
    expect((await siginon.get(`/api/v1/transport-documents/MAEU${t}0001`)).body).toMatchObject({ consigneePin: 'P051234567A', conveyanceArrived: true, manifest: { reference: manifest.reference } });
    expect((await siginon.get(`/api/v1/transport-documents/MAEU${t}0002`)).status).toBe(404);
    expect((await (await server.as('bollore.agent')).get(`/api/v1/transport-documents/MAEU${t}0001`)).status).toBe(404);
    expect((await (await server.as('mtraders.owner')).get(`/api/v1/transport-documents/MAEU${t}0001`)).status).toBe(404);
    expect((await (await server.as('nmotors.owner')).get(`/api/v1/manifests/${manifest.id}/versions`)).status).toBe(403);
  });

  it('is closed by customs', async () => {
    expect((await maersk.post(`/api/v1/manifests/${manifest.id}/close`, { reason: 'done' })).status).toBe(403);
    const closed = await (await server.as('kra.supervisor')).post(`/api/v1/manifests/${manifest.id}/close`, { reason: 'All cargo accounted for' });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
  });
});

describe('GET /api/v1/manifests', () => {
  it('pages by cursor through the caller\'s manifests only', async () => {
    const cma = server.key('demo-cma-key');
    for (let i = 0; i < 3; i++) {
      server.clock.advance(1000);
      expect((await cma.post('/api/v1/manifests', sampleLodgement(inHours(72), tag()))).status).toBe(201);
    }
    const seen: string[] = [];
    let path = '/api/v1/manifests?limit=2';
    for (;;) {
      const page = await cma.get(path);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((m: { id: string; carrierOrgId: string }) => m.id));
      if (!page.body.nextCursor) {
        break;
      }
      path = `/api/v1/manifests?limit=2&cursor=${page.body.nextCursor}`;
    }
    expect(seen).toHaveLength(3);
    expect((await cma.get('/api/v1/manifests?cursor=garbage')).status).toBe(422);
  });
});
