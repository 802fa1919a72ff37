// The whole journey of a consignment over real HTTP: the carrier lodges its manifest, the agent
// lodges a pre-arrival declaration, registers it, the bank pays, the vessel arrives and the
// goods are released automatically; the terminal gets the release message, reports gate-out,
// the B/L is written off, and the timeline shows every step with who did it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/platform/money.ts';
import type { Client } from '../server.ts';
import { blNumber, expectStatus, lodgeDeclaration, lodgeManifest, startJourney, untilStatus, waitFor, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;

beforeAll(async () => {
  // 08:00 in Nairobi; the vessel is expected at 14:00 the same day.
  journey = await startJourney('2026-06-15T05:00:00Z');
  agent = await journey.server.as('siginon.agent');
});

afterAll(async () => {
  await journey.close();
});

describe('cargo to release', () => {
  it('takes a consignment from manifest to gate-out, releasing it automatically on arrival', async () => {
    const { server } = journey;
    const bl = blNumber('J');
    const manifest = await lodgeManifest(server, '2026-06-15T14:00:00+03:00', [{ number: bl, packages: 30, grossMassKg: '1200' }]);

    // Pre-arrival declaration of three items, lodged in one request.
    server.clock.set('2026-06-15T05:10:00Z');
    const declared = await lodgeDeclaration(agent, bl);
    expect(declared.status).toBe('assessed');
    expect(declared.reference).toMatch(/^2026MBAIM4\d{6}$/);
    expect(declared.importer).toMatchObject({ pin: 'P051234567A', name: 'Nairobi Motors Ltd' });
    expect(declared.declarant).toMatchObject({ code: 'SIGINON' });

    // The assessment is shown: rates in force on the expected arrival, every tax line per item.
    const assessment = declared.assessment;
    expect(assessment).toMatchObject({ date: '2026-06-15', basis: 'expected-arrival', currency: 'USD' });
    expect(assessment.items).toHaveLength(3);
    expect(assessment.items.map((i: { hsCode: string }) => i.hsCode)).toEqual(['8471.30.00', '8517.13.00', '6109.10.00']);
    const itemsTotal = assessment.items.reduce((sum: Dec, i: { total: string }) => sum.plus(i.total), new Dec(0));
    expect(itemsTotal.toFixed(2)).toBe(assessment.total);
    expect(new Dec(assessment.total).greaterThan(0)).toBe(true);
    // Smartphones carry excise, T-shirts 35% import duty, laptops none.
    const taxesOf = (n: number) => Object.fromEntries(assessment.items[n].taxes.map((t: { code: string; rate: string | null }) => [t.code, t.rate]));
    expect(taxesOf(0).ID).toBe('0');
    expect(taxesOf(1).EXD).toBe('10');
    expect(taxesOf(2).ID).toBe('35');
    // Freight (FOB terms) is apportioned over the items by price: 1200 over 12000/6000/2000.
    expect(assessment.items.map((i: { valuation: { freight: string } }) => new Dec(i.valuation.freight).toFixed(2))).toEqual(['720.00', '360.00', '120.00']);

    // The channel is shown to the agent without its reasons; customs sees why.
    expect(declared.selectivity).toEqual({ channel: 'green' });
    const officer = await server.as('kra.officer');
    const asOfficer = await officer.get(`/api/v1/declarations/${declared.id}`);
    const { reasons, version } = asOfficer.body.selectivity as { reasons: string[]; version: string };
    expect(asOfficer.body.selectivity.channel).toBe('green');
    expect(reasons.length).toBeGreaterThan(0);
    expect(version).toBeTruthy();
    const importer = await server.as('nmotors.owner');
    expectStatus(await importer.get(`/api/v1/declarations/by-reference/${declared.reference}`), 200);

    // Registration issues the PRN; a retry with the same key answers the same PRN.
    server.clock.set('2026-06-15T05:15:00Z');
    const key = `register-${declared.id}`;
    const registered = await agent.post(`/api/v1/declarations/${declared.id}/register`, undefined, { idempotencyKey: key });
    expectStatus(registered, 200);
    expect(registered.body.status).toBe('registered');
    const prn = registered.body.payment.prn as string;
    expect(prn).toMatch(/^2026PRN\d{12}$/);
    const again = await agent.post(`/api/v1/declarations/${declared.id}/register`, undefined, { idempotencyKey: key });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.payment.prn).toBe(prn);

    // The bank pays; the goods have not arrived, so the declaration waits, paid.
    server.clock.set('2026-06-15T05:30:00Z');
    const paid = await server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: assessment.total, bankReference: `KCB-${declared.reference}`, paidAt: '2026-06-15T08:25:00+03:00' });
    expectStatus(paid, 201);
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body.status).toBe('paid');

    // The vessel arrives: the paid, green consignment is released without anyone asking.
    server.clock.set('2026-06-15T10:45:00Z');
    const arrival = await server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2026-06-15T13:30:00+03:00' });
    expectStatus(arrival, 200);
    // No one asks: the worker, kicked after the commit, releases it. (How fast is not asserted
    // here: a wall-clock bound fails on a busy machine, and the idle poll would meet it anyway.)
    const { value: released } = await untilStatus(agent, declared.id, 'released', 10_000);
    expect(released.releaseOrderNumber).toMatch(/^2026MBARO\d{6}$/);
    expect(released.assessment.basis).toBe('actual-arrival');
    const order = released.releaseOrderNumber as string;

    // The terminal receives the release message.
    const kpa = server.key('demo-kpa-key');
    const { value: message } = await waitFor(async () => {
      const inbox = await kpa.get('/api/v1/terminal/messages');
      return (inbox.body.messages as { releaseOrderNumber: string; payload: Record<string, unknown> }[]).find((m) => m.releaseOrderNumber === order);
    });
    expect(message.payload).toMatchObject({ declarationReference: declared.reference, transportDocumentNumber: bl, packages: 30, grossMassKg: '1200.000' });

    // Gate-out: the declaration ends, the B/L is written off.
    server.clock.set('2026-06-15T11:15:00Z');
    expectStatus(await kpa.post(`/api/v1/release-orders/${order}/gate-out`, { at: '2026-06-15T14:10:00+03:00', gateReference: 'KPA-G7-000123' }), 201);
    await journey.settle();
    expect((await agent.get(`/api/v1/declarations/${declared.id}`)).body.status).toBe('exited');
    const carrierView = await server.key('demo-maersk-key').get(`/api/v1/manifests/${manifest.id}`);
    expect(carrierView.body.documents[0]).toMatchObject({ number: bl, remainingPackages: 0, remainingMassKg: '0.000' });

    // The timeline shows every step with time, actor and role, to the importer as to customs.
    const timeline = await importer.get(`/api/v1/timeline?bl=${bl}`);
    expectStatus(timeline, 200);
    const events = timeline.body.events as { at: string; action: string; actor: { name: string; role: string }; details: unknown }[];
    const actions = events.map((e) => e.action);
    for (const step of [
      'manifest.lodged',
      'declaration.lodged',
      'declaration.assessed',
      'prn.issued',
      'declaration.registered',
      'payment.received',
      'declaration.paid',
      'manifest.arrived',
      'release_order.issued',
      'declaration.released',
      'transport_document.written_off',
      'declaration.exited',
    ]) {
      expect(actions, step).toContain(step);
    }
    for (const e of events) {
      expect(e.actor.name, e.action).toBeTruthy();
      expect(e.actor.role, e.action).toBeTruthy();
    }
    const by = (action: string) => events.find((e) => e.action === action)?.actor;
    // The importer reads its own people by name, others as their organisation.
    expect(by('declaration.lodged')).toEqual({ name: 'Siginon Freight Ltd', role: 'agent' });
    expect(by('payment.received')?.role).toBe('bank');
    expect(by('declaration.released')?.role).toBe('system');
    const released_ = events.find((e) => e.action === 'declaration.released');
    expect(released_).toMatchObject({ reason: 'automatic release: paid, green, arrived' });
    // The lodgement precedes the payment, the payment the release, the release the exit.
    const at = (action: string) => actions.indexOf(action);
    expect(at('declaration.lodged')).toBeLessThan(at('declaration.paid'));
    expect(at('declaration.paid')).toBeLessThan(at('declaration.released'));
    expect(at('declaration.released')).toBeLessThan(at('declaration.exited'));
    // Risk reasons are customs' only.
    expect(JSON.stringify(timeline.body)).not.toContain(reasons[0]);
    const forCustoms = await officer.get(`/api/v1/timeline?declaration=${declared.reference}`);
    expectStatus(forCustoms, 200);
    expect(JSON.stringify(forCustoms.body)).toContain(reasons[0]);
    // Customs read every step, the trade those written for it (not the terminal's message traffic).
    expect(forCustoms.body.events.length).toBeGreaterThan(events.length);
    expect(actions).not.toContain('terminal_message.delivered');
    expect(forCustoms.body.events.map((e: { action: string }) => e.action)).toContain('terminal_message.delivered');

    // The agent and the carrier may follow it too; nobody else learns it exists.
    const forAgent = await agent.get(`/api/v1/timeline?declaration=${declared.reference}`);
    expectStatus(forAgent, 200);
    expect(forAgent.body.events.find((e: { action: string }) => e.action === 'declaration.lodged').actor).toEqual({ name: 'John Kamau', role: 'agent' });
    const forCarrier = await server.key('demo-maersk-key').get(`/api/v1/timeline?bl=${bl}`);
    expectStatus(forCarrier, 200);
    // The carrier learns the declaration went through, not a figure of it.
    const assessedForCarrier = forCarrier.body.events.find((e: { action: string }) => e.action === 'declaration.assessed').details;
    expect(Object.keys(assessedForCarrier).sort()).toEqual(['status', 'version']);
    expect(assessedForCarrier.status).toBe('assessed');
    expect(forCarrier.body.events.map((e: { action: string }) => e.action)).not.toContain('payment.received');
    expect(forCarrier.text).not.toContain(assessment.total);
    expect(forCarrier.text).not.toContain(prn);
    expect((await (await server.as('mtraders.owner')).get(`/api/v1/timeline?bl=${bl}`)).status).toBe(404);
    expect((await (await server.as('bollore.agent')).get(`/api/v1/timeline?declaration=${declared.reference}`)).status).toBe(404);
    expect((await server.key('demo-cma-key').get(`/api/v1/timeline?bl=${bl}`)).status).toBe(404);
    expect((await importer.get('/api/v1/timeline?bl=NOSUCHBL123')).status).toBe(404);
  });
});
