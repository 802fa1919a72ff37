// Allocation against a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL): who is on
// duty where, the random draw among them, tasks waiting for an officer, tasks handed back when
// an officer goes off duty, and supervisors' reassignment. The declaration is not needed for
// that: tasks are created through the lodgement hook with declarations that exist only here.
// The findings, re-assessment and payment paths run over HTTP with real declarations in
// inspection.routes.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { inTransaction } from '#platform/db/transaction.ts';
import type { Principal, Role } from '#platform/http/auth.ts';
import { ProblemError } from '#platform/http/problem.ts';
import { referenceService } from '#modules/reference/index.ts';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { mutableClock } from '../../../test/server.ts';
import { inspectionService, type Caller, type InspectionService } from './inspection.service.ts';
import { seededRandomInt } from './inspection.allocation.ts';
import type { DeclarationPort, InspectionOutcome, SelectedDeclaration } from './inspection.ports.ts';

const clock = mutableClock('2026-06-15T06:00:00Z');
let database: TestDatabase;
let inspection: InspectionService;
let kraId: string;
const passed: string[] = [];
const labels: InspectionOutcome[] = [];
const declarantOrgId = randomUUID();
const importerOrgId = randomUUID();

interface Officer {
  id: string;
  name: string;
  caller: Caller;
}
const officers = new Map<string, Officer>();

const declarations: DeclarationPort = {
  forVerification: async (_q, id) => ({
    id,
    reference: `REF-${id.slice(0, 8)}`,
    status: 'assessed',
    officeCode: 'MBA',
    transportDocumentNumber: 'BL',
    declarantOrgId,
    importerOrgId,
    channel: 'red',
    controlStatus: 'pending',
    assessedTotal: '1000.00',
    invoiceCurrency: 'USD',
    items: [{ itemNo: 1, hsCode: '8471.30.00', description: 'Laptops', originCountry: 'CN', quantity: '1', unit: 'NAR', itemPrice: '100.00' }],
  }),
  previewCorrection: () => Promise.reject(new Error('not in these tests')),
  applyCorrection: () => Promise.reject(new Error('not in these tests')),
  passControl: async (_tx, id) => {
    passed.push(id);
  },
  checkAuthority: async () => undefined,
};

function callerOf(id: string, name: string, roles: Role[]): Caller {
  const principal: Principal = { kind: 'user', id, name, organisationId: kraId, organisationKind: 'customs', organisationName: 'Kenya Revenue Authority', roles };
  return { principal, actor: { id, name, organisationId: kraId, role: roles[0] ?? 'officer' }, requestId: null };
}

let officerSeq = 0;
async function newOfficer(username: string, roles: Role[] = ['officer']): Promise<Officer> {
  // Fixed ids: with the seeded draw, every run allocates the same way.
  officerSeq += 1;
  const id = `00000000-0000-4000-8000-${String(officerSeq).padStart(12, '0')}`;
  await database.db
    .insertInto('app_user')
    .values({ id, organisation_id: kraId, username, display_name: `Officer ${username}`, password_hash: 'x', roles })
    .execute();
  const officer = { id, name: `Officer ${username}`, caller: callerOf(id, `Officer ${username}`, roles) };
  officers.set(username, officer);
  return officer;
}

let seq = 0;
function selection(officeCode = 'MBA', channel: SelectedDeclaration['channel'] = 'red'): SelectedDeclaration {
  seq += 1;
  return {
    declarationId: randomUUID(),
    reference: `2026${officeCode}IM4${String(seq).padStart(6, '0')}`,
    transportDocumentNumber: `MAEU${seq}`,
    transportDocumentId: randomUUID(),
    declarantOrgId,
    importerOrgId,
    officeCode,
    channel,
    reasons: ['used vehicles from JP: verify chassis and year'],
  };
}

