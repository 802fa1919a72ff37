// A login flood cannot starve the work the system is for: password hashing runs behind a bounded
// queue (one hash at a time here, four waiting), the overflow is refused at once with 503 and
// Retry-After, and meanwhile authenticated requests and a manifest lodgement are answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startTestServer, type TestServer } from './server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '4', LOGIN_RATE_PER_SECOND: '100000' } });
});

afterAll(async () => {
  await server.close();
});

const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) {
    await new Promise((r) => setTimeout(r, 20));
  }
};

function manifest(voyage: string) {
  return {
    mode: 'sea',
    conveyanceId: '9074729',
    conveyanceName: 'MAERSK SELETAR',
    voyageNumber: voyage,
    portOfLoading: 'CNSHA',
    portOfDischarge: 'KEMBA',
    officeCode: 'MBA',
    expectedArrival: '2026-06-18T08:00:00Z',
    documents: [
      {
        number: `MAEU${voyage}01`,
        kind: 'BL',
        shipperName: 'Shenzhen Electronics Export Co',
        consigneeName: 'Nairobi Motors Ltd',
        consigneePin: 'P051234567A',
        packages: 20,
        packageKind: 'CT',
        grossMassKg: '900',
        description: 'Laptops',
        cargoCategory: 'home_use',
        containers: [],
      },
    ],
  };
}

describe('a login flood', () => {
  it('is refused beyond the hash queue while lodging and authenticated reads go on', { timeout: 180_000 }, async () => {
    const admin = await server.as('kra.admin'); // logged in before the flood
    const answers: { status: number; retryAfter: string | null }[] = [];
    let stop = false;
    // Hundreds of wrong-password logins in flight at all times, each for a different username so
    // that no per-username limit steps in: only the hash queue stands in the way.
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const res = await fetch(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `flood.${w}.${n}`, password: 'wrong-guess' }),
        });
        await res.arrayBuffer();
        answers.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
      }
    };
    const flood = Promise.all(Array.from({ length: 200 }, (_, w) => worker(w)));
    try {
      await until(() => answers.length >= 200 && answers.some((a) => a.status === 503));

      const [keyMe, sessionMe, lodged] = await Promise.all([
        server.key('demo-kpa-key').get('/api/v1/me'),
        admin.get('/api/v1/me'),
        server.key('demo-maersk-key').post('/api/v1/manifests', manifest('301W')),
      ]);
      const answeredBy = answers.length;
      expect(keyMe.status).toBe(200);
      expect(sessionMe.status).toBe(200);
      expect(lodged.status).toBe(201);
      // The flood was still going when they were answered.
      await until(() => answers.length > answeredBy + 20);
    } finally {
      stop = true;
      await flood;
    }

    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].sort()).toEqual([401, 503]);
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.every((a) => a.retryAfter === '1')).toBe(true);
    expect(server.app.services.identity.hasher.peak).toBe(1);
  });

  it('and the login rate per second: beyond it, 429 with Retry-After before any hashing', async () => {
    const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', OUTBOX_WORKER: 'false', LOGIN_RATE_PER_SECOND: '1' }), database: server.database, clock: server.clock, logger: false });
    try {
      const tries = await Promise.all(
        ['kra.officer', 'kra.risk', 'kra.supervisor'].map((username) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: 'wrong-guess' } })),
      );
      const limited = tries.filter((r) => r.statusCode === 429);
      expect(limited.length).toBeGreaterThanOrEqual(1);
      expect(limited[0]!.headers['retry-after']).toBe('1');
      expect(limited[0]!.json().detail).toMatch(/Too many login attempts/);
      expect(tries.every((r) => r.statusCode === 401 || r.statusCode === 429)).toBe(true);
    } finally {
      await app.close();
    }
  });
});
