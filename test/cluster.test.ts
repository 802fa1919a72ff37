// WORKERS=2: the primary prepares the database and forks two servers sharing the port; each
// answers, and both stop with the primary. On real PostgreSQL only (PGlite is one process's).
import http from 'node:http';
import path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from './db.ts';

const onPostgres = process.env.TEST_DATABASE_URL !== undefined;
const root = path.resolve(import.meta.dirname, '..');

/** GET /health on a new connection each time, so the primary hands it to the next worker. */
function health(port: number): Promise<{ status: number; body: { worker?: number } }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { worker?: number } }));
      })
      .on('error', reject);
  });
}

describe.skipIf(!onPostgres)('the server on two cores', () => {
  let database: TestDatabase;
  let primary: ChildProcess;
  const port = 4100 + Math.floor(Math.random() * 500);

  beforeAll(async () => {
    database = await testDatabase();
    // node itself (not the tsx wrapper), so signals reach the primary and its workers are its children.
    primary = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: database.ownerUrl, WORKERS: '2', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DEMO: 'true' },
      stdio: 'ignore',
    });
    for (let i = 0; i < 120; i++) {
      if (await health(port).then((r) => r.status === 200, () => false)) {
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('the cluster did not answer');
  });
  afterAll(async () => {
    if (primary.exitCode === null) {
      primary.kill('SIGTERM');
      await new Promise((r) => primary.once('exit', r));
    }
    await database.close();
  });

  it('rolls its workers on SIGUSR2, one at a time, without refusing a request', { timeout: 120_000 }, async () => {
    const workerPids = () =>
      execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary.pid)])
        .toString()
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .sort();
    const before = workerPids();
    expect(before).toHaveLength(2);
    primary.kill('SIGUSR2');
    const failures: string[] = [];
    let answered = 0;
    const until = Date.now() + 90_000;
    let after = before;
    // Requests keep coming while the workers are replaced; every one is answered.
    while (Date.now() < until) {
      const res = await health(port).catch((err: unknown) => ({ status: String(err), body: {} }));
      if (res.status === 200) {
        answered++;
      } else {
        failures.push(String(res.status));
      }
      after = workerPids();
      if (after.length === 2 && after.every((pid) => !before.includes(pid))) {
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    expect(after).toHaveLength(2);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(10);
  });

  it('answers from both workers, and stops them all on SIGTERM', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const res = await health(port);
      expect(res.status).toBe(200);
      seen.add(res.body.worker ?? -1);
    }
    expect([...seen].sort()).toEqual([0, 1]);
    primary.kill('SIGTERM');
    const code = await new Promise((r) => primary.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    await expect(health(port)).rejects.toThrow();
  });
});