const select = (s: SelectedDeclaration) => inTransaction(database.db, (tx) => inspection.onSelected(tx, s));
/** Duty as the roster sets it: a supervisor (never the officer), unless `by` says otherwise. */
const duty = (who: Officer, officeCode: string, onDuty: boolean, by: Caller = o('mba.roster').caller) =>
  inTransaction(database.db, (tx) => inspection.setDuty(tx, by, { officeCode, onDuty, ...(by === who.caller ? {} : { officerId: who.id }) }));
const clear = (taskId: string, who: Officer) => inTransaction(database.db, (tx) => inspection.recordFindings(tx, who.caller, taskId, { result: 'no_discrepancy', remarks: 'goods as declared' }));
const taskRow = (id: string) => database.db.selectFrom('verification_task').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function expectProblem(work: Promise<unknown>, status: number, pointer?: string) {
  try {
    await work;
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).status).toBe(status);
    if (pointer !== undefined) {
      expect((err as ProblemError).problem.errors?.map((e) => e.pointer)).toContain(pointer);
    }
    return err as ProblemError;
  }
  throw new Error(`expected HTTP ${status}, it succeeded`);
}

beforeAll(async () => {
  database = await testDatabase();
  kraId = (await database.db.selectFrom('organisation').select('id').where('code', '=', 'KRA').executeTakeFirstOrThrow()).id;
  inspection = inspectionService({
    db: database.db,
    clock,
    random: seededRandomInt(42),
    declarations,
    payment: { balance: async () => ({ due: '0.00', paid: '0.00', balance: '0.00', credit: '0.00' }) },
    outcomes: {
      recordOutcome: async (_tx, outcome) => {
        labels.push(outcome);
      },
    },
    officers: {
      user: async (q, id) => {
        const u = await q.selectFrom('app_user').innerJoin('organisation', 'organisation.id', 'app_user.organisation_id').select(['app_user.id', 'display_name', 'roles', 'active', 'organisation.kind']).where('app_user.id', '=', id).executeTakeFirst();
        return u && { id: u.id, displayName: u.display_name, roles: u.roles, active: u.active, organisation: { kind: u.kind } };
      },
    },
    reference: referenceService(database.db),
  });
  await inspection.ready();
  for (const name of ['mba.a', 'mba.b', 'mba.c', 'mba.d', 'jka.a', 'mba.off']) {
    await newOfficer(name);
  }
  await newOfficer('mba.supervisor', ['supervisor', 'officer']);
  await newOfficer('mba.roster', ['supervisor']);
  await newOfficer('risk.only', ['risk_analyst']);
});

afterAll(async () => {
  await database.close();
});

const o = (name: string) => officers.get(name)!;
const mbaCrew = () => ['mba.a', 'mba.b', 'mba.c', 'mba.d'].map((n) => o(n).id);

