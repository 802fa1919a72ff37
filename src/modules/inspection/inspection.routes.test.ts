// Verification over real HTTP with real declarations, the real risk engine (rules created by the
// risk analyst through its API), payments by the bank's key and releases: every path of a
// verification task, who may do what, and what the trade may see. PGlite, or PostgreSQL with
// TEST_DATABASE_URL. Invoices are in KES on CIF terms, so the differences can be worked by hand:
// customs value = item price; import duty 35% (T-shirts); VAT 16% of value + duty + excise; IDF
// 2.5% and RDL 2% of value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Dec } from '#platform/money.ts';
import type { Client } from '../../../test/server.ts';
import { blNumber, declarationBody, expectStatus, lodgeManifest, roster, startJourney, type Journey } from '../../../test/e2e/cargo.ts';

let journey: Journey;
let agent: Client;
let importer: Client;
let officers: Record<string, Client>;
let supervisor: Client;
let analyst: Client;
let ids: Record<string, string>;
const bls: string[] = [];
let bankRef = 0;

const reasons = {
  tshirts: 'T-shirts from Bangladesh under-valued: verify value and origin',
  juice: 'fruit juice: count the litres (excise per litre)',
  laptops: 'phones declared as laptops: open and check',
  jerseys: 'jerseys: post-clearance audit of value',
};

type Item = Record<string, unknown>;
const tshirts = (price: string, extra: Item = {}): Item => ({
  hsCode: '6109.10.00',
  description: 'T-shirts of cotton',
  originCountry: 'BD',
  quantity: '1000',
  unit: 'NAR',
  netMassKg: '200',
  grossMassKg: '250',
  packages: 5,
  itemPrice: price,
  ...extra,
});
const juice = (litres: string, price: string): Item => ({
  hsCode: '2009.11.00',
  description: 'Orange juice, frozen',
  originCountry: 'ZA',
  quantity: litres,
  unit: 'LTR',
  netMassKg: litres,
  grossMassKg: String(Number(litres) + 50),
  packages: 10,
  itemPrice: price,
});

function nextBl(): string {
  const bl = bls.shift();
  if (!bl) {
    throw new Error('no B/L left on the test manifest');
  }
  return bl;
}

/** Lodges a KES, CIF declaration of these items on a fresh B/L of the arrived manifest. */
async function lodge(items: Item[], documents: { code: string; reference: string }[] = []) {
  const bl = nextBl();
  const total = items.reduce((s, i) => s.plus(String(i.itemPrice)), new Dec(0));
  const body = declarationBody(bl, {
    invoiceCurrency: 'KES',
    invoiceAmount: total.toFixed(2),
    incoterm: 'CIF',
    freight: undefined,
    insurance: undefined,
    items,
    documents: [{ code: 'N380', reference: `INV-${bl}` }, ...documents],
  });
  const res = await agent.post('/api/v1/declarations', { ...body, lodge: true });
  expectStatus(res, 201);
  return { ...(res.body as { id: string; reference: string; status: string; assessment: { total: string }; selectivity: { channel: string } }), body };
}

async function register(id: string): Promise<string> {
  const res = await agent.post(`/api/v1/declarations/${id}/register`);
  expectStatus(res, 200);
  return res.body.payment.prn as string;
}

async function pay(prn: string, amount: string) {
  const res = await journey.server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount, bankReference: `KCB-V-${++bankRef}`, paidAt: journey.server.clock.now().toISOString() });
  expectStatus(res, 201);
  return res.body;
}

const declaration = async (id: string) => (await agent.get(`/api/v1/declarations/${id}`)).body;
const verification = async (client: Client, id: string) => (await client.get(`/api/v1/declarations/${id}/verification`)).body;

/** The client of the officer the task was drawn for, and of the other one. */
async function assigned(declarationId: string): Promise<{ task: any; officer: Client; other: Client }> {
  const task = await verification(supervisor, declarationId);
  const name = Object.keys(officers).find((n) => ids[n] === task.assignedOfficer?.id);
  if (!name) {
    throw new Error(`task ${task.number} is not with a test officer: ${JSON.stringify(task.assignedOfficer)}`);
  }
  const other = Object.keys(officers).find((n) => n !== name)!;
  return { task, officer: officers[name]!, other: officers[other]! };
}

