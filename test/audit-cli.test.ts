// `forodha audit keygen | checkpoint | verify` on the embedded database: the exit codes a cron job
// or a monitoring check relies on, and the embedded default key and checkpoint file in DATA_DIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.ts';
import { inTransaction } from '../src/platform/db/transaction.ts';
import { prepareDatabase } from '../src/setup.ts';
import { recordAudit, systemActor } from '../src/modules/audit/index.ts';

const root = path.resolve(import.meta.dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-audit-cli-'));
const dataDir = path.join(dir, 'data');

function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'src/cli.ts'), ...args], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', ...env },
    encoding: 'utf8',
    timeout: 170_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Works on the embedded database in this process (the command line must not be running). */
async function withEmbedded(work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<void>): Promise<void> {
  const database = await openDatabase({ databaseUrl: undefined, dataDir, holder: 'audit cli test' });
  try {
    await work(database.db);
  } finally {
    await database.close();
  }
}

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

// Each command is a new process that loads the whole application: allow for a busy machine.
describe('forodha audit keygen', { timeout: 180_000 }, () => {
  it('writes a private key only its owner can read, and its public key; never overwrites', () => {
    const file = path.join(dir, 'keys', 'audit.pem');
    const r = cli({}, 'audit', 'keygen', file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote .*audit\.pem \(private, mode 0600\) and .*audit\.pem\.pub; key [0-9a-f]{16}/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${file}.pub`, 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
    const before = fs.readFileSync(file, 'utf8');
    const again = cli({}, 'audit', 'keygen', file);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists: not overwritten/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses bad arguments and a missing key before touching the database', () => {
    const badAge = cli({}, 'audit', 'verify', '--max-age', 'soon');
    expect(badAge.code).toBe(2);
    expect(badAge.err).toMatch(/--max-age "soon" is not valid/);
    const noKey = cli({ AUDIT_SIGNING_KEY: path.join(dir, 'missing.pem') }, 'audit', 'checkpoint');
    expect(noKey.code).toBe(2);
    expect(noKey.err).toMatch(/missing\.pem: no such file \(create one with `forodha audit keygen FILE`\)/);
  });
});

// Each command opens the embedded database (WebAssembly) and migrates: allow for a slow machine.
describe('forodha audit checkpoint and verify', { timeout: 300_000 }, () => {
  it('checkpoints with the default key in DATA_DIR, created on first use', async () => {
    await withEmbedded(async (db) => {
      await prepareDatabase(db, { demo: false });
      for (const id of ['d1', 'd2']) {
        await inTransaction(db, (tx) => recordAudit(tx, { actor: systemActor, action: 'lodged', entityType: 'declaration', entityId: id }));
      }
    });
    const r = cli({}, 'audit', 'checkpoint');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/checkpoint #1 written to .*audit-checkpoints\.jsonl: 2 chain\(s\) moved, 2 records covered, signed with key [0-9a-f]{16}/);
    expect(r.code).toBe(0);
    expect(fs.statSync(path.join(dataDir, 'audit-signing-key.pem')).mode & 0o777).toBe(0o600);
  });

  it('verifies clean and says what it checked', () => {
    const r = cli({}, 'audit', 'verify');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/audit trail: 2 records in 2 chains; every chain verifies/);
    expect(r.out).toMatch(/checkpoints: 1 line\(s\) in .*audit-checkpoints\.jsonl checked with key [0-9a-f]{16}; the last, #1 at \d{4}-\d\d-\d\dT.*, covers 2 records; 0 record\(s\) since/);
    expect(r.code).toBe(0);
  });

  it('exits 1 naming the deleted chain, checking with the public key alone', async () => {
    await withEmbedded(async (db) => {
      await sql`alter table audit_event disable trigger user`.execute(db);
      await sql`delete from audit_event where entity_id = 'd2'`.execute(db);
      await sql`delete from audit_stream where stream = 'declaration:d2'`.execute(db);
      await sql`alter table audit_event enable trigger user`.execute(db);
    });
    const publicKey = path.join(dataDir, 'audit-signing-key.pem.pub');
    // The signing key is elsewhere (here: nowhere); verify needs only the public key.
    const r = cli({ AUDIT_SIGNING_KEY: path.join(dir, 'not-here.pem') }, 'audit', 'verify', '--public-key', publicKey);
    expect(r.out).toMatch(/audit trail: 1 records in 1 chains; 2 problem\(s\)/);
    expect(r.err).toMatch(/declaration:d2: checkpoint #1 signed 1 record\(s\) of this chain; the database has none: the chain was deleted/);
    expect(r.err).toMatch(/checkpoint #1 counted 2 records; the database holds 1 of them: 1 were removed/);
    expect(r.code).toBe(1);
  });
});
