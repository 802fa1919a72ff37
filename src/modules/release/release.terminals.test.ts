// Terminals act only at the customs offices they serve. The demo Kenya Ports Authority (KPA,
// demo-kpa-key) serves Mombasa port (MBA); an administrator registers a second terminal operator
// serving Moi airport (MOI, the same UN/LOCODE KEMBA) and gives it an API key. Over real HTTP on
// the whole application, the second terminal is refused, as if nothing existed, at every
// terminal route for Mombasa's manifests and release orders, while KPA still does everything.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '#platform/db/transaction.ts';
import { findTransportDocument, findTransportDocumentById } from '#modules/manifest/index.ts';
import { sampleLodgement } from '../manifest/manifest.fixtures.ts';
import { startTestServer, type Client, type TestServer } from '../../../test/server.ts';

let server: TestServer;
let kpa: Client;
let moiTerminal: Client;
let maersk: Client;
const org: Record<string, string> = {};

let seq = 0;
/** A Maersk manifest lodged at `office` (port KEMBA), arriving in three days; its first B/L. */
async function lodged(office: 'MBA' | 'MOI') {
  const tag = `TS${String(++seq).padStart(3, '0')}X`;
  const res = await maersk.post('/api/v1/manifests', sampleLodgement(new Date(server.clock.now().getTime() + 72 * 3_600_000), tag, { officeCode: office }));
  expect(res.status).toBe(201);
  return { id: res.body.id as string, reference: res.body.reference as string, bl: `MAEU${tag}0001` };
}

/** A release order for the B/L, issued as the declaration module does, and its message queued for terminals. */
async function released(bl: string, office: string) {
  const doc = await findTransportDocument(server.database.db, bl);
  if (!doc) {
    throw new Error(`B/L ${bl} not found`);
  }
  const order = await inTransaction(server.database.db, (tx) =>
    server.app.services.release.issueReleaseOrder(tx, {
      declarationId: randomUUID(),
      declarationReference: `2026${office}IM4${String(seq).padStart(6, '0')}`,
      declarantOrgId: org.SIGINON as string,
      importerOrgId: org.NMOTORS as string,
      transportDocumentId: doc.id,
      transportDocumentNumber: doc.number,
      officeCode: office,
      packages: doc.packages,
      grossMassKg: doc.grossMassKg,
      actor: { id: 'u-sup', name: 'Grace Wanjiru', organisationId: org.KRA as string, role: 'supervisor' },
    }),
  );
  await server.app.services.outbox.drain();
  return { number: order.number, documentId: doc.id };
}

const inbox = async (terminal: Client) => {
  const res = await terminal.get('/api/v1/terminal/messages');
  expect(res.status).toBe(200);
  return res.body.messages as { id: string; releaseOrderNumber: string }[];
};

beforeAll(async () => {
  server = await startTestServer();
  for (const o of await server.database.db.selectFrom('organisation').select(['id', 'code']).execute()) {
    org[o.code] = o.id;
  }
  kpa = server.key('demo-kpa-key');
  maersk = server.key('demo-maersk-key');
  const admin = await server.as('kra.admin');
  const registered = await admin.post('/api/v1/organisations', { code: 'KAAMOI', kind: 'terminal', name: 'Moi Airport Cargo Terminal', officeCodes: ['moi'] });
  expect(registered.status).toBe(201);
  const key = await admin.post('/api/v1/api-keys', { organisationCode: 'KAAMOI', name: 'Moi cargo terminal system', roles: ['terminal'] });
  expect(key.status).toBe(201);
  moiTerminal = server.key(key.body.key as string);
});

afterAll(async () => {
  await server?.close();
});

describe('registering a terminal operator', () => {
  it('records the offices it serves and shows them in the organisation view', async () => {
    const me = await moiTerminal.get('/api/v1/organisations/me');
    expect(me.body).toMatchObject({ code: 'KAAMOI', kind: 'terminal', officeCodes: ['MOI'] });
    expect((await kpa.get('/api/v1/organisations/me')).body.officeCodes).toEqual(['MBA']);
    expect((await server.key('demo-kcb-key').get('/api/v1/organisations/me')).body.officeCodes).toBeNull();
  });

  it('requires offices of a terminal, known ones only, and refuses them for anyone else', async () => {
    const admin = await server.as('kra.admin');
    const none = await admin.post('/api/v1/organisations', { code: 'NOOFFICE', kind: 'terminal', name: 'Terminal Without Office' });
    expect(none.status).toBe(422);
    expect(none.body.errors).toEqual([expect.objectContaining({ pointer: '/officeCodes', code: 'required' })]);
    const unknown = await admin.post('/api/v1/organisations', { code: 'BADOFFICE', kind: 'terminal', name: 'Terminal Somewhere', officeCodes: ['MBA', 'ZZZ'] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ pointer: '/officeCodes/1', code: 'unknown_office' })]);
    const trader = await admin.post('/api/v1/organisations', { code: 'OFFTRADER', kind: 'trader', name: 'Trader With Office', pin: 'P051234599Z', officeCodes: ['MBA'] });
    expect(trader.status).toBe(422);
    expect(trader.body.errors).toEqual([expect.objectContaining({ pointer: '/officeCodes', code: 'offices_not_applicable' })]);
    const created = await server.database.db.selectFrom('organisation').select('code').where('code', 'in', ['NOOFFICE', 'BADOFFICE', 'OFFTRADER']).execute();
    expect(created).toEqual([]);
  });
});

