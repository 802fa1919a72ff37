// How many statements a green lodgement sends to PostgreSQL: every one is a round trip inside the
// transaction that holds its row locks, so their number bounds lodgement throughput. Counted at
// the driver (pg.Client#query), BEGIN and COMMIT included, after two warm-up lodgements so that
// what is cached once per process is not counted. PostgreSQL only (PGlite has no driver round trip).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';
import { blNumber, lodgeDeclaration, lodgeManifest } from './e2e/cargo.ts';

const onPostgres = process.env.TEST_DATABASE_URL !== undefined;
/** Round trips of one green 3-item lodgement with an Idempotency-Key (38 before the lodgement path was reshaped; 16 once relief rules were cached). */
const budget = 16;

describe.skipIf(!onPostgres)('a lodgement over the wire', () => {
  let server: TestServer;
  const sent: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, called with its client as `this`
  const original = pg.Client.prototype.query;

  beforeAll(async () => {
    server = await startTestServer();
    // Spying on the driver, whatever the overload.
    (pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
      sent.push(String(text));
      return (original as any).apply(this, args);
    };
  });
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await server.close();
  });

  it(`stays within ${budget} statements, BEGIN and COMMIT included`, async () => {
    const bls = [blNumber('RT'), blNumber('RT'), blNumber('RT')];
    await lodgeManifest(server, '2026-06-20T06:00:00Z', bls.map((number) => ({ number })));
    const agent = server.key('demo-siginon-key');
    await lodgeDeclaration(agent, bls[0]!);
    await lodgeDeclaration(agent, bls[1]!);
    sent.length = 0;
    const res = await agent.post('/api/v1/declarations', { ...(await import('./e2e/cargo.ts')).declarationBody(bls[2]!), lodge: true }, { idempotencyKey: 'round-trips-1' });
    expect(res.status).toBe(201);
    const statements = sent.filter((s) => !/^select 1$/i.test(s.trim()));
    if (process.env.SHOW_ROUND_TRIPS) {
      console.log(`${statements.length} statements:\n${statements.map((s, i) => `${i + 1}. ${s.replace(/\s+/g, ' ').slice(0, 220)}`).join('\n')}`);
    }
    expect(statements.length).toBeLessThanOrEqual(budget);
  });
});
