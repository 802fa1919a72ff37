// What a declaration may not do, over real HTTP: every lodgement rule answers 422 with a pointer
// and a code (all problems at once), the wrong role gets 403, another organisation's declaration
// is a 404 on every route, an illegal transition is a 409 naming the state, and repeated or
// stale requests cannot change anything twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/platform/money.ts';
import type { Client, Res } from '../server.ts';
import { blNumber, declarationBody, expectStatus, lodgeDeclaration, lodgeManifest, pins, startJourney, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
let officer: Client;
let importer: Client;
const bl = { main: blNumber('R'), transit: blNumber('T'), other: blNumber('O'), small: blNumber('S'), spare: blNumber('P'), asked: blNumber('Q') };
let manifestId: string;

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  const manifest = await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [
    { number: bl.main, packages: 300, grossMassKg: '12000' },
    { number: bl.transit, cargoCategory: 'transit' },
    { number: bl.other, consigneePin: pins.mtraders },
    { number: bl.small, packages: 20, grossMassKg: '1000' },
    { number: bl.spare, packages: 300, grossMassKg: '12000' },
    { number: bl.asked },
  ]);
  manifestId = manifest.id;
  agent = await journey.server.as('siginon.agent');
  officer = await journey.server.as('kra.officer');
  importer = await journey.server.as('nmotors.owner');
});

afterAll(async () => {
  await journey.close();
});

type FieldError = { pointer: string; code: string; message: string };

function expectErrors(res: Res, expected: [pointer: string, code: string][]): FieldError[] {
  expectStatus(res, 422);
  const errors = res.body.errors as FieldError[];
  for (const [pointer, code] of expected) {
    expect(errors, `${pointer} ${code} in ${JSON.stringify(errors)}`).toContainEqual(expect.objectContaining({ pointer, code }));
  }
  for (const e of errors) {
    expect(e.message.length, e.pointer).toBeGreaterThan(10);
  }
  return errors;
}

const lodge = (client: Client, body: Record<string, unknown>) => client.post('/api/v1/declarations', { ...body, lodge: true });
const item = (n: number, overrides: Record<string, unknown> = {}) => ({ ...(declarationBody('x').items[n] as Record<string, unknown>), ...overrides });

