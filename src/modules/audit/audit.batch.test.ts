// The records of one transaction are written together before COMMIT (see deferredBatch): the
// chains they extend must come out exactly as if each had been written at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { recordAudit, systemActor, verifyAudit } from './index.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await testDatabase({ demo: false });
});
afterAll(async () => {
  await database.close();
});

const entry = (entityId: string, action: string) => ({ actor: systemActor, action, entityType: 'declaration', entityId, subjects: [entityId] });

describe('audit records batched per transaction', () => {
  it('chain several records of several streams, interleaved, across transactions and concurrent ones', async () => {
    await inTransaction(database.db, async (tx) => {
      await recordAudit(tx, entry('b1', 'created'));
      await recordAudit(tx, entry('b2', 'created'));
      await recordAudit(tx, entry('b1', 'lodged'));
      await recordAudit(tx, entry('b1', 'assessed'));
    });
    // Concurrent transactions extending the same streams wait for each other's heads.
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        inTransaction(database.db, async (tx) => {
          await recordAudit(tx, entry(i % 2 === 0 ? 'b1' : 'b2', `step-${i}`));
          await recordAudit(tx, entry('b3', `step-${i}`));
        }),
      ),
    );
    const report = await verifyAudit(database.db);
    expect(report).toMatchObject({ ok: true, streams: 3, events: 16, problems: [] });
    const b1 = await database.db.selectFrom('audit_event').select(['stream_seq', 'action']).where('stream', '=', 'declaration:b1').orderBy('stream_seq').execute();
    expect(b1.slice(0, 3)).toEqual([
      { stream_seq: 1, action: 'created' },
      { stream_seq: 2, action: 'lodged' },
      { stream_seq: 3, action: 'assessed' },
    ]);
    const heads = await database.db.selectFrom('audit_stream').selectAll().orderBy('stream').execute();
    expect(heads.map((h) => [h.stream, h.seq])).toEqual([
      ['declaration:b1', 6],
      ['declaration:b2', 4],
      ['declaration:b3', 6],
    ]);
  });

  it('writes nothing of a transaction that rolls back', async () => {
    const before = await database.db.selectFrom('audit_event').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    await expect(
      inTransaction(database.db, async (tx) => {
        await recordAudit(tx, entry('b1', 'doomed'));
        throw new Error('business rule refused');
      }),
    ).rejects.toThrow('business rule refused');
    const after = await database.db.selectFrom('audit_event').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect((await verifyAudit(database.db)).ok).toBe(true);
  });

  it('opens the stream of an entity created in the transaction without locking a head, and never forks an existing one', async () => {
    await inTransaction(database.db, async (tx) => {
      await recordAudit(tx, { ...entry('o1', 'created'), opensStream: true });
      await recordAudit(tx, entry('o1', 'lodged'));
      await recordAudit(tx, entry('b1', 'touched'));
    });
    const o1 = await database.db.selectFrom('audit_event').select(['stream_seq', 'action']).where('stream', '=', 'declaration:o1').orderBy('stream_seq').execute();
    expect(o1).toEqual([
      { stream_seq: 1, action: 'created' },
      { stream_seq: 2, action: 'lodged' },
    ]);
    expect(await database.db.selectFrom('audit_stream').select('seq').where('stream', '=', 'declaration:o1').executeTakeFirst()).toEqual({ seq: 2 });
    // A stream that exists cannot be opened again: the transaction fails rather than start a second chain.
    await expect(inTransaction(database.db, (tx) => recordAudit(tx, { ...entry('o1', 'again'), opensStream: true }))).rejects.toMatchObject({ code: '23505' });
    expect((await verifyAudit(database.db)).ok).toBe(true);
  });
});
