// What verification asks of a declaration (the inspection module's DeclarationPort), on a real
// server and database: preview an officer's corrections without storing them, apply them (a
// replacement PRN before payment, a supplementary PRN or a refund after), and pass the control.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/platform/db/transaction.ts';
import { Dec } from '../../src/platform/money.ts';
import { ProblemError } from '../../src/platform/http/problem.ts';
import type { Actor } from '../../src/platform/http/auth.ts';
import type { Client } from '../server.ts';
import { blNumber, expectStatus, lodgeDeclaration, lodgeManifest, startJourney, untilStatus, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
const bl = blNumber('V');
let manifestId: string;
const officer: Actor = { id: 'officer-1', name: 'Achieng Otieno', organisationId: null, role: 'officer' };

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  manifestId = (await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl, packages: 300, grossMassKg: '12000' }])).id;
  agent = await journey.server.as('siginon.agent');
});

afterAll(async () => {
  await journey.close();
});

const declarations = () => journey.server.app.services.declarations;
const db = () => journey.server.database.db;
const correct = (id: string, itemPrice: string) =>
  inTransaction(db(), (tx) => declarations().applyCorrection(tx, id, [{ itemNo: 1, itemPrice }], { actor: officer, requestId: null, reason: 'auction sheet value' }));

async function redAndPaid() {
  const declared = await lodgeDeclaration(agent, bl);
  await db().updateTable('declaration').set({ channel: 'red', control_status: 'pending' }).where('id', '=', declared.id).execute();
  const prn = (await agent.post(`/api/v1/declarations/${declared.id}/register`)).body.payment.prn;
  expectStatus(await journey.server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: declared.assessment.total, bankReference: `KCB-V-${declared.reference}`, paidAt: '2026-06-15T08:00:00+03:00' }), 201);
  return declared;
}

describe('verification of a declaration', () => {
  it('describes the declaration and previews a correction without storing it', async () => {
    const declared = await lodgeDeclaration(agent, bl);
    const subject = await declarations().forVerification(db(), declared.id);
    expect(subject).toMatchObject({ reference: declared.reference, status: 'assessed', channel: 'green', controlStatus: 'none', assessedTotal: declared.assessment.total });
    expect(subject?.items[0]).toMatchObject({ itemNo: 1, hsCode: '8471.30.00', itemPrice: '12000.00' });

    const preview = await declarations().previewCorrection(db(), declared.id, [{ itemNo: 3, hsCode: '6109.10.00', itemPrice: '4000.00' }]);
    expect(preview.changes).toEqual([{ itemNo: 3, field: 'itemPrice', before: '2000.00', after: '4000.00' }]);
    expect(preview.totalBefore).toBe(declared.assessment.total);
    expect(new Dec(preview.difference).gt(0)).toBe(true);
    expect(new Dec(preview.totalAfter).minus(preview.totalBefore).toFixed(2)).toBe(preview.difference);
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body.assessment.total).toBe(declared.assessment.total);

    let error: unknown;
    try {
      await declarations().previewCorrection(db(), declared.id, [{ itemNo: 2, hsCode: '9999.99.99' }]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem.errors).toContainEqual(expect.objectContaining({ pointer: '/items/1/hsCode', code: 'unknown_hs_code' }));
  });

  it('replaces the PRN of a registered declaration with one for the corrected amount', async () => {
    const declared = await lodgeDeclaration(agent, bl);
    const first = (await agent.post(`/api/v1/declarations/${declared.id}/register`)).body.payment.prn;
    const effect = await correct(declared.id, '15000.00');
    expect(effect.prn).toMatchObject({ kind: 'replacement', amount: effect.totalAfter, status: 'open' });
    expect(effect.prn?.prn).not.toBe(first);
    const after = (await agent.get(`/api/v1/declarations/${declared.id}`)).body;
    expect(after).toMatchObject({ status: 'registered', payment: { prn: effect.prn?.prn, amountDue: effect.totalAfter } });
    expect(after.items[0].itemPrice).toBe('15000.00');
    const old = await db().selectFrom('payment_reference').select('status').where('prn', '=', first).executeTakeFirstOrThrow();
    expect(old.status).toBe('cancelled');
  });

  it('asks a paid declaration for the difference on a supplementary PRN, and records a refund when taxes fall', async () => {
    const declared = await redAndPaid();
    const more = await correct(declared.id, '14000.00');
    expect(more.prn).toMatchObject({ kind: 'supplementary', amount: more.difference });
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body).toMatchObject({ status: 'paid', control: { status: 'pending' } });

    const other = await redAndPaid();
    const less = await correct(other.id, '10000.00');
    expect(less.prn).toBeUndefined();
    expect(new Dec(less.difference).lt(0)).toBe(true);
    expect(less.refundDue).toBe(new Dec(less.difference).negated().toFixed(2));
    expect((await agent.get(`/api/v1/declarations/${other.id}`)).body.payment.refundDue).toBe(less.refundDue);
  });

  it('releases a paid, arrived declaration once verification passes its control', async () => {
    const declared = await redAndPaid();
    journey.server.clock.set('2026-06-15T11:05:00Z');
    expectStatus(await journey.server.key('demo-maersk-key').post(`/api/v1/manifests/${manifestId}/arrival`, { actualArrival: '2026-06-15T14:00:00+03:00' }), 200);
    await journey.settle();
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body.status).toBe('paid');

    await inTransaction(db(), (tx) => declarations().passControl(tx, declared.id, { findings: 'verification VT-1: goods as declared', actor: officer, requestId: null }));
    const released = (await untilStatus(agent, declared.id, 'released')).value;
    expect(released.control.status).toBe('passed');
    // Passing again changes nothing.
    await inTransaction(db(), (tx) => declarations().passControl(tx, declared.id, { findings: 'again', actor: officer, requestId: null }));
    expect(await db().selectFrom('release_order').select('number').where('declaration_id', '=', declared.id).execute()).toHaveLength(1);
  });
});
