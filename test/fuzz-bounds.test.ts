// The bounds the fuzz relies on, one by one, over HTTP against a real server: body limits and
// content types, strict querystring numbers, a body where none is taken, and the figures that
// would not fit their columns (an assessment past a quadrillion shillings, payments past what a
// PRN's paid total holds), plus the cancelled draft the fuzz found answering 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';
import { blNumber, declarationBody, expectStatus, manifestBody } from './e2e/cargo.ts';

let server: TestServer;

async function raw(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(server.url + path, { method: init.method ?? 'POST', headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text === '' ? undefined : (JSON.parse(text) as { errors?: { pointer: string; code: string }[]; status?: number }) };
}

beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T08:00:00Z' });
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe('bounded bodies', () => {
  it('gives each route a body limit that fits it: small for login, large only where many items go', async () => {
    const json = { 'content-type': 'application/json' };
    const login = await raw('/api/v1/auth/login', { body: JSON.stringify({ username: 'siginon.agent', password: 'x'.repeat(5000) }), headers: json });
    expect(login.status).toBe(413);
    expect(login.type).toContain('application/problem+json');
    expect(login.body?.errors?.[0]).toMatchObject({ pointer: '/', code: 'too_large' });
    // A 700 KB calculation (999 items is under 1 MB) is read and refused for its content, not its size.
    const items = Array.from({ length: 1000 }, () => ({ hsCode: '8471.30.00', originCountry: 'CN', fob: '1500.00', quantity: '10', netMassKg: '20.5' }));
    const calculation = await raw('/api/v1/calculator', { body: JSON.stringify({ currency: 'USD', items }), headers: json });
    expect(calculation.status).toBe(422);
    expect(calculation.body?.errors?.[0]).toMatchObject({ pointer: '/items', code: 'maxItems' });
  });

  it('lists every invalid field of an ordinary body, and only the first of a huge one', async () => {
    const json = { 'content-type': 'application/json' };
    const few = await raw('/api/v1/calculator', { body: JSON.stringify({ currency: 'US', items: [{ fob: 'x', quantity: '1e5' }], extra: 1 }), headers: json });
    expect(few.status).toBe(422);
    expect(few.body?.errors?.map((e) => e.pointer).sort()).toEqual(['/currency', '/extra', '/items/0/fob', '/items/0/quantity']);
    // Two million wrong items: with every error listed this took 19 s and 1.6 GB; now one error.
    const carrier = { ...json, 'x-api-key': 'demo-maersk-key' };
    const many = await raw('/api/v1/manifests', { body: `{"mode":"sea","documents":[${new Array(2_000_000).fill('0').join(',')}]}`, headers: carrier });
    expect(many.status).toBe(422);
    expect(many.body?.errors).toHaveLength(1);
  });

  it('takes JSON only, and no body where the route takes none', async () => {
    const calculator = JSON.stringify({ currency: 'USD', items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob: '1' }] });
    expect((await raw('/api/v1/calculator', { body: calculator, headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await raw('/api/v1/calculator', { body: calculator })).status).toBe(415);
    expect((await raw('/api/v1/calculator', { body: calculator, headers: { 'content-type': 'application/json; charset=utf-8' } })).status).toBe(200);
    const agent = { 'x-api-key': 'demo-siginon-key' };
    const register = await raw('/api/v1/declarations/00000000-0000-4000-8000-000000000000/register', { body: '{"status":"paid"}', headers: { ...agent, 'content-type': 'application/json' } });
    expect(register).toMatchObject({ status: 422, body: { errors: [{ pointer: '/', code: 'no_body_expected' }] } });
    // An empty object, or nothing at all, is no body: the route runs (and finds no such declaration).
    expect((await raw('/api/v1/declarations/00000000-0000-4000-8000-000000000000/register', { body: '{}', headers: { ...agent, 'content-type': 'application/json' } })).status).toBe(404);
    expect((await raw('/api/v1/declarations/00000000-0000-4000-8000-000000000000/register', { headers: agent })).status).toBe(404);
  });
});

describe('strict querystring numbers', () => {
  it('reads digits as numbers and refuses anything else a number could be spelled as', async () => {
    const ok = await raw('/api/v1/tariff/lines?q=8703&limit=2', { method: 'GET' });
    expect(ok.status).toBe(200);
    for (const limit of ['Infinity', '1e2', '%205', '0x10', '2.0', '-0', '']) {
      const res = await raw(`/api/v1/tariff/lines?q=8703&limit=${limit}`, { method: 'GET' });
      expect(res.status, limit).toBe(422);
      expect(res.body?.errors?.[0]?.pointer, limit).toBe('/querystring/limit');
    }
  });
});

describe('figures that must fit their columns', () => {
  it('refuses (422 on /invoiceAmount) goods that assess past what a declaration can record', async () => {
    const bl = blNumber('BIG');
    expectStatus(await server.key('demo-maersk-key').post('/api/v1/manifests', manifestBody('2026-06-17T08:00:00Z', [{ number: bl }])), 201);
    // A currency with no official rate, so the declared (absurd) rate is the one taken.
    const body = declarationBody(bl, { invoiceCurrency: 'NOK', invoiceAmount: '999999999999999.00', exchangeRate: '999999999.999999', freight: '1.00', insurance: '1.00' });
    body.items = [{ ...body.items[2]!, itemPrice: '999999999999999.00' }];
    const res = await server.key('demo-siginon-key').post('/api/v1/declarations', { ...body, lodge: true });
    expect(res.status).toBe(422);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ pointer: '/invoiceAmount', code: 'amount_out_of_range' }));
  });

  it("refuses (422 on /amount) a payment that would take a PRN's paid total past what it can record", async () => {
    const bl = blNumber('PAY');
    expectStatus(await server.key('demo-maersk-key').post('/api/v1/manifests', manifestBody('2026-06-17T08:00:00Z', [{ number: bl }])), 201);
    const agent = server.key('demo-siginon-key');
    const lodged = await agent.post('/api/v1/declarations', { ...declarationBody(bl), lodge: true });
    expectStatus(lodged, 201);
    const registered = await agent.post(`/api/v1/declarations/${lodged.body.id}/register`);
    expectStatus(registered, 200);
    const bank = server.key('demo-kcb-key');
    const pay = (n: number) => bank.post('/api/v1/payments', { prn: registered.body.payment.prn, amount: '999999999999999.99', bankReference: `HUGE-${n}`, paidAt: '2026-06-15T08:00:00Z' });
    // Ten of the largest payments fit (just under 10^16); the eleventh cannot be recorded.
    for (let n = 1; n <= 10; n++) {
      expect((await pay(n)).status, `payment ${n}`).toBe(201);
    }
    const eleventh = await pay(11);
    expect(eleventh.status).toBe(422);
    expect(eleventh.body.errors[0]).toMatchObject({ pointer: '/amount', code: 'amount_out_of_range' });
    const prn = await agent.get(`/api/v1/payment-references/${registered.body.payment.prn}`);
    expect(prn.body.status).toBe('paid');
  });

  it('cancels a draft (it answered 500: the reference check refused a cancelled draft)', async () => {
    const agent = server.key('demo-siginon-key');
    const draft = await agent.post('/api/v1/declarations', declarationBody(blNumber('DRAFT')));
    expectStatus(draft, 201);
    const cancelled = await agent.post(`/api/v1/declarations/${draft.body.id}/cancel`, { reason: 'entered twice' });
    expectStatus(cancelled, 200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', reference: null });
  });
});
