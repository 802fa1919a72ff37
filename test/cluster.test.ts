// WORKERS=2: the primary prepares the database and forks two servers sharing the port; each
// answers, and both stop with the primary. On real PostgreSQL only (PGlite is one process's).
import http from 'node:http';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
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
    primary = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'src/main.ts')], {
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
