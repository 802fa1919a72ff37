// Reference-data uploads over real HTTP (the web's Administration page): only administrators may
// upload; a bad exchange-rate file is refused whole with every bad line listed and nothing loaded;
// a good one loads and is used at once (the tariff cache does not hide it); the same file again
// changes nothing; a dry run loads nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T05:00:00Z' });
});

afterAll(async () => {
  await server.close();
});

const goodRates = ['currency,rate,valid_from,valid_to,note', 'NOK,151.2345,2026-06-10,,upload test', 'DKK,12.4321,2026-06-10,,upload test'].join('\n');
const badRates = ['currency,rate,valid_from', 'NOK,151.2345,2026-06-10', 'XXQ,12.5,2026-06-10', 'DKK,-3,2026-13-01'].join('\n');

describe('reference-data uploads', () => {
  it('are for administrators only', async () => {
    for (const user of ['kra.officer', 'siginon.agent', 'kra.supervisor']) {
      const res = await (await server.as(user)).post('/api/v1/uploads/exchange-rates', { fileName: 'rates.csv', content: goodRates });
      expect(res.status, user).toBe(403);
    }
    expect((await server.anonymous().post('/api/v1/uploads/exchange-rates', { fileName: 'rates.csv', content: goodRates })).status).toBe(401);
    const admin = await server.as('kra.admin');
    const rate = await admin.get('/api/v1/tariff/exchange-rates/NOK?date=2026-06-15');
    expect(rate.status).toBe(422);
  });

  it('refuse a bad file whole, listing each bad line, and load nothing', async () => {
    const admin = await server.as('kra.admin');
    // Read once so a cached answer would show if the upload were not seen.
    expect((await admin.get('/api/v1/tariff/exchange-rates/NOK?date=2026-06-15')).status).toBe(422);
    const res = await admin.post('/api/v1/uploads/exchange-rates', { fileName: 'rates-june.csv', content: badRates });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toContain('import-refused');
    expect(res.body.linesTotal).toBe(3);
    const lines = res.body.lines as { line: number; field: string | null; message: string }[];
    expect(lines.map((l) => [l.line, l.field])).toEqual([
      [3, 'currency'],
      [4, 'rate'],
      [4, 'valid_from'],
    ]);
    expect(lines[0]!.message).toContain('XXQ');
    // NOK's line was good, but nothing of a refused file loads.
    expect((await admin.get('/api/v1/tariff/exchange-rates/NOK?date=2026-06-15')).status).toBe(422);
  });

  it('check a dry run without loading, then load a good file that is used at once; the same file again changes nothing', async () => {
    const admin = await server.as('kra.admin');
    const dry = await admin.post('/api/v1/uploads/exchange-rates', { fileName: 'rates.csv', content: goodRates, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ kind: 'exchange-rates', dryRun: true, rows: 2, loaded: 2 });
    expect((await admin.get('/api/v1/tariff/exchange-rates/NOK?date=2026-06-15')).status).toBe(422);

    const res = await admin.post('/api/v1/uploads/exchange-rates', { fileName: 'rates.csv', content: goodRates });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'exchange-rates', file: 'rates.csv', dryRun: false, rows: 2, loaded: 2, unchanged: 0 });
    const rate = await admin.get('/api/v1/tariff/exchange-rates/NOK?date=2026-06-15');
    expect(rate.status).toBe(200);
    expect(JSON.stringify(rate.body)).toContain('151.2345');

    const again = await admin.post('/api/v1/uploads/exchange-rates', { fileName: 'rates.csv', content: goodRates });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ loaded: 0, unchanged: 2 });
  });

  it('bound the input: kind, file name and content are checked and named', async () => {
    const admin = await server.as('kra.admin');
    const kind = await admin.post('/api/v1/uploads/passwords', { fileName: 'x.csv', content: goodRates });
    expect(kind.status).toBe(422);
    expect(JSON.stringify(kind.body.errors)).toContain('/kind');
    const name = await admin.post('/api/v1/uploads/exchange-rates', { fileName: '../../etc/passwd', content: goodRates });
    expect(name.status).toBe(422);
    expect(JSON.stringify(name.body.errors)).toContain('/fileName');
    const empty = await admin.post('/api/v1/uploads/exchange-rates', { fileName: 'x.csv', content: '' });
    expect(empty.status).toBe(422);
    expect(JSON.stringify(empty.body.errors)).toContain('/content');
  });
});