describe('duty', () => {
  it('has supervisors roster officers to offices; an officer only goes off duty alone', async () => {
    for (const name of ['mba.a', 'mba.b', 'mba.c']) {
      const res = await duty(o(name), 'mba', true);
      expect(res.duty).toMatchObject({ officeCode: 'MBA', onDuty: true, officer: { id: o(name).id } });
    }
    await duty(o('mba.d'), 'MBA', true, o('mba.supervisor').caller);
    await duty(o('jka.a'), 'JKA', true);
    await duty(o('mba.off'), 'MBA', true);
    // Going off duty is the officer's own to do (end of a shift).
    await duty(o('mba.off'), 'MBA', false, o('mba.off').caller);
    const roster = await inspection.dutyRoster({ officeCode: 'MBA' });
    expect(roster.officers.map((r) => r.officer.id).sort()).toEqual(mbaCrew().sort());
    const audit = await database.db.selectFrom('audit_event').select(['action', 'reason']).where('entity_type', '=', 'officer_duty').where('entity_id', '=', o('mba.d').id).execute();
    expect(audit).toEqual([{ action: 'officer.on_duty', reason: 'set by supervisor Officer mba.supervisor' }]);
  });

  it('never lets anyone put themselves on duty: they would choose the office whose waiting tasks they get', async () => {
    const self = await expectProblem(duty(o('mba.off'), 'MBA', true, o('mba.off').caller), 403);
    expect(self.message).toMatch(/Nobody puts themselves on duty/);
    // A supervisor who is also an officer is rostered by another supervisor too.
    await expectProblem(
      inTransaction(database.db, (tx) => inspection.setDuty(tx, o('mba.supervisor').caller, { officeCode: 'MBA', onDuty: true, officerId: o('mba.supervisor').id })),
      403,
    );
    expect((await inspection.dutyRoster({ officeCode: 'MBA' })).officers.map((r) => r.officer.id)).not.toContain(o('mba.off').id);
  });

  it('refuses duty to non-officers, other officers setting it, and unknown offices', async () => {
    await expectProblem(duty(o('risk.only'), 'MBA', true), 422, '/officerId');
    await expectProblem(
      inTransaction(database.db, (tx) => inspection.setDuty(tx, o('mba.a').caller, { officeCode: 'MBA', onDuty: true, officerId: o('mba.b').id })),
      403,
    );
    await expectProblem(
      inTransaction(database.db, (tx) => inspection.setDuty(tx, o('mba.supervisor').caller, { officeCode: 'MBA', onDuty: true, officerId: o('risk.only').id })),
      422,
      '/officerId',
    );
    await expectProblem(duty(o('mba.a'), 'XYZ', true), 422, '/officeCode');
  });
});

