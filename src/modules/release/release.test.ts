// Release orders, the terminal's inbox and gate-out, over real HTTP as the demo terminal (KPA,
// key demo-kpa-key) and the other demo parties, on cargo lodged and arrived through the manifest
// module, so the gate-out really writes the B/L off.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction } from '#platform/db/transaction.ts';
import type { Principal } from '#platform/http/auth.ts';
import { ProblemError } from '#platform/http/problem.ts';
import { verifyAudit, type Actor } from '#modules/audit/index.ts';
import { referenceService } from '#modules/reference/index.ts';
import { partiesService, type PartiesService } from '#modules/parties/index.ts';
import { findTransportDocument, findTransportDocumentById, manifestService, type ManifestService } from '#modules/manifest/index.ts';
import { callerOf, demoPrincipal, sampleLodgement } from '../manifest/manifest.fixtures.ts';
import { startModuleServer, type ModuleServer } from '../payment/payment.testkit.ts';
import type { Client } from '../../../test/server.ts';
import { releaseRoutes } from './release.routes.ts';
import { deliverToTerminal, releaseService, type Exit, type ReleaseService } from './release.service.ts';

let server: ModuleServer;
let release: ReleaseService;
let manifests: ManifestService;
let parties: PartiesService;
let exits: Exit[] = [];
let terminal: Client;
const org: Record<string, string> = {};
const principals: Record<string, Principal> = {};
const officer: Actor = { id: 'u-sup', name: 'Grace Wanjiru', organisationId: null, role: 'supervisor' };

let seq = 0;
/** Lodges a Maersk manifest and confirms arrival; returns its first two B/Ls (10 packages / 12500.5 kg, 4 packages / 3200 kg). */
async function arrivedCargo() {
  const tag = `R${String(++seq).padStart(3, '0')}X`;
  const m = await manifests.lodge(callerOf(principals.maersk as Principal), sampleLodgement(new Date(server.clock.now().getTime() + 72 * 3_600_000), tag));
  await manifests.confirmArrival(callerOf(principals.kpa as Principal), m.id, { actualArrival: server.clock.now().toISOString() });
  const first = await findTransportDocument(server.database.db, `MAEU${tag}0001`);
  const second = await findTransportDocument(server.database.db, `MAEU${tag}0002`);
  if (!first || !second) {
    throw new Error('the lodged B/Ls were not found');
  }
  return { first, second };
}

interface Released {
  declarationId: string;
  declarationReference: string;
  number: string;
  releasedAt: Date;
}

let declarationSeq = 0;
async function issue(doc: { id: string; number: string; packages: number; grossMassKg: string }, declarationId: string = randomUUID()): Promise<Released> {
  const declarationReference = `2026MBAIM4${String(++declarationSeq).padStart(6, '0')}`;
  const order = await inTransaction(server.database.db, (tx) =>
    release.issueReleaseOrder(tx, {
      declarationId,
      declarationReference,
      declarantOrgId: org.SIGINON as string,
      importerOrgId: org.NMOTORS as string,
      transportDocumentId: doc.id,
      transportDocumentNumber: doc.number,
      officeCode: 'mba',
      packages: doc.packages,
      grossMassKg: doc.grossMassKg,
      actor: officer,
    }),
  );
  return { declarationId, declarationReference, ...order };
}

async function problemOf(promise: Promise<unknown>): Promise<ProblemError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ProblemError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a problem, got success');
}

/** Hands every release.issued event in the outbox to the subscriber, as the outbox worker does. */
async function deliver(): Promise<void> {
  const events = await server.database.db.selectFrom('outbox').selectAll().where('topic', '=', 'release.issued').orderBy('id').execute();
  for (const row of events) {
    await deliverToTerminal({ id: row.id, topic: row.topic, key: row.key, payload: row.payload, createdAt: row.created_at, attempts: row.attempts }, server.database.db);
  }
}

