import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testDatabase, type TestDatabase } from '../../test/db.ts';
import { inTransaction } from './db/transaction.ts';
import { nextSerial, reference } from './ids.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await testDatabase({ demo: false });
});
afterAll(async () => {
  await database.close();
});

const serialIn = (scope: string) => inTransaction(database.db, (tx) => nextSerial(tx, scope));

/**
 * Resolves with `work`'s result, or fails as soon as any session of this database waits on a
 * lock: a first serial must never wait for another transaction to end.
 */
async function withoutLockWaits<T>(work: Promise<T>): Promise<T> {
  let done = false;
  const watch = async (): Promise<never> => {
    while (!done) {
      const { rows } = await sql<{ waiting: number }>`
        select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
      if ((rows[0]?.waiting ?? 0) > 0) {
        throw new Error('a transaction waits on a lock held by the transaction that first used the scope');
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return new Promise<never>(() => undefined);
  };
  try {
    return await Promise.race([work, watch()]);
  } finally {
    done = true;
  }
}

describe('serials', () => {
  it('count up per scope, inside and outside transactions', async () => {
    const a = await nextSerial(database.db, 'test_a');
    const b = await serialIn('test_a');
    expect(b).toBe(a + 1);
    expect(await nextSerial(database.db, 'test_b')).toBe(1);
  });

  it('keep working after the transaction that first used a scope rolled back', async () => {
    let rolledBack = 0;
    await expect(
      inTransaction(database.db, async (tx) => {
        rolledBack = await nextSerial(tx, 'test_rolled_back');
        throw new Error('lodgement refused');
      }),
    ).rejects.toThrow('lodgement refused');
    expect(rolledBack).toBe(1);
    // The next lodgements get numbers, one after the other. (On PostgreSQL the sequence outlived
    // the rollback and number 1 is a gap; on PGlite it went with it and 1 is given again: it
    // was never used.)
    const next = await serialIn('test_rolled_back');
    expect(await serialIn('test_rolled_back')).toBe(next + 1);
    expect(next).toBeGreaterThanOrEqual(1);
  });

  it('never fail nor repeat when many scopes are first used at once by many transactions', async () => {
    for (let round = 0; round < 5; round++) {
      const scopes = Array.from({ length: 6 }, (_, s) => `test_burst_${round}_${s}`);
      const taken = await Promise.all(scopes.map((scope) => Promise.all(Array.from({ length: 8 }, () => serialIn(scope)))));
      for (const serials of taken) {
        // No rollbacks here, so the numbers are exactly 1 to 8, each once.
        expect([...serials].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      }
    }
  });

  // PGlite runs one transaction at a time, so only a server can show transactions overlapping.
  if (process.env.TEST_DATABASE_URL) {
    it('do not wait for, nor fail because of, an open transaction that first used the scope and then rolls back', async () => {
      const others: number[] = [];
      let first = 0;
      await expect(
        inTransaction(database.db, async (tx) => {
          first = await nextSerial(tx, 'test_overlap');
          // While the first user's transaction is still open, others take numbers and commit.
          others.push(...(await withoutLockWaits(Promise.all(Array.from({ length: 5 }, () => serialIn('test_overlap'))))));
          throw new Error('first lodgement refused');
        }),
      ).rejects.toThrow('first lodgement refused');
      expect(new Set([first, ...others]).size).toBe(6);
      // The sequence was committed on its own, so the rollback did not take it away.
      expect(await serialIn('test_overlap')).toBe(Math.max(first, ...others) + 1);
    });
  }

  it('read like the trade’s references', () => {
    expect(reference({ year: 2026, office: 'mba', kind: 'IM4', serial: 123 })).toBe('2026MBAIM4000123');
  });
});