describe('a terminal serving another office', () => {
  it("cannot confirm arrival of, read, or list Mombasa's manifests", async () => {
    const m = await lodged('MBA');
    const arrival = { actualArrival: server.clock.now().toISOString() };
    const refused = await moiTerminal.post(`/api/v1/manifests/${m.id}/arrival`, arrival);
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toBe(`Manifest ${m.id} was not found`);
    expect((await server.database.db.selectFrom('manifest').select('status').where('id', '=', m.id).executeTakeFirstOrThrow()).status).toBe('lodged');
    expect((await moiTerminal.get(`/api/v1/manifests/${m.id}`)).status).toBe(404);
    expect((await moiTerminal.get(`/api/v1/manifests/${m.id}/versions`)).status).toBe(404);
    expect((await moiTerminal.get(`/api/v1/transport-documents/${m.bl}`)).status).toBe(404);
    const listed = await moiTerminal.get('/api/v1/manifests?limit=200');
    expect(listed.body.items.map((i: { id: string }) => i.id)).not.toContain(m.id);
    expect((await moiTerminal.get('/api/v1/manifests?officeCode=MBA')).body.items).toEqual([]);

    // KPA, at Mombasa, does it all.
    expect((await kpa.get(`/api/v1/manifests/${m.id}`)).body.documents).toHaveLength(3);
    expect((await kpa.get(`/api/v1/manifests/${m.id}/versions`)).status).toBe(200);
    expect((await kpa.get(`/api/v1/transport-documents/${m.bl}`)).status).toBe(200);
    expect((await kpa.get('/api/v1/manifests?limit=200')).body.items.map((i: { id: string }) => i.id)).toContain(m.id);
    const arrived = await kpa.post(`/api/v1/manifests/${m.id}/arrival`, arrival);
    expect(arrived.status).toBe(200);
    expect(arrived.body.status).toBe('arrived');
  });

  it("neither pulls, acknowledges, reads nor reports gate-out of Mombasa's release orders; KPA does", async () => {
    const m = await lodged('MBA');
    expect((await kpa.post(`/api/v1/manifests/${m.id}/arrival`, { actualArrival: server.clock.now().toISOString() })).status).toBe(200);
    const order = await released(m.bl, 'MBA');

    expect((await inbox(moiTerminal)).map((x) => x.releaseOrderNumber)).not.toContain(order.number);
    // Its pull did not take the message from KPA: still never delivered.
    const queued = await server.database.db.selectFrom('terminal_message').selectAll().where('release_order_number', '=', order.number).executeTakeFirstOrThrow();
    expect(queued.delivered_at).toBeNull();
    expect((await moiTerminal.post(`/api/v1/terminal/messages/${queued.id}/ack`)).status).toBe(404);
    expect((await moiTerminal.get(`/api/v1/release-orders/${order.number}`)).status).toBe(404);
    const at = server.clock.now().toISOString();
    const gate = await moiTerminal.post(`/api/v1/release-orders/${order.number}/gate-out`, { at, gateReference: 'MOI-G1-0001' });
    expect(gate.status).toBe(404);
    expect(gate.body.detail).toBe(`Release order ${order.number} was not found`);
    expect((await server.database.db.selectFrom('release_order').select('status').where('number', '=', order.number).executeTakeFirstOrThrow()).status).toBe('released');
    expect((await findTransportDocumentById(server.database.db, order.documentId))?.remainingPackages).toBe(10);
    const acknowledged = await server.database.db.selectFrom('terminal_message').select('acknowledged_at').where('id', '=', queued.id).executeTakeFirstOrThrow();
    expect(acknowledged.acknowledged_at).toBeNull();

    // KPA pulls, acknowledges, reads and lets the cargo out.
    const mine = (await inbox(kpa)).find((x) => x.releaseOrderNumber === order.number);
    expect(mine?.id).toBe(queued.id);
    expect((await kpa.post(`/api/v1/terminal/messages/${queued.id}/ack`)).status).toBe(200);
    expect((await kpa.get(`/api/v1/release-orders/${order.number}`)).body).toMatchObject({ number: order.number, status: 'released', officeCode: 'MBA' });
    const out = await kpa.post(`/api/v1/release-orders/${order.number}/gate-out`, { at, gateReference: 'KPA-G7-0100' });
    expect(out.status).toBe(201);
    expect((await findTransportDocumentById(server.database.db, order.documentId))?.remainingPackages).toBe(0);
  });

  it('does all of it at its own office, where KPA in turn sees nothing', async () => {
    const m = await lodged('MOI');
    expect((await kpa.post(`/api/v1/manifests/${m.id}/arrival`, { actualArrival: server.clock.now().toISOString() })).status).toBe(404);
    expect((await moiTerminal.post(`/api/v1/manifests/${m.id}/arrival`, { actualArrival: server.clock.now().toISOString() })).status).toBe(200);
    const order = await released(m.bl, 'MOI');
    expect((await inbox(kpa)).map((x) => x.releaseOrderNumber)).not.toContain(order.number);
    const message = (await inbox(moiTerminal)).find((x) => x.releaseOrderNumber === order.number);
    expect(message).toBeDefined();
    expect((await kpa.post(`/api/v1/terminal/messages/${message?.id}/ack`)).status).toBe(404);
    expect((await moiTerminal.post(`/api/v1/terminal/messages/${message?.id}/ack`)).status).toBe(200);
    expect((await kpa.get(`/api/v1/release-orders/${order.number}`)).status).toBe(404);
    const at = server.clock.now().toISOString();
    expect((await kpa.post(`/api/v1/release-orders/${order.number}/gate-out`, { at, gateReference: 'KPA-X-1' })).status).toBe(404);
    expect((await moiTerminal.post(`/api/v1/release-orders/${order.number}/gate-out`, { at, gateReference: 'MOI-G1-0002' })).status).toBe(201);
  });
});
