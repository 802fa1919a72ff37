import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { stateMachine } from '../state-machine.ts';
import { ProblemError } from '../http/problem.ts';
import { recordAudit, systemActor, transition, type AuditEntry } from '../../modules/audit/index.ts';
import { lifecycleTransition, type Move } from './transition.ts';

// A parcel's life, on a table of the test's own: the platform knows no module's tables.
type Parcel = 'waiting' | 'sent' | 'delivered';
const parcelLifecycle = stateMachine<Parcel, 'send' | 'deliver'>('parcel', {
  send: { from: ['waiting'], to: 'sent' },
  deliver: { from: ['sent'], to: 'delivered' },
});

let database: TestDatabase;
beforeAll(async () => {
  database = await testDatabase({ demo: false });
  await sql`create table transition_parcel (id text primary key, status text not null, sent_by text)`.execute(database.db);
});
afterAll(async () => {
  await database.close();
});

const audit = (id: string, action: string): AuditEntry => ({ actor: systemActor, action, entityType: 'parcel', entityId: id });

function move(id: string, from: Parcel, action: 'send' | 'deliver', extra: { event?: boolean; sentBy?: string } = {}) {
  return {
    lifecycle: parcelLifecycle,
    table: 'transition_parcel',
    id,
    from,
    action,
    ...(extra.sentBy ? { set: { sent_by: extra.sentBy } } : {}),
    audit: audit(id, `parcel.${action}`),
    ...(extra.event ? { event: { topic: 'parcel.moved', key: id, payload: { id, action } } } : {}),
  } as unknown as Move<'payment_reference', Parcel, 'send' | 'deliver', AuditEntry>;
}

async function parcel(id: string): Promise<void> {
  await sql`insert into transition_parcel (id, status) values (${id}, 'waiting')`.execute(database.db);
}

const statusOf = async (id: string) => (await sql<{ status: string; sent_by: string | null }>`select status, sent_by from transition_parcel where id = ${id}`.execute(database.db)).rows[0];
const auditOf = async (id: string) =>
  (await sql<{ action: string }>`select action from audit_event where entity_type = 'parcel' and entity_id = ${id} order by stream_seq`.execute(database.db)).rows.map((r) => r.action);
const eventsOf = async (id: string) => (await sql<{ topic: string }>`select topic from outbox where key = ${id}`.execute(database.db)).rows.map((r) => r.topic);

async function refusal(work: Promise<unknown>): Promise<ProblemError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProblemError);
  return err as ProblemError;
}

describe('transition()', () => {
  it('moves the row, with its other columns, and writes the audit record and the outbox event', async () => {
    await parcel('p1');
    const row = await inTransaction(database.db, (tx) => transition(tx, move('p1', 'waiting', 'send', { event: true, sentBy: 'clerk' })));
    expect(row).toMatchObject({ id: 'p1', status: 'sent', sent_by: 'clerk' });
    expect(await statusOf('p1')).toEqual({ status: 'sent', sent_by: 'clerk' });
    expect(await auditOf('p1')).toEqual(['parcel.send']);
    expect(await eventsOf('p1')).toEqual(['parcel.moved']);
  });

  it('refuses an action the lifecycle does not allow from the status read, and writes nothing', async () => {
    await parcel('p2');
    const err = await refusal(inTransaction(database.db, (tx) => transition(tx, move('p2', 'waiting', 'deliver', { event: true }))));
    expect(err.problem).toMatchObject({ status: 409, state: 'waiting', action: 'deliver' });
    expect(await statusOf('p2')).toEqual({ status: 'waiting', sent_by: null });
    expect(await auditOf('p2')).toEqual([]);
    expect(await eventsOf('p2')).toEqual([]);
  });

  it('answers a lost race (the row moved since it was read) with a 409 naming the status it is in now', async () => {
    await parcel('p3');
    await inTransaction(database.db, (tx) => transition(tx, move('p3', 'waiting', 'send')));
    // A second caller read "waiting" before the first committed.
    const err = await refusal(inTransaction(database.db, (tx) => transition(tx, move('p3', 'waiting', 'send', { event: true, sentBy: 'late' }))));
    expect(err.problem).toMatchObject({ status: 409, state: 'sent', allowedActions: ['deliver'] });
    expect(err.problem.detail).toContain('is sent now');
    expect(await statusOf('p3')).toEqual({ status: 'sent', sent_by: null });
    expect(await auditOf('p3')).toEqual(['parcel.send']);
    expect(await eventsOf('p3')).toEqual([]);
  });

  it('of two concurrent moves from the same status, lets exactly one through', async () => {
    await parcel('p4');
    const attempts = await Promise.allSettled([1, 2].map(() => inTransaction(database.db, (tx) => transition(tx, move('p4', 'waiting', 'send', { event: true })))));
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const lost = attempts.find((a) => a.status === 'rejected');
    expect((lost?.reason as ProblemError).problem).toMatchObject({ status: 409, state: 'sent' });
    expect(await auditOf('p4')).toEqual(['parcel.send']);
    expect(await eventsOf('p4')).toEqual(['parcel.moved']);
  });

  it('writes the status, the audit record and the event in the caller transaction: a later failure undoes all three', async () => {
    await parcel('p5');
    await expect(
      inTransaction(database.db, async (tx: Tx) => {
        await transition(tx, move('p5', 'waiting', 'send', { event: true }));
        throw new Error('a later step of the same use case failed');
      }),
    ).rejects.toThrow('later step');
    expect(await statusOf('p5')).toEqual({ status: 'waiting', sent_by: null });
    expect(await auditOf('p5')).toEqual([]);
    expect(await eventsOf('p5')).toEqual([]);
  });

  it('answers a row that does not exist with a 404, having written nothing', async () => {
    const err = await refusal(inTransaction(database.db, (tx) => transition(tx, move('nowhere', 'waiting', 'send'))));
    expect(err.problem.status).toBe(404);
    expect(await auditOf('nowhere')).toEqual([]);
  });

  it('writes the audit record through the writer it was bound to', async () => {
    await parcel('p6');
    const written: string[] = [];
    const traced = lifecycleTransition<AuditEntry>(async (tx, entry) => {
      written.push(entry.action);
      await recordAudit(tx, entry);
    });
    await inTransaction(database.db, (tx) => traced(tx, move('p6', 'waiting', 'send')));
    expect(written).toEqual(['parcel.send']);
  });
});
