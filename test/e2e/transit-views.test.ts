// Each audience reads its own view of a transit movement, a guarantee and a movement's timeline,
// written once as whitelists (transit.views.ts): customs everything; the agent its own movement
// and guarantee without the tracking data, customs's alerts or officers' names; nobody else anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guaranteeFields, movementFields, transitTimelineWhitelist } from '../../src/modules/transit/index.ts';
import { startTestServer, type Client, type TestServer } from '../server.ts';
import { blNumber, expectStatus } from './cargo.ts';
import { movementBody, onDuty, registerGuarantee, transitManifest } from './transit-kit.ts';

let server: TestServer;
let agent: Client;
let officer: Client;
let guarantee: string;
let movement: { id: string; reference: string };
let bl: string;
const customsPeople = ['Achieng Otieno', 'Brian Kiprop', 'Grace Wanjiru', 'Samuel Kiptoo', 'Hassan Abdi', 'Esther Mutua'];
const keys = (value: unknown) => Object.keys(value as Record<string, unknown>).sort();
const sorted = (list: readonly string[]) => [...list].sort();

beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T05:00:00Z' });
  agent = await server.as('siginon.agent');
  const supervisor = await server.as('kra.supervisor');
  const { mombasa, malaba } = await onDuty(server);
  officer = mombasa;
  guarantee = (await registerGuarantee(supervisor, '3000000.00')).reference;
  bl = blNumber('V');
  await transitManifest(server, [{ number: bl, packages: 20, grossMassKg: '800' }]);
  const body = movementBody(bl, guarantee);
  movement = (await agent.post('/api/v1/transit/movements', body)).body;
  expectStatus(await mombasa.post(`/api/v1/transit/movements/${movement.id}/departure`, {}), 200);
  expectStatus(await server.key('demo-tracker-key').post('/api/v1/transit/seal-events', { eventId: 'V-1', sealId: body.seals[0], kind: 'seal_tampered', at: '2026-06-15T05:01:00Z', latitude: -1.5, longitude: 37.2 }), 201);
  expectStatus(await malaba.post(`/api/v1/transit/movements/${movement.id}/exit`, {}), 200);
});

afterAll(async () => {
  await server.close();
});

describe('a transit movement', () => {
  it('shows customs every field, the agent its whitelist without alerts or positions', async () => {
    const customs = (await officer.get(`/api/v1/transit/movements/${movement.id}`)).body;
    expect(keys(customs)).toEqual(sorted(movementFields.customs.filter((f) => f !== 'estimatedStake')));
    expect(customs.alerts).toHaveLength(1);
    expect(customs.lastPosition).toMatchObject({ kind: 'seal_tampered' });
    const trade = (await agent.get(`/api/v1/transit/movements/${movement.id}`)).body;
    expect(keys(trade)).toEqual(sorted(movementFields.trade.filter((f) => f !== 'estimatedStake')));
    expect(trade).not.toHaveProperty('alerts');
    expect(trade).not.toHaveProperty('lastPosition');
    expect(trade.status).toBe('discharged');
  });

  it('is nobody else business: carriers, banks, terminals and trackers are refused, another agent finds nothing', async () => {
    for (const key of ['demo-maersk-key', 'demo-kcb-key', 'demo-kpa-key', 'demo-tracker-key']) {
      expectStatus(await server.key(key).get(`/api/v1/transit/movements/${movement.id}`), 403);
      expectStatus(await server.key(key).get(`/api/v1/transit/guarantees/${guarantee}`), 403);
    }
    expectStatus(await (await server.as('nmotors.owner')).get(`/api/v1/transit/movements/${movement.id}`), 403);
    expectStatus(await (await server.as('bollore.agent')).get(`/api/v1/transit/movements/${movement.id}`), 404);
    expect((await (await server.as('bollore.agent')).get('/api/v1/transit/movements')).body.movements).toEqual([]);
  });
});

describe('a guarantee', () => {
  it("shows the agent its figures and ledger, but not which officer recorded each entry", async () => {
    const customs = (await officer.get(`/api/v1/transit/guarantees/${guarantee}`)).body;
    expect(keys(customs)).toEqual(sorted(guaranteeFields.customs));
    expect(customs.ledger.every((e: { recordedBy?: string }) => typeof e.recordedBy === 'string')).toBe(true);
    const trade = (await agent.get(`/api/v1/transit/guarantees/${guarantee}`)).body;
    expect(keys(trade)).toEqual(sorted(guaranteeFields.trade));
    expect(trade.ledger.map((e: unknown) => keys(e))).toEqual(trade.ledger.map(() => ['amount', 'at', 'balanceAfter', 'effect', 'kind', 'movement']));
    for (const name of customsPeople) {
      expect(JSON.stringify(trade)).not.toContain(name);
    }
  });
});

describe("the movement's timeline", () => {
  it('shows customs every step, the seal alert included', async () => {
    const events = (await officer.get(`/api/v1/transit/movements/${movement.id}/timeline`)).body.events as { action: string }[];
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['manifest.lodged', 'transit.lodged', 'transit.departed', 'transit.alert_raised', 'transit.exited', 'transport_document.written_off', 'transit.discharged']));
  });

  it("shows the agent only its movement's whitelisted steps and details, and no officer by name", async () => {
    const res = await agent.get(`/api/v1/transit/movements/${movement.id}/timeline`);
    const events = res.body.events as { action: string; details: Record<string, unknown> }[];
    expect(events.map((e) => e.action)).toEqual(['transit.lodged', 'transit.departed', 'transit.exited', 'transport_document.written_off', 'transit.discharged']);
    for (const e of events) {
      const allowed = transitTimelineWhitelist.trade[e.action] ?? [];
      expect(keys(e.details).every((k) => allowed.includes(k)), `${e.action}: ${keys(e.details).join(', ')}`).toBe(true);
    }
    for (const name of customsPeople) {
      expect(res.text).not.toContain(name);
    }
  });

  it("reaches the consignment's timeline through the B/L's subject (td:<id>), for customs", async () => {
    const res = await officer.get(`/api/v1/timeline?bl=${bl}`);
    expectStatus(res, 200);
    expect(res.body.events.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['transit.departed', 'transit.discharged']));
  });
});
