// Store-and-forward: with the database stopped for longer than the hold (DB_HOLD_SECONDS=1),
// manifests and a declaration are answered 202 with a receipt, fsync'ed in the node's journal;
// reads answer 503 database-unavailable with Retry-After. The server is then killed (SIGKILL)
// while the database is still away; a new server on the same journal folder replays what the
// dead one took once the database is back, and every receipt ends applied, exactly once, in
// order (the declaration finds the B/L of a manifest journalled before it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, declarationBody, manifestBody, prepareForRelease, sleep, startPrivatePostgres, startServerProcess, whyNoPostgres, type PrivatePostgres, type ServerProcess } from './support.ts';

const noPostgres = whyNoPostgres();

let cluster: PrivatePostgres | undefined;
const servers: ServerProcess[] = [];
let journalDir: string;

const start = async () => {
  const server = await startServerProcess({ DATABASE_URL: cluster!.url, DB_HOLD_SECONDS: '1', DB_POOL_SIZE: '4', JOURNAL_DIR: journalDir, AUDIT_CHECKPOINT_SECONDS: '0', WORKERS: '1', DEMO: 'true' });
  servers.push(server);
  await server.ready();
  return server;
};

beforeAll(async () => {
  if (noPostgres) {
    return;
  }
  journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-journal-'));
  cluster = await startPrivatePostgres();
}, 180_000);

afterAll(async () => {
  for (const server of servers) {
    await server.kill('SIGKILL');
  }
  await cluster?.destroy();
  if (journalDir) {
    fs.rmSync(journalDir, { recursive: true, force: true });
  }
});

describe.skipIf(noPostgres !== undefined)('lodging while the database is away', () => {
  it('journals lodgements with a receipt, survives a SIGKILL of the node, and applies each exactly once when the database returns', { timeout: 300_000 }, async () => {
    const first = await start();
    await prepareForRelease(first.url);
    const tag = `JRNL${Date.now().toString(36).toUpperCase()}`;
    const bls = [0, 1, 2].map((n) => `${tag}${n}`);
    // The callers have been seen by this process (their credentials are verified while the database is up).
    expect((await call(first.url, 'GET', '/api/v1/me', 'demo-maersk-key')).status).toBe(200);
    expect((await call(first.url, 'GET', '/api/v1/me', 'demo-siginon-key')).status).toBe(200);

    const receipts: { receipt: string; apiKey: string; path: string; body: unknown; key: string }[] = [];
    await cluster!.outage('fast', 1_000, async () => {
      for (const [i, bl] of bls.entries()) {
        const body = manifestBody([bl], `${tag.slice(-6)}${i}`);
        const res = await call(first.url, 'POST', '/api/v1/manifests', 'demo-maersk-key', body, `m-${bl}`);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect(res.body).toMatchObject({ status: 'journalled' });
        expect(res.headers.get('location')).toBe(`/api/v1/receipts/${String(res.body.receipt)}`);
        receipts.push({ receipt: String(res.body.receipt), apiKey: 'demo-maersk-key', path: '/api/v1/manifests', body, key: `m-${bl}` });
      }
      // Sent without an Idempotency-Key: the journal makes one, so the replay is still exactly once.
      const declaration = await call(first.url, 'POST', '/api/v1/declarations', 'demo-siginon-key', declarationBody(bls[0]!));
      expect(declaration.status).toBe(202);
      receipts.push({ receipt: String(declaration.body.receipt), apiKey: 'demo-siginon-key', path: '/api/v1/declarations', body: declarationBody(bls[0]!), key: '' });
      // The same manifest again with its key: the same receipt, not a second entry.
      const again = await call(first.url, 'POST', '/api/v1/manifests', 'demo-maersk-key', receipts[0]!.body, receipts[0]!.key);
      expect(again.status).toBe(202);
      expect(again.body.receipt).toBe(receipts[0]!.receipt);
      // The receipt can be read while the database is away; by its lodger only.
      const status = await call(first.url, 'GET', `/api/v1/receipts/${receipts[0]!.receipt}`, 'demo-maersk-key');
      expect(status.body).toMatchObject({ status: 'journalled' });
      expect((await call(first.url, 'GET', `/api/v1/receipts/${receipts[0]!.receipt}`, 'demo-siginon-key')).status).toBe(404);
      // A read that needs the database says it is delayed, never answers wrong.
      const read = await call(first.url, 'GET', '/api/v1/manifests', 'demo-maersk-key');
      expect(read.status).toBe(503);
      expect(read.body.type).toBe('https://forodha.dev/problems/database-unavailable');
      expect(read.headers.get('retry-after')).not.toBeNull();
      // The node dies with everything still in its journal.
      await first.kill('SIGKILL');
    });

    const second = await start();
    const outcomes = new Map<string, any>();
    for (let i = 0; i < 120 && outcomes.size < receipts.length; i++) {
      for (const r of receipts) {
        const res = await call(second.url, 'GET', `/api/v1/receipts/${r.receipt}`, r.apiKey);
        if (res.status === 200 && res.body.status !== 'journalled') {
          outcomes.set(r.receipt, res.body);
        }
      }
      await sleep(500);
    }
    for (const r of receipts) {
      expect(outcomes.get(r.receipt), r.receipt).toMatchObject({ status: 'applied' });
      expect(outcomes.get(r.receipt).id).toEqual(expect.any(String));
    }
    // Exactly once: one manifest per B/L, one declaration.
    const manifests = await cluster!.query<{ n: string }>('select count(*) as n from transport_document where number = any($1)', [bls]);
    expect(Number(manifests[0]!.n)).toBe(3);
    const declarations = await cluster!.query<{ n: string }>("select count(*) as n from declaration where id = $1", [outcomes.get(receipts[3]!.receipt).id]);
    expect(Number(declarations[0]!.n)).toBe(1);
    // The client's retry with its key after the replay gets the applied answer, not a second manifest.
    const retried = await call(second.url, 'POST', '/api/v1/manifests', 'demo-maersk-key', receipts[1]!.body, receipts[1]!.key);
    expect(retried.status).toBe(201);
    expect(retried.body.id).toBe(outcomes.get(receipts[1]!.receipt).id);
    // The journal files are emptied once everything is applied.
    const left = fs.readdirSync(journalDir).map((f) => fs.readFileSync(path.join(journalDir, f), 'utf8')).join('');
    expect(left).toBe('');
  });
});
