// Graceful shutdown of the real server (a child process, `npm start`'s entry point): on SIGTERM
// readiness turns 503 at once, a request already in flight is answered in full, new connections
// are refused once the listener closes, and the process exits 0.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from './db.ts';
import { sleep, startServerProcess, type ServerProcess } from './faults/support.ts';

let database: TestDatabase | undefined;
let server: ServerProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-graceful-'));
  const env: Record<string, string> = { DATA_DIR: dataDir, DEMO: 'true', SHUTDOWN_DRAIN_SECONDS: '3', SHUTDOWN_GRACE_SECONDS: '20', AUDIT_CHECKPOINT_SECONDS: '0' };
  if (process.env.TEST_DATABASE_URL) {
    database = await testDatabase();
    env.DATABASE_URL = database.ownerUrl!;
    env.WORKERS = '1';
  }
  server = await startServerProcess(env);
  await server.ready();
}, 180_000);

afterAll(async () => {
  await server?.kill('SIGKILL');
  await database?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** GET on a connection of its own: the status, or 'refused' when nobody listens. */
function get(pathname: string): Promise<number | 'refused'> {
  const { port } = new URL(server.url);
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', () => resolve('refused'));
  });
}

const calculation = JSON.stringify({
  date: '2026-06-15',
  currency: 'USD',
  exchangeRate: '130',
  items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob: '1500', quantity: '10' }],
});

describe('graceful shutdown', () => {
  it('turns readiness 503 at once, answers the request in flight, refuses new connections, and exits 0', { timeout: 60_000 }, async () => {
    expect(await get('/ready')).toBe(200);
    const { port } = new URL(server.url);
    // A slow client: the headers and half the body are sent before SIGTERM, the rest after.
    const inFlight = http.request({ host: '127.0.0.1', port, path: '/api/v1/calculator', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(calculation) } });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      inFlight.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      inFlight.on('error', reject);
    });
    const half = Math.floor(calculation.length / 2);
    inFlight.write(calculation.slice(0, half));
    await sleep(300);
    const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
    server.child.kill('SIGTERM');

    // Readiness says "stop sending" while the process still serves (the drain period).
    let ready: number | 'refused' = 200;
    for (let i = 0; i < 20 && ready === 200; i++) {
      ready = await get('/ready');
      await sleep(50);
    }
    expect(ready).toBe(503);
    expect(await get('/health')).toBe(200);

    // After the drain period the listener is closed, but the request in flight is still owed its answer.
    let fresh: number | 'refused' = 200;
    for (let i = 0; i < 100 && fresh !== 'refused'; i++) {
      await sleep(100);
      fresh = await get('/ready');
    }
    expect(fresh).toBe('refused');
    expect(server.child.exitCode).toBeNull();
    inFlight.end(calculation.slice(half));
    const res = await answer;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toHaveProperty('totals');
    expect(await exited).toBe(0);
  });
});
