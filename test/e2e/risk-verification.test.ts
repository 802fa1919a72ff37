// Risk to release over real HTTP: the risk analyst writes a rule, a declaration that hits it goes
// red with the rule's reason (shown to customs, hidden from the agent), the officer on duty is
// drawn for the task and finds the car under-valued, the agent accepts and the bank pays the
// difference, the vessel arrives and the goods are released to the terminal; the outcome is the
// risk engine's next training label, with the revenue the check recovered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/platform/money.ts';
import type { Client } from '../server.ts';
import { blNumber, declarationBody, expectStatus, lodgeManifest, roster, startJourney, untilStatus, waitFor, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
let officer: Client;

const reason = 'used vehicles from JP: verify chassis and year';

beforeAll(async () => {
  // 08:00 in Nairobi; the vessel is expected at 14:00 the same day.
  journey = await startJourney('2026-06-15T05:00:00Z');
  agent = await journey.server.as('siginon.agent');
  officer = await journey.server.as('kra.officer');
});

afterAll(async () => {
  await journey.close();
});

describe('risk rule to verification to release', () => {
  it('selects by a rule, verifies, collects the difference, releases, and labels the outcome', async () => {
    const { server } = journey;
    const db = server.database.db;

    // The risk analyst's rule.
    const analyst = await server.as('kra.risk');
    const rule = await analyst.post('/api/v1/risk/rules', {
      name: 'Used cars from Japan',
      reason,
      channel: 'red',
      priority: 5,
      validFrom: '2026-01-01',
      criteria: { hsCodes: ['8703'], originCountries: ['JP'] },
      changeReason: 'under-valuation of used cars reported by the Mombasa long room',
    });
    expectStatus(rule, 201);
    expect((await agent.post('/api/v1/risk/rules', { name: 'x', reason: 'x', channel: 'red', priority: 1, validFrom: '2026-01-01', criteria: { hsCodes: ['01'] } })).status).toBe(403);

    // The supervisor rosters the officer on duty at Mombasa; nobody else is on duty.
    const duty = await roster(server, 'kra.officer', 'MBA');
    const officerId = duty.duty.officer.id;

    // A car from Japan on a Maersk B/L, declared before the vessel arrives.
    const bl = blNumber('R');
    const manifest = await lodgeManifest(server, '2026-06-15T14:00:00+03:00', [{ number: bl, packages: 1, grossMassKg: '1450' }]);
    server.clock.set('2026-06-15T05:10:00Z');
    const lodged = await agent.post('/api/v1/declarations', {
      ...declarationBody(bl, {
        invoiceAmount: '8000.00',
        freight: '1100.00',
        insurance: '90.00',
        items: [
          {
            hsCode: '8703.23.90',
            description: 'Used Toyota Harrier 2.0 petrol, 2021',
            originCountry: 'JP',
            quantity: '1',
            unit: 'NAR',
            netMassKg: '1400',
            grossMassKg: '1450',
            packages: 1,
            itemPrice: '8000.00',
            // 1,990 cc: no CRSP row, so the invoice value stands until the officer values it.
            vehicle: { fuel: 'petrol', engineCc: 1990, make: 'TOYOTA', model: 'HARRIER', firstRegistration: '2021-03', chassisNumber: 'ZSU60-0123456' },
          },
        ],
      }),
      lodge: true,
    });
    expectStatus(lodged, 201);
    const declared = lodged.body;

    // Red, with the rule's reason for customs only.
    expect(declared.selectivity).toEqual({ channel: 'red' });
    expect(lodged.text).not.toContain('chassis and year');
    const asOfficer = (await officer.get(`/api/v1/declarations/${declared.id}`)).body;
    expect(asOfficer.selectivity.channel).toBe('red');
    expect(JSON.stringify(asOfficer.selectivity.reasons)).toContain(reason);

    // The task was drawn for the officer on duty, who sees why.
    const tasks = await officer.get('/api/v1/inspection/tasks?assignedTo=me&status=assigned');
    expectStatus(tasks, 200);
    const task = (tasks.body.items as { id: string; declaration: { id: string }; riskReasons: unknown; assignedOfficer: { id: string }; kind: string }[]).find((t) => t.declaration.id === declared.id);
    expect(task).toBeDefined();
    expect(task!.kind).toBe('physical');
    expect(task!.assignedOfficer.id).toBe(officerId);
    expect(JSON.stringify(task!.riskReasons)).toContain(reason);
    const forAgent = await agent.get(`/api/v1/declarations/${declared.id}/verification`);
    expectStatus(forAgent, 200);
    expect(forAgent.body.status).toBe('assigned');
    expect(forAgent.text).not.toContain('chassis and year');

    // The agent registers and the bank pays the assessed duties; a red declaration waits for its control.
    server.clock.set('2026-06-15T05:20:00Z');
    const registered = await agent.post(`/api/v1/declarations/${declared.id}/register`);
    expectStatus(registered, 200);
    const kcb = server.key('demo-kcb-key');
    expectStatus(await kcb.post('/api/v1/payments', { prn: registered.body.payment.prn, amount: declared.assessment.total, bankReference: `KCB-${declared.reference}-1`, paidAt: '2026-06-15T08:25:00+03:00' }), 201);
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body).toMatchObject({ status: 'paid', control: { status: 'pending' } });

    // The officer finds the car worth more than invoiced (auction sheet in the glovebox).
    server.clock.set('2026-06-15T06:00:00Z');
    const found = await officer.post(`/api/v1/inspection/tasks/${task!.id}/findings`, {
      result: 'discrepancy',
      corrections: [{ itemNo: 1, itemPrice: '11500.00' }],
      remarks: 'chassis ZSU60-0123456 and year 2021 confirmed; auction sheet shows USD 11,500',
    });
    expectStatus(found, 200);
    expect(found.body.status).toBe('awaiting_declarant');
    const difference = found.body.difference as string;
    expect(new Dec(difference).gt(0)).toBe(true);
    expect(found.body.amendment.changes).toEqual([{ itemNo: 1, field: 'itemPrice', before: '8000.00', after: '11500.00' }]);

    // The agent sees the correction and what it costs, and accepts it.
    const seen = (await agent.get(`/api/v1/declarations/${declared.id}/verification`)).body;
    expect(seen).toMatchObject({ status: 'awaiting_declarant', difference, findings: { result: 'discrepancy', corrections: [{ itemNo: 1, itemPrice: '11500.00' }] } });
    const accepted = await agent.post(`/api/v1/declarations/${declared.id}/verification-response`, { response: 'accept' }, { idempotencyKey: `accept-${declared.id}` });
    expectStatus(accepted, 200);
    expect(accepted.body).toMatchObject({ status: 'awaiting_payment', payment: { amount: difference } });
    const supplementary = accepted.body.payment.prn as string;
    expect(supplementary).not.toBe(registered.body.payment.prn);
    // A retry of the same answer is the same answer.
    const retried = await agent.post(`/api/v1/declarations/${declared.id}/verification-response`, { response: 'accept' }, { idempotencyKey: `accept-${declared.id}` });
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body.payment.prn).toBe(supplementary);

    // The bank pays the difference: the control passes; the goods wait only for the vessel.
    server.clock.set('2026-06-15T06:30:00Z');
    expectStatus(await kcb.post('/api/v1/payments', { prn: supplementary, amount: difference, bankReference: `KCB-${declared.reference}-2`, paidAt: '2026-06-15T09:25:00+03:00' }), 201);
    const beforeArrival = (await agent.get(`/api/v1/declarations/${declared.id}`)).body;
    expect(beforeArrival).toMatchObject({ status: 'paid', control: { status: 'passed' } });
    expect(beforeArrival.assessment.total).toBe(new Dec(declared.assessment.total).plus(difference).toFixed(2));
    expect((await agent.get(`/api/v1/declarations/${declared.id}/verification`)).body).toMatchObject({ status: 'closed', outcome: 'discrepancy_settled' });

    // The vessel arrives: released, and the terminal gets the release message.
    server.clock.set('2026-06-15T10:45:00Z');
    expectStatus(await server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2026-06-15T13:30:00+03:00' }), 200);
    if (journey.realWorker) {
      await untilStatus(agent, declared.id, 'released', 3000);
    }
    await journey.settle();
    const released = (await agent.get(`/api/v1/declarations/${declared.id}`)).body;
    expect(released.status).toBe('released');
    expect(released.releaseOrderNumber).toMatch(/^2026MBARO\d{6}$/);
    const kpa = server.key('demo-kpa-key');
    const { value: message } = await waitFor(async () => {
      const inbox = await kpa.get('/api/v1/terminal/messages');
      return (inbox.body.messages as { releaseOrderNumber: string; payload: Record<string, unknown> }[]).find((m) => m.releaseOrderNumber === released.releaseOrderNumber);
    });
    expect(message.payload).toMatchObject({ declarationReference: declared.reference, transportDocumentNumber: bl, packages: 1 });

    // The training label: inspected, discrepancy, the revenue recovered.
    const outcome = await db.selectFrom('risk_outcome').selectAll().where('declaration_id', '=', declared.id).executeTakeFirstOrThrow();
    expect(outcome).toMatchObject({ inspected: true, discrepancy: true, officer_id: officerId });
    expect(new Dec(outcome.extra_revenue).toFixed(2)).toBe(difference);

    // The timeline tells the story to the agent, without the reason; customs see the reason.
    const timeline = await agent.get(`/api/v1/timeline?bl=${bl}`);
    expectStatus(timeline, 200);
    const actions = (timeline.body.events as { action: string }[]).map((e) => e.action);
    for (const step of [
      'declaration.assessed',
      'verification.task_created',
      'declaration.paid',
      'verification.discrepancy_found',
      'declaration.corrected',
      'verification.accepted',
      'verification.settled',
      'declaration.control_passed',
      'declaration.released',
    ]) {
      expect(actions, step).toContain(step);
    }
    expect(actions.indexOf('verification.settled')).toBeLessThan(actions.indexOf('declaration.released'));
    // Which officer the check was drawn for stays with customs.
    expect(actions).not.toContain('verification.allocated');
    expect(timeline.text).not.toContain('Achieng Otieno');
    expect(timeline.text).not.toContain('chassis and year');
    expect((await officer.get(`/api/v1/timeline?bl=${bl}`)).text).toContain('chassis and year');
  });
});