const messagesOf = (number: string) => server.database.db.selectFrom('terminal_message').selectAll().where('release_order_number', '=', number).execute();
const gateOut = (number: string, body: Record<string, unknown>) => terminal.post(`/api/v1/release-orders/${number}/gate-out`, body);

beforeAll(async () => {
  server = await startModuleServer(({ database, clock }) => {
    parties = partiesService(database.db, clock);
    release = releaseService({
      db: database.db,
      clock,
      onExited: async (_tx, exit) => {
        exits.push(exit);
      },
    });
    return releaseRoutes({ db: database.db, release, officesServed: (orgId) => parties.officesServed(orgId) });
  });
  const db = server.database.db;
  for (const o of await db.selectFrom('organisation').select(['id', 'code']).execute()) {
    org[o.code] = o.id;
  }
  manifests = manifestService({ db, reference: referenceService(db), clock: server.clock, officesServed: (orgId) => parties.officesServed(orgId) });
  principals.maersk = await demoPrincipal(db, 'MAERSK', ['carrier'], 'maersk.ops');
  principals.kpa = await demoPrincipal(db, 'KPA', ['terminal'], 'kpa-system');
  terminal = server.key('demo-kpa-key');
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  exits = [];
});

describe('release orders', () => {
  it('issues one order per declaration with a trade-style number, audited and announced', async () => {
    const { first } = await arrivedCargo();
    const order = await issue(first);
    expect(order.number).toMatch(/^2026MBARO\d{6}$/);
    const events = await server.database.db.selectFrom('outbox').select(['topic', 'payload']).where('key', '=', order.number).execute();
    expect(events).toEqual([
      {
        topic: 'release.issued',
        payload: {
          releaseOrderNumber: order.number,
          declarationReference: order.declarationReference,
          transportDocumentNumber: first.number,
          officeCode: 'MBA',
          packages: 10,
          grossMassKg: '12500.500',
          releasedAt: order.releasedAt.toISOString(),
        },
      },
    ]);
    const audit = await server.database.db.selectFrom('audit_event').select(['action', 'subject_refs']).where('entity_id', '=', order.number).execute();
    // The B/L by its id: two carriers may use one number, and a timeline must not mix them.
    expect(audit).toEqual([{ action: 'release_order.issued', subject_refs: [order.declarationReference, `td:${first.id}`, order.number] }]);
    const again = await problemOf(issue(first, order.declarationId));
    expect(again.status).toBe(409);
    expect(again.problem).toMatchObject({ releaseOrderNumber: order.number, state: 'released' });
  });

  it('two releases of the same declaration racing give one order and one 409', async () => {
    const { first } = await arrivedCargo();
    const declarationId = randomUUID();
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => issue(first, declarationId)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.map((r) => (r.reason as ProblemError).status)).toEqual([409, 409, 409]);
    const rows = await server.database.db.selectFrom('release_order').select('number').where('declaration_id', '=', declarationId).execute();
    expect(rows).toHaveLength(1);
  });
});

