import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { inTransaction } from '../db/transaction.ts';
import { OutboxWorker, publish, type OutboxEvent } from './outbox.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await testDatabase({ demo: false });
});
afterAll(async () => {
  await database.close();
});

describe('outbox', () => {
  it('delivers events published with a committed change, and nothing from a rolled-back one', async () => {
    await inTransaction(database.db, (tx) => publish(tx, 'test.committed', 'k1', { n: 1 }));
    await expect(
      inTransaction(database.db, async (tx) => {
        await publish(tx, 'test.committed', 'k2', { n: 2 });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const seen: OutboxEvent[] = [];
    const worker = new OutboxWorker(database.db, { pollMs: 10_000 });
    worker.subscribe('test.committed', async (e) => {
      seen.push(e);
    });
    await worker.drain();
    expect(seen.map((e) => e.payload)).toEqual([{ n: 1 }]);
    await worker.drain();
    expect(seen).toHaveLength(1);
  });

  it('lets a subscriber write to the database while delivering (no transaction is held)', async () => {
    await inTransaction(database.db, (tx) => publish(tx, 'test.write', 'k', { n: 3 }));
    const worker = new OutboxWorker(database.db, { pollMs: 10_000 });
    worker.subscribe('test.write', async (_e, db) => {
      await db.transaction().execute((tx) => publish(tx, 'test.follow-up', 'k', { from: 'subscriber' }));
    });
    await worker.drain();
    const followUp = await database.db.selectFrom('outbox').select('payload').where('topic', '=', 'test.follow-up').execute();
    expect(followUp.map((r) => r.payload)).toEqual([{ from: 'subscriber' }]);
  });

  it('keeps a failed event and delivers it again later (at least once)', async () => {
    await inTransaction(database.db, (tx) => publish(tx, 'test.flaky', 'k', { n: 4 }));
    let calls = 0;
    const worker = new OutboxWorker(database.db, { pollMs: 10_000 });
    worker.subscribe('test.flaky', async () => {
      calls++;
      if (calls === 1) {
        throw new Error('terminal unreachable');
      }
    });
    await worker.drain();
    const failed = await database.db.selectFrom('outbox').selectAll().where('topic', '=', 'test.flaky').executeTakeFirstOrThrow();
    expect(failed.delivered_at).toBeNull();
    expect(failed.last_error).toBe('terminal unreachable');
    // Make it due now instead of waiting for the back-off.
    await database.db.updateTable('outbox').set({ available_at: sql<Date>`now()` }).where('id', '=', failed.id).execute();
    await worker.drain();
    expect(calls).toBe(2);
    const done = await database.db.selectFrom('outbox').selectAll().where('id', '=', failed.id).executeTakeFirstOrThrow();
    expect(done.delivered_at).not.toBeNull();
  });

  it('survives a restart: a new worker delivers what the old one never did', async () => {
    await inTransaction(database.db, (tx) => publish(tx, 'test.restart', 'k', { n: 5 }));
    const before = new OutboxWorker(database.db, { pollMs: 10_000 }); // never started: the process "died"
    void before;
    const after = new OutboxWorker(database.db, { pollMs: 10_000 });
    const seen: unknown[] = [];
    after.subscribe('test.restart', async (e) => {
      seen.push(e.payload);
    });
    await after.drain();
    expect(seen).toEqual([{ n: 5 }]);
  });

  it('never hands one event to two workers at the same time', async () => {
    await inTransaction(database.db, (tx) => publish(tx, 'test.slow', 'k', { n: 6 }));
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let startedDelivery: () => void = () => undefined;
    const delivering = new Promise<void>((r) => (startedDelivery = r));
    const calls: string[] = [];
    const slow = new OutboxWorker(database.db, { pollMs: 10_000 });
    slow.subscribe('test.slow', async () => {
      calls.push('slow');
      startedDelivery();
      await held;
    });
    const other = new OutboxWorker(database.db, { pollMs: 10_000 });
    other.subscribe('test.slow', async () => {
      calls.push('other');
    });
    const slowDrain = slow.drain();
    await delivering;
    // The event is being delivered: the other worker finds nothing to do.
    expect(await other.drain()).toBe(0);
    release();
    expect(await slowDrain).toBe(1);
    expect(await other.drain()).toBe(0);
    expect(calls).toEqual(['slow']);
  });

  // A process that dies while delivering: its claim must not outlive it. On PostgreSQL the claim
  // is a row lock of the dead process's connection; on PGlite it lives in that process's memory
  // (tested end to end, with a killed server, in test/faults).
  if (process.env.TEST_DATABASE_URL) {
    it('delivers at once what a worker that died mid-delivery had claimed', async () => {
      await inTransaction(database.db, (tx) => publish(tx, 'test.orphan', 'k', { n: 7 }));
      // The dying worker: a connection of its own that claimed the row as a worker does.
      const dying = new pg.Client({ connectionString: database.url });
      dying.on('error', () => undefined);
      await dying.connect();
      await dying.query('begin');
      const claimed = await dying.query(`select id from outbox where topic = 'test.orphan' and delivered_at is null for update skip locked`);
      expect(claimed.rowCount).toBe(1);
      const seen: unknown[] = [];
      const worker = new OutboxWorker(database.db, { pollMs: 10_000 });
      worker.subscribe('test.orphan', async (e) => {
        seen.push(e.payload);
      });
      // While its holder lives, the event is not delivered twice.
      expect(await worker.drain()).toBe(0);
      // The holder's process dies: its connection drops without a commit.
      dying.connection.stream.destroy();
      await new Promise((r) => dying.once('end', r));
      // Its lock is gone as soon as the server notices; there is no lease to wait out.
      let delivered = 0;
      while (delivered === 0) {
        delivered = await worker.drain();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(seen).toEqual([{ n: 7 }]);
      const row = await database.db.selectFrom('outbox').selectAll().where('topic', '=', 'test.orphan').executeTakeFirstOrThrow();
      expect(row.delivered_at).not.toBeNull();
      expect(row.attempts).toBe(1);
    });
  }
});
