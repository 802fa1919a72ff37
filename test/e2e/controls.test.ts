// Controls a dishonest declarant cannot dodge, over real HTTP: cancelling a red declaration and
// lodging it again gains nothing (the channel and the open check, with its officer, follow the
// goods); from registration on an amendment or a cancellation is a request an officer decides;
// the dates and rates that decide the tax are not the trade's to choose; an agent acts only while
// authorised; a transport document is named with its carrier, so a second carrier's copy of a
// B/L number blocks nobody and never mixes two consignments' timelines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/platform/money.ts';
import type { Client } from '../server.ts';
import { blNumber, declarationBody, expectStatus, lodgeDeclaration, lodgeManifest, manifestBody, pins, roster, startJourney, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
let officer: Client;
let supervisor: Client;
const seller = 'Dhaka Knitwear Ltd';

beforeAll(async () => {
  // 08:00 in Nairobi; vessels are expected at 14:00 the same day.
  journey = await startJourney('2026-06-15T05:00:00Z');
  const { server } = journey;
  agent = await server.as('siginon.agent');
  officer = await server.as('kra.officer');
  supervisor = await server.as('kra.supervisor');
  const analyst = await server.as('kra.risk');
  expectStatus(
    await analyst.post('/api/v1/risk/rules', {
      name: 'Knitwear from one Dhaka seller',
      reason: 'seller under investigation for under-invoicing',
      channel: 'red',
      priority: 5,
      validFrom: '2026-01-01',
      criteria: { sellers: [seller] },
    }),
    201,
  );
  // Only kra.officer is on duty at Mombasa to begin with.
  await roster(server, 'kra.officer', 'MBA');
});

afterAll(async () => {
  await journey.close();
});

const verification = async (id: string) => (await supervisor.get(`/api/v1/declarations/${id}/verification`)).body;

describe('selection follows the consignment', () => {
  it('keeps a cancelled red declaration’s channel and check, with its officer, when the goods are declared again on the B/L', async () => {
    const { server } = journey;
    const bl = blNumber('C');
    await lodgeManifest(server, '2026-06-15T14:00:00+03:00', [{ number: bl, packages: 30, grossMassKg: '1200' }]);
    const first = await lodgeDeclaration(agent, bl, { sellerName: seller });
    expect(first.selectivity).toEqual({ channel: 'red' });
    const check = await verification(first.id);
    expect(check.status).toBe('assigned');
    const drawnFor = check.assignedOfficer.id as string;

    // Another officer comes on duty: a fresh draw could now pick someone else.
    await roster(server, 'kra.officer2', 'MBA');
    expectStatus(await agent.post(`/api/v1/declarations/${first.id}/cancel`, { reason: 'wrong seller on the invoice' }), 200);
    await journey.settle();
    // The goods are still in the port: the check stays open.
    expect(await verification(first.id)).toMatchObject({ status: 'assigned', outcome: null });

    // Lodged again without the seller that hit the rule: still red, and why.
    const again = await lodgeDeclaration(agent, bl);
    expect(again.selectivity).toEqual({ channel: 'red' });
    const seen = (await officer.get(`/api/v1/declarations/${again.id}`)).body;
    expect(seen.selectivity.reasons.join(' ')).toContain(`channel red of declaration ${first.reference} (cancelled) on the same transport document`);
    const carried = await verification(again.id);
    expect(carried).toMatchObject({ status: 'assigned', kind: 'physical', carriedFrom: check.number, assignedOfficer: { id: drawnFor } });
    expect(await verification(first.id)).toMatchObject({ status: 'closed', outcome: 'carried_over' });
    const selection = (await officer.get(`/api/v1/risk/selections/${again.id}`)).body;
    expect(selection.selectedBy).toContain('consignment');
    expect(selection.consignment).toEqual([expect.objectContaining({ declarationId: first.id, channel: 'red', relation: 'same_document' })]);
    // Rostered again for the next tests.
    await roster(server, 'kra.officer2', 'MBA', false);
  });

  it('gives the same goods moved to another B/L after a cancellation the same channel; another shipment of such goods is another consignment', async () => {
    const [one, two, three] = [blNumber('G'), blNumber('G'), blNumber('G')];
    const manifest = await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: one, packages: 30, grossMassKg: '1200' }]);
    const first = await lodgeDeclaration(agent, one, { sellerName: seller });
    expectStatus(await agent.post(`/api/v1/declarations/${first.id}/cancel`, { reason: 'shipped under another bill of lading' }), 200);
    // The carrier moves the goods to a new B/L number before arrival.
    const [moved] = manifestBody('2026-06-15T14:00:00+03:00', [{ number: two, packages: 30, grossMassKg: '1200' }]).documents;
    const amended = await journey.server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/amendments`, {
      reason: 'B/L reissued under a new number',
      documents: [{ action: 'remove', number: one }, { action: 'add', ...moved }],
    });
    expectStatus(amended, 200);
    const again = await lodgeDeclaration(agent, two);
    expect(again.selectivity).toEqual({ channel: 'red' });
    expect((await officer.get(`/api/v1/declarations/${again.id}`)).body.selectivity.reasons.join(' ')).toContain('for the same goods of the same importer');
    // The importer's next shipment of the same kind of goods, on its own B/L, is judged on its own.
    await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: three, packages: 30, grossMassKg: '1200' }]);
    expect((await lodgeDeclaration(agent, three)).selectivity).toEqual({ channel: 'green' });
  });

  it('draws the random selection at lodgement and keeps the draw with the decision', async () => {
    const bl = blNumber('D');
    await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl }]);
    const green = await lodgeDeclaration(agent, bl);
    const selection = (await officer.get(`/api/v1/risk/selections/${green.id}`)).body;
    // This journey sets random.rate to 0: drawn, and not selected, as the record shows.
    expect(selection).toMatchObject({ channel: 'green', random: false, randomDraw: { rate: 0, redShare: 0.25 } });
    expect(selection.randomDraw.selection).toBeGreaterThanOrEqual(0);
    expect(selection.randomDraw.selection).toBeLessThan(1);
  });
});

describe('after registration the declarant asks and an officer decides', () => {
  it('amends on approval only: the preview, a refusal, then an approval with a replacement PRN', async () => {
    const bl = blNumber('A');
    await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl }]);
    const declared = await lodgeDeclaration(agent, bl);
    const registered = (await agent.post(`/api/v1/declarations/${declared.id}/register`)).body;
    const firstPrn = registered.payment.prn as string;
    const items = declarationBody(bl).items as Record<string, unknown>[];
    const dearer = { ...declarationBody(bl), invoiceAmount: '21000.00', items: [{ ...items[0], itemPrice: '13000.00' }, items[1], items[2]], reason: 'laptop price per the final invoice' };

    const asked = await agent.post(`/api/v1/declarations/${declared.id}/amend`, dearer);
    expectStatus(asked, 202);
    expect(asked.body).toMatchObject({ status: 'registered', invoice: { amount: '20000.00' }, payment: { prn: firstPrn }, pendingRequest: { kind: 'amend', status: 'pending' } });
    // The status read, by id and by reference, shows the same declaration, its request included.
    for (const read of [`/api/v1/declarations/${declared.id}`, `/api/v1/declarations/by-reference/${declared.reference}`]) {
      expect((await agent.get(read)).body).toEqual(asked.body);
    }
    const preview = asked.body.pendingRequest.preview;
    expect(new Dec(preview.totalAfter).gt(declared.assessment.total)).toBe(true);
    expect(preview.difference).toBe(new Dec(preview.totalAfter).minus(declared.assessment.total).toFixed(2));
    // The declarant does not decide its own request.
    expect((await agent.post(`/api/v1/declarations/${declared.id}/requests/${asked.body.pendingRequest.id}/decision`, { approve: true, reason: 'mine' })).status).toBe(403);
    // Officers see what waits for them.
    const queue = (await officer.get('/api/v1/declarations?pendingRequest=true')).body.items as { id: string; pendingRequest: { id: string } }[];
    expect(queue.find((d) => d.id === declared.id)?.pendingRequest.id).toBe(asked.body.pendingRequest.id);

    const refused = await officer.post(`/api/v1/declarations/${declared.id}/requests/${asked.body.pendingRequest.id}/decision`, { approve: false, reason: 'send the final invoice first' });
    expectStatus(refused, 200);
    expect(refused.body).toMatchObject({ status: 'registered', invoice: { amount: '20000.00' }, payment: { prn: firstPrn }, pendingRequest: null });

    const again = await agent.post(`/api/v1/declarations/${declared.id}/amend`, dearer);
    expectStatus(again, 202);
    const approved = await officer.post(`/api/v1/declarations/${declared.id}/requests/${again.body.pendingRequest.id}/decision`, { approve: true, reason: 'final invoice seen' });
    expectStatus(approved, 200);
    expect(approved.body).toMatchObject({ status: 'registered', invoice: { amount: '21000.00' }, payment: { amountDue: again.body.pendingRequest.preview.totalAfter } });
    expect(approved.body.payment.prn).not.toBe(firstPrn);
    expect((await agent.get(`/api/v1/payment-references/${firstPrn}`)).body.status).toBe('cancelled');

    // The history: who asked, what was decided and why; customs alone see who decided.
    const forAgent = (await agent.get(`/api/v1/declarations/${declared.id}/requests`)).body.items;
    expect(forAgent.map((r: { status: string }) => r.status)).toEqual(['approved', 'refused']);
    expect(forAgent[1].decision).toEqual(expect.objectContaining({ reason: 'send the final invoice first' }));
    expect(forAgent[1].decision.by).toBeUndefined();
    expect((await officer.get(`/api/v1/declarations/${declared.id}/requests`)).body.items[1].decision.by).toBe('Achieng Otieno');
  });

  it('keeps what the PRN and the release hang on: importer, document, office and exchange rate', async () => {
    const bl = blNumber('K');
    await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl }]);
    const declared = await lodgeDeclaration(agent, bl);
    expectStatus(await agent.post(`/api/v1/declarations/${declared.id}/register`), 200);
    const changed = await agent.post(`/api/v1/declarations/${declared.id}/amend`, { ...declarationBody(bl), importerPin: pins.mtraders, transportDocumentNumber: blNumber('K'), exchangeRate: '100', reason: 'new importer' });
    expectStatus(changed, 422);
    expect(changed.body.errors.map((e: { pointer: string; code: string }) => [e.pointer, e.code])).toEqual([
      ['/importerPin', 'not_amendable_after_registration'],
      ['/transportDocumentNumber', 'not_amendable_after_registration'],
      ['/exchangeRate', 'not_amendable_after_registration'],
    ]);
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body.pendingRequest).toBeNull();
  });

  it('cancels a paid declaration on approval, refunds what was paid, and leaves its check open', async () => {
    const bl = blNumber('X');
    await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl }]);
    const declared = await lodgeDeclaration(agent, bl, { sellerName: seller });
    const prn = (await agent.post(`/api/v1/declarations/${declared.id}/register`)).body.payment.prn as string;
    expectStatus(await journey.server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: declared.assessment.total, bankReference: `KCB-X-${declared.reference}`, paidAt: '2026-06-15T08:05:00+03:00' }), 201);
    const asked = await agent.post(`/api/v1/declarations/${declared.id}/cancel`, { reason: 'goods to be re-exported' });
    expectStatus(asked, 202);
    expect(asked.body.status).toBe('paid');
    const approved = await supervisor.post(`/api/v1/declarations/${declared.id}/requests/${asked.body.pendingRequest.id}/decision`, { approve: true, reason: 're-export permit seen' });
    expectStatus(approved, 200);
    expect(approved.body).toMatchObject({ status: 'cancelled', payment: { refundDue: declared.assessment.total } });
    await journey.settle();
    expect((await verification(declared.id)).status).not.toBe('closed');
  });
});

describe('dates and rates the trade cannot move', () => {
  it('assesses a pre-arrival entry on today’s rates when the expected arrival has passed', async () => {
    const bl = blNumber('L');
    // Expected last night; the vessel is late and has not arrived.
    await lodgeManifest(journey.server, '2026-06-14T22:00:00+03:00', [{ number: bl }]);
    const declared = await lodgeDeclaration(agent, bl);
    expect(declared.assessment).toMatchObject({ date: '2026-06-15', basis: 'expected-arrival' });
  });

  it('takes the official exchange rate, not the declarant’s; a declared rate for a currency without one is checked', async () => {
    const bl = blNumber('F');
    await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl, packages: 90, grossMassKg: '5000' }]);
    const official = (await agent.get('/api/v1/tariff/exchange-rates/USD?date=2026-06-15')).body.rate as string;
    const cheaper = await agent.post('/api/v1/declarations', { ...declarationBody(bl, { exchangeRate: '100' }), lodge: true });
    expectStatus(cheaper, 422);
    expect(cheaper.body.errors).toContainEqual(expect.objectContaining({ pointer: '/exchangeRate', code: 'exchange_rate_not_official' }));
    expect(cheaper.body.errors[0].message).toContain(official);
    const same = await lodgeDeclaration(agent, bl, { exchangeRate: official });
    expect(same.selectivity).toEqual({ channel: 'green' });
    // No official rate for Norwegian kroner: the declared one is taken, and an officer checks it.
    const kroner = await lodgeDeclaration(agent, bl, { invoiceCurrency: 'NOK', exchangeRate: '12.1' });
    expect(kroner.selectivity).toEqual({ channel: 'yellow' });
    expect((await officer.get(`/api/v1/declarations/${kroner.id}`)).body.selectivity.reasons.join(' ')).toContain('exchange rate 12.1 KES per NOK declared');
  });

  it('refuses an arrival recorded before the manifest was lodged', async () => {
    const bl = blNumber('B');
    const manifest = await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl }]);
    const early = await journey.server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2020-03-01T08:00:00+03:00' });
    expectStatus(early, 422);
    expect(early.body.errors[0]).toMatchObject({ pointer: '/actualArrival', code: 'before_manifest' });
  });
});

describe('an agent acts only while authorised', () => {
  it('refuses every action of an agent whose client revoked its authority', async () => {
    const { server } = journey;
    const bollore = await server.as('bollore.agent');
    const client = await server.as('mtraders.owner');
    const [one, two] = [blNumber('V'), blNumber('V')];
    await lodgeManifest(server, '2026-06-15T14:00:00+03:00', [
      { number: one, consigneePin: pins.mtraders },
      { number: two, consigneePin: pins.mtraders },
    ]);
    const registered = await lodgeDeclaration(bollore, one, { importerPin: pins.mtraders });
    expectStatus(await bollore.post(`/api/v1/declarations/${registered.id}/register`), 200);
    const assessed = await lodgeDeclaration(bollore, two, { importerPin: pins.mtraders });
    const granted = (await client.get('/api/v1/authorisations')).body.items.find((a: { agent: { code: string }; status: string }) => a.agent.code === 'BOLLORE' && a.status === 'in_force');
    expectStatus(await client.post(`/api/v1/authorisations/${granted.id}/revoke`, { reason: 'changed clearing agent' }), 200);

    for (const res of [
      await bollore.post(`/api/v1/declarations/${assessed.id}/register`),
      await bollore.post(`/api/v1/declarations/${assessed.id}/amend`, declarationBody(two, { importerPin: pins.mtraders })),
      await bollore.post(`/api/v1/declarations/${registered.id}/cancel`, { reason: 'client left us' }),
    ]) {
      expectStatus(res, 403);
      expect(res.body).toMatchObject({ code: 'not_authorised' });
    }
    // The importer still follows its goods.
    expectStatus(await client.get(`/api/v1/declarations/${registered.id}`), 200);
  });
});

describe('transport documents named without ambiguity', () => {
  it('lets the declarant name the carrier when two carriers use the same B/L number, and keeps their timelines apart', async () => {
    const { server } = journey;
    const bl = blNumber('Z');
    const maersk = await lodgeManifest(server, '2026-06-15T14:00:00+03:00', [{ number: bl }]);
    // Another carrier files the same number, even naming the same consignee: it blocks nobody.
    const cma = await server.key('demo-cma-key').post('/api/v1/manifests', manifestBody('2026-06-15T14:00:00+03:00', [{ number: bl }]));
    expectStatus(cma, 201);

    const unnamed = await agent.post('/api/v1/declarations', { ...declarationBody(bl), lodge: true });
    expectStatus(unnamed, 422);
    expect(unnamed.body.errors).toContainEqual(expect.objectContaining({ pointer: '/transportDocumentNumber', code: 'ambiguous_transport_document' }));
    const declared = await lodgeDeclaration(agent, bl, { carrierCode: 'MAERSK' });
    expect(declared.transportDocument).toMatchObject({ number: bl, carrierCode: 'MAERSK' });
    const byManifest = await lodgeDeclaration(agent, bl, { manifestReference: cma.body.reference, items: [declarationBody(bl).items[0]], invoiceAmount: '12000.00' });
    expect(byManifest.transportDocument).toMatchObject({ carrierCode: 'CMA' });

    // Customs name the carrier too; each timeline holds its own consignment only.
    const ambiguous = await officer.get(`/api/v1/timeline?bl=${bl}`);
    expectStatus(ambiguous, 422);
    expect(ambiguous.body.errors[0]).toMatchObject({ pointer: '/querystring/bl', code: 'ambiguous_transport_document' });
    const maerskLine = await officer.get(`/api/v1/timeline?bl=${bl}&carrier=MAERSK`);
    expectStatus(maerskLine, 200);
    expect(maerskLine.body.declarations.map((d: { reference: string }) => d.reference)).toEqual([declared.reference]);
    const lodgedManifests = maerskLine.body.events.filter((e: { action: string }) => e.action === 'manifest.lodged').map((e: { details: { reference: string } }) => e.details.reference);
    expect(lodgedManifests).toEqual([maersk.reference]);
    // A carrier follows its own document and never learns of the other.
    const forCma = await server.key('demo-cma-key').get(`/api/v1/timeline?bl=${bl}`);
    expectStatus(forCma, 200);
    expect(forCma.body.declarations.map((d: { reference: string }) => d.reference)).toEqual([byManifest.reference]);
    expect(forCma.text).not.toContain(maersk.reference);
    expect(forCma.text).not.toContain(declared.reference);
  });
});