describe('allocation', () => {
  // 240 draws, each a few transactions: minutes on a busy 2-core machine, not the default 30 s.
  it('draws every task at random among the officers on duty at its office, fairly', { timeout: 180_000 }, async () => {
    const counts = new Map<string, number>();
    const rounds = 240;
    for (let i = 0; i < rounds; i++) {
      const task = (await select(selection('MBA')))!;
      expect(task.status).toBe('assigned');
      const id = task.assigned_officer_id!;
      // Never an officer off duty or on duty at another office.
      expect(mbaCrew()).toContain(id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      // The officer finishes it: loads stay equal, so each draw is among all four.
      const officer = [...officers.values()].find((x) => x.id === id)!;
      await clear(task.id, officer);
    }
    const observed = mbaCrew().map((id) => counts.get(id) ?? 0);
    const expected = rounds / 4;
    const chi = observed.reduce((s, n) => s + (n - expected) ** 2 / expected, 0);
    // 3 degrees of freedom, 0.1% critical value 16.27; every officer gets a share.
    expect(chi).toBeLessThan(16.27);
    for (const n of observed) {
      expect(n).toBeGreaterThan(expected * 0.6);
    }
    expect(passed.length).toBe(rounds);
    expect(labels.filter((l) => !l.discrepancy && l.inspected && l.extraRevenue === '0.00').length).toBe(rounds);
  });

  it('keeps queues even: the least-loaded officers are drawn first', async () => {
    const before = await inspection.dutyRoster({ officeCode: 'MBA' });
    expect(before.officers.every((r) => r.tasksAwaitingFindings === 0)).toBe(true);
    for (let i = 0; i < 10; i++) {
      await select(selection('MBA'));
    }
    const roster = await inspection.dutyRoster({ officeCode: 'MBA' });
    const loads = roster.officers.map((r) => r.tasksAwaitingFindings);
    expect(loads.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
  });

  it('records the draw in the audit trail under the declaration reference and the B/L (by document id)', async () => {
    const s = selection('MBA', 'yellow');
    const task = (await select(s))!;
    expect(task.kind).toBe('documentary');
    const events = await database.db
      .selectFrom('audit_event')
      .select(['action', 'reason', 'subject_refs'])
      .where(sql<boolean>`${s.reference} = any(subject_refs)`)
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.action)).toEqual(['verification.task_created', 'verification.allocated']);
    // The B/L by its id: two carriers may use one number, a timeline must not mix them.
    expect(events[1]?.subject_refs).toEqual(expect.arrayContaining([s.reference, `td:${s.transportDocumentId}`, task.number]));
    expect(events[1]?.reason).toMatch(/drawn at random among \d of 4 officers on duty at MBA/);
    // The risk reasons stay with customs: they are not in the trail the trade can follow.
    expect(JSON.stringify(events)).not.toContain('chassis');
  });

  it('keeps one task per declaration: lodged again, the task stays with its officer and a red channel raises the check', async () => {
    const s = selection('MBA', 'yellow');
    const first = (await select(s))!;
    const again = (await select({ ...s, channel: 'red' }))!;
    expect(again.id).toBe(first.id);
    expect(again.kind).toBe('physical');
    expect(again.assigned_officer_id).toBe(first.assigned_officer_id);
    const green = await select({ ...selection('MBA'), channel: 'green' });
    expect(green).toBeUndefined();
  });

  it('lets a task wait when nobody is on duty, and draws it when an officer comes on duty', async () => {
    const waiting = (await select(selection('WIL')))!;
    expect(waiting.status).toBe('open');
    expect(waiting.assigned_officer_id).toBeNull();
    const blue = (await select(selection('WIL', 'blue')))!;
    expect(blue.kind).toBe('post_clearance');
    const res = await duty(o('jka.a'), 'WIL', true);
    expect(res.allocated.sort()).toEqual([waiting.number, blue.number].sort());
    expect((await taskRow(waiting.id)).assigned_officer_id).toBe(o('jka.a').id);
    // Moving office: nothing is left waiting at JKA for an officer who is not there.
    expect((await inspection.dutyRoster({ officeCode: 'JKA' })).officers).toEqual([]);
  });

  it('hands back the tasks of an officer who goes off duty and draws them among the others', async () => {
    const mine = await database.db.selectFrom('verification_task').select('id').where('assigned_officer_id', '=', o('mba.a').id).where('status', '=', 'assigned').execute();
    expect(mine.length).toBeGreaterThan(0);
    const res = await duty(o('mba.a'), 'MBA', false);
    expect(res.handedBack.length).toBe(mine.length);
    for (const t of mine) {
      const row = await taskRow(t.id);
      expect(row.status).toBe('assigned');
      expect(row.assigned_officer_id).not.toBe(o('mba.a').id);
      expect(['mba.b', 'mba.c', 'mba.d'].map((n) => o(n).id)).toContain(row.assigned_officer_id);
      expect((row.history as { action: string }[]).map((h) => h.action)).toEqual(['created', 'allocate', 'unassign', 'allocate']);
    }
    // Tasks drawn while mba.a is off duty never reach them.
    for (let i = 0; i < 12; i++) {
      expect((await select(selection('MBA')))!.assigned_officer_id).not.toBe(o('mba.a').id);
    }
    await duty(o('mba.a'), 'MBA', true);
  });
});

