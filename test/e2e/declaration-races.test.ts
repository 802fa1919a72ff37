// Requests that race, over real HTTP: however they interleave, one declaration gets one PRN,
// is paid once and released once, and a B/L is never declared beyond what it carries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, Res } from '../server.ts';
import { blNumber, declarationBody, expectStatus, lodgeDeclaration, lodgeManifest, startJourney, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
const early = { a: blNumber('A'), b: blNumber('B'), c: blNumber('C'), tight: blNumber('N') };
const late = { d: blNumber('D') };
let lateManifestId: string;

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [
    { number: early.a, packages: 60, grossMassKg: '2400' },
    { number: early.b },
    { number: early.c },
    // Room for two declarations of 30 packages, not three.
    { number: early.tight, packages: 60, grossMassKg: '2400' },
  ]);
  lateManifestId = (await lodgeManifest(journey.server, '2026-06-15T16:00:00+03:00', [{ number: late.d, packages: 60, grossMassKg: '2400' }])).id;
  agent = await journey.server.as('siginon.agent');
});

afterAll(async () => {
  await journey.close();
});

const db = () => journey.server.database.db;
const prnsOf = (id: string) => db().selectFrom('payment_reference').select(['prn', 'status']).where('declaration_id', '=', id).execute();
const releaseOrdersOf = (id: string) => db().selectFrom('release_order').select('number').where('declaration_id', '=', id).execute();
const auditCount = async (id: string, action: string) =>
  (await db().selectFrom('audit_event').select('id').where('entity_type', '=', 'declaration').where('entity_id', '=', id).where('action', '=', action).execute()).length;
const statuses = (responses: Res[]) => responses.map((r) => r.status).sort();

function pay(prn: string, amount: string, bankReference: string) {
  return journey.server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount, bankReference, paidAt: '2026-06-15T08:00:00+03:00' });
}

describe('racing requests', () => {
  it('five registrations at once give one PRN', async () => {
    const declared = await lodgeDeclaration(agent, early.a);
    const responses = await Promise.all(Array.from({ length: 5 }, () => agent.post(`/api/v1/declarations/${declared.id}/register`)));
    expect(statuses(responses)).toEqual([200, 409, 409, 409, 409]);
    for (const refused of responses.filter((r) => r.status === 409)) {
      expect(refused.body.state).toBe('registered');
    }
    expect(await prnsOf(declared.id)).toHaveLength(1);

    // With one Idempotency-Key the retries are the same request: the same answer, still one PRN.
    const other = await lodgeDeclaration(agent, early.a, {});
    const keyed = await Promise.all(Array.from({ length: 5 }, () => agent.post(`/api/v1/declarations/${other.id}/register`, undefined, { idempotencyKey: `reg-${other.id}` })));
    expect(statuses(keyed)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(keyed.map((r) => r.body.payment.prn)).size).toBe(1);
    expect(await prnsOf(other.id)).toHaveLength(1);
  });

  it('five payments at once settle the declaration once and release it once', async () => {
    const declared = await lodgeDeclaration(agent, early.b);
    const prn = (await agent.post(`/api/v1/declarations/${declared.id}/register`)).body.payment.prn as string;
    const payments = await Promise.all(Array.from({ length: 5 }, (_, n) => pay(prn, declared.assessment.total, `KCB-RACE-${n}-${declared.reference}`)));
    expect(statuses(payments)).toEqual([201, 201, 201, 201, 201]);
    // One payment settles the PRN; the four others are overpayments held as credit.
    expect(payments.filter((p) => p.body.outcome === 'exact')).toHaveLength(1);
    expect(payments.filter((p) => p.body.outcome === 'over')).toHaveLength(4);
    expect(await auditCount(declared.id, 'declaration.paid')).toBe(1);
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body.status).toBe('paid');
  });

  it('a cancellation racing a registration leaves no payable PRN', async () => {
    const declared = await lodgeDeclaration(agent, early.c);
    const [register, cancel] = await Promise.all([
      agent.post(`/api/v1/declarations/${declared.id}/register`),
      agent.post(`/api/v1/declarations/${declared.id}/cancel`, { reason: 'duplicate of another entry' }),
    ]);
    // Before registration the cancellation is made at once; after it, it is a request an officer approves.
    expect([200, 202]).toContain(cancel.status);
    expect([200, 409]).toContain(register.status);
    if (cancel.status === 202) {
      const officer = await journey.server.as('kra.officer');
      expectStatus(await officer.post(`/api/v1/declarations/${declared.id}/requests/${cancel.body.pendingRequest.id}/decision`, { approve: true, reason: 'duplicate confirmed' }), 200);
    }
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body.status).toBe('cancelled');
    const payable = (await prnsOf(declared.id)).filter((p) => p.status === 'open' || p.status === 'partly_paid');
    expect(payable).toHaveLength(0);
  });

  it('never lets racing lodgements declare more than the B/L carries', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => agent.post('/api/v1/declarations', { ...declarationBody(early.tight), lodge: true })));
    expect(statuses(results)).toEqual([201, 201, 422, 422, 422]);
    for (const refused of results.filter((r) => r.status === 422)) {
      expect(refused.body.errors).toContainEqual(expect.objectContaining({ pointer: '/items', code: 'packages_exceed_transport_document' }));
    }
  });

  it('arrival and payment at once release the goods exactly once', async () => {
    const declared = await lodgeDeclaration(agent, late.d);
    const sibling = await lodgeDeclaration(agent, late.d);
    const prn = (await agent.post(`/api/v1/declarations/${declared.id}/register`)).body.payment.prn as string;
    const siblingPrn = (await agent.post(`/api/v1/declarations/${sibling.id}/register`)).body.payment.prn as string;
    expectStatus(await pay(siblingPrn, sibling.assessment.total, `KCB-SIB-${sibling.reference}`), 201);

    journey.server.clock.set('2026-06-15T12:30:00Z');
    const [payment, arrival] = await Promise.all([
      pay(prn, declared.assessment.total, `KCB-ARR-${declared.reference}`),
      journey.server.key('demo-maersk-key').post(`/api/v1/manifests/${lateManifestId}/arrival`, { actualArrival: '2026-06-15T15:20:00+03:00' }),
    ]);
    expectStatus(payment, 201);
    expectStatus(arrival, 200);
    await journey.settle();
    for (const d of [declared, sibling]) {
      const after = (await agent.get(`/api/v1/declarations/${d.id}`)).body;
      expect(after.status).toBe('released');
      expect(await releaseOrdersOf(d.id)).toHaveLength(1);
      expect(await auditCount(d.id, 'declaration.released')).toBe(1);
    }
    // A redelivered arrival event changes nothing.
    const arrived = await db().selectFrom('outbox').select(['id']).where('topic', '=', 'manifest.arrived').execute();
    await db().updateTable('outbox').set({ delivered_at: null, available_at: new Date() }).where('id', 'in', arrived.map((r) => r.id)).execute();
    journey.server.app.services.outbox.kick();
    await journey.settle();
    expect(await releaseOrdersOf(declared.id)).toHaveLength(1);
    expect(await auditCount(declared.id, 'declaration.released')).toBe(1);
  });
});
