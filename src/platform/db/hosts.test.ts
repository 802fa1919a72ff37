import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { openDatabase, redactUrl, type Database } from './database.ts';
import { parseHosts } from './hosts.ts';
import { inTransaction } from './transaction.ts';

describe('multi-host connection URLs', () => {
  it('list every host with its port, and leave target_session_attrs out of the URLs pg sees', () => {
    const list = parseHosts('postgres://app:secret@h1:5432,h2:5433,[::1]/customs?target_session_attrs=read-write&sslmode=disable');
    expect(list?.hosts).toEqual([
      { host: 'h1', port: 5432 },
      { host: 'h2', port: 5433 },
      { host: '::1', port: 5432 },
    ]);
    expect(list?.target).toBe('read-write');
    expect(list?.urls).toEqual(['postgres://app:secret@h1:5432/customs?sslmode=disable', 'postgres://app:secret@h2:5433/customs?sslmode=disable', 'postgres://app:secret@[::1]:5432/customs?sslmode=disable']);
    expect(parseHosts('postgres://app@h1:5432/customs')).toBeUndefined();
    expect(() => parseHosts('postgres://h1,h2/x?target_session_attrs=standby')).toThrow(/not supported/);
    expect(redactUrl('postgres://app:secret@h1:5432,h2:5433/customs')).toBe('postgres://app:***@h1:5432,h2:5433/customs');
  });
});

// A second PostgreSQL cluster is heavy: the failover is played on one server, with an unreachable
// host listed first and the database turned read-only (as a demoted primary would be) for a while.
describe.skipIf(!process.env.TEST_DATABASE_URL)('writes across a failover (real PostgreSQL)', () => {
  let database: TestDatabase;
  let multi: Database;
  let admin: pg.Client;
  let name: string;

  beforeAll(async () => {
    database = await testDatabase({ demo: false });
    const url = new URL(database.url!);
    name = url.pathname.slice(1);
    // Port 1 on loopback refuses at once: the host that is "down".
    const multiUrl = `postgres://${url.username}@127.0.0.1:1,${url.hostname}:${url.port || 5432}/${name}?target_session_attrs=read-write`;
    multi = await openDatabase({ databaseUrl: multiUrl, dataDir: '', poolSize: 4, waitSeconds: 15 });
    admin = new pg.Client({ connectionString: database.ownerUrl });
    await admin.connect();
    await admin.query('create table failover_test (id text primary key)');
    await admin.query(`grant select, insert on failover_test to ${url.username}`);
  });
  afterAll(async () => {
    await admin.query(`alter database ${name} reset default_transaction_read_only`).catch(() => undefined);
    await admin.end();
    await multi?.close();
    await database.close();
  });

  const stored = async (id: string) => (await admin.query('select id from failover_test where id = $1', [id])).rowCount;
  const terminateSessions = () => admin.query("select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and application_name like 'forodha%'", [name]);

  it('find the writable host behind an unreachable one, and retry a transaction whose connection is killed', async () => {
    let runs = 0;
    await inTransaction(multi.db, async (tx) => {
      runs++;
      await sql`insert into failover_test (id) values ('behind-unreachable')`.execute(tx);
      if (runs === 1) {
        await sql`select pg_terminate_backend(pg_backend_pid())`.execute(tx);
      }
    });
    expect(runs).toBe(2);
    expect(await stored('behind-unreachable')).toBe(1);
  });

  it('hold a write while the only server is read-only (a standby), and commit it once a primary is back', async () => {
    // The "failover": every session is cut and the server comes back read-only for 2 s.
    await admin.query(`alter database ${name} set default_transaction_read_only = on`);
    await terminateSessions();
    const released = (async () => {
      await new Promise((r) => setTimeout(r, 2_000));
      await admin.query(`alter database ${name} reset default_transaction_read_only`);
    })();
    const started = Date.now();
    await inTransaction(multi.db, async (tx) => {
      await sql`insert into failover_test (id) values ('held')`.execute(tx);
    });
    await released;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(await stored('held')).toBe(1);
  });
});