describe('lodgement rules', () => {
  it('reports every problem of a declaration at once, each with a pointer and a code', async () => {
    const res = await lodge(
      agent,
      declarationBody('NOSUCHBL0001', {
        officeCode: 'XXX',
        cpc: '9999999',
        importerPin: 'BAD',
        invoiceCurrency: 'ZZZ',
        incoterm: 'ABC',
        invoiceAmount: '19999.99',
        documents: [{ code: 'Q999', reference: 'x' }],
        items: [item(0, { originCountry: 'XX', grossMassKg: '50' }), item(1, { unit: 'BOX' }), item(2)],
      }),
    );
    const errors = expectErrors(res, [
      ['/officeCode', 'unknown_office'],
      ['/cpc', 'unknown_cpc'],
      ['/importerPin', 'invalid_pin'],
      ['/invoiceCurrency', 'unknown_currency'],
      ['/incoterm', 'unknown_incoterm'],
      ['/invoiceAmount', 'invoice_total_mismatch'],
      ['/documents/0/code', 'unknown_document_code'],
      ['/documents', 'required_document'],
      ['/items/0/originCountry', 'unknown_country'],
      ['/items/0/grossMassKg', 'gross_below_net'],
      ['/items/1/unit', 'unknown_unit'],
      ['/transportDocumentNumber', 'unknown_transport_document'],
    ]);
    // The arithmetic error names both figures.
    const mismatch = errors.find((e) => e.code === 'invoice_total_mismatch');
    expect(mismatch?.message).toContain('20000.00');
    expect(mismatch?.message).toContain('19999.99');
    // Nothing was kept: a failed lodgement in one request leaves no draft behind.
    expect((await agent.get('/api/v1/declarations')).body.items).toHaveLength(0);
  });

  it('checks the tariff lines in force on arrival, units, origin proof, procedure codes and incoterms', async () => {
    const res = await lodge(
      agent,
      declarationBody(bl.main, {
        incoterm: 'CIF',
        items: [item(0, { hsCode: '9999.99.99' }), item(1, { unit: 'KGM' }), item(2, { preferentialOrigin: true, cpc: '1000000' })],
      }),
    );
    expectErrors(res, [
      ['/items/0/hsCode', 'unknown_hs_code'],
      ['/items/1/unit', 'unit_mismatch'],
      ['/items/2/preferentialOrigin', 'no_preference'],
      ['/items/2/cpc', 'cpc_not_in_regime'],
      ['/freight', 'included_in_price'],
      ['/insurance', 'included_in_price'],
    ]);
    const fob = await lodge(agent, declarationBody(bl.main, { freight: undefined }));
    expectErrors(fob, [['/freight', 'required']]);
    const regime = await lodge(agent, declarationBody(bl.main, { regime: 'IM7' }));
    expectErrors(regime, [['/regime', 'cpc_not_in_regime']]);
    const warehousing = await lodge(agent, declarationBody(bl.main, { cpc: '7100000' }));
    expectErrors(warehousing, [['/cpc', 'regime_not_supported']]);
  });

  it('checks the transport document: regime, consignee, office and what remains on it', async () => {
    expectErrors(await lodge(agent, declarationBody(bl.transit)), [['/transportDocumentNumber', 'cargo_category_mismatch']]);
    expectErrors(await lodge(agent, declarationBody(bl.other)), [['/importerPin', 'not_consignee']]);
    expectErrors(await lodge(agent, declarationBody(bl.main, { officeCode: 'JKA' })), [['/officeCode', 'office_mismatch']]);

    // B/L small: 20 packages, 1000 kg. The first declaration takes 15 packages and 900 kg.
    const small = (packages: number[], masses: string[]) =>
      declarationBody(bl.small, { items: [0, 1, 2].map((n) => item(n, { packages: packages[n], grossMassKg: masses[n] })) });
    const first = await lodgeDeclaration(agent, bl.small, small([5, 5, 5], ['300', '300', '300']));
    const over = await lodge(agent, small([5, 5, 0], ['100', '100', '201']));
    const errors = expectErrors(over, [
      ['/items', 'packages_exceed_transport_document'],
      ['/items', 'mass_exceeds_transport_document'],
    ]);
    expect(errors.find((e) => e.code === 'packages_exceed_transport_document')?.message).toContain('5 of its 20 packages');
    // A cancelled declaration no longer claims its cargo.
    expectStatus(await agent.post(`/api/v1/declarations/${first.id}/cancel`, { reason: 'lodged on the wrong B/L' }), 200);
    expect((await lodge(agent, small([5, 5, 0], ['100', '100', '201']))).status).toBe(201);
  });

  it('lets an agent declare only for importers that authorised it, while licensed; a trader only for itself', async () => {
    const bollore = await journey.server.as('bollore.agent');
    expectErrors(await lodge(bollore, declarationBody(bl.main)), [['/importerPin', 'not_authorised']]);
    const lapsed = await journey.server.as('lapsed.agent');
    expectErrors(await lodge(lapsed, declarationBody(bl.main)), [['/importerPin', 'licence_expired']]);
    const mtraders = await journey.server.as('mtraders.owner');
    expectErrors(await lodge(mtraders, declarationBody(bl.main)), [['/importerPin', 'not_own_pin']]);
    expectErrors(await lodge(agent, declarationBody(bl.main, { importerPin: 'P000000001Z' })), [['/importerPin', 'unknown_importer']]);

    const own = await lodgeDeclaration(importer, bl.main);
    expect(own.status).toBe('assessed');
    expect(own.declarant.organisationId).toBe(own.importer.organisationId);
  });

  it('assesses items of different procedure codes of the regime each with their own rates', async () => {
    const mixed = await lodgeDeclaration(agent, bl.main, {
      items: [item(0), item(1), item(2, { cpc: '4000430' })],
    });
    const idf = (n: number) => mixed.assessment.items[n].taxes.find((t: { code: string }) => t.code === 'IDF').rate;
    expect(idf(0)).toBe('2.5');
    expect(idf(2)).toBe('1.5');
    expect(mixed.items[2].cpc).toBe('4000430');
    const sum = mixed.assessment.items.reduce((s: Dec, i: { total: string }) => s.plus(i.total), new Dec(0));
    expect(sum.toFixed(2)).toBe(mixed.assessment.total);
  });
});

