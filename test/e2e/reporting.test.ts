// The web's two endpoints over real HTTP: the public status of a consignment (statuses and dates,
// nothing a competitor or a thief could use: no parties, goods, figures, channel or reasons) and
// the customs dashboards' figures (customs only, bounded range).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blNumber, expectStatus, lodgeDeclaration, lodgeManifest, startJourney, untilStatus, type Journey } from './cargo.ts';

let journey: Journey;
let bl: string;
let reference: string;
let total: string;
let totals: Record<string, string>;

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  const { server } = journey;
  bl = blNumber('S');
  const manifest = await lodgeManifest(server, '2026-06-15T14:00:00+03:00', [{ number: bl }]);
  const agent = await server.as('siginon.agent');
  const declared = await lodgeDeclaration(agent, bl);
  reference = declared.reference;
  total = declared.assessment.total;
  totals = declared.assessment.totals;
  const registered = await agent.post(`/api/v1/declarations/${declared.id}/register`);
  expectStatus(registered, 200);
  expectStatus(await server.key('demo-kcb-key').post('/api/v1/payments', { prn: registered.body.payment.prn, amount: total, bankReference: `KCB-${reference}`, paidAt: server.clock.now().toISOString() }), 201);
  // The vessel arrives at 13:00 Nairobi; released at once (paid, green).
  server.clock.set('2026-06-15T10:00:00Z');
  expectStatus(await server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2026-06-15T13:00:00+03:00' }), 200);
  await untilStatus(agent, declared.id, 'released', 15_000);
});

afterAll(async () => {
  await journey.close();
});

describe('public consignment status', () => {
  it('gives anyone the statuses and dates by B/L or reference, and nothing commercial', async () => {
    const anonymous = journey.server.anonymous();
    const byBl = await anonymous.get(`/api/v1/status?bl=${bl}`);
    expectStatus(byBl, 200);
    expect(byBl.body.declarations).toEqual([{ reference, status: 'released' }]);
    expect(byBl.body.transportDocument.actualArrival).toBe('2026-06-15T10:00:00.000Z');
    const steps = (byBl.body.steps as { step: string }[]).map((s) => s.step);
    expect(steps).toEqual(expect.arrayContaining(['manifest.lodged', 'manifest.arrived', 'declaration.lodged', 'declaration.released']));
    for (const secret of ['Nairobi Motors', 'P051234567A', 'Siginon', 'Laptop', total, 'green', 'PRN', 'KCB', 'amount']) {
      expect(byBl.text).not.toContain(secret);
    }
    expect(Object.keys(byBl.body).sort()).toEqual(['declarations', 'steps', 'transportDocument']);

    const byReference = await anonymous.get(`/api/v1/status?declaration=${reference.toLowerCase()}`);
    expectStatus(byReference, 200);
    expect(byReference.body.declarations).toEqual([{ reference, status: 'released' }]);
  });

  it('answers 404 for an unknown consignment and 422 without exactly one key', async () => {
    const anonymous = journey.server.anonymous();
    expect((await anonymous.get('/api/v1/status?bl=NOSUCHBL123')).status).toBe(404);
    expect((await anonymous.get('/api/v1/status')).status).toBe(422);
    const both = await anonymous.get(`/api/v1/status?bl=${bl}&declaration=${reference}`);
    expect(both.status).toBe(422);
    expect(both.body.errors[0].pointer).toBe('/querystring/bl');
  });
});

describe('dashboard figures', () => {
  it('are for customs only', async () => {
    expect((await journey.server.anonymous().get('/api/v1/stats?from=2026-06-01&to=2026-06-30')).status).toBe(401);
    expect((await (await journey.server.as('siginon.agent')).get('/api/v1/stats?from=2026-06-01&to=2026-06-30')).status).toBe(403);
  });

  it('count lodged, assessed and released per day, revenue by tax head and office, and arrival to release', async () => {
    const officer = await journey.server.as('kra.supervisor');
    const res = await officer.get('/api/v1/stats?from=2026-06-14&to=2026-06-16');
    expectStatus(res, 200);
    expect(res.body.perDay).toEqual([
      { day: '2026-06-14', lodged: 0, assessed: 0, released: 0 },
      { day: '2026-06-15', lodged: 1, assessed: 1, released: 1 },
      { day: '2026-06-16', lodged: 0, assessed: 0, released: 0 },
    ]);
    const heads = Object.fromEntries((res.body.revenueByTaxHead as { code: string; amount: string }[]).map((r) => [r.code, r.amount]));
    expect(heads).toEqual(totals);
    expect(res.body.revenueByOffice).toEqual([{ officeCode: 'MBA', amount: total }]);
    // Released when the vessel arrived: no wait.
    expect(res.body.arrivalToRelease).toEqual({ released: 1, medianHours: 0, p90Hours: 0 });
    // A day without it counts nothing.
    const before = await officer.get('/api/v1/stats?from=2026-06-01&to=2026-06-14');
    expect(before.body.arrivalToRelease.released).toBe(0);
    expect(before.body.revenueByTaxHead).toEqual([]);
  });

  it('refuse a range backwards or longer than a year', async () => {
    const officer = await journey.server.as('kra.supervisor');
    expect((await officer.get('/api/v1/stats?from=2026-06-30&to=2026-06-01')).body.errors[0].code).toBe('before_from');
    expect((await officer.get('/api/v1/stats?from=2025-01-01&to=2026-06-01')).body.errors[0].code).toBe('range_too_long');
    const notADay = await officer.get('/api/v1/stats?from=2026-02-30&to=2026-03-01');
    expect(notADay.status).toBe(422);
    expect(notADay.body.errors[0].pointer).toBe('/querystring/from');
  });
});
