// Each audience reads its own view of a declaration, a verification task and a consignment's
// timeline, written once as a whitelist (declaration.view.ts, inspection.view.ts,
// declaration.timeline.ts). These tests hold every answer to its whitelist: a field added to a
// record without a decision about who may read it shows up here, not in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declarationWhitelists } from '../../src/modules/declaration/declaration.view.ts';
import { timelineWhitelist } from '../../src/modules/declaration/declaration.timeline.ts';
import { taskWhitelist } from '../../src/modules/inspection/inspection.view.ts';
import type { Audience } from '../../src/platform/http/audience.ts';
import type { Client } from '../server.ts';
import { blNumber, declarationBody, expectStatus, lodgeDeclaration, lodgeManifest, roster, startJourney, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
let importer: Client;
let officer: Client;
let bl: string;
let red: { id: string; reference: string };
let queried: { id: string };
let taskId: string;
/** Names of the administration's people: the trade and carriers never read them. */
const customsPeople = ['Achieng Otieno', 'Brian Kiprop', 'Grace Wanjiru', 'Samuel Kiptoo', 'Hassan Abdi', 'Esther Mutua'];

const topLevel = (fields: readonly string[]) => [...new Set(fields.map((f) => f.split('.')[0] as string))].sort();
const keys = (value: unknown) => Object.keys(value as Record<string, unknown>).sort();

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  const { server } = journey;
  agent = await server.as('siginon.agent');
  importer = await server.as('nmotors.owner');
  officer = await server.as('kra.officer');
  const analyst = await server.as('kra.risk');
  expectStatus(
    await analyst.post('/api/v1/risk/rules', { name: 'Cotton T-shirts', reason: 'T-shirts under-valued: verify', channel: 'red', priority: 5, validFrom: '2026-01-01', criteria: { hsCodes: ['6109'] } }),
    201,
  );
  await roster(server, 'kra.officer', 'MBA');
  bl = blNumber('W');
  const other = blNumber('W');
  const manifest = await lodgeManifest(server, '2026-06-15T14:00:00+03:00', [
    { number: bl, packages: 30, grossMassKg: '1200' },
    { number: other, packages: 30, grossMassKg: '1200' },
  ]);
  red = await lodgeDeclaration(agent, bl);
  taskId = (await officer.get(`/api/v1/declarations/${red.id}/verification`)).body.id;
  const prn = (await agent.post(`/api/v1/declarations/${red.id}/register`)).body.payment.prn as string;
  expectStatus(await server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: (await agent.get(`/api/v1/declarations/${red.id}`)).body.assessment.total, bankReference: `KCB-W-${red.reference}`, paidAt: '2026-06-15T08:05:00+03:00' }), 201);
  expectStatus(await officer.post(`/api/v1/inspection/tasks/${taskId}/findings`, { result: 'discrepancy', corrections: [{ itemNo: 3, itemPrice: '2600.00' }], remarks: 'price list found in the container' }), 200);
  expectStatus(await server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2026-06-15T07:30:00+03:00' }), 200);
  queried = await lodgeDeclaration(agent, other, { items: [declarationBody(other).items[0]], invoiceAmount: '12000.00' });
  expectStatus(await officer.post(`/api/v1/declarations/${queried.id}/query`, { reason: 'attach the supplier price list' }), 200);
  await journey.settle();
});

afterAll(async () => {
  await journey.close();
});

describe('a declaration', () => {
  it('shows customs and the trade exactly their whitelists, and nobody else anything', async () => {
    const forTrade = (await agent.get(`/api/v1/declarations/${red.id}`)).body;
    const forImporter = (await importer.get(`/api/v1/declarations/${red.id}`)).body;
    const forCustoms = (await officer.get(`/api/v1/declarations/${red.id}`)).body;
    expect(keys(forTrade)).toEqual(topLevel(declarationWhitelists.declaration.trade));
    expect(keys(forImporter)).toEqual(keys(forTrade));
    expect(keys(forCustoms)).toEqual(topLevel(declarationWhitelists.declaration.customs));
    // Inside: the channel but not why; a query's text but not who asked.
    expect(keys(forTrade.selectivity)).toEqual(['channel']);
    expect(keys(forCustoms.selectivity)).toEqual(['channel', 'reasons', 'score', 'version']);
    const query = (await agent.get(`/api/v1/declarations/${queried.id}`)).body.query;
    expect(keys(query)).toEqual(['at', 'reason']);
    expect(keys((await officer.get(`/api/v1/declarations/${queried.id}`)).body.query)).toEqual(['at', 'by', 'reason']);
    for (const outsider of [journey.server.key('demo-maersk-key'), journey.server.key('demo-kcb-key'), journey.server.key('demo-kpa-key')]) {
      expect((await outsider.get(`/api/v1/declarations/${red.id}`)).status).toBe(403);
    }
    for (const audience of ['carrier', 'bank', 'terminal'] as Audience[]) {
      expect(declarationWhitelists.declaration[audience]).toEqual([]);
    }
  });

  it('lists declarations with each audience’s summary', async () => {
    const forTrade = (await agent.get('/api/v1/declarations')).body.items[0];
    const forCustoms = (await officer.get('/api/v1/declarations')).body.items[0];
    expect(keys(forTrade)).toEqual(topLevel(declarationWhitelists.summary.trade));
    expect(keys(forCustoms)).toEqual(topLevel(declarationWhitelists.summary.customs));
  });
});

