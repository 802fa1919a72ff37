import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { StatementNames } from './prepared.ts';
import { inTransaction } from './transaction.ts';

describe('statement names', () => {
  it('name a text from its second sighting on, and keep the name', () => {
    const names = new StatementNames({ namedAfter: 2, maxParameters: 10, maxNames: 10, maxCounted: 10 });
    const text = 'select * from declaration where id = $1';
    expect(names.nameOf(text)).toBeUndefined();
    const name = names.nameOf(text);
    expect(name).toMatch(/^forodha_/);
    expect(names.nameOf(text)).toBe(name);
  });

  it('never name transaction control or settings, however often they are sent', () => {
    const names = new StatementNames({ namedAfter: 1, maxParameters: 10, maxNames: 10, maxCounted: 10 });
    for (const text of ['begin', 'commit', 'rollback', 'set local enable_bitmapscan = off', 'savepoint a']) {
      expect(names.nameOf(text)).toBeUndefined();
      expect(names.nameOf(text)).toBeUndefined();
    }
    expect(names.size).toBe(0);
  });

  it('name at most maxNames texts and count at most maxCounted: a stream of one-off texts costs bounded memory', () => {
    const names = new StatementNames({ namedAfter: 2, maxParameters: 10, maxNames: 3, maxCounted: 5 });
    for (let i = 0; i < 1000; i++) {
      names.nameOf(`select ${i}`);
      names.nameOf(`select ${i}`);
    }
    expect(names.size).toBe(3);
    // Past the cap a text stays unnamed: sent as before, planned each time.
    expect(names.nameOf('select 999')).toBeUndefined();
  });

  it('never name a text of more parameters than allowed: a declaration of many items is planned each time, not kept', () => {
    const names = new StatementNames({ namedAfter: 1, maxParameters: 10, maxNames: 10, maxCounted: 10 });
    expect(names.nameOf('insert into declaration_item values ($1, $2)', 11)).toBeUndefined();
    expect(names.nameOf('insert into declaration_item values ($1, $2)', 11)).toBeUndefined();
    expect(names.nameOf('select $1', 10)).toMatch(/^forodha_/);
  });

  it('give a refused text a new name, so the next use prepares it afresh', () => {
    const names = new StatementNames({ namedAfter: 1, maxParameters: 10, maxNames: 10, maxCounted: 10 });
    const first = names.nameOf('select * from t');
    const second = names.renamed('select * from t', first!);
    expect(second).not.toBe(first);
    expect(names.nameOf('select * from t')).toBe(second);
    // The same stale name refused on another connection meanwhile: the new name, not yet another.
    expect(names.renamed('select * from t', first!)).toBe(second);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('prepared statements on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testDatabase({ demo: false });
    await sql`create table prepared_test (id text primary key)`.execute(database.db);
  });
  afterAll(async () => {
    await database.close();
  });

  const readAll = () => sql<{ id: string }>`select * from prepared_test order by id`.execute(database.db);

  it('survive a migration that adds a column under a running server: the transaction that meets the stale plan runs again', async () => {
    await sql`insert into prepared_test (id) values ('a')`.execute(database.db);
    // Prepared on every connection the pool uses: named from the second sighting on.
    await Promise.all(Array.from({ length: 12 }, readAll));
    await sql`alter table prepared_test add column note text`.execute(database.db);
    let runs = 0;
    const rows = await inTransaction(database.db, async (tx) => {
      runs++;
      return (await sql<{ id: string; note: string | null }>`select * from prepared_test order by id`.execute(tx)).rows;
    });
    expect(rows).toEqual([{ id: 'a', note: null }]);
    // Run once more at most per connection that had prepared the old shape: never a lasting failure.
    expect(runs).toBeLessThanOrEqual(2);
    await sql`alter table prepared_test add column seen_at timestamptz`.execute(database.db);
    // Outside a transaction (a plain read) the refused statement is sent again at once.
    const reads = await Promise.all(Array.from({ length: 12 }, readAll));
    expect(reads.every((r) => JSON.stringify(r.rows) === JSON.stringify([{ id: 'a', note: null, seen_at: null }]))).toBe(true);
    const after = await Promise.all(Array.from({ length: 12 }, () => inTransaction(database.db, async (tx) => (await sql`select * from prepared_test order by id`.execute(tx)).rows)));
    expect(after.every((r) => JSON.stringify(r) === JSON.stringify([{ id: 'a', note: null, seen_at: null }]))).toBe(true);
  });
});
