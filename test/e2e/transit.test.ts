// Transit over HTTP: guarantees and their arithmetic (two movements racing for the last of a
// guarantee), a movement from lodgement to discharge with its B/L written off as transit, seal
// events and alerts, overdue detection and the guarantee call, every illegal transition of the
// state table, and a deadline nothing the trade does can extend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movementLifecycle, type MovementStatus } from '../../src/modules/transit/index.ts';
import { startTestServer, type Client, type Res, type TestServer } from '../server.ts';
import { blNumber, expectStatus, roster } from './cargo.ts';
import { movementBody, onDuty, registerGuarantee, sealId, transitManifest, type TransitBl } from './transit-kit.ts';

let server: TestServer;
let agent: Client;
let mombasa: Client;
let malaba: Client;
let supervisor: Client;
let tracker: Client;
let big: string;

beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T05:00:00Z' });
  agent = await server.as('siginon.agent');
  supervisor = await server.as('kra.supervisor');
  tracker = server.key('demo-tracker-key');
  ({ mombasa, malaba } = await onDuty(server));
  big = (await registerGuarantee(supervisor, '50000000.00')).reference;
});

afterAll(async () => {
  await server.close();
});

async function lodged(opts: { overrides?: Record<string, unknown>; guarantee?: string; bl?: TransitBl } = {}) {
  const bl = opts.bl ?? { number: blNumber('T'), packages: 20, grossMassKg: '800' };
  const manifest = await transitManifest(server, [bl]);
  const res = await agent.post('/api/v1/transit/movements', movementBody(bl.number, opts.guarantee ?? big, opts.overrides));
  expectStatus(res, 201);
  return { bl: bl.number, manifest, movement: res.body as { id: string; reference: string; seals: string[]; estimatedStake: string } };
}

async function departed(opts: Parameters<typeof lodged>[0] = {}) {
  const l = await lodged(opts);
  const res = await mombasa.post(`/api/v1/transit/movements/${l.movement.id}/departure`, {});
  expectStatus(res, 200);
  return { ...l, stake: res.body.stake as string, deadline: res.body.deadline as string };
}

async function guarantee(reference: string) {
  const res = await supervisor.get(`/api/v1/transit/guarantees/${reference}`);
  expectStatus(res, 200);
  return res.body as { amount: string; balance: string; held: string; ledgerChecked: boolean; ledger: { kind: string; amount: string; effect: string; movement: string | null }[] };
}

const cents = (v: string) => Math.round(Number(v) * 100);