async function findings(officer: Client, taskId: string, body: unknown) {
  const res = await officer.post(`/api/v1/inspection/tasks/${taskId}/findings`, body);
  expectStatus(res, 200);
  return res.body;
}

async function respond(client: Client, declarationId: string, body: unknown) {
  const res = await client.post(`/api/v1/declarations/${declarationId}/verification-response`, body);
  expectStatus(res, 200);
  return res.body;
}

const label = (declarationId: string) => journey.server.database.db.selectFrom('risk_outcome').selectAll().where('declaration_id', '=', declarationId).executeTakeFirst();

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  const { server } = journey;
  agent = await server.as('siginon.agent');
  importer = await server.as('nmotors.owner');
  officers = { 'kra.officer': await server.as('kra.officer'), 'kra.officer2': await server.as('kra.officer2') };
  supervisor = await server.as('kra.supervisor');
  analyst = await server.as('kra.risk');
  ids = {};
  for (const [name, client] of [...Object.entries(officers), ['kra.supervisor', supervisor] as const]) {
    ids[name] = (await client.get('/api/v1/me')).body.id;
  }
  // The analyst's rules (startJourney turns random selection off: only the rules decide here).
  const rule = (name: string, channel: string, hsCodes: string[], reason: string) =>
    analyst.post('/api/v1/risk/rules', { name, reason, channel, priority: 10, validFrom: '2026-01-01', criteria: { hsCodes } });
  for (const res of [
    await rule('T-shirts', 'red', ['6109'], reasons.tshirts),
    await rule('Juice', 'yellow', ['2009'], reasons.juice),
    await rule('Laptops', 'red', ['8471'], reasons.laptops),
    await rule('Jerseys', 'blue', ['6110'], reasons.jerseys),
  ]) {
    expectStatus(res, 201);
  }
  for (let i = 0; i < 20; i++) {
    bls.push(blNumber('V'));
  }
  const manifest = await lodgeManifest(
    server,
    '2026-06-15T14:00:00+03:00',
    bls.map((number) => ({ number, packages: 30, grossMassKg: '3000' })),
  );
  expectStatus(await server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2026-06-15T07:30:00+03:00' }), 200);
  await journey.settle();
  for (const name of Object.keys(officers)) {
    await roster(server, name, 'MBA');
  }
});

afterAll(async () => {
  await journey.close();
});

