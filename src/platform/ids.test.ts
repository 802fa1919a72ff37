import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('serials', () => {
  it('count up per scope, inside and outside transactions', async () => {
    const a = await nextSerial(database.db, 'test_a');
    const b = await inTransaction(database.db, (tx) => nextSerial(tx, 'test_a'));
    expect(b).toBe(a + 1);
    expect(await nextSerial(database.db, 'test_b')).toBe(1);
  });

  it('recover when the transaction that created the sequence rolled back', async () => {
    await expect(
      inTransaction(database.db, async (tx) => {
        expect(await nextSerial(tx, 'test_rolled_back')).toBe(1);
        throw new Error('lodgement refused');
      }),
    ).rejects.toThrow('lodgement refused');
    // The sequence is gone with the rollback; the next lodgement must still get a number.
    expect(await inTransaction(database.db, (tx) => nextSerial(tx, 'test_rolled_back'))).toBe(1);
    expect(await inTransaction(database.db, (tx) => nextSerial(tx, 'test_rolled_back'))).toBe(2);
  });

  it('never repeat under concurrency', async () => {
    const serials = await Promise.all(Array.from({ length: 20 }, () => inTransaction(database.db, (tx) => nextSerial(tx, 'test_race'))));
    expect(new Set(serials).size).toBe(20);
  });

  it('read like the trade’s references', () => {
    expect(reference({ year: 2026, office: 'mba', kind: 'IM4', serial: 123 })).toBe('2026MBAIM4000123');
  });
});