describe('reassignment and findings', () => {
  it('lets a supervisor move a task to a named officer on duty, or draw another, always with a reason', async () => {
    const task = (await select(selection('MBA')))!;
    const supervisor = o('mba.supervisor').caller;
    const other = mbaCrew().find((id) => id !== task.assigned_officer_id)!;
    const named = await inTransaction(database.db, (tx) => inspection.reassign(tx, supervisor, task.id, { officerId: other, reason: 'conflict of interest declared' }));
    expect(named.status).toBe('assigned');
    expect((named as unknown as { assignedOfficer: { id: string } }).assignedOfficer.id).toBe(other);
    const drawn = await inTransaction(database.db, (tx) => inspection.reassign(tx, supervisor, task.id, { reason: 'officer called to the scanner' }));
    expect((drawn as unknown as { assignedOfficer: { id: string } }).assignedOfficer.id).not.toBe(other);
    const audit = await database.db.selectFrom('audit_event').select(['action', 'reason', 'actor_name']).where('entity_id', '=', task.id).where('action', '=', 'verification.reassigned').orderBy('id').execute();
    expect(audit.map((a) => a.reason)).toEqual(['conflict of interest declared', expect.stringMatching(/^officer called to the scanner; drawn at random among/)]);
    expect(audit.every((a) => a.actor_name === 'Officer mba.supervisor')).toBe(true);

    // Nobody assigns a task to themselves; the officer must be on duty at the office.
    await expectProblem(inTransaction(database.db, (tx) => inspection.reassign(tx, supervisor, task.id, { officerId: o('mba.supervisor').id, reason: 'mine' })), 403);
    await expectProblem(inTransaction(database.db, (tx) => inspection.reassign(tx, supervisor, task.id, { officerId: o('mba.off').id, reason: 'off duty' })), 422, '/officerId');
    await expectProblem(inTransaction(database.db, (tx) => inspection.reassign(tx, supervisor, task.id, { officerId: o('jka.a').id, reason: 'other office' })), 422, '/officerId');
  });

  it('accepts findings only from the officer the task was drawn for', async () => {
    const task = (await select(selection('MBA')))!;
    const stranger = [...officers.values()].find((x) => mbaCrew().includes(x.id) && x.id !== task.assigned_officer_id)!;
    await expectProblem(clear(task.id, stranger), 403);
    await expectProblem(clear(task.id, o('mba.supervisor')), 403);
    const owner = [...officers.values()].find((x) => x.id === task.assigned_officer_id)!;
    const done = await clear(task.id, owner);
    expect(done).toMatchObject({ status: 'closed', outcome: 'no_discrepancy' });
    // A closed task cannot take findings again, nor be reassigned.
    await expectProblem(clear(task.id, owner), 409);
    await expectProblem(inTransaction(database.db, (tx) => inspection.reassign(tx, o('mba.supervisor').caller, task.id, { reason: 'late' })), 409);
  });

  it('checks a discrepancy against the declaration with pointers', async () => {
    const task = (await select(selection('MBA')))!;
    const owner = [...officers.values()].find((x) => x.id === task.assigned_officer_id)!;
    const problem = await expectProblem(
      inTransaction(database.db, (tx) =>
        inspection.recordFindings(tx, owner.caller, task.id, {
          result: 'discrepancy',
          corrections: [{ itemNo: 3, hsCode: '8703.23.90' }, { itemNo: 1 }, { itemNo: 1, originCountry: 'ZZ', quantity: '0', itemPrice: '100.00' }],
        }),
      ),
      422,
    );
    expect(problem.problem.errors?.map((e) => [e.pointer, e.code])).toEqual([
      ['/remarks', 'required'],
      ['/corrections/0/itemNo', 'unknown_item'],
      ['/corrections/1', 'nothing_corrected'],
      ['/corrections/2/itemNo', 'duplicate_item'],
    ]);
    const again = await expectProblem(
      inTransaction(database.db, (tx) =>
        inspection.recordFindings(tx, owner.caller, task.id, { result: 'discrepancy', remarks: 'x-ray image differs', corrections: [{ itemNo: 1, originCountry: 'ZZ', quantity: '0', itemPrice: '100.00', hsCode: '8471.30.00' }] }),
      ),
      422,
    );
    expect(again.problem.errors?.map((e) => [e.pointer, e.code])).toEqual([
      ['/corrections/0/hsCode', 'same_as_declared'],
      ['/corrections/0/originCountry', 'unknown_country'],
      ['/corrections/0/quantity', 'not_positive'],
      ['/corrections/0/itemPrice', 'same_as_declared'],
    ]);
    // Nothing changed: the task still awaits its findings.
    expect((await taskRow(task.id)).status).toBe('assigned');
  });
});