describe('selection and visibility', () => {
  it('turns a red declaration into a task drawn for an officer on duty; customs see why, the trade does not', async () => {
    const d = await lodge([tshirts('100000.00')]);
    expect(d.selectivity).toEqual({ channel: 'red' });
    const { task, officer, other } = await assigned(d.id);
    expect(task).toMatchObject({ status: 'assigned', kind: 'physical', channel: 'red', declaration: { reference: d.reference } });
    expect(JSON.stringify(task.riskReasons)).toContain(reasons.tshirts);
    expect((await officer.get('/api/v1/inspection/tasks?assignedTo=me&status=assigned')).body.items.map((t: { id: string }) => t.id)).toContain(task.id);
    expect((await other.get('/api/v1/inspection/tasks?assignedTo=me')).body.items.map((t: { id: string }) => t.id)).not.toContain(task.id);

    // The declarant and the importer see the status, not the reasons nor who holds the task.
    for (const party of [agent, importer]) {
      const seen = await party.get(`/api/v1/declarations/${d.id}/verification`);
      expectStatus(seen, 200);
      expect(seen.body).toMatchObject({ id: task.id, status: 'assigned', kind: 'physical' });
      expect(seen.body.riskReasons).toBeUndefined();
      expect(seen.body.assignedOfficer).toBeUndefined();
      expect(seen.body.history).toBeUndefined();
      expect(seen.text).not.toContain('under-valued');
      expectStatus(await party.get(`/api/v1/inspection/tasks/${task.id}`), 200);
    }
    // Nobody else learns it exists; the trade cannot list tasks.
    for (const stranger of [await journey.server.as('bollore.agent'), await journey.server.as('mtraders.owner')]) {
      expect((await stranger.get(`/api/v1/declarations/${d.id}/verification`)).status).toBe(404);
      expect((await stranger.get(`/api/v1/inspection/tasks/${task.id}`)).status).toBe(404);
    }
    expect((await agent.get('/api/v1/inspection/tasks')).status).toBe(403);

    // The task is on the consignment's timeline; its reason only for customs.
    const forAgent = await agent.get(`/api/v1/timeline?declaration=${d.reference}`);
    expectStatus(forAgent, 200);
    const actions = forAgent.body.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['declaration.assessed', 'verification.task_created']));
    expect(forAgent.text).not.toContain('under-valued');
    // Nor whom the task was drawn for, nor even that it was drawn.
    expect(actions).not.toContain('verification.allocated');
    expect(forAgent.text).not.toContain(task.assignedOfficer.id);
    expect(forAgent.text).not.toContain(task.assignedOfficer.name);
    expect((await supervisor.get(`/api/v1/timeline?declaration=${d.reference}`)).text).toContain('under-valued');
  });

  it('refuses the wrong roles and findings from an officer the task was not drawn for', async () => {
    const d = await lodge([tshirts('100000.00')]);
    const { task, other } = await assigned(d.id);
    const clean = { result: 'no_discrepancy', remarks: 'as declared' };
    expect((await agent.post(`/api/v1/inspection/tasks/${task.id}/findings`, clean)).status).toBe(403);
    expect((await analyst.post(`/api/v1/inspection/tasks/${task.id}/findings`, clean)).status).toBe(403);
    expect((await other.post(`/api/v1/inspection/tasks/${task.id}/findings`, clean)).status).toBe(403);
    expect((await other.post(`/api/v1/inspection/tasks/${task.id}/reassign`, { reason: 'I want it' })).status).toBe(403);
    expect((await other.post(`/api/v1/inspection/tasks/${task.id}/decision`, { uphold: true, reason: 'mine' })).status).toBe(403);
    expect((await other.post(`/api/v1/declarations/${d.id}/verification-response`, { response: 'accept' })).status).toBe(403);
    expect((await agent.post(`/api/v1/inspection/tasks/${task.id}/reassign`, { reason: 'please' })).status).toBe(403);
    expect((await analyst.post('/api/v1/inspection/duty', { officeCode: 'MBA', onDuty: true })).status).toBe(403);
    expect((await agent.post('/api/v1/inspection/duty', { officeCode: 'MBA', onDuty: true })).status).toBe(403);
    // Nobody rosters themselves, and an officer rosters nobody.
    expect((await other.post('/api/v1/inspection/duty', { officeCode: 'MBA', onDuty: true })).status).toBe(403);
    expect((await other.post('/api/v1/inspection/duty', { officeCode: 'MBA', onDuty: true, officerId: ids['kra.supervisor'] })).status).toBe(403);
    expect((await supervisor.post('/api/v1/inspection/duty', { officeCode: 'MBA', onDuty: true, officerId: ids['kra.supervisor'] })).status).toBe(403);
    // Nobody passes the control around the task, not even the officer it was drawn for.
    for (const client of [other, (await assigned(d.id)).officer]) {
      const bypass = await client.post(`/api/v1/declarations/${d.id}/control`, { result: 'passed', findings: 'looked fine' });
      expect(bypass.status).toBe(409);
      expect(bypass.body.task).toBe(task.number);
    }
    // Nor does the declarant amend a declaration selected for a check.
    const amend = await agent.post(`/api/v1/declarations/${d.id}/amend`, { ...d.body, reason: 'better price' });
    expect(amend.status).toBe(409);
    expect(amend.body.task).toBe(task.number);
    // Nothing to answer yet: the declarant's response waits for findings.
    expect((await agent.post(`/api/v1/declarations/${d.id}/verification-response`, { response: 'accept' })).status).toBe(409);
  });
});

