// The risk API over real HTTP: who may read and write rules, idempotent and audited changes, a
// lodged declaration that hits a rule goes red with its reason for customs and without it for
// the agent and the importer, models listed and activated, and monitoring figures per rule
// version on a small seeded set.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/platform/db/transaction.ts';
import { recordOutcome, storeModel, trainingRows, trainModel, type DeclarationForRisk } from '../src/modules/risk/index.ts';
import { startTestServer, type Client, type TestServer } from './server.ts';
import { declaration, fixedId } from './risk-fixtures.ts';

let server: TestServer;
let analyst: Client;
let officer: Client;
let agent: Client;
let trader: Client;
let orgs: Record<string, string>;

function expectStatus(res: { status: number; text: string }, status: number): void {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${res.text}`);
  }
}

beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T05:00:00Z' });
  analyst = await server.as('kra.risk');
  officer = await server.as('kra.officer');
  agent = await server.as('siginon.agent');
  trader = await server.as('nmotors.owner');
  orgs = Object.fromEntries((await server.database.db.selectFrom('organisation').select(['id', 'code']).execute()).map((o) => [o.code, o.id]));
  // No random selection in this test's year: each channel below has a stated cause.
  expectStatus(
    await analyst.post('/api/v1/risk/settings', {
      key: 'random.rate',
      value: 0,
      validFrom: '2026-01-01',
      note: 'tests',
    }),
    201,
  );
});

afterAll(async () => {
  await server.close();
});

let manifests = 0;
/** A Maersk manifest at Mombasa with n bills of lading of laptops for Nairobi Motors; their numbers. */
async function lodgeManifest(n: number): Promise<string[]> {
  manifests += 1;
  const bls = Array.from({ length: n }, (_, i) => `MAEURISK${manifests}X${i}T${Date.now() % 1_000_000}`);
  const manifest = await server.key('demo-maersk-key').post('/api/v1/manifests', {
    mode: 'sea',
    conveyanceId: '9074729',
    conveyanceName: 'MAERSK SELETAR',
    voyageNumber: `24${manifests}W`,
    portOfLoading: 'CNSHA',
    portOfDischarge: 'KEMBA',
    officeCode: 'MBA',
    expectedArrival: '2026-06-16T14:00:00+03:00',
    documents: bls.map((bl) => ({
      number: bl,
      kind: 'BL',
      shipperName: 'Shenzhen Electronics Export Co',
      consigneeName: 'Nairobi Motors Ltd',
      consigneePin: 'P051234567A',
      notifyParty: 'Siginon Freight Ltd',
      packages: 10,
      packageKind: 'CT',
      grossMassKg: '400',
      description: 'Laptops',
      cargoCategory: 'home_use',
      containers: [],
    })),
  });
  expectStatus(manifest, 201);
  return bls;
}

/** 50 laptops, 100 kg, FOB USD `price`: at 12,000 far above KES 5,000/kg, at 2,000 below. */
function declarationBody(bl: string, price: string, extra: Record<string, unknown> = {}) {
  return {
    cpc: '4000000',
    officeCode: 'MBA',
    importerPin: 'P051234567A',
    transportDocumentNumber: bl,
    invoiceCurrency: 'USD',
    invoiceAmount: price,
    incoterm: 'FOB',
    freight: '100.00',
    documents: [{ code: 'N380', reference: 'INV-1' }],
    items: [{ hsCode: '8471.30.00', description: 'Laptop computers', originCountry: 'CN', quantity: '50', unit: 'NAR', netMassKg: '100', grossMassKg: '400', packages: 10, itemPrice: price }],
    lodge: true,
    ...extra,
  };
}

const laptopRule = {
  name: 'Laptops declared by weight too cheap',
  reason: 'laptops below KES 5,000 per kg: check model and quantity against the invoice',
  channel: 'red',
  priority: 5,
  validFrom: '2026-01-01',
  criteria: { hsCodes: ['8471.30'], valuePerKg: { below: '5000' } },
};

describe('rules through the API', () => {
  it('lets risk analysts write, customs read, and no one else see the rules', async () => {
    expect((await trader.get('/api/v1/risk/rules')).status).toBe(403);
    expect((await agent.get('/api/v1/risk/monitoring?from=2026-06-01&to=2026-06-30')).status).toBe(403);
    expect((await officer.post('/api/v1/risk/rules', laptopRule)).status).toBe(403);
    expect((await server.anonymous().get('/api/v1/risk/rules')).status).toBe(401);

    const created = await analyst.post('/api/v1/risk/rules', laptopRule, {
      idempotencyKey: 'rule-laptops-1',
    });
    expectStatus(created, 201);
    expect(created.body).toMatchObject({
      version: 1,
      code: expect.stringMatching(/^R\d{4}$/),
      channel: 'red',
      active: true,
      current: true,
      offices: [],
      criteria: { hsCodes: ['847130'] },
    });
    const replay = await analyst.post('/api/v1/risk/rules', laptopRule, {
      idempotencyKey: 'rule-laptops-1',
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(created.body.id);

    const list = await officer.get('/api/v1/risk/rules');
    expectStatus(list, 200);
    expect(list.body.items.filter((r: { name: string }) => r.name === laptopRule.name)).toHaveLength(1);

    const bad = await analyst.post('/api/v1/risk/rules', {
      ...laptopRule,
      criteria: { originCountries: ['XX'] },
      offices: ['ZZZ'],
    });
    expectStatus(bad, 422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/criteria/originCountries/0', '/offices/0']);

    const audited = await server.database.db.selectFrom('audit_event').select(['action', 'actor_name', 'role']).where('entity_id', '=', created.body.id).execute();
    expect(audited).toEqual([
      {
        action: 'risk.rule_created',
        actor_name: 'Hassan Abdi',
        role: 'risk_analyst',
      },
    ]);
  });
});

describe('a lodged declaration hitting a rule', () => {
  it('goes red with the rule reason for customs, and the agent and importer see only the channel', async () => {
    const bls = await lodgeManifest(2);
    const dear = await agent.post('/api/v1/declarations', declarationBody(bls[0]!, '12000.00'));
    expectStatus(dear, 201);
    expect(dear.body.selectivity).toEqual({ channel: 'green' });

    const cheap = await agent.post('/api/v1/declarations', declarationBody(bls[1]!, '2000.00'));
    expectStatus(cheap, 201);
    expect(cheap.body.selectivity).toEqual({ channel: 'red' });

    const asOfficer = await officer.get(`/api/v1/declarations/${cheap.body.id}`);
    expect(asOfficer.body.selectivity.channel).toBe('red');
    expect(asOfficer.body.selectivity.reasons[0]).toContain(laptopRule.reason);
    expect(asOfficer.body.selectivity.version).toMatch(/rules R\d{4} v1/);

    // Neither the agent nor the importer learns why, in any view.
    for (const client of [agent, trader]) {
      const view = await client.get(`/api/v1/declarations/${cheap.body.id}`);
      expectStatus(view, 200);
      expect(view.body.selectivity).toEqual({ channel: 'red' });
      expect(view.text).not.toContain('KES 5,000 per kg');
      const list = await client.get('/api/v1/declarations');
      expect(list.text).not.toContain('KES 5,000 per kg');
      expect((await client.get(`/api/v1/risk/selections/${cheap.body.id}`)).status).toBe(403);
    }
    expect(JSON.stringify((await officer.get('/api/v1/declarations')).body)).toContain('KES 5,000 per kg');

    // Customs can read the recorded decision: the rule and the version that hit.
    const selection = await officer.get(`/api/v1/risk/selections/${cheap.body.id}`);
    expectStatus(selection, 200);
    expect(selection.body).toMatchObject({
      channel: 'red',
      random: false,
      selectedBy: ['rule'],
      reference: cheap.body.reference,
    });
    expect(selection.body.rules).toMatchObject([{ version: 1, channel: 'red', items: [1] }]);
  });

  it('matches the seller and the country of dispatch declared on the header', async () => {
    const rule = await analyst.post('/api/v1/risk/rules', {
      name: 'Transhipped via Jebel Ali by a known seller',
      reason: 'goods of this seller re-routed through AE: check origin certificates',
      channel: 'yellow',
      priority: 20,
      validFrom: '2026-01-01',
      criteria: { sellers: ['Gulf Re-export Trading LLC'], departureCountries: ['AE'] },
    });
    expectStatus(rule, 201);
    const bls = await lodgeManifest(2);
    const bad = await agent.post('/api/v1/declarations', declarationBody(bls[0]!, '12000.00', { departureCountry: 'XX', sellerCountry: 'ZZ' }));
    expectStatus(bad, 422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/departureCountry', '/sellerCountry']);

    const lodged = await agent.post('/api/v1/declarations', declarationBody(bls[0]!, '12000.00', { sellerName: 'GULF RE-EXPORT  Trading llc', sellerCountry: 'ae', departureCountry: 'ae' }));
    expectStatus(lodged, 201);
    expect(lodged.body).toMatchObject({ selectivity: { channel: 'yellow' }, seller: { name: 'GULF RE-EXPORT  Trading llc', country: 'AE' }, departureCountry: 'AE' });
    const selection = await officer.get(`/api/v1/risk/selections/${lodged.body.id}`);
    expect(selection.body.rules).toMatchObject([{ id: rule.body.id, version: 1, channel: 'yellow' }]);
    expect(selection.body.reasons[0]).toContain('re-routed through AE');

    // Shipped from China by the same seller: the rule does not apply.
    const direct = await agent.post('/api/v1/declarations', declarationBody(bls[1]!, '12000.00', { sellerName: 'Gulf Re-export Trading LLC', departureCountry: 'CN' }));
    expectStatus(direct, 201);
    expect(direct.body.selectivity).toEqual({ channel: 'green' });
  });
});

describe('models through the API', () => {
  it('lists models with their metrics and lets an analyst activate one', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => {
      const d = declaration(
        orgs,
        {
          importerPin: `P${String(100000000 + (i % 40)).padStart(9, '0')}Z`,
          date: `2026-0${1 + (i % 5)}-1${i % 10}`,
        },
        { netMassKg: String(10 + (i % 37)) },
      );
      return trainingRows(d, i % 40 < 4 ? i % 3 !== 0 : i % 17 === 0);
    }).flat();
    const trained = trainModel(rows, {
      source: 'database',
      seed: 1,
      targetRates: { red: 0.03, yellow: 0.07 },
      currency: 'KES',
      now: server.clock.now(),
      rounds: 30,
    });
    const stored = await inTransaction(server.database.db, (tx) => storeModel(tx, trained, { id: 'cli', name: 'cli', organisationId: null, role: 'risk_analyst' }, server.clock.now()));

    const list = await officer.get('/api/v1/risk/models');
    expectStatus(list, 200);
    expect(list.body.items[0]).toMatchObject({
      id: stored.id,
      version: stored.version,
      active: false,
      trainedOn: { source: 'database', rows: 400 },
      thresholds: {
        targetRates: { red: 0.03, yellow: 0.07 },
        source: 'validation',
      },
    });
    expect(Object.keys(list.body.items[0].metrics.precision)).toEqual(['1', '2', '5', '10']);
    expect(list.body.items[0]).not.toHaveProperty('model');

    expect((await officer.post(`/api/v1/risk/models/${stored.id}/activate`)).status).toBe(403);
    expect((await analyst.post(`/api/v1/risk/models/${randomUUID()}/activate`)).status).toBe(404);
    const activated = await analyst.post(`/api/v1/risk/models/${stored.id}/activate`);
    expectStatus(activated, 200);
    expect(activated.body).toMatchObject({
      active: true,
      version: stored.version,
    });
    expect(server.app.services.risk.engine.models.peek()?.id).toBe(stored.id);

    // Target rates of zero: the model selects nobody.
    const none = await analyst.post(`/api/v1/risk/models/${stored.id}/thresholds`, { targetRates: { red: 0, yellow: 0 } });
    expectStatus(none, 200);
    const decision = await server.app.services.risk.engine.evaluate(declaration(orgs), server.database.db);
    expect(decision.model?.version).toBe(stored.version);
    expect(decision.selectedBy).not.toContain('model');
    expect(
      (
        await analyst.post(`/api/v1/risk/models/${stored.id}/thresholds`, {
          targetRates: { red: 0.6, yellow: 0.6 },
        })
      ).status,
    ).toBe(422);
  });
});

describe('monitoring', () => {
  it('counts selections, inspections, hits and revenue per rule version and channel', async () => {
    const { engine } = server.app.services.risk;
    const db = server.database.db;
    const rule = (await officer.get('/api/v1/risk/rules')).body.items.find((r: { name: string }) => r.name === laptopRule.name);
    const cheapLaptops = (n: number): DeclarationForRisk => declaration(orgs, { declarationId: fixedId(9000 + n), date: '2026-06-10' }, { customsValue: '100000.00' });
    const green = (n: number): DeclarationForRisk => declaration(orgs, { declarationId: fixedId(9100 + n), date: '2026-06-10' }, { hsCode: '6109.10.00', originCountry: 'BD' });
    const decide = async (d: DeclarationForRisk, outcome?: { discrepancy: boolean; revenue: string }) =>
      inTransaction(db, async (tx) => {
        const decision = await engine.evaluate(d, tx);
        await engine.record(tx, d, decision);
        if (outcome) {
          await recordOutcome(tx, {
            declarationId: d.declarationId,
            inspected: true,
            discrepancy: outcome.discrepancy,
            extraRevenue: outcome.revenue,
            findings: null,
            officerId: 'officer-1',
          });
        }
        return decision;
      });
    await decide(cheapLaptops(1), { discrepancy: true, revenue: '1000.50' });
    await decide(cheapLaptops(2), { discrepancy: true, revenue: '2000.00' });
    await decide(cheapLaptops(3), { discrepancy: false, revenue: '0' });
    await decide(cheapLaptops(4));
    await decide(green(1));
    await decide(green(2), { discrepancy: false, revenue: '0' });
    // Version 2 of the rule, then one more hit under it.
    const changed = await analyst.put(`/api/v1/risk/rules/${rule.id}`, {
      ...laptopRule,
      reason: 'laptops below KES 5,000 per kg (v2)',
      expectedVersion: 1,
    });
    expectStatus(changed, 200);
    expect(changed.body.version).toBe(2);
    expect((await decide(cheapLaptops(5), { discrepancy: true, revenue: '500' })).rules).toMatchObject([{ version: 2 }]);

    const res = await officer.get('/api/v1/risk/monitoring?from=2026-06-10&to=2026-06-10');
    expectStatus(res, 200);
    const m = res.body;
    expect(m).toMatchObject({
      declarations: 7,
      inspected: 5,
      inspectionRate: 0.7143,
      hits: 3,
      revenue: '3500.50',
    });
    expect(m.channels).toEqual([
      {
        channel: 'red',
        declarations: 5,
        share: 0.7143,
        inspected: 4,
        hits: 3,
        hitRate: 0.75,
        revenue: '3500.50',
      },
      {
        channel: 'yellow',
        declarations: 0,
        share: 0,
        inspected: 0,
        hits: 0,
        hitRate: null,
        revenue: '0.00',
      },
      {
        channel: 'blue',
        declarations: 0,
        share: 0,
        inspected: 0,
        hits: 0,
        hitRate: null,
        revenue: '0.00',
      },
      {
        channel: 'green',
        declarations: 2,
        share: 0.2857,
        inspected: 1,
        hits: 0,
        hitRate: 0,
        revenue: '0.00',
      },
    ]);
    expect(m.rules).toEqual([
      {
        id: rule.id,
        version: 1,
        code: rule.code,
        name: laptopRule.name,
        channel: 'red',
        selections: 4,
        inspected: 3,
        hits: 2,
        hitRate: 0.6667,
        revenue: '3000.50',
      },
      {
        id: rule.id,
        version: 2,
        code: rule.code,
        name: laptopRule.name,
        channel: 'red',
        selections: 1,
        inspected: 1,
        hits: 1,
        hitRate: 1,
        revenue: '500.00',
      },
    ]);
    expect(m.random).toEqual({
      selections: 0,
      inspected: 0,
      hits: 0,
      hitRate: null,
      revenue: '0.00',
    });
    // Another period: nothing.
    expect((await officer.get('/api/v1/risk/monitoring?from=2026-05-01&to=2026-05-31')).body).toMatchObject({ declarations: 0, inspectionRate: null, rules: [] });
    expectStatus(await officer.get('/api/v1/risk/monitoring?from=2026-06-10&to=2026-06-01'), 422);
  });
});
