// On PostgreSQL the server logs in as an application role that owns nothing: it appends to the
// audit trail but cannot truncate, rewrite, alter or drop it, nor disable its triggers. The rest
// of the suite runs as that role too (test/db.ts), which shows the application needs no more.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testDatabase, ownerOf, type TestDatabase } from './db.ts';
import { applicationRole as testRole } from './global-setup.ts';
import { applicationRole, grantApplicationRole, openPreparedDatabase } from '../src/setup.ts';
import { loadConfig } from '../src/config.ts';
import { inTransaction } from '../src/platform/db/transaction.ts';
import { nextSerial } from '../src/platform/ids.ts';
import { recordAudit, systemActor } from '../src/modules/audit/index.ts';

const root = path.resolve(import.meta.dirname, '..');
const onPostgres = process.env.TEST_DATABASE_URL !== undefined;

describe.runIf(onPostgres)('the application role on PostgreSQL', { timeout: 120_000 }, () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await testDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  const refused = (statement: string) => expect(sql.raw(statement).execute(database.db)).rejects.toThrow(/permission denied|must be owner/);

  it('is neither a superuser nor the owner of the audit trail', async () => {
    expect(await applicationRole(database.db)).toEqual({ name: testRole, superuser: false, ownsAudit: false });
  });

  it('appends to the audit trail, and is refused TRUNCATE, DELETE, UPDATE, DISABLE TRIGGER and DROP', async () => {
    await inTransaction(database.db, (tx) => recordAudit(tx, { actor: systemActor, action: 'lodged', entityType: 'declaration', entityId: 'role-test' }));
    await refused('truncate audit_event');
    await refused('delete from audit_event');
    await refused(`update audit_event set reason = 'edited'`);
    await refused('alter table audit_event disable trigger audit_event_append_only');
    await refused('alter table audit_event disable trigger user');
    await refused('drop table audit_event');
    await refused('delete from audit_stream');
    await refused('truncate audit_stream');
    await refused('delete from audit_checkpoint');
    await refused(`update audit_checkpoint set line_hash = 'x'`);
    // No TRUNCATE and no ownership anywhere, not only on the audit tables.
    await refused('truncate declaration');
    await refused('alter table declaration drop column status');
    const { rows } = await sql<{ n: string }>`select count(*) as n from audit_event where entity_id = 'role-test'`.execute(database.db);
    expect(rows[0]?.n).toBe('1');
  });

  it('creates the sequence of a new serial-number scope on first use (CREATE on the schema)', async () => {
    expect(await nextSerial(database.db, `role_test_${Date.now()}`)).toBe(1);
  });

  it('regranting takes back a privilege granted by hand', async () => {
    const owner = await ownerOf(database);
    try {
      await sql.raw(`grant truncate, delete on audit_event to ${testRole}`).execute(owner.db);
      await grantApplicationRole(owner.db, testRole);
    } finally {
      await owner.close();
    }
    await refused('truncate audit_event');
    await refused('delete from audit_event');
  });

  it('starting with DATABASE_OWNER_URL migrates as the owner and warns of nothing; without it, it warns', async () => {
    const env = { DATABASE_URL: database.url, DEMO: 'false' };
    const split = await openPreparedDatabase(loadConfig({ ...env, DATABASE_OWNER_URL: database.ownerUrl }), { poolSize: 2, holder: 'test' });
    await split.database.close();
    expect(split.warnings).toEqual([]);
    expect(split.prepared.migrations).toEqual([]);
    const alone = await openPreparedDatabase(loadConfig(env), { poolSize: 2, holder: 'test' });
    await alone.database.close();
    expect(alone.warnings).toEqual([expect.stringMatching(/^DATABASE_OWNER_URL is not set: the server migrates and runs as forodha_app_test/)]);
    const asOwner = await openPreparedDatabase(loadConfig({ ...env, DATABASE_URL: database.ownerUrl, DATABASE_OWNER_URL: database.ownerUrl }), { poolSize: 2, holder: 'test' });
    await asOwner.database.close();
    expect(asOwner.warnings).toEqual([expect.stringMatching(/is a superuser: it can rewrite the audit trail/)]);
  });

  it('`forodha migrate` and `forodha db grant` run as the owner and grant the application role', () => {
    const cli = (...args: string[]) =>
      spawnSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'src/cli.ts'), ...args], {
        env: { ...process.env, DATABASE_URL: database.url, DATABASE_OWNER_URL: database.ownerUrl },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const migrate = cli('migrate');
    expect(migrate.stdout).toMatch(`database is up to date; privileges granted to ${testRole}`);
    expect(migrate.status).toBe(0);
    const grant = cli('db', 'grant');
    expect(grant.stdout).toMatch(`privileges granted to ${testRole}`);
    expect(grant.status).toBe(0);
  });
});