describe('findings', () => {
  it('holds a paid red declaration until the officer finds no discrepancy, then releases it', async () => {
    const d = await lodge([tshirts('100000.00')]);
    const prn = await register(d.id);
    await pay(prn, d.assessment.total);
    expect(await declaration(d.id)).toMatchObject({ status: 'paid', control: { status: 'pending' } });
    const { task, officer } = await assigned(d.id);
    const done = await findings(officer, task.id, { result: 'no_discrepancy', remarks: 'container opened, 1000 T-shirts as declared' });
    expect(done).toMatchObject({ status: 'closed', outcome: 'no_discrepancy' });
    const released = await declaration(d.id);
    expect(released).toMatchObject({ status: 'released', control: { status: 'passed' } });
    expect(released.releaseOrderNumber).toMatch(/^2026MBARO\d{6}$/);
    expect(await label(d.id)).toMatchObject({ inspected: true, discrepancy: false });
    expect(new Dec((await label(d.id))!.extra_revenue).isZero()).toBe(true);
  });

  it('re-assesses a corrected value and, once paid, asks the difference on a supplementary PRN; paying it releases the goods', async () => {
    const d = await lodge([tshirts('100000.00')]);
    const prn = await register(d.id);
    await pay(prn, d.assessment.total);
    const { task, officer } = await assigned(d.id);
    const found = await findings(officer, task.id, {
      result: 'discrepancy',
      corrections: [{ itemNo: 1, itemPrice: '160000.00' }],
      remarks: 'supplier price list found in the container: KES 160 per piece',
    });
    // 60,000 more value: duty 21,000; VAT 16% of 81,000 = 12,960; IDF 1,500; RDL 1,200.
    expect(found).toMatchObject({ status: 'awaiting_declarant', difference: '36660.00' });
    expect(found.amendment.changes).toEqual([{ itemNo: 1, field: 'itemPrice', before: '100000.00', after: '160000.00' }]);
    expect(found.amendment.totalAfter).toBe(new Dec(d.assessment.total).plus(36660).toFixed(2));
    // The declaration is unchanged until the declarant answers.
    expect((await declaration(d.id)).assessment.total).toBe(d.assessment.total);

    // The declarant sees the corrections and the difference, not the reasons.
    const seen = await verification(agent, d.id);
    expect(seen).toMatchObject({ status: 'awaiting_declarant', difference: '36660.00', findings: { result: 'discrepancy', corrections: [{ itemNo: 1, itemPrice: '160000.00' }] } });
    expect(seen.findings.officerId).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain('under-valued');

    const accepted = await respond(agent, d.id, { response: 'accept' });
    expect(accepted).toMatchObject({ status: 'awaiting_payment', payment: { amount: '36660.00' } });
    const supplementary = accepted.payment.prn as string;
    expect(supplementary).not.toBe(prn);
    const amended = await declaration(d.id);
    expect(amended).toMatchObject({ status: 'paid', control: { status: 'pending' } });
    expect(amended.items[0].itemPrice).toBe('160000.00');
    expect(amended.assessment.total).toBe(found.amendment.totalAfter);

    await pay(supplementary, '36660.00');
    expect(await verification(agent, d.id)).toMatchObject({ status: 'closed', outcome: 'discrepancy_settled' });
    expect(await declaration(d.id)).toMatchObject({ status: 'released', control: { status: 'passed' } });
    const outcome = await label(d.id);
    expect(outcome).toMatchObject({ inspected: true, discrepancy: true, officer_id: task.assignedOfficer.id });
    expect(new Dec(outcome!.extra_revenue).toFixed(2)).toBe('36660.00');

    // Every step is on the timeline, for the trade too.
    const timeline = await agent.get(`/api/v1/timeline?declaration=${d.reference}`);
    const actions = timeline.body.events.map((e: { action: string }) => e.action);
    for (const step of ['verification.discrepancy_found', 'declaration.corrected', 'verification.accepted', 'prn.issued', 'verification.settled', 'declaration.control_passed', 'declaration.released']) {
      expect(actions, step).toContain(step);
    }
  });

  it('re-assesses a corrected quantity before payment with a replacement PRN for the corrected total', async () => {
    const d = await lodge([juice('1000', '150000.00')]);
    expect(d.selectivity).toEqual({ channel: 'yellow' });
    const first = await register(d.id);
    const { task, officer } = await assigned(d.id);
    expect(task.kind).toBe('documentary');
    const found = await findings(officer, task.id, { result: 'discrepancy', corrections: [{ itemNo: 1, quantity: '1500' }], remarks: 'packing list shows 1,500 litres' });
    // 500 litres more at excise KES 14.14 a litre = 7,070; VAT 16% of it = 1,131.20.
    expect(found.difference).toBe('8201.20');
    // The importer answers for itself.
    const accepted = await respond(importer, d.id, { response: 'accept' });
    const corrected = new Dec(d.assessment.total).plus('8201.20').toFixed(2);
    expect(accepted.payment).toEqual({ prn: expect.stringMatching(/^2026PRN/), amount: corrected });
    expect(accepted.payment.prn).not.toBe(first);
    expect((await declaration(d.id)).payment).toMatchObject({ prn: accepted.payment.prn, amountDue: corrected });
    await pay(accepted.payment.prn, corrected);
    expect(await declaration(d.id)).toMatchObject({ status: 'released' });
    expect(await verification(agent, d.id)).toMatchObject({ status: 'closed', outcome: 'discrepancy_settled' });
    expect(new Dec((await label(d.id))!.extra_revenue).toFixed(2)).toBe('8201.20');
  });

  it('re-assesses corrected HS codes and origins exactly as a declaration of the goods as found would be assessed', async () => {
    const certificate = [{ code: 'CEAC', reference: 'EAC-UG-2026-0042' }];
    const declared = [
      { hsCode: '8471.30.00', description: 'Laptop computers', originCountry: 'CN', quantity: '20', unit: 'NAR', netMassKg: '40', grossMassKg: '80', packages: 4, itemPrice: '900000.00' },
      tshirts('200000.00', { originCountry: 'UG', preferentialOrigin: true }),
    ];
    const d = await lodge(declared, certificate);
    expect(d.selectivity.channel).toBe('red');
    const { task, officer } = await assigned(d.id);
    const found = await findings(officer, task.id, {
      result: 'discrepancy',
      corrections: [
        { itemNo: 1, hsCode: '8517.13.00' },
        { itemNo: 2, originCountry: 'CN' },
      ],
      remarks: 'cartons hold smartphones; T-shirts labelled made in China',
    });
    // The same goods declared as found, on the same day's rates: the same figures.
    const asFound = await lodge(
      [
        { ...declared[0], hsCode: '8517.13.00' },
        tshirts('200000.00', { originCountry: 'CN' }),
      ],
      certificate,
    );
    expect(found.amendment.totalAfter).toBe(asFound.assessment.total);
    expect(found.difference).toBe(new Dec(asFound.assessment.total).minus(d.assessment.total).toFixed(2));
    expect(new Dec(found.difference).gt(0)).toBe(true);
    expect(found.amendment.changes).toEqual([
      { itemNo: 1, field: 'hsCode', before: '8471.30.00', after: '8517.13.00' },
      { itemNo: 2, field: 'originCountry', before: 'UG', after: 'CN' },
    ]);

    // Rejected, escalated, upheld by the supervisor: the corrections stand. Not registered yet,
    // so the corrected total is what registration asks for.
    expect((await agent.post(`/api/v1/declarations/${d.id}/verification-response`, { response: 'reject' })).status).toBe(422);
    expect(await respond(agent, d.id, { response: 'reject', reason: 'the certificate of origin is genuine' })).toMatchObject({ status: 'escalated' });
    const upheld = await supervisor.post(`/api/v1/inspection/tasks/${task.id}/decision`, { uphold: true, reason: 'Chinese labels sewn in; certificate does not cover these goods' });
    expectStatus(upheld, 200);
    expect(upheld.body).toMatchObject({ status: 'awaiting_payment', decision: { uphold: true } });
    const amended = await declaration(d.id);
    expect(amended.items.map((i: { hsCode: string; originCountry: string; preferentialOrigin: boolean }) => [i.hsCode, i.originCountry, i.preferentialOrigin])).toEqual([
      ['8517.13.00', 'CN', false],
      ['6109.10.00', 'CN', false],
    ]);
    // The declarant cannot amend the corrections away before paying.
    expect((await agent.post(`/api/v1/declarations/${d.id}/amend`, { ...d.body, reason: 'back to the certificate' })).status).toBe(409);
    const prn = await register(d.id);
    expect((await declaration(d.id)).payment.amountDue).toBe(asFound.assessment.total);
    await pay(prn, asFound.assessment.total);
    expect(await verification(agent, d.id)).toMatchObject({ status: 'closed', outcome: 'discrepancy_settled' });
    expect((await declaration(d.id)).status).toBe('released');
    expect(await label(d.id)).toMatchObject({ discrepancy: true });
  });

  it('points corrections that cannot be assessed back at the correction', async () => {
    const d = await lodge([tshirts('100000.00')]);
    const { task, officer } = await assigned(d.id);
    const res = await officer.post(`/api/v1/inspection/tasks/${task.id}/findings`, { result: 'discrepancy', corrections: [{ itemNo: 1, hsCode: '9999.99.99' }], remarks: 'wrong line' });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/corrections/0/hsCode']);
    expect((await verification(supervisor, d.id)).status).toBe('assigned');
  });
});

