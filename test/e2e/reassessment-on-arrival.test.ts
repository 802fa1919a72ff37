// Pre-arrival declarations are assessed with the rates in force on the expected arrival; the law
// applies those in force on actual arrival. The Railway Development Levy went from 1.5% to 2% on
// 27 Dec 2024: a vessel expected on 26 Dec that arrives on 28 Dec changes what is due. Before
// registration the new figures simply stand; a registered declaration gets a new PRN; a paid one
// is released and the difference is recorded as due.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/platform/money.ts';
import type { Client } from '../server.ts';
import { blNumber, expectStatus, lodgeDeclaration, lodgeManifest, startJourney, untilStatus, type Journey } from './cargo.ts';

let journey: Journey;
// An API key: the test moves the clock over days, further than a login session lasts.
let agent: Client;
const bl = { assessed: blNumber('X'), registered: blNumber('Y'), paid: blNumber('Z') };
let manifestId: string;
const before: Record<string, { id: string; reference: string; assessment: { total: string; date: string }; payment: { prn: string | null } }> = {};

const rdl = (declaration: { assessment: { items: { taxes: { code: string; rate: string | null; amount: string }[] }[] } }) =>
  new Set(declaration.assessment.items.flatMap((i) => i.taxes.filter((t) => t.code === 'RDL').map((t) => t.rate)));

beforeAll(async () => {
  journey = await startJourney('2024-12-20T05:00:00Z');
  agent = journey.server.key('demo-siginon-key');
  // The demo agent is licensed and authorised from 2026; this story happens in December 2024.
  const db = journey.server.database.db;
  const siginon = await db.selectFrom('organisation').select('id').where('code', '=', 'SIGINON').executeTakeFirstOrThrow();
  await db.updateTable('organisation').set({ licence_valid_from: '2024-01-01' }).where('id', '=', siginon.id).execute();
  await db.updateTable('agent_authorisation').set({ valid_from: '2024-01-01' }).where('agent_org_id', '=', siginon.id).execute();
  manifestId = (
    await lodgeManifest(journey.server, '2024-12-26T10:00:00+03:00', [
      { number: bl.assessed, grossMassKg: '1200' },
      { number: bl.registered, grossMassKg: '1200' },
      { number: bl.paid, grossMassKg: '1200' },
    ])
  ).id;
  for (const [name, number] of Object.entries(bl)) {
    before[name] = await lodgeDeclaration(agent, number);
  }
  const registered = before.registered!;
  registered.payment = (await agent.post(`/api/v1/declarations/${registered.id}/register`)).body.payment;
  const paid = before.paid!;
  const prn = (await agent.post(`/api/v1/declarations/${paid.id}/register`)).body.payment.prn;
  expectStatus(await journey.server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: paid.assessment.total, bankReference: `KCB-${paid.reference}`, paidAt: '2024-12-20T08:05:00+03:00' }), 201);

  // The vessel is two days late: it arrives under the new levy.
  journey.server.clock.set('2024-12-28T07:00:00Z');
  expectStatus(await journey.server.key('demo-maersk-key').post(`/api/v1/manifests/${manifestId}/arrival`, { actualArrival: '2024-12-28T09:00:00+03:00' }), 200);
  await journey.settle();
});

afterAll(async () => {
  await journey.close();
});

describe('re-assessment on arrival', () => {
  it('assesses pre-arrival on the expected arrival date, at the levy then in force', () => {
    for (const d of Object.values(before)) {
      expect(d.assessment.date).toBe('2024-12-26');
      expect(rdl(d as never)).toEqual(new Set(['1.5']));
    }
  });

  it('re-assesses an assessed declaration at the rates in force on arrival', async () => {
    const after = (await agent.get(`/api/v1/declarations/${before.assessed!.id}`)).body;
    expect(after).toMatchObject({ status: 'assessed', assessment: { date: '2024-12-28', basis: 'actual-arrival' }, payment: { prn: null } });
    expect(rdl(after)).toEqual(new Set(['2']));
    expect(new Dec(after.assessment.total).greaterThan(before.assessed!.assessment.total)).toBe(true);
  });

  it('supersedes the PRN of a registered declaration; the new one pays and releases it', async () => {
    const old = before.registered!;
    const after = (await agent.get(`/api/v1/declarations/${old.id}`)).body;
    expect(after.status).toBe('registered');
    expect(after.payment.prn).not.toBe(old.payment.prn);
    expect(after.payment.amountDue).toBe(after.assessment.total);
    expect(new Dec(after.assessment.total).greaterThan(old.assessment.total)).toBe(true);

    const bank = journey.server.key('demo-kcb-key');
    const stale = await bank.post('/api/v1/payments', { prn: old.payment.prn, amount: old.assessment.total, bankReference: `KCB-OLD-${old.reference}`, paidAt: '2024-12-28T09:30:00+03:00' });
    expect(stale.body.outcome).toBe('unallocated');
    expect((await agent.get(`/api/v1/declarations/${old.id}`)).body.status).toBe('registered');

    expectStatus(await bank.post('/api/v1/payments', { prn: after.payment.prn, amount: after.assessment.total, bankReference: `KCB-NEW-${old.reference}`, paidAt: '2024-12-28T10:02:00+03:00' }), 201);
    const released = (await untilStatus(agent, old.id, 'released')).value;
    expect(released.releaseOrderNumber).toBeTruthy();

    const timeline = (await agent.get(`/api/v1/timeline?declaration=${old.reference}`)).body.events as { action: string; reason: string | null }[];
    const reassessed = timeline.find((e) => e.action === 'declaration.reassessed');
    expect(reassessed?.reason).toContain('RDL all lines 1.5 -> 2 (from 2024-12-27)');
    expect(reassessed?.reason).toContain(`PRN ${old.payment.prn} superseded by ${after.payment.prn}`);
    expect(timeline.map((e) => e.action)).toContain('prn.cancelled');
  });

  it('releases a declaration paid before arrival and records the difference now due', async () => {
    const old = before.paid!;
    const after = (await agent.get(`/api/v1/declarations/${old.id}`)).body;
    expect(after.status).toBe('released');
    expect(after.assessment.date).toBe('2024-12-28');
    const difference = new Dec(after.assessment.total).minus(old.assessment.total);
    expect(difference.greaterThan(0)).toBe(true);
    expect(after.payment.additionalDue).toBe(difference.toFixed(2));
    const timeline = (await (await journey.server.as('kra.officer')).get(`/api/v1/timeline?declaration=${old.reference}`)).body.events as { action: string; reason: string | null }[];
    expect(timeline.find((e) => e.action === 'declaration.reassessed')?.reason).toContain(`KES ${difference.toFixed(2)} more is due`);
  });
});