describe('a verification task', () => {
  it('shows the trade its findings and what to pay, never the reasons nor the officer', async () => {
    const forTrade = (await agent.get(`/api/v1/inspection/tasks/${taskId}`)).body;
    const forCustoms = (await officer.get(`/api/v1/inspection/tasks/${taskId}`)).body;
    expect(keys(forTrade)).toEqual(topLevel(taskWhitelist.trade));
    expect(keys(forCustoms)).toEqual(topLevel(taskWhitelist.customs));
    expect(keys(forTrade.findings)).toEqual(['at', 'corrections', 'remarks', 'result']);
    expect(JSON.stringify(forTrade)).not.toContain('Achieng Otieno');
    expect(JSON.stringify(forTrade)).not.toContain('under-valued');
    expect(JSON.stringify(forCustoms)).toContain('Achieng Otieno');
    for (const outsider of [journey.server.key('demo-maersk-key'), journey.server.key('demo-kcb-key'), journey.server.key('demo-kpa-key')]) {
      expect((await outsider.get(`/api/v1/inspection/tasks/${taskId}`)).status).toBe(403);
    }
  });
});

describe("a consignment's timeline", () => {
  type Event = { action: string; actor: { name: string; role: string }; reason: string | null; details: Record<string, unknown> | null };

  it('gives the trade only the whitelisted steps and details, with customs people as the administration', async () => {
    const res = await importer.get(`/api/v1/timeline?bl=${bl}`);
    expectStatus(res, 200);
    const events = res.body.events as Event[];
    expect(events.length).toBeGreaterThan(8);
    for (const e of events) {
      const rule = timelineWhitelist[e.action]?.trade;
      expect(rule, e.action).toBeDefined();
      for (const key of Object.keys(e.details ?? {})) {
        expect(rule?.details, `${e.action} ${key}`).toContain(key);
      }
      if (!rule?.reason) {
        expect(e.reason, e.action).toBeNull();
      }
      expect(customsPeople, e.action).not.toContain(e.actor.name);
    }
    const found = events.find((e) => e.action === 'verification.discrepancy_found');
    expect(found).toMatchObject({ actor: { name: 'Kenya Revenue Authority', role: 'officer' }, reason: 'price list found in the container' });
    for (const hidden of ['verification.allocated', 'terminal_message.queued', 'terminal_message.delivered']) {
      expect(events.map((e) => e.action)).not.toContain(hidden);
    }
    expect(res.text).not.toContain('under-valued');
  });

  it('gives the carrier the steps of its B/L without a figure, and banks and terminals nothing', async () => {
    const res = await journey.server.key('demo-maersk-key').get(`/api/v1/timeline?bl=${bl}`);
    expectStatus(res, 200);
    for (const e of res.body.events as Event[]) {
      const rule = timelineWhitelist[e.action]?.carrier;
      expect(rule, e.action).toBeDefined();
      for (const key of Object.keys(e.details ?? {})) {
        expect(rule?.details, `${e.action} ${key}`).toContain(key);
      }
      expect(customsPeople).not.toContain(e.actor.name);
    }
    for (const d of res.body.declarations as Record<string, unknown>[]) {
      expect(keys(d)).toEqual(['reference', 'releaseOrderNumber', 'status']);
    }
    expect(res.text).not.toMatch(/"(total|totals|amount|prn|paidTotal|difference)"/);
    // Nor any of the assessment's detail: exemption letters drawn, rules used, a pending valuation, a CRSP row, a pending request.
    expect(res.text).not.toMatch(/"(assessment|items|exemptionLetters|rulesUsed|pendingValuation|crsp|alcoholPercent|pendingRequest|request)"/);
    expect((await journey.server.key('demo-kcb-key').get(`/api/v1/timeline?bl=${bl}`)).status).toBe(403);
    expect((await journey.server.key('demo-kpa-key').get(`/api/v1/timeline?bl=${bl}`)).status).toBe(403);
  });

  it('gives customs every step as recorded', async () => {
    const res = await officer.get(`/api/v1/timeline?bl=${bl}`);
    const actions = (res.body.events as Event[]).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['verification.allocated', 'verification.discrepancy_found']));
    expect(res.text).toContain('Achieng Otieno');
    expect(res.text).toContain('under-valued');
  });
});