describe("the declarant's answer and the supervisor's decision", () => {
  it('overturns a rejected discrepancy: the declared assessment stands and the goods are released', async () => {
    const d = await lodge([tshirts('100000.00')]);
    const prn = await register(d.id);
    await pay(prn, d.assessment.total);
    const { task, officer } = await assigned(d.id);
    await findings(officer, task.id, { result: 'discrepancy', corrections: [{ itemNo: 1, itemPrice: '150000.00' }], remarks: 'price looks low' });
    await respond(agent, d.id, { response: 'reject', reason: 'the invoice is genuine; here is the bank transfer' });
    // Only a supervisor decides.
    expect((await officer.post(`/api/v1/inspection/tasks/${task.id}/decision`, { uphold: false, reason: 'agree' })).status).toBe(403);
    const decided = await supervisor.post(`/api/v1/inspection/tasks/${task.id}/decision`, { uphold: false, reason: 'bank transfer matches the invoice' });
    expectStatus(decided, 200);
    expect(decided.body).toMatchObject({ status: 'closed', outcome: 'overturned' });
    const released = await declaration(d.id);
    expect(released).toMatchObject({ status: 'released', assessment: { total: d.assessment.total } });
    expect(released.items[0].itemPrice).toBe('100000.00');
    expect(await label(d.id)).toMatchObject({ inspected: true, discrepancy: false });
  });

  it('releases goods paid under protest; overturned on review, the difference is refundable and the label corrected', async () => {
    const d = await lodge([tshirts('100000.00')]);
    const prn = await register(d.id);
    await pay(prn, d.assessment.total);
    const { task, officer } = await assigned(d.id);
    await findings(officer, task.id, { result: 'discrepancy', corrections: [{ itemNo: 1, itemPrice: '160000.00' }], remarks: 'price list found' });
    expect((await agent.post(`/api/v1/declarations/${d.id}/verification-response`, { response: 'pay_under_protest' })).status).toBe(422);
    const protested = await respond(agent, d.id, { response: 'pay_under_protest', reason: 'the price list is of another buyer' });
    expect(protested).toMatchObject({ status: 'awaiting_payment', reviewStatus: 'pending', payment: { amount: '36660.00' } });
    // Reviewed once paid.
    expect((await supervisor.post(`/api/v1/inspection/tasks/${task.id}/decision`, { uphold: false, reason: 'too early' })).status).toBe(409);
    await pay(protested.payment.prn, '36660.00');
    expect(await declaration(d.id)).toMatchObject({ status: 'released' });
    expect(await verification(agent, d.id)).toMatchObject({ status: 'closed', outcome: 'discrepancy_settled', reviewStatus: 'pending' });
    expect(await label(d.id)).toMatchObject({ discrepancy: true });

    const review = await supervisor.post(`/api/v1/inspection/tasks/${task.id}/decision`, { uphold: false, reason: 'the price list names another buyer' });
    expectStatus(review, 200);
    expect(review.body).toMatchObject({ status: 'closed', reviewStatus: 'overturned' });
    const after = await declaration(d.id);
    expect(after.items[0].itemPrice).toBe('100000.00');
    expect(after.assessment.total).toBe(d.assessment.total);
    expect(after.payment.refundDue).toBe('36660.00');
    expect(await label(d.id)).toMatchObject({ discrepancy: false });
    // Decided once.
    expect((await supervisor.post(`/api/v1/inspection/tasks/${task.id}/decision`, { uphold: true, reason: 'again' })).status).toBe(409);
  });

  it('does not hold a blue declaration: released at once, audited after, the difference asked afterwards', async () => {
    const d = await lodge([tshirts('80000.00', { hsCode: '6110.20.00', description: 'Jerseys of cotton' })]);
    expect(d.selectivity).toEqual({ channel: 'blue' });
    // A post-clearance audit does not stop the declarant amending before registration.
    const task0 = await verification(supervisor, d.id);
    expectStatus(await agent.post(`/api/v1/declarations/${d.id}/amend`, { ...d.body, reason: 'description corrected' }), 200);
    expect((await verification(supervisor, d.id)).id).toBe(task0.id);
    const prn = await register(d.id);
    await pay(prn, d.assessment.total);
    expect(await declaration(d.id)).toMatchObject({ status: 'released', control: { status: 'none' } });
    const { task, officer } = await assigned(d.id);
    expect(task.kind).toBe('post_clearance');
    await findings(officer, task.id, { result: 'discrepancy', corrections: [{ itemNo: 1, itemPrice: '140000.00' }], remarks: 'audit of the importer’s books' });
    const accepted = await respond(agent, d.id, { response: 'accept' });
    expect(accepted.payment.amount).toBe('36660.00');
    await pay(accepted.payment.prn, '36660.00');
    expect(await verification(agent, d.id)).toMatchObject({ status: 'closed', outcome: 'discrepancy_settled' });
  });
});