describe('a movement from Mombasa out at Malaba', () => {
  it('debits the guarantee at departure by the duties at stake, restores it at exit, and writes the B/L off as transit', async () => {
    const g = (await registerGuarantee(supervisor, '2000000.00')).reference;
    const { manifest, movement } = await lodged({ guarantee: g });
    expect(movement).toMatchObject({ status: 'lodged', stake: null, deadline: null, packages: 20, grossMassKg: '800.000' });
    expect(cents(movement.estimatedStake)).toBeGreaterThan(0);

    const dep = await mombasa.post(`/api/v1/transit/movements/${movement.id}/departure`, {});
    expectStatus(dep, 200);
    const stake = dep.body.stake as string;
    expect(stake).toBe(movement.estimatedStake);
    // 30 days for regional transit, from the time limit in force (data).
    expect(dep.body.deadline).toBe('2026-07-15T05:00:00.000Z');
    expect(await guarantee(g)).toMatchObject({ balance: ((cents('2000000.00') - cents(stake)) / 100).toFixed(2), held: stake, ledgerChecked: true });

    const exit = await malaba.post(`/api/v1/transit/movements/${movement.id}/exit`, { remarks: 'seals intact' });
    expectStatus(exit, 200);
    expect(exit.body).toMatchObject({ status: 'discharged', concludedOffice: 'MAL' });
    const after = await guarantee(g);
    expect(after).toMatchObject({ balance: '2000000.00', amount: '2000000.00', held: '0.00', ledgerChecked: true });
    expect(after.ledger.map((e) => [e.kind, e.effect, e.movement])).toEqual([
      ['registered', '2000000.00', null],
      ['debit', `-${stake}`, movement.reference],
      ['credit', stake, movement.reference],
    ]);
    const doc = (await server.key('demo-maersk-key').get(`/api/v1/manifests/${manifest.id}`)).body.documents[0];
    expect(doc).toMatchObject({ packagesWrittenOff: 20, massWrittenOffKg: '800.000', remainingPackages: 0 });
    expect(doc.regimeShares).toEqual([
      { cargoCategory: 'transit', packages: 20, grossMassKg: '800.000', packagesWrittenOff: 20, massWrittenOffKg: '800.000', remainingPackages: 0, remainingMassKg: '0.000' },
    ]);
  });

  it('is let go only by customs on duty at Mombasa, and discharged only by customs on duty at Malaba', async () => {
    const { movement } = await lodged();
    expectStatus(await malaba.post(`/api/v1/transit/movements/${movement.id}/departure`, {}), 403);
    expectStatus(await agent.post(`/api/v1/transit/movements/${movement.id}/departure`, {}), 403);
    expectStatus(await mombasa.post(`/api/v1/transit/movements/${movement.id}/departure`, {}), 200);
    expectStatus(await mombasa.post(`/api/v1/transit/movements/${movement.id}/exit`, {}), 403);
    // An IM8 leaves at its border office: there is no arrival to confirm.
    expectStatus(await malaba.post(`/api/v1/transit/movements/${movement.id}/arrival`, {}), 409);
    expectStatus(await malaba.post(`/api/v1/transit/movements/${movement.id}/exit`, {}), 200);
  });

  it("is another agent's business to nobody: Bollore neither reads Siginon's movement nor lodges on its guarantee", async () => {
    const { bl, movement } = await lodged();
    const bollore = await server.as('bollore.agent');
    expectStatus(await bollore.get(`/api/v1/transit/movements/${movement.id}`), 404);
    expectStatus(await bollore.get(`/api/v1/transit/guarantees/${big}`), 404);
    const res = await bollore.post('/api/v1/transit/movements', movementBody(bl, big));
    expectStatus(res, 422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/guaranteeReference');
  });
});

describe('a national transfer to Nairobi ICD', () => {
  it('runs on a 7-day time limit and is discharged by arrival at the depot, not by an exit', async () => {
    await roster(server, 'kra.supervisor2', 'NBI');
    const nairobi = await server.as('kra.supervisor2');
    const transfer = { kind: 'TR', officeOfExit: undefined, officeOfDestination: 'NBI', destinationCountry: 'KE' };
    const wrong = await agent.post('/api/v1/transit/movements', movementBody(blNumber('N'), big, { kind: 'TR', destinationCountry: 'UG' }));
    expectStatus(wrong, 422);
    const d = await departed({ overrides: transfer });
    expect(d.deadline).toBe(new Date(server.clock.now().getTime() + 7 * 86_400_000).toISOString());
    expectStatus(await malaba.post(`/api/v1/transit/movements/${d.movement.id}/exit`, {}), 409);
    expectStatus(await mombasa.post(`/api/v1/transit/movements/${d.movement.id}/arrival`, {}), 403);
    const arrived = await nairobi.post(`/api/v1/transit/movements/${d.movement.id}/arrival`, {});
    expectStatus(arrived, 200);
    expect(arrived.body).toMatchObject({ status: 'discharged', concludedOffice: 'NBI' });
  });
});

describe('a B/L split between home use and transit', () => {
  it('moves only its transit share, and writes off each regime against its own share', async () => {
    const bl: TransitBl = {
      number: blNumber('S'),
      packages: 30,
      grossMassKg: '1200',
      cargoCategory: 'home_use',
      regimeShares: [
        { cargoCategory: 'home_use', packages: 10, grossMassKg: '400' },
        { cargoCategory: 'transit', packages: 20, grossMassKg: '800' },
      ],
    };
    const manifest = await transitManifest(server, [bl]);
    expect(manifest.documents[0]?.regimeShares).toHaveLength(2);
    const tooMany = await agent.post('/api/v1/transit/movements', movementBody(bl.number, big, { packages: 21, grossMassKg: '800' }));
    expectStatus(tooMany, 422);
    expect(tooMany.body.errors[0]).toMatchObject({ pointer: '/packages', code: 'more_than_manifested_for_transit' });
    const m = await agent.post('/api/v1/transit/movements', movementBody(bl.number, big));
    expectStatus(m, 201);
    expect(m.body).toMatchObject({ packages: 20, grossMassKg: '800.000' });
    // All the transit cargo is on that movement: a second one has nothing to carry.
    expectStatus(await agent.post('/api/v1/transit/movements', movementBody(bl.number, big)), 422);
    expectStatus(await mombasa.post(`/api/v1/transit/movements/${m.body.id}/departure`, {}), 200);
    expectStatus(await malaba.post(`/api/v1/transit/movements/${m.body.id}/exit`, {}), 200);
    const doc = (await server.key('demo-maersk-key').get(`/api/v1/manifests/${manifest.id}`)).body.documents[0];
    expect(doc).toMatchObject({ packagesWrittenOff: 20, remainingPackages: 10, massWrittenOffKg: '800.000' });
    expect(doc.regimeShares).toMatchObject([
      { cargoCategory: 'home_use', packages: 10, packagesWrittenOff: 0, remainingPackages: 10 },
      { cargoCategory: 'transit', packages: 20, packagesWrittenOff: 20, remainingPackages: 0 },
    ]);
  });

  it('refuses shares that do not add up to the B/L, or that leave out its own category', async () => {
    const body = {
      number: blNumber('S'),
      packages: 30,
      grossMassKg: '1200',
      cargoCategory: 'home_use' as const,
      regimeShares: [
        { cargoCategory: 'transit', packages: 20, grossMassKg: '800' },
        { cargoCategory: 'transhipment', packages: 5, grossMassKg: '400' },
      ],
    };
    const res = await server.key('demo-maersk-key').post('/api/v1/manifests', {
      ...(await import('./cargo.ts')).manifestBody('2026-06-15T14:00:00+03:00', [body]),
      documents: [{ ...(await import('./cargo.ts')).manifestBody('2026-06-15T14:00:00+03:00', [body]).documents[0], regimeShares: body.regimeShares }],
    });
    expectStatus(res, 422);
    expect(res.body.errors.map((e: { code: string }) => e.code).sort()).toEqual(['not_among_shares', 'shares_do_not_add_up']);
  });

  it('refuses a movement on a B/L with no transit cargo', async () => {
    const bl = blNumber('H');
    await transitManifest(server, [{ number: bl, cargoCategory: 'home_use' }]);
    const res = await agent.post('/api/v1/transit/movements', movementBody(bl, big));
    expectStatus(res, 422);
    expect(res.body.errors[0]).toMatchObject({ pointer: '/transportDocumentNumber', code: 'not_transit_cargo' });
  });
});

describe('guarantee arithmetic', () => {
  it('refuses departure on an insufficient guarantee, naming the shortfall; a top-up lets it go', async () => {
    const small = (await registerGuarantee(supervisor, '1000.00')).reference;
    const { movement } = await lodged({ guarantee: small });
    const res = await mombasa.post(`/api/v1/transit/movements/${movement.id}/departure`, {});
    expectStatus(res, 422);
    const shortfall = ((cents(movement.estimatedStake) - cents('1000.00')) / 100).toFixed(2);
    expect(res.body).toMatchObject({ balance: '1000.00', stake: movement.estimatedStake, shortfall });
    expect(res.body.detail).toContain(`short by KES ${shortfall}`);
    expect((await agent.get(`/api/v1/transit/movements/${movement.id}`)).body.status).toBe('lodged');
    expect(await guarantee(small)).toMatchObject({ balance: '1000.00', ledgerChecked: true });
    // The agent cannot top its own guarantee up; customs can.
    expectStatus(await agent.post(`/api/v1/transit/guarantees/${small}/top-up`, { amount: shortfall, reason: 'raised by the insurer' }), 403);
    expectStatus(await supervisor.post(`/api/v1/transit/guarantees/${small}/top-up`, { amount: shortfall, reason: 'raised by the insurer' }), 200);
    expectStatus(await mombasa.post(`/api/v1/transit/movements/${movement.id}/departure`, {}), 200);
    expect(await guarantee(small)).toMatchObject({ balance: '0.00', held: movement.estimatedStake, ledgerChecked: true });
  });

  it('lets exactly one of two movements racing for the last of a guarantee depart', async () => {
    const probe = await lodged();
    const stake = probe.movement.estimatedStake;
    const room = ((cents(stake) * 3) / 200).toFixed(2); // one and a half stakes
    const g = (await registerGuarantee(supervisor, room)).reference;
    const a = await lodged({ guarantee: g });
    const b = await lodged({ guarantee: g });
    const results = await Promise.all([a, b].map((l) => mombasa.post(`/api/v1/transit/movements/${l.movement.id}/departure`, {})));
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    const refused = results.find((r) => r.status === 422) as Res;
    expect(refused.body.shortfall).toBe(((cents(stake) * 2 - cents(room)) / 100).toFixed(2));
    const after = await guarantee(g);
    expect(after).toMatchObject({ balance: ((cents(room) - cents(stake)) / 100).toFixed(2), ledgerChecked: true });
    expect(after.ledger.filter((e) => e.kind === 'debit')).toHaveLength(1);
  });

  it('refuses a guarantee that expires before the movement is due', async () => {
    const short = (await registerGuarantee(supervisor, '5000000.00', { validTo: '2026-06-30' })).reference;
    const { movement } = await lodged({ guarantee: short });
    const res = await mombasa.post(`/api/v1/transit/movements/${movement.id}/departure`, {});
    expectStatus(res, 422);
    expect(res.body.errors[0]).toMatchObject({ code: 'guarantee_expires_first' });
  });
});

describe('seal events and alerts', () => {
  let seal: string;
  let movementId: string;
  let n = 0;
  const event = (kind: string, extra: Record<string, unknown> = {}) => {
    n += 1;
    return { eventId: `EV-${Date.now()}-${n}`, sealId: seal, kind, at: '2026-06-15T05:01:00Z', latitude: -3.2, longitude: 38.6, ...extra };
  };

  beforeAll(async () => {
    const d = await departed();
    seal = d.movement.seals[0] as string;
    movementId = d.movement.id;
  });

  it('refuses events of a seal on no departed movement', async () => {
    const unknown = await tracker.post('/api/v1/transit/seal-events', { ...event('position'), sealId: sealId() });
    expectStatus(unknown, 422);
    expect(unknown.body.errors[0].code).toBe('seal_not_in_transit');
    const { movement } = await lodged();
    const notYet = await tracker.post('/api/v1/transit/seal-events', { ...event('position'), sealId: movement.seals[0] });
    expectStatus(notYet, 422);
    expect(notYet.body.errors[0].code).toBe('seal_not_in_transit');
    // Nobody but a tracking operator reports them.
    expectStatus(await agent.post('/api/v1/transit/seal-events', event('seal_tampered')), 403);
  });

  it('takes each event once by the operator event id', async () => {
    const e = event('position', { speedKmh: 62 });
    const first = await tracker.post('/api/v1/transit/seal-events', e);
    expectStatus(first, 201);
    expect(first.body).toMatchObject({ alert: null, replayed: false });
    const again = await tracker.post('/api/v1/transit/seal-events', e);
    expectStatus(again, 200);
    expect(again.body.replayed).toBe(true);
    expectStatus(await tracker.post('/api/v1/transit/seal-events', { ...e, kind: 'seal_tampered' }), 409);
  });

  it('raises alerts for tampering, opening away from the offices, going off route and stopping too long, by the thresholds in force', async () => {
    const cases: [Record<string, unknown>, string | null][] = [
      [event('seal_tampered'), 'seal_tampered'],
      [event('seal_opened'), 'seal_opened'],
      [event('seal_opened', { officeCode: 'MAL' }), null],
      [event('off_route', { deviationMetres: 100 }), null],
      [event('off_route', { deviationMetres: 900 }), 'off_route'],
      [event('stopped', { stoppedMinutes: 30 }), null],
      [event('stopped', { stoppedMinutes: 150 }), 'stopped_too_long'],
      [event('speed', { speedKmh: 80 }), null],
    ];
    for (const [body, alert] of cases) {
      const res = await tracker.post('/api/v1/transit/seal-events', body);
      expectStatus(res, 201);
      expect(res.body.alert?.kind ?? null).toBe(alert);
    }
    const queue = await mombasa.get('/api/v1/transit/alerts');
    expectStatus(queue, 200);
    const ours = queue.body.alerts.filter((a: { movement: string }) => a.movement === (queue.body.alerts[0] as { movement: string }).movement);
    expect(ours.map((a: { kind: string }) => a.kind).sort()).toEqual(['off_route', 'seal_opened', 'seal_tampered', 'stopped_too_long']);
    expectStatus(await agent.get('/api/v1/transit/alerts'), 403);
    // The officer acknowledges one: it leaves the open queue, and a second acknowledgement is a 409.
    const first = ours[0] as { id: string };
    const ack = await mombasa.post(`/api/v1/transit/alerts/${first.id}/acknowledge`, { note: 'escort sent from Voi' });
    expectStatus(ack, 200);
    expect(ack.body).toMatchObject({ status: 'acknowledged', note: 'escort sent from Voi', acknowledgedBy: 'Achieng Otieno' });
    expectStatus(await mombasa.post(`/api/v1/transit/alerts/${first.id}/acknowledge`, { note: 'again' }), 409);
    const open = (await mombasa.get('/api/v1/transit/alerts')).body.alerts.map((a: { id: string }) => a.id);
    expect(open).not.toContain(first.id);
    // Customs see the alerts on the movement; the agent does not.
    expect((await mombasa.get(`/api/v1/transit/movements/${movementId}`)).body.alerts).toHaveLength(4);
    expect((await agent.get(`/api/v1/transit/movements/${movementId}`)).body.alerts).toBeUndefined();
  });

  it('refuses events once the movement is discharged', async () => {
    expectStatus(await tracker.post('/api/v1/transit/seal-events', event('position')), 201);
    expectStatus(await malaba.post(`/api/v1/transit/movements/${movementId}/exit`, {}), 200);
    const after = await tracker.post('/api/v1/transit/seal-events', event('position'));
    expectStatus(after, 422);
    expect(after.body.errors[0].code).toBe('seal_not_in_transit');
  });
});

/** Calls the route of a lifecycle action on a movement. */
function act(action: string, id: string, bl: string): Promise<Res> {
  switch (action) {
    case 'amend':
      return agent.post(`/api/v1/transit/movements/${id}/amend`, { ...movementBody(bl, big), reason: 'seal replaced' });
    case 'cancel':
      return agent.post(`/api/v1/transit/movements/${id}/cancel`, { reason: 'cargo stays' });
    case 'depart':
      return mombasa.post(`/api/v1/transit/movements/${id}/departure`, {});
    case 'exit':
      return malaba.post(`/api/v1/transit/movements/${id}/exit`, {});
    case 'arrive':
      return malaba.post(`/api/v1/transit/movements/${id}/arrival`, {});
    case 'call':
      return supervisor.post(`/api/v1/transit/movements/${id}/call-guarantee`, { reason: 'overdue' });
    default:
      throw new Error(`no route for ${action}`);
  }
}

/** The actions a caller asks for; discharge and mark_overdue are the system's own steps. */
const routed = ['amend', 'cancel', 'depart', 'exit', 'arrive', 'call'] as const;

async function refusesAllBut(status: MovementStatus, id: string, bl: string) {
  const refused = routed.filter((a) => !movementLifecycle.can(status, a));
  for (const action of refused) {
    const res = await act(action, id, bl);
    expect(res.status, `${action} from ${status}: ${res.text}`).toBe(409);
    expect(res.body.state).toBe(status);
  }
  const now = (await supervisor.get(`/api/v1/transit/movements/${id}`)).body;
  expect(now.status).toBe(status);
  return refused;
}

describe('the state table', () => {
  it('has arrived and exited only inside the discharge: no movement rests there', () => {
    expect(movementLifecycle.allowed('arrived')).toEqual(['discharge']);
    expect(movementLifecycle.allowed('exited')).toEqual(['discharge']);
  });

  it('refuses every illegal action from lodged, departed, discharged and cancelled', async () => {
    const lodgedOne = await lodged();
    expect(await refusesAllBut('lodged', lodgedOne.movement.id, lodgedOne.bl)).toEqual(['exit', 'arrive', 'call']);
    const dep = await departed();
    expect(await refusesAllBut('departed', dep.movement.id, dep.bl)).toEqual(['amend', 'cancel', 'depart', 'call']);
    const done = await departed();
    expectStatus(await malaba.post(`/api/v1/transit/movements/${done.movement.id}/exit`, {}), 200);
    expect(await refusesAllBut('discharged', done.movement.id, done.bl)).toEqual([...routed]);
    const gone = await lodged();
    expectStatus(await agent.post(`/api/v1/transit/movements/${gone.movement.id}/cancel`, { reason: 'cargo stays' }), 200);
    expect(await refusesAllBut('cancelled', gone.movement.id, gone.bl)).toEqual([...routed]);
  });

  it('keeps the deadline fixed at departure whatever the trade does', async () => {
    const dep = await departed();
    for (const action of ['amend', 'cancel', 'depart'] as const) {
      expectStatus(await act(action, dep.movement.id, dep.bl), 409);
    }
    // Re-lodging the same B/L finds its transit cargo on the road already.
    const again = await agent.post('/api/v1/transit/movements', movementBody(dep.bl, big));
    expectStatus(again, 422);
    expect(again.body.errors[0].code).toBe('more_than_manifested_for_transit');
    expect((await agent.get(`/api/v1/transit/movements/${dep.movement.id}`)).body.deadline).toBe(dep.deadline);
  });
});

describe('overdue movements', () => {
  it('are flagged once past the deadline; customs call the guarantee, or a late exit still discharges', async () => {
    const g = (await registerGuarantee(supervisor, '3000000.00')).reference;
    const late = await departed({ guarantee: g });
    const lost = await departed({ guarantee: g });
    const lodgedOnly = await lodged();
    const held = cents(late.stake) + cents(lost.stake);
    server.clock.advance(30 * 86_400_000 + 60_000);
    agent = await server.relogin('siginon.agent');
    supervisor = await server.relogin('kra.supervisor');
    mombasa = await server.relogin('kra.officer');
    malaba = await server.relogin('kra.officer2');
    // Read twice: flagged once (one audited step), however often it is read.
    for (let i = 0; i < 2; i++) {
      const view = (await agent.get(`/api/v1/transit/movements/${lost.movement.id}`)).body;
      expect(view).toMatchObject({ status: 'overdue', late: true });
    }
    const steps = (await supervisor.get(`/api/v1/transit/movements/${lost.movement.id}/timeline`)).body.events.filter((e: { action: string }) => e.action === 'transit.overdue');
    expect(steps).toHaveLength(1);
    expect((await agent.get(`/api/v1/transit/movements/${lodgedOnly.movement.id}`)).body.status).toBe('lodged');
    expect((await supervisor.get(`/api/v1/transit/movements?status=overdue`)).body.movements.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining([late.movement.id, lost.movement.id]));

    expect(await refusesAllBut('overdue', lost.movement.id, lost.bl)).toEqual(['amend', 'cancel', 'depart']);
    // An officer is not the one to call a guarantee: a supervisor decides.
    expectStatus(await mombasa.post(`/api/v1/transit/movements/${lost.movement.id}/call-guarantee`, { reason: 'overdue' }), 403);
    const called = await supervisor.post(`/api/v1/transit/movements/${lost.movement.id}/call-guarantee`, { reason: 'no exit 30 days after departure; duties due' });
    expectStatus(called, 200);
    expect(called.body.status).toBe('called');
    expect(await refusesAllBut('called', lost.movement.id, lost.bl)).toEqual([...routed]);

    const exit = await malaba.post(`/api/v1/transit/movements/${late.movement.id}/exit`, { remarks: 'arrived late: breakdown at Mtito Andei' });
    expectStatus(exit, 200);
    expect(exit.body.status).toBe('discharged');

    const after = await guarantee(g);
    expect(after).toMatchObject({
      amount: ((cents('3000000.00') - cents(lost.stake)) / 100).toFixed(2),
      balance: ((cents('3000000.00') - cents(lost.stake)) / 100).toFixed(2),
      held: '0.00',
      ledgerChecked: true,
    });
    expect(after.ledger.map((e) => e.kind)).toEqual(['registered', 'debit', 'debit', 'called', 'credit']);
    expect(after.ledger.find((e) => e.kind === 'called')).toMatchObject({ amount: lost.stake, effect: '0.00', movement: lost.movement.reference });
    void held;
  });
});