describe("the terminal's inbox", () => {
  it('gets the release message once, however often the event is redelivered', async () => {
    const { first } = await arrivedCargo();
    const order = await issue(first);
    const row = await server.database.db.selectFrom('outbox').selectAll().where('key', '=', order.number).where('topic', '=', 'release.issued').executeTakeFirstOrThrow();
    const event = { id: row.id, topic: row.topic, key: row.key, payload: row.payload, createdAt: row.created_at, attempts: 0 };
    // At-least-once delivery: the same event again, with the database or inside a worker's transaction.
    await deliverToTerminal(event, server.database.db);
    await deliverToTerminal({ ...event, attempts: 1 }, server.database.db);
    await inTransaction(server.database.db, (tx) => deliverToTerminal({ ...event, attempts: 2 }, tx));
    await deliver();
    const messages = await messagesOf(order.number);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: 'release', delivered_at: null, payload: expect.objectContaining({ releaseOrderNumber: order.number, packages: 10 }) });
    const queued = await server.database.db.selectFrom('audit_event').select('action').where('entity_id', '=', order.number).where('action', '=', 'terminal_message.queued').execute();
    expect(queued).toHaveLength(1);
    await expect(deliverToTerminal({ ...event, payload: { nothing: true } }, server.database.db)).rejects.toThrow(/no releaseOrderNumber/);
  });

  it('is pulled after a cursor, marked delivered, repeated until acknowledged, and acknowledged once', async () => {
    const { first, second } = await arrivedCargo();
    const a = await issue(first);
    const b = await issue(second);
    await deliver();
    const pulled = await terminal.get('/api/v1/terminal/messages');
    expect(pulled.status).toBe(200);
    const ours = pulled.body.messages.filter((m: { releaseOrderNumber: string }) => [a.number, b.number].includes(m.releaseOrderNumber));
    expect(ours.map((m: { releaseOrderNumber: string }) => m.releaseOrderNumber)).toEqual([a.number, b.number]);
    expect(ours[0]).toMatchObject({ kind: 'release', deliveredAt: server.clock.now().toISOString(), acknowledgedAt: null, payload: expect.objectContaining({ transportDocumentNumber: first.number }) });
    expect((await messagesOf(a.number))[0]?.delivered_at).not.toBeNull();

    const after = await terminal.get(`/api/v1/terminal/messages?after=${pulled.body.next}`);
    expect(after.body).toEqual({ messages: [], next: pulled.body.next });

    // A message that committed late, below the cursor, still reaches the terminal.
    await server.database.db.updateTable('terminal_message').set({ delivered_at: null }).where('release_order_number', '=', a.number).execute();
    const late = await terminal.get(`/api/v1/terminal/messages?after=${pulled.body.next}`);
    expect(late.body.messages.map((m: { releaseOrderNumber: string }) => m.releaseOrderNumber)).toEqual([a.number]);

    const id = ours[0].id as string;
    const ack = await terminal.post(`/api/v1/terminal/messages/${id}/ack`);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id, acknowledgedAt: server.clock.now().toISOString(), replayed: false });
    const again = await terminal.post(`/api/v1/terminal/messages/${id}/ack`);
    expect(again.body).toMatchObject({ id, acknowledgedAt: ack.body.acknowledgedAt, replayed: true });
    const rest = await terminal.get('/api/v1/terminal/messages');
    const left = rest.body.messages.map((m: { releaseOrderNumber: string }) => m.releaseOrderNumber);
    expect(left).toContain(b.number);
    expect(left).not.toContain(a.number);

    expect((await terminal.post('/api/v1/terminal/messages/999999999/ack')).status).toBe(404);
    expect((await (await server.as('kra.officer')).get('/api/v1/terminal/messages')).status).toBe(403);
    const actions = await server.database.db.selectFrom('audit_event').select('action').where('entity_id', '=', a.number).orderBy('id').execute();
    expect(actions.map((x) => x.action)).toEqual([
      'release_order.issued',
      'terminal_message.queued',
      'terminal_message.delivered',
      'terminal_message.delivered',
      'terminal_message.acknowledged',
    ]);
  });
});