describe('who may do what', () => {
  let theirs: { id: string; reference: string };

  beforeAll(async () => {
    theirs = await lodgeDeclaration(agent, bl.spare);
  });

  it('refuses callers without the role (403)', async () => {
    const carrier = journey.server.key('demo-maersk-key');
    expect((await carrier.post('/api/v1/declarations', declarationBody(bl.main))).status).toBe(403);
    expect((await journey.server.key('demo-kcb-key').get('/api/v1/declarations')).status).toBe(403);
    expect((await agent.post(`/api/v1/declarations/${theirs.id}/query`, { reason: 'please explain the value' })).status).toBe(403);
    expect((await importer.post(`/api/v1/declarations/${theirs.id}/control`, { result: 'passed', findings: 'all fine' })).status).toBe(403);
    expect((await officer.post(`/api/v1/declarations/${theirs.id}/register`)).status).toBe(403);
    expect((await journey.server.key('demo-kpa-key').get(`/api/v1/timeline?bl=${bl.spare}`)).status).toBe(403);
    expect((await journey.server.anonymous().get(`/api/v1/declarations/${theirs.id}`)).status).toBe(401);
  });

  it("answers 404 on every route for another organisation's declaration", async () => {
    const bollore = await journey.server.as('bollore.agent');
    const mtraders = await journey.server.as('mtraders.owner');
    for (const stranger of [bollore, mtraders]) {
      expect((await stranger.get(`/api/v1/declarations/${theirs.id}`)).status).toBe(404);
      expect((await stranger.get(`/api/v1/declarations/by-reference/${theirs.reference}`)).status).toBe(404);
      expect((await stranger.get(`/api/v1/timeline?declaration=${theirs.reference}`)).status).toBe(404);
      expect((await stranger.get(`/api/v1/timeline?bl=${bl.spare}`)).status).toBe(404);
      const listed = (await stranger.get('/api/v1/declarations')).body.items as { id: string }[];
      expect(listed.map((d) => d.id)).not.toContain(theirs.id);
      for (const action of ['lodge', 'register', 'cancel', 'amend']) {
        const body = action === 'cancel' ? { reason: 'not mine' } : action === 'amend' ? declarationBody(bl.spare) : undefined;
        expect((await stranger.post(`/api/v1/declarations/${theirs.id}/${action}`, body)).status, action).toBe(404);
      }
    }
    // A missing declaration looks the same as someone else's.
    expect((await agent.get('/api/v1/declarations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('shows a lodged declaration to its importer, who may not act on the agent’s behalf (403)', async () => {
    expectStatus(await importer.get(`/api/v1/declarations/${theirs.id}`), 200);
    expect((await importer.post(`/api/v1/declarations/${theirs.id}/cancel`, { reason: 'changed my mind' })).status).toBe(403);
    // A draft is the declarant's alone.
    const draft = await agent.post('/api/v1/declarations', declarationBody(bl.spare));
    expectStatus(draft, 201);
    expect(draft.body.status).toBe('draft');
    expect(draft.body.reference).toBeNull();
    expect((await importer.get(`/api/v1/declarations/${draft.body.id}`)).status).toBe(404);
    expectStatus(await officer.get(`/api/v1/declarations/${draft.body.id}`), 200);
  });
});

describe('lifecycle', () => {
  it('answers an illegal transition with 409 naming the state', async () => {
    const draft = (await agent.post('/api/v1/declarations', declarationBody(bl.spare))).body;
    const register = await agent.post(`/api/v1/declarations/${draft.id}/register`);
    expectStatus(register, 409);
    expect(register.body.state).toBe('draft');
    expect(register.body.detail).toContain('draft');

    const lodged = await agent.post(`/api/v1/declarations/${draft.id}/lodge`);
    expectStatus(lodged, 200);
    expect(lodged.body.status).toBe('assessed');
    expect((await agent.post(`/api/v1/declarations/${draft.id}/lodge`)).body).toMatchObject({ status: 409, state: 'assessed' });

    const control = await officer.post(`/api/v1/declarations/${draft.id}/control`, { result: 'passed', findings: 'nothing to control' });
    expectStatus(control, 409);
    expect(control.body.state).toBe('none');

    expectStatus(await agent.post(`/api/v1/declarations/${draft.id}/register`), 200);
    // From registration on the declarant asks an officer, with a reason.
    const unexplained = await agent.post(`/api/v1/declarations/${draft.id}/amend`, declarationBody(bl.spare));
    expectStatus(unexplained, 422);
    expect(unexplained.body.errors[0]).toMatchObject({ pointer: '/reason', code: 'required' });
    const amend = await agent.post(`/api/v1/declarations/${draft.id}/amend`, { ...declarationBody(bl.spare), reason: 'seller name missing' });
    expectStatus(amend, 202);
    expect(amend.body).toMatchObject({ status: 'registered', pendingRequest: { kind: 'amend', status: 'pending' } });
    expect((await officer.post(`/api/v1/declarations/${draft.id}/query`, { reason: 'why so cheap?' })).body).toMatchObject({ status: 409, state: 'registered' });
    // One request at a time.
    const second = await agent.post(`/api/v1/declarations/${draft.id}/cancel`, { reason: 'duplicate entry' });
    expectStatus(second, 409);
    expect(second.body.request).toBe(amend.body.pendingRequest.id);
    expectStatus(await agent.post(`/api/v1/declarations/${draft.id}/requests/${amend.body.pendingRequest.id}/withdraw`), 200);

    const cancel = await agent.post(`/api/v1/declarations/${draft.id}/cancel`, { reason: 'duplicate entry' });
    expectStatus(cancel, 202);
    expect(cancel.body.status).toBe('registered');
    const approved = await officer.post(`/api/v1/declarations/${draft.id}/requests/${cancel.body.pendingRequest.id}/decision`, { approve: true, reason: 'the other entry covers the goods' });
    expectStatus(approved, 200);
    expect(approved.body.status).toBe('cancelled');
    const again = await agent.post(`/api/v1/declarations/${draft.id}/cancel`, { reason: 'duplicate entry' });
    expectStatus(again, 409);
    expect(again.body.state).toBe('cancelled');
  });

  it('edits a draft, then re-assesses an amendment; an officer query is answered by amending', async () => {
    const draft = (await agent.post('/api/v1/declarations', declarationBody(bl.spare))).body;
    const edited = await agent.post(`/api/v1/declarations/${draft.id}/amend`, declarationBody(bl.spare, { invoiceAmount: '20500.00', items: [item(0, { itemPrice: '12500.00' }), item(1), item(2)] }));
    expectStatus(edited, 200);
    expect(edited.body).toMatchObject({ status: 'draft', invoice: { amount: '20500.00' } });

    const lodged = (await agent.post(`/api/v1/declarations/${draft.id}/lodge`)).body;
    const queried = await officer.post(`/api/v1/declarations/${draft.id}/query`, { reason: 'the laptop price is below the usual unit value; attach the invoice' });
    expectStatus(queried, 200);
    expect(queried.body.status).toBe('queried');
    expect(queried.body.query.reason).toContain('laptop');
    expect((await agent.post(`/api/v1/declarations/${draft.id}/register`)).body).toMatchObject({ status: 409, state: 'queried' });

    const answer = declarationBody(bl.spare, {
      invoiceAmount: '21500.00',
      items: [item(0, { itemPrice: '13500.00' }), item(1), item(2)],
      reason: 'corrected laptop price per invoice INV-2026-0612 rev 2',
    });
    const amended = await agent.post(`/api/v1/declarations/${draft.id}/amend`, answer);
    expectStatus(amended, 200);
    expect(amended.body).toMatchObject({ status: 'assessed', reference: lodged.reference, query: null });
    expect(new Dec(amended.body.assessment.total).greaterThan(lodged.assessment.total)).toBe(true);
    const timeline = (await agent.get(`/api/v1/timeline?declaration=${lodged.reference}`)).body.events as { action: string; reason: string | null }[];
    expect(timeline.find((e) => e.action === 'declaration.amended')?.reason).toContain('corrected laptop price');

    const rejected = await officer.post(`/api/v1/declarations/${draft.id}/reject`, { reason: 'invoice is forged' });
    expectStatus(rejected, 200);
    expect(rejected.body).toMatchObject({ status: 'rejected', statusReason: 'invoice is forged' });
    expect((await agent.post(`/api/v1/declarations/${draft.id}/register`)).body).toMatchObject({ status: 409, state: 'rejected' });
  });

  it('records the refund due when a paid declaration is cancelled', async () => {
    const declared = await lodgeDeclaration(agent, bl.spare);
    const prn = (await agent.post(`/api/v1/declarations/${declared.id}/register`)).body.payment.prn;
    const paid = await journey.server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: declared.assessment.total, bankReference: `KCB-R-${declared.reference}`, paidAt: '2026-06-15T08:00:00+03:00' });
    expectStatus(paid, 201);
    const asked = await agent.post(`/api/v1/declarations/${declared.id}/cancel`, { reason: 'the goods were shipped to the wrong port' });
    expectStatus(asked, 202);
    const cancelled = await officer.post(`/api/v1/declarations/${declared.id}/requests/${asked.body.pendingRequest.id}/decision`, { approve: true, reason: 'bill of lading shows Dar es Salaam' });
    expectStatus(cancelled, 200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', payment: { refundDue: declared.assessment.total } });
  });

  it('sends a zero assessment straight to paid, with no PRN', async () => {
    const free = await lodgeDeclaration(agent, bl.spare, {
      incoterm: 'CIF',
      freight: undefined,
      insurance: undefined,
      invoiceAmount: '0.00',
      items: [item(0, { itemPrice: '0.00', description: 'Free replacement laptops under warranty' })],
    });
    expect(free.assessment.total).toBe('0.00');
    const registered = await agent.post(`/api/v1/declarations/${free.id}/register`);
    expectStatus(registered, 200);
    expect(registered.body).toMatchObject({ status: 'paid', payment: { prn: null } });
  });

  it('holds a red declaration until an officer records the control passed, then releases it', async () => {
    const declared = await lodgeDeclaration(agent, bl.spare);
    // What the risk engine will decide: here the placeholder says green, so the test sets red.
    await journey.server.database.db.updateTable('declaration').set({ channel: 'red', control_status: 'pending' }).where('id', '=', declared.id).execute();
    const prn = (await agent.post(`/api/v1/declarations/${declared.id}/register`)).body.payment.prn;
    await journey.server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: declared.assessment.total, bankReference: `KCB-C-${declared.reference}`, paidAt: '2026-06-15T08:00:00+03:00' });

    journey.server.clock.set('2026-06-15T11:05:00Z');
    expectStatus(await journey.server.key('demo-maersk-key').post(`/api/v1/manifests/${manifestId}/arrival`, { actualArrival: '2026-06-15T14:00:00+03:00' }), 200);
    await journey.settle();
    const waiting = (await agent.get(`/api/v1/declarations/${declared.id}`)).body;
    expect(waiting).toMatchObject({ status: 'paid', control: { status: 'pending' }, selectivity: { channel: 'red' } });
    expect(waiting.selectivity.reasons).toBeUndefined();

    const failedFirst = await officer.post(`/api/v1/declarations/${declared.id}/control`, { result: 'passed', findings: 'scanner image matches the declared laptops' });
    expectStatus(failedFirst, 200);
    expect(failedFirst.body).toMatchObject({ status: 'released', control: { status: 'passed' } });
    expect(failedFirst.body.releaseOrderNumber).toMatch(/MBARO/);
    const timeline = (await officer.get(`/api/v1/timeline?declaration=${declared.reference}`)).body.events as { action: string; reason: string }[];
    expect(timeline.find((e) => e.action === 'declaration.released')?.reason).toBe('automatic release: paid, control passed, arrived');
  });
});

