// PostgreSQL restarts under lodging load: fast and immediate shutdowns and a crashed backend,
// several times, while carriers and agents lodge manifests and declarations at a steady rate,
// every POST repeated with its Idempotency-Key until acknowledged. The server (a real child
// process) must survive every restart and reconnect by itself; while the database is away a
// request waits and succeeds or gets a 503 with Retry-After, never anything else; and every
// acknowledged lodgement is in the database exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  declarationBody,
  manifestBody,
  sleep,
  startPrivatePostgres,
  startServerProcess,
  whyNoPostgres,
  type Answer,
  type Outage,
  type PrivatePostgres,
  type ServerProcess,
} from './support.ts';

const noPostgres = whyNoPostgres();
if (noPostgres) {
  console.warn(noPostgres);
}

/** Lodgements (a manifest, then a declaration on its B/L) started per second. */
const ratePerSecond = 8;
const restarts: Outage[] = ['fast', 'immediate', 'crash', 'fast', 'immediate'];
/** How long each outage keeps the database away: longer than the hold (DB_HOLD_SECONDS=2), so some requests get their 503 (the journal is off here: store-and-forward.test.ts covers it). */
const awayMs = 2_500;

let cluster: PrivatePostgres | undefined;
let server: ServerProcess | undefined;

beforeAll(async () => {
  if (noPostgres) {
    return;
  }
  cluster = await startPrivatePostgres();
  server = await startServerProcess({ DATABASE_URL: cluster.url, DB_HOLD_SECONDS: '2', DB_POOL_SIZE: '10', JOURNAL: 'false' });
  await server.ready();
}, 180_000);

afterAll(async () => {
  await server?.kill('SIGTERM');
  await cluster?.destroy();
});

interface Lodged {
  bl: string;
  manifestId: string;
  declarationId: string;
}

/** Every request's answer and its time span, to judge what happened during outages. */
interface Exchange {
  sentAt: number;
  answeredAt: number;
  status: number | 'network-error';
}