describe('gate-out', () => {
  it('writes the cargo off the B/L, ends the order and tells the declaration once; a repeat is a replay, another gate-out a 409', async () => {
    const { first } = await arrivedCargo();
    const order = await issue(first);
    server.clock.advance(3_600_000);
    const at = server.clock.now().toISOString();
    const res = await gateOut(order.number, { at, gateReference: 'KPA-G7-0001' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      releaseOrderNumber: order.number,
      declarationReference: order.declarationReference,
      transportDocumentNumber: first.number,
      status: 'exited',
      gateReference: 'KPA-G7-0001',
      at,
      packages: 10,
      grossMassKg: '12500.500',
      recordedAt: at,
      replayed: false,
    });
    const document = await findTransportDocumentById(server.database.db, first.id);
    expect(document).toMatchObject({ remainingPackages: 0, remainingMassKg: '0.000' });
    expect(exits).toEqual([{ declarationId: order.declarationId, at: new Date(at) }]);

    const repeat = await gateOut(order.number, { at, gateReference: 'KPA-G7-0001' });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual({ ...res.body, replayed: true });
    const second = await gateOut(order.number, { at, gateReference: 'KPA-G7-0002' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ state: 'exited' });
    expect(second.body.detail).toMatch(/release order is exited/);
    expect(exits).toHaveLength(1);
    expect(await findTransportDocumentById(server.database.db, first.id)).toMatchObject({ remainingPackages: 0 });

    const view = await (await server.as('kra.officer')).get(`/api/v1/release-orders/${order.number}`);
    expect(view.body).toMatchObject({ number: order.number, status: 'exited', exitedAt: at, gateOut: { gateReference: 'KPA-G7-0001', packages: 10, grossMassKg: '12500.500' } });
  });

  it('writes off a partial exit as reported', async () => {
    const { first } = await arrivedCargo();
    const order = await issue(first);
    server.clock.advance(60_000);
    const res = await gateOut(order.number, { at: server.clock.now().toISOString(), gateReference: 'KPA-G1-0100', packages: 7, grossMassKg: '9000.25' });
    expect(res.status).toBe(201);
    expect(await findTransportDocumentById(server.database.db, first.id)).toMatchObject({ remainingPackages: 3, remainingMassKg: '3500.250' });
  });

  it('refuses more than was released, a time before the release, and callers that are not the terminal', async () => {
    const { first } = await arrivedCargo();
    const order = await issue(first);
    const bad = await gateOut(order.number, { at: '2026-01-01T00:00:00Z', gateReference: 'KPA-X-1', packages: 11, grossMassKg: '20000' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/at', '/packages', '/grossMassKg']);
    const agent = await server.as('siginon.agent');
    expect((await agent.post(`/api/v1/release-orders/${order.number}/gate-out`, { at: server.clock.now().toISOString(), gateReference: 'X1' })).status).toBe(403);
    expect((await gateOut('2026MBARO999999', { at: server.clock.now().toISOString(), gateReference: 'X1' })).status).toBe(404);
    expect(exits).toEqual([]);
    expect(await findTransportDocumentById(server.database.db, first.id)).toMatchObject({ remainingPackages: 10 });
  });

  it('rolls the whole gate-out back when the manifest has less left than the order releases', async () => {
    const { second } = await arrivedCargo();
    const a = await issue(second);
    const b = await issue(second);
    server.clock.advance(60_000);
    const at = server.clock.now().toISOString();
    expect((await gateOut(a.number, { at, gateReference: 'KPA-G2-1' })).status).toBe(201);
    const refused = await gateOut(b.number, { at, gateReference: 'KPA-G2-2' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/only 0 packages/);
    const orderB = await server.database.db.selectFrom('release_order').select('status').where('number', '=', b.number).executeTakeFirstOrThrow();
    expect(orderB.status).toBe('released');
    expect(await server.database.db.selectFrom('gate_out').select(sql<string>`count(*)`.as('n')).where('gate_reference', '=', 'KPA-G2-2').executeTakeFirstOrThrow()).toEqual({ n: '0' });
    expect(exits).toEqual([{ declarationId: a.declarationId, at: new Date(at) }]);
  });
});

describe('the gate-out time', () => {
  it('must lie between the release (less 5 minutes of clock difference) and now (plus 5 minutes); the 422 names both bounds', async () => {
    const { first } = await arrivedCargo();
    const order = await issue(first);
    server.clock.advance(3_600_000);
    const earliest = new Date(order.releasedAt.getTime() - 5 * 60_000);
    const latest = new Date(server.clock.now().getTime() + 5 * 60_000);
    for (const at of [new Date(earliest.getTime() - 1), new Date(latest.getTime() + 1), new Date('2000-01-01T00:00:00Z')]) {
      const res = await gateOut(order.number, { at: at.toISOString(), gateReference: 'KPA-T-1' });
      expect(res.status, at.toISOString()).toBe(422);
      expect(res.body.errors).toEqual([expect.objectContaining({ pointer: '/at', code: 'gate_out_time_out_of_range' })]);
      expect(res.body.errors[0].message).toContain(earliest.toISOString());
      expect(res.body.errors[0].message).toContain(latest.toISOString());
    }
    expect(exits).toEqual([]);
    expect(await findTransportDocumentById(server.database.db, first.id)).toMatchObject({ remainingPackages: 10 });
    // A terminal clock a little behind ours is no reason to refuse the exit.
    const ok = await gateOut(order.number, { at: earliest.toISOString(), gateReference: 'KPA-T-2' });
    expect(ok.status).toBe(201);
  });
});

describe('what each audience sees of a release order (release.views.ts)', () => {
  const orderKeys = ['declarationReference', 'exitedAt', 'gateOut', 'grossMassKg', 'number', 'officeCode', 'packages', 'releasedAt', 'status', 'terminalMessages', 'transportDocumentNumber'];

  it('customs everything; the terminal and the trade each their own part', async () => {
    const { first } = await arrivedCargo();
    const order = await issue(first);
    await deliver();
    await terminal.get('/api/v1/terminal/messages');
    server.clock.advance(60_000);
    expect((await gateOut(order.number, { at: server.clock.now().toISOString(), gateReference: 'KPA-V-1' })).status).toBe(201);
    const read = async (client: Client) => {
      const res = await client.get(`/api/v1/release-orders/${order.number}`);
      expect(res.status).toBe(200);
      return { order: Object.keys(res.body).sort(), gateOut: Object.keys(res.body.gateOut).sort(), message: Object.keys(res.body.terminalMessages[0]).sort() };
    };
    expect(await read(await server.as('kra.officer'))).toEqual({
      order: [...orderKeys, 'declarationId', 'releasedBy'].sort(),
      gateOut: ['at', 'gateReference', 'grossMassKg', 'packages', 'recordedAt', 'recordedBy'],
      message: ['acknowledgedAt', 'createdAt', 'deliveredAt', 'id', 'kind', 'releaseOrderNumber'],
    });
    expect(await read(terminal)).toEqual({
      order: orderKeys,
      gateOut: ['at', 'gateReference', 'grossMassKg', 'packages', 'recordedAt'],
      message: ['acknowledgedAt', 'createdAt', 'deliveredAt', 'id', 'kind', 'releaseOrderNumber'],
    });
    for (const username of ['siginon.agent', 'nmotors.owner']) {
      expect(await read(await server.as(username)), username).toEqual({
        order: [...orderKeys, 'declarationId'].sort(),
        gateOut: ['at', 'gateReference', 'grossMassKg', 'packages'],
        message: ['acknowledgedAt', 'createdAt', 'deliveredAt', 'kind'],
      });
    }
  });
});

describe('who sees a release order', () => {
  it('customs, the terminal, the declarant and the importer; nobody else', async () => {
    const { first } = await arrivedCargo();
    const order = await issue(first);
    for (const username of ['kra.officer', 'siginon.agent', 'nmotors.owner']) {
      const res = await (await server.as(username)).get(`/api/v1/release-orders/${order.number}`);
      expect(res.status, username).toBe(200);
      expect(res.body).toMatchObject({ number: order.number, status: 'released', declarationReference: order.declarationReference, transportDocumentNumber: first.number, packages: 10 });
    }
    expect((await terminal.get(`/api/v1/release-orders/${order.number}`)).status).toBe(200);
    expect((await (await server.as('mtraders.owner')).get(`/api/v1/release-orders/${order.number}`)).status).toBe(404);
    expect((await (await server.as('bollore.agent')).get(`/api/v1/release-orders/${order.number}`)).status).toBe(404);
    expect((await server.key('demo-kcb-key').get(`/api/v1/release-orders/${order.number}`)).status).toBe(403);
  });

  it('keeps the audit chains intact', async () => {
    expect((await verifyAudit(server.database.db)).problems).toEqual([]);
  });
});
