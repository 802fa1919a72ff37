import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { DatabaseUnavailableError } from './errors.ts';
import { inTransaction, type Tx } from './transaction.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await testDatabase({ demo: false });
  await sql`create table tx_test (id text primary key)`.execute(database.db);
});
afterAll(async () => {
  await database.close();
});

const insert = (tx: Tx, id: string) => sql`insert into tx_test (id) values (${id})`.execute(tx);
const stored = async (id: string) => (await sql<{ id: string }>`select id from tx_test where id = ${id}`.execute(database.db)).rows.length;

describe('write transactions', () => {
  it('run the whole work again after a serialization failure, and commit it once', async () => {
    let runs = 0;
    await inTransaction(database.db, async (tx) => {
      runs++;
      await insert(tx, 'collided-once');
      if (runs === 1) {
        throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      }
    });
    expect(runs).toBe(2);
    expect(await stored('collided-once')).toBe(1);
  });

  it('give up with a 503-class error once the wait is over, having changed nothing', async () => {
    let runs = 0;
    const failing = inTransaction(database.db, async (tx) => {
      runs++;
      await insert(tx, 'always-collides');
      throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
    });
    await expect(failing).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(failing).rejects.toMatchObject({ reason: 'collision' });
    expect(runs).toBeGreaterThan(1);
    expect(await stored('always-collides')).toBe(0);
  });

  it('do not retry a business rejection', async () => {
    let runs = 0;
    await expect(
      inTransaction(database.db, async () => {
        runs++;
        throw new Error('HS code not in force');
      }),
    ).rejects.toThrow('HS code not in force');
    expect(runs).toBe(1);
  });

  // Losing a connection takes a server: PGlite has none to lose.
  if (process.env.TEST_DATABASE_URL) {
    const terminate = async (pid: number) => {
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      // With a timeout, pg_terminate_backend returns only once the session is gone.
      await admin.query('select pg_terminate_backend($1, 5000)', [pid]);
      await admin.end();
    };
    const backendPid = async (tx: Tx) => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0]!.pid;

    it('run the whole work again on a new connection when the connection is lost mid-way', async () => {
      const pids: number[] = [];
      await inTransaction(database.db, async (tx) => {
        pids.push(await backendPid(tx));
        await insert(tx, 'reconnected');
        if (pids.length === 1) {
          await sql`select pg_terminate_backend(pg_backend_pid())`.execute(tx);
        }
      });
      expect(pids).toHaveLength(2);
      expect(pids[1]).not.toBe(pids[0]);
      expect(await stored('reconnected')).toBe(1);
    });

    it('do not run again after a connection lost while committing, unless the work detects its own replay', async () => {
      let runs = 0;
      const lostAtCommit = (id: string, retryUnknownCommit: boolean) =>
        inTransaction(
          database.db,
          async (tx) => {
            runs++;
            const pid = await backendPid(tx);
            await insert(tx, id);
            if (runs === 1) {
              // The server goes away between the last statement and COMMIT.
              await terminate(pid);
            }
          },
          { retryUnknownCommit },
        );
      await expect(lostAtCommit('commit-unknown', false)).rejects.toMatchObject({ reason: 'outcome-unknown' });
      expect(runs).toBe(1);
      runs = 0;
      await lostAtCommit('commit-retried', true);
      expect(runs).toBe(2);
      expect(await stored('commit-retried')).toBe(1);
    });
  }
});