describe('duty and reassignment', () => {
  it('lets a supervisor reassign with a reason, at random or to a named officer on duty, never to themselves', async () => {
    const d = await lodge([tshirts('100000.00')]);
    const { task, other } = await assigned(d.id);
    const otherId = ids[Object.keys(officers).find((n) => officers[n] === other)!]!;
    const drawn = await supervisor.post(`/api/v1/inspection/tasks/${task.id}/reassign`, { reason: 'officer called to the scanner' });
    expectStatus(drawn, 200);
    // The only other officer on duty.
    expect(drawn.body.assignedOfficer.id).toBe(otherId);
    expect(drawn.body.history.at(-1)).toMatchObject({ action: 'reassign', reason: expect.stringMatching(/^officer called to the scanner; drawn at random/) });
    const back = await supervisor.post(`/api/v1/inspection/tasks/${task.id}/reassign`, { officerId: task.assignedOfficer.id, reason: 'back after the scanner' });
    expect(back.body.assignedOfficer.id).toBe(task.assignedOfficer.id);
    expect((await supervisor.post(`/api/v1/inspection/tasks/${task.id}/reassign`, { officerId: ids['kra.supervisor'], reason: 'I will do it' })).status).toBe(403);
    const notOnDuty = await supervisor.post(`/api/v1/inspection/tasks/${task.id}/reassign`, { officerId: '00000000-0000-4000-8000-000000000001', reason: 'nobody' });
    expect(notOnDuty.status).toBe(422);
    expect(notOnDuty.body.errors[0]).toMatchObject({ pointer: '/officerId', code: 'not_on_duty' });
    const audit = await journey.server.database.db
      .selectFrom('audit_event')
      .select(['action', 'reason', 'actor_name'])
      .where('entity_id', '=', task.id)
      .where('action', '=', 'verification.reassigned')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.actor_name)).toEqual(['Grace Wanjiru', 'Grace Wanjiru']);
  });

  it('lets a task wait while nobody is on duty and draws it when an officer comes on duty; a supervisor does not decide their own findings', async () => {
    // Officers go off duty themselves at the end of a shift.
    for (const client of Object.values(officers)) {
      expectStatus(await client.post('/api/v1/inspection/duty', { officeCode: 'MBA', onDuty: false }), 200);
    }
    const d = await lodge([tshirts('100000.00')]);
    const waiting = await verification(supervisor, d.id);
    expect(waiting).toMatchObject({ status: 'open', assignedOfficer: null });
    // The supervisor (also an officer) is rostered on duty by the other supervisor: the waiting task is theirs by the draw.
    const onDuty = await roster(journey.server, 'kra.supervisor', 'MBA');
    expect(onDuty.allocated).toContain(waiting.number);
    const task = await verification(supervisor, d.id);
    expect(task.assignedOfficer.id).toBe(ids['kra.supervisor']);
    await findings(supervisor, task.id, { result: 'discrepancy', corrections: [{ itemNo: 1, itemPrice: '120000.00' }], remarks: 'low price' });
    await respond(agent, d.id, { response: 'reject', reason: 'the price is right' });
    expect((await supervisor.post(`/api/v1/inspection/tasks/${task.id}/decision`, { uphold: true, reason: 'mine' })).status).toBe(403);
    expectStatus(await supervisor.post('/api/v1/inspection/duty', { officeCode: 'MBA', onDuty: false }), 200);
    for (const name of Object.keys(officers)) {
      await roster(journey.server, name, 'MBA');
    }
    const onDutyNow = await supervisor.get('/api/v1/inspection/duty?officeCode=MBA');
    expect(onDutyNow.body.officers.map((o: { officer: { id: string } }) => o.officer.id).sort()).toEqual([ids['kra.officer'], ids['kra.officer2']].sort());
  });

  it('keeps the check of a declaration cancelled under verification open until a supervisor withdraws it', async () => {
    const d = await lodge([tshirts('100000.00')]);
    expectStatus(await agent.post(`/api/v1/declarations/${d.id}/cancel`, { reason: 'wrong consignee' }), 200);
    await journey.settle();
    // The goods are still in the port: cancelling does not end their check.
    const open = await verification(supervisor, d.id);
    expect(open).toMatchObject({ status: 'assigned', outcome: null });
    const { officer } = await assigned(d.id);
    const refused = await officer.post(`/api/v1/inspection/tasks/${open.id}/findings`, { result: 'no_discrepancy', remarks: 'as declared' });
    expect(refused.status).toBe(409);
    expect((await officer.post(`/api/v1/inspection/tasks/${open.id}/withdraw`, { reason: 'goods re-exported' })).status).toBe(403);
    const withdrawn = await supervisor.post(`/api/v1/inspection/tasks/${open.id}/withdraw`, { reason: 'goods re-exported under customs control' });
    expectStatus(withdrawn, 200);
    expect(withdrawn.body).toMatchObject({ status: 'closed', outcome: 'withdrawn' });
    const events = await journey.server.database.db.selectFrom('audit_event').select('action').where(sql<boolean>`${d.reference} = any(subject_refs)`).execute();
    expect(events.map((e) => e.action)).toContain('verification.withdrawn');
  });

  it('closes the task of a declaration rejected by customs', async () => {
    const d = await lodge([tshirts('100000.00')]);
    expectStatus(await supervisor.post(`/api/v1/declarations/${d.id}/reject`, { reason: 'goods prohibited under the permit regime' }), 200);
    await journey.settle();
    expect(await verification(supervisor, d.id)).toMatchObject({ status: 'closed', outcome: 'withdrawn' });
  });
});