describe('repeated and stale requests', () => {
  it('replays a keyed create and refuses the key for another body', async () => {
    const body = declarationBody(bl.spare);
    const first = await agent.post('/api/v1/declarations', body, { idempotencyKey: 'create-spare-1' });
    expectStatus(first, 201);
    const replay = await agent.post('/api/v1/declarations', body, { idempotencyKey: 'create-spare-1' });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const other = await agent.post('/api/v1/declarations', { ...body, invoiceAmount: '1.00' }, { idempotencyKey: 'create-spare-1' });
    expectStatus(other, 422);
    expect(other.body.type).toContain('idempotency-key-reused');
  });

  it('refuses a change made on a stale version (If-Match) with 412', async () => {
    const draft = (await agent.post('/api/v1/declarations', declarationBody(bl.spare))).body;
    const read = await agent.get(`/api/v1/declarations/${draft.id}`);
    const etag = read.headers.get('etag') as string;
    expect(etag).toBe(`"${draft.version}"`);
    expectStatus(await agent.post(`/api/v1/declarations/${draft.id}/amend`, declarationBody(bl.spare), { headers: { 'if-match': etag } }), 200);
    const stale = await agent.post(`/api/v1/declarations/${draft.id}/lodge`, undefined, { headers: { 'if-match': etag } });
    expectStatus(stale, 412);
    expect((await agent.get(`/api/v1/declarations/${draft.id}`)).body.status).toBe('draft');
  });

  it('takes at most 20 requests on a declaration: asking and withdrawing again is bounded', async () => {
    const declared = await lodgeDeclaration(agent, bl.asked);
    expectStatus(await agent.post(`/api/v1/declarations/${declared.id}/register`), 200);
    for (let i = 0; i < 20; i++) {
      const asked = await agent.post(`/api/v1/declarations/${declared.id}/cancel`, { reason: `try ${i}` });
      expectStatus(asked, 202);
      expectStatus(await agent.post(`/api/v1/declarations/${declared.id}/requests/${asked.body.pendingRequest.id}/withdraw`), 200);
    }
    const more = await agent.post(`/api/v1/declarations/${declared.id}/cancel`, { reason: 'one more' });
    expectStatus(more, 409);
    expect(more.body).toMatchObject({ state: 'registered', requests: 20 });
  });
});

