// A server killed (SIGKILL) right after a vessel's arrival is recorded, while its outbox worker
// is delivering the arrival: once a new server is up, the paid green consignment on that vessel
// is released within seconds, not after a lease of dead time. On the private PostgreSQL (the
// delivery is caught mid-way for certain, by holding the declaration's row lock) and on the
// embedded database in a data folder (killed as soon as the arrival is acknowledged).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  call,
  declarationBody,
  manifestBody,
  prepareForRelease,
  sleep,
  startPrivatePostgres,
  startServerProcess,
  whyNoPostgres,
  type PrivatePostgres,
  type ServerProcess,
} from './support.ts';

const noPostgres = whyNoPostgres();
if (noPostgres) {
  console.warn(noPostgres);
}

/** A restarted server must release within this long of answering /health (the old lease was 60 s). */
const releaseWithinMs = 10_000;

const servers: ServerProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.kill('SIGKILL')));
  for (const cleanup of cleanups) {
    await cleanup();
  }
});

async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess(env);
  servers.push(server);
  await server.ready();
  return server;
}

function expectAcknowledged(answer: { status: number; body: unknown }, what: string): void {
  if (answer.status >= 300) {
    throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

interface Vessel {
  manifestId: string;
  /** One paid, green declaration per B/L, in the manifest's order. */
  declarationIds: string[];
}

/** A vessel's manifest with `count` B/Ls, each with a declaration assessed green, registered and paid: they wait only for the arrival. */
async function vesselWithPaidGreenCargo(base: string, count: number): Promise<Vessel> {
  const tag = `MAEUK${Date.now().toString(36).toUpperCase()}`;
  const bls = Array.from({ length: count }, (_, i) => `${tag}${i}`);
  const manifest = await call(base, 'POST', '/api/v1/manifests', 'demo-maersk-key', manifestBody(bls, tag.slice(-6)), `m-${tag}`);
  expectAcknowledged(manifest, 'manifest');
  const declarationIds: string[] = [];
  for (const bl of bls) {
    const declaration = await call(base, 'POST', '/api/v1/declarations', 'demo-siginon-key', declarationBody(bl), `d-${bl}`);
    expectAcknowledged(declaration, 'declaration');
    expect(declaration.body.selectivity).toEqual({ channel: 'green' });
    const registered = await call(base, 'POST', `/api/v1/declarations/${declaration.body.id}/register`, 'demo-siginon-key', undefined, `r-${bl}`);
    expectAcknowledged(registered, 'registration');
    const { prn, amountDue } = registered.body.payment as { prn: string; amountDue: string };
    const paid = await call(base, 'POST', '/api/v1/payments', 'demo-kcb-key', { prn, amount: amountDue, bankReference: `KCB-${bl}`, paidAt: new Date().toISOString() }, `p-${bl}`);
    expectAcknowledged(paid, 'payment');
    declarationIds.push(String(declaration.body.id));
  }
  return { manifestId: String(manifest.body.id), declarationIds };
}

const arrive = (base: string, manifestId: string) =>
  call(base, 'POST', `/api/v1/manifests/${manifestId}/arrival`, 'demo-maersk-key', { actualArrival: new Date().toISOString() }, `a-${manifestId}`);

const declaration = async (base: string, id: string) => (await call(base, 'GET', `/api/v1/declarations/${id}`, 'demo-siginon-key')).body as { status: string; releasedAt: string | null };

/** Milliseconds from now until every declaration is released (fails after twice the allowed time). */
async function timeToRelease(base: string, declarationIds: string[]): Promise<number> {
  const started = Date.now();
  for (const id of declarationIds) {
    for (;;) {
      const { status } = await declaration(base, id);
      if (status === 'released') {
        break;
      }
      if (Date.now() - started > 2 * releaseWithinMs) {
        throw new Error(`declaration ${id} still ${status} ${Date.now() - started} ms after the restart`);
      }
      await sleep(50);
    }
  }
  return Date.now() - started;
}

describe.skipIf(noPostgres !== undefined)('a server killed while delivering an arrival, on PostgreSQL', () => {
  it('releases the paid green consignment within seconds of the restart', { timeout: 240_000 }, async () => {
    const cluster: PrivatePostgres = await startPrivatePostgres();
    cleanups.push(() => cluster.destroy());
    const env = { DATABASE_URL: cluster.url };
    const first = await startServer(env);
    await prepareForRelease(first.url);
    const { manifestId, declarationIds } = await vesselWithPaidGreenCargo(first.url, 1);
    const declarationId = declarationIds[0]!;

    // Hold the declaration's row so that the arrival's delivery stops half-way, for certain.
    const holder = new pg.Client({ connectionString: cluster.url });
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('begin');
    await holder.query('select id from declaration where id = $1 for update', [declarationId]);
    expectAcknowledged(await arrive(first.url, manifestId), 'arrival');
    // The worker has claimed the arrival event and its subscriber waits on our lock.
    const until = Date.now() + 30_000;
    for (;;) {
      const waiting = await cluster.query("select pid from pg_stat_activity where application_name = 'forodha' and wait_event_type = 'Lock'");
      if (waiting.length > 0) {
        break;
      }
      expect(Date.now() < until, 'the arrival was never delivered').toBe(true);
      await sleep(20);
    }
    await first.kill('SIGKILL');
    await holder.query('rollback');
    await holder.end();

    const second = await startServer(env);
    expect(await timeToRelease(second.url, declarationIds)).toBeLessThan(releaseWithinMs);
    // Delivered again after the crash, yet released once.
    const orders = await cluster.query<{ n: number }>('select count(*)::int as n from release_order where declaration_id = $1', [declarationId]);
    expect(orders[0]?.n).toBe(1);
    await second.kill('SIGTERM');
  });
});

describe('a server killed right after an arrival, on the embedded database', () => {
  it('releases the paid green consignment within seconds of the restart', { timeout: 300_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-faults-data-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env = { DATA_DIR: dataDir };
    const first = await startServer(env);
    await prepareForRelease(first.url);
    // The arrival releases twenty consignments one after the other. The server is killed just
    // after acknowledging it: the worker, kicked by that very response, has claimed the arrival
    // event and released a few of them, not all. (The test cannot look inside PGlite, which the
    // server holds; the short pause only makes a claim before the kill likely, and the check
    // below proves the kill did land before the last release.)
    const { manifestId, declarationIds } = await vesselWithPaidGreenCargo(first.url, 20);
    expectAcknowledged(await arrive(first.url, manifestId), 'arrival');
    await sleep(50);
    const killedAt = Date.now();
    await first.kill('SIGKILL');

    // The demo data is in place: the restart need not load it again (a quicker start).
    const second = await startServer({ ...env, DEMO: 'false' });
    expect(await timeToRelease(second.url, declarationIds)).toBeLessThan(releaseWithinMs);
    // The kill did interrupt the delivery: some consignments were released only by the new server.
    const releasedAt = await Promise.all(declarationIds.map(async (id) => Date.parse((await declaration(second.url, id)).releasedAt ?? '')));
    expect(releasedAt.filter((at) => at > killedAt).length).toBeGreaterThan(0);
    await second.kill('SIGTERM');
  });
});