describe.skipIf(noPostgres !== undefined)('PostgreSQL restarts under lodging load', () => {
  it('are survived every time; nothing acknowledged is lost or duplicated; the database being away is a 503 with Retry-After', { timeout: 240_000 }, async () => {
    const base = server!.url;
    const tag = `MAEUR${Date.now().toString(36).toUpperCase()}`;
    const exchanges: Exchange[] = [];
    const wrong: string[] = [];
    const outages: { kind: Outage; from: number; to: number }[] = [];

    /** Sends until acknowledged (2xx), with the same Idempotency-Key every time. */
    const acknowledged = async (pathname: string, apiKey: string, body: unknown, key: string): Promise<Answer> => {
      for (let wrongAnswers = 0; wrongAnswers < 10; ) {
        const sentAt = Date.now();
        let answer: Answer;
        try {
          answer = await call(base, 'POST', pathname, apiKey, body, key);
        } catch (err) {
          exchanges.push({ sentAt, answeredAt: Date.now(), status: 'network-error' });
          wrong.push(`${pathname} ${key}: network error ${String(err)}`);
          wrongAnswers++;
          await sleep(200);
          continue;
        }
        exchanges.push({ sentAt, answeredAt: Date.now(), status: answer.status });
        if (answer.status < 300) {
          return answer;
        }
        if (answer.status === 503 && Number(answer.headers.get('retry-after')) > 0 && /problem\+json/.test(answer.headers.get('content-type') ?? '') && answer.body?.status === 503) {
          // A real client would wait Retry-After seconds; a shorter pause keeps the test short.
          await sleep(200 + Math.random() * 200);
          continue;
        }
        wrong.push(`${pathname} ${key}: ${answer.status} ${JSON.stringify(answer.body)} retry-after=${answer.headers.get('retry-after')}`);
        wrongAnswers++;
        await sleep(200);
      }
      throw new Error(`${pathname} ${key}: given up after 10 wrong answers`);
    };

    const lodged: Lodged[] = [];
    const lodge = async (n: number) => {
      const bl = `${tag}${String(n).padStart(4, '0')}`;
      const manifest = await acknowledged('/api/v1/manifests', 'demo-maersk-key', manifestBody([bl], tag.slice(-8)), `m-${bl}`);
      const declaration = await acknowledged('/api/v1/declarations', 'demo-siginon-key', declarationBody(bl), `d-${bl}`);
      lodged.push({ bl, manifestId: String(manifest.body.id), declarationId: String(declaration.body.id) });
    };

    // Steady load in the background.
    let loading = true;
    const inFlight = new Set<Promise<void>>();
    let started = 0;
    const loader = (async () => {
      while (loading) {
        if (inFlight.size < 40) {
          const job = lodge(started++)
            .catch((err: unknown) => void wrong.push(String(err)))
            .finally(() => inFlight.delete(job));
          inFlight.add(job);
        }
        await sleep(1000 / ratePerSecond);
      }
    })();

    const healthy = async (timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const ok = await fetch(`${base}/health`).then((r) => r.status === 200, () => false);
        if (ok) {
          return true;
        }
        await sleep(100);
      }
      return false;
    };

    // While the database is down, /health says so, with Retry-After and without the driver's words.
    const healthAnswers: string[] = [];
    const healthWhileAway = async () => {
      const res = await fetch(`${base}/health`);
      const text = await res.text();
      healthAnswers.push(`${res.status} retry-after=${res.headers.get('retry-after')} ${text}`);
    };

    try {
      await sleep(2_000);
      for (const kind of restarts) {
        const before = lodged.length;
        const from = Date.now();
        await cluster!.outage(kind, awayMs, kind === 'crash' ? undefined : healthWhileAway);
        outages.push({ kind, from, to: Date.now() });
        // The server is alive, finds the database again by itself, and lodging goes on.
        expect(server!.child.exitCode, `server exited after a ${kind} restart:\n${server!.output().slice(-4000)}`).toBeNull();
        expect(await healthy(30_000), `no healthy answer after a ${kind} restart:\n${server!.output().slice(-4000)}`).toBe(true);
        const until = Date.now() + 30_000;
        while (lodged.length < before + 3 && Date.now() < until) {
          await sleep(100);
        }
        expect(lodged.length, `lodging did not resume after a ${kind} restart`).toBeGreaterThanOrEqual(before + 3);
      }
    } finally {
      loading = false;
      await loader;
      await Promise.all(inFlight);
    }

    expect(server!.child.exitCode).toBeNull();
    expect(server!.output()).not.toMatch(/Unhandled 'error' event/);
    expect(wrong, 'answers other than 2xx or a 503 with Retry-After and a problem body').toEqual([]);
    expect(healthAnswers).toHaveLength(restarts.filter((k) => k !== 'crash').length);
    for (const answer of healthAnswers) {
      expect(answer).toBe('503 retry-after=2 {"status":"unavailable","database":{"kind":"postgres","ok":false}}');
    }
    expect(lodged).toHaveLength(started);
    // Requests were in flight while the database was away: each waited and succeeded or got a 503.
    const duringOutages = exchanges.filter((e) => outages.some((o) => e.sentAt <= o.to && e.answeredAt >= o.from));
    expect(duringOutages.length).toBeGreaterThan(0);
    expect(duringOutages.filter((e) => e.status !== 503 && (typeof e.status !== 'number' || e.status >= 300))).toEqual([]);

    // Every acknowledged lodgement is in the database exactly once, with the id it was given.
    const manifests = await cluster!.query<{ number: string; id: string }>(
      'select t.number, m.id from transport_document t join manifest m on m.id = t.manifest_id where t.number like $1',
      [`${tag}%`],
    );
    const declarations = await cluster!.query<{ bl: string; id: string }>('select transport_document_number as bl, id from declaration where transport_document_number like $1', [`${tag}%`]);
    const byBl = <T extends Record<string, string>>(rows: T[], key: keyof T) => {
      const map = new Map<string, string[]>();
      for (const row of rows) {
        map.set(row[key]!, [...(map.get(row[key]!) ?? []), row.id!]);
      }
      return map;
    };
    const manifestsByBl = byBl(manifests, 'number');
    const declarationsByBl = byBl(declarations, 'bl');
    expect(manifests).toHaveLength(lodged.length);
    expect(declarations).toHaveLength(lodged.length);
    for (const l of lodged) {
      expect(manifestsByBl.get(l.bl)).toEqual([l.manifestId]);
      expect(declarationsByBl.get(l.bl)).toEqual([l.declarationId]);
    }
    console.info(
      `faults: ${lodged.length} lodgements through ${outages.map((o) => o.kind).join(', ')} restarts; ` +
        `${duringOutages.length} requests spanned an outage: ${duringOutages.filter((e) => e.status === 503).length} answered 503, ` +
        `${duringOutages.filter((e) => typeof e.status === 'number' && e.status < 300).length} waited and succeeded`,
    );
  });
});