describe('lists', () => {
  it("pages through the caller's declarations by cursor, filtered by status; customs see all", async () => {
    const mine: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Res = await agent.get(`/api/v1/declarations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expectStatus(page, 200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      mine.push(...page.body.items.map((d: { id: string }) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(mine).size).toBe(mine.length);
    expect(mine.length).toBeGreaterThan(4);

    const drafts = (await agent.get('/api/v1/declarations?status=draft&limit=200')).body.items as { status: string }[];
    expect(drafts.length).toBeGreaterThan(0);
    expect(drafts.every((d) => d.status === 'draft')).toBe(true);
    // A status the lifecycle does not have is refused, not answered with an empty page.
    const unknown = await agent.get(`/api/v1/declarations?status=${encodeURIComponent("drafted' or 1=1")}`);
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toContainEqual(expect.objectContaining({ pointer: '/querystring/status', message: expect.stringContaining('must be one of: draft, lodged') }));
    const today = (await agent.get('/api/v1/declarations?from=2026-06-15&to=2026-06-15&limit=200')).body.items;
    expect(today.length).toBe(mine.length);
    expect((await agent.get('/api/v1/declarations?from=2026-06-16&limit=200')).body.items).toHaveLength(0);

    const all = (await officer.get('/api/v1/declarations?limit=200')).body.items as { id: string; declarantOrgId: string }[];
    expect(all.length).toBeGreaterThan(mine.length);
    const forImporter = (await importer.get('/api/v1/declarations?limit=200')).body.items as { status: string }[];
    expect(forImporter.every((d) => d.status !== 'draft')).toBe(true);
    // The importer's pages, one at a time, are its list in the same order: the two index walks
    // (as declarant, as importer) merge without a gap or a repeat.
    const paged: string[] = [];
    for (let next: string | null = null, first = true; first || next; first = false) {
      const page: Res = await importer.get(`/api/v1/declarations?limit=1${next ? `&cursor=${next}` : ''}`);
      paged.push(...page.body.items.map((d: { id: string }) => d.id));
      next = page.body.nextCursor;
    }
    expect(paged).toEqual((forImporter as unknown as { id: string }[]).map((d) => d.id));
    expect((await agent.get('/api/v1/declarations?cursor=garbage')).status).toBe(422);
  });
});
