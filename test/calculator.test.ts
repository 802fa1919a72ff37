// The public duty calculator over real HTTP, on the shipped sample tariff, rates and settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { fixedClock } from '../src/platform/clock.ts';
import { testDatabase, type TestDatabase } from './db.ts';

let database: TestDatabase;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  database = await testDatabase();
  app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', CALCULATOR_RATE_LIMIT: '1000' }), database, clock: fixedClock('2026-06-15T08:00:00Z'), logger: false });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await database.close();
});

async function calc(body: unknown) {
  const res = await fetch(`${url}/api/v1/calculator`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
}

const tax = (body: any, code: string, item = 0) => body.items[item].taxes.find((t: any) => t.code === code);

describe('cars: the 87.03 line and excise band are picked from fuel and engine size', () => {
  const cases: [string, number, string, string][] = [
    ['petrol', 1000, '8703.21.90', '20'],
    ['petrol', 1500, '8703.22.90', '20'],
    ['petrol', 1501, '8703.23.90', '25'],
    ['petrol', 3000, '8703.23.90', '25'],
    ['petrol', 3001, '8703.24.90', '35'],
    ['diesel', 1500, '8703.31.90', '20'],
    ['diesel', 1501, '8703.32.90', '25'],
    ['diesel', 2500, '8703.32.90', '25'],
    ['diesel', 2501, '8703.33.90', '35'],
    ['hybrid', 1800, '8703.40.20', '25'],
    ['electric', 0, '8703.80.00', '10'],
  ];
  it.each(cases)('%s %i cc -> %s with excise %s', async (fuel, engineCc, hsCode, excise) => {
    const { status, body } = await calc({ date: '2025-03-01', currency: 'USD', exchangeRate: '129.50', items: [{ vehicle: { fuel, engineCc }, originCountry: 'JP', fob: '10000' }] });
    expect(status).toBe(200);
    expect(body.items[0].hsCode).toBe(hsCode);
    expect(tax(body, 'EXD').rate).toBe(excise);
    expect(tax(body, 'ID').rate).toBe(fuel === 'electric' ? '25' : '35');
  });

  it('computes a whole car assessment line by line', async () => {
    const { body } = await calc({ date: '2025-03-01', currency: 'USD', exchangeRate: '129.50', items: [{ vehicle: { fuel: 'petrol', engineCc: 1800 }, originCountry: 'JP', fob: '8000', freight: '1200' }] });
    // CIF = 8000 + 1200 + 1% of 9200 = 9292 USD -> 1,203,314.00 KES
    expect(body.items[0].customsValue).toBe('1203314.00');
    expect(tax(body, 'ID')).toMatchObject({ base: '1203314.00', rate: '35', amount: '421159.90' });
    expect(tax(body, 'EXD')).toMatchObject({ base: '1624473.90', rate: '25', amount: '406118.48' });
    expect(tax(body, 'VAT')).toMatchObject({ base: '2030592.38', rate: '16', amount: '324894.78' });
    expect(tax(body, 'IDF')).toMatchObject({ rate: '2.5', amount: '30082.85' });
    expect(tax(body, 'RDL')).toMatchObject({ rate: '2', amount: '24066.28' });
    expect(body.total).toBe('1206322.29');
    expect(body.totals).toEqual({ ID: '421159.90', EXD: '406118.48', VAT: '324894.78', IDF: '30082.85', RDL: '24066.28' });
    expect(body.rulesUsed.map((r: any) => r.key)).toEqual(expect.arrayContaining(['8703.23.90', 'IDF all lines', 'RDL all lines', 'VAT all lines', 'ID', 'EXD', 'VAT']));
  });

  it('values a used car from the CRSP schedule less depreciation, showing the method', async () => {
    const vehicle = { fuel: 'petrol', engineCc: 1986, make: 'Toyota', model: 'Harrier', drive: '2WD', firstRegistration: '2021-03' };
    const { status, body } = await calc({ date: '2025-09-01', currency: 'KES', items: [{ vehicle }] });
    expect(status).toBe(200);
    // 54 months old: 50%; KES 5,600,000 x 50% = 2,800,000
    expect(body.items[0].valuation).toMatchObject({ method: 'retail-less-all-taxes', vehicle: { ageMonths: 54, crsp: '5600000.00', depreciationPercent: '50', depreciatedPrice: '2800000.00' } });
  });
});

describe('dates: the levies in force on the date asked', () => {
  const item = { hsCode: '8471.30.00', originCountry: 'CN', fob: '1000', insurance: '0' };
  it.each([
    ['2020-01-15', '3.5', '2', '16'],
    ['2024-06-01', '2.5', '1.5', '16'],
    ['2025-03-01', '2.5', '2', '16'],
  ])('%s: IDF %s, RDL %s, VAT %s (percent)', async (date, idf, rdl, vat) => {
    const { status, body } = await calc({ date, currency: 'USD', exchangeRate: '100', items: [item] });
    expect(status).toBe(200);
    expect([tax(body, 'IDF').rate, tax(body, 'RDL').rate, tax(body, 'VAT').rate]).toEqual([idf, rdl, vat]);
  });

  it('uses the exchange rate in force on the date when none is given', async () => {
    const { body } = await calc({ date: '2025-03-01', currency: 'USD', items: [item] });
    expect(body.exchangeRate).toMatchObject({ source: 'tariff', validFrom: '2025-03-01' });
    expect(body.items[0].customsValue).toBe(`${(Number(body.exchangeRate.rate) * 1000).toFixed(2)}`);
  });

  it('applies the 35% band only from 1 July 2022 (25% before)', async () => {
    const before = await calc({ date: '2022-06-30', currency: 'KES', items: [{ vehicle: { fuel: 'petrol', engineCc: 1800 }, fob: '1000000' }] });
    const after = await calc({ date: '2022-07-01', currency: 'KES', items: [{ vehicle: { fuel: 'petrol', engineCc: 1800 }, fob: '1000000' }] });
    expect(tax(before.body, 'ID').rate).toBe('25');
    expect(tax(after.body, 'ID').rate).toBe('35');
  });
});

describe('the tax heads in force are public', () => {
  const charges = async (date: string) => (await (await fetch(`${url}/api/v1/tariff/charges?date=${date}`)).json()) as any;

  it('lists each charge type and its scheduled rates on the date asked', async () => {
    const before = await charges('2023-06-30');
    const after = await charges('2023-07-01');
    const petrolVat = (c: any) => c.chargeRates.find((r: any) => r.charge === 'VAT' && r.hsPrefix === '27101210');
    expect(petrolVat(before)).toMatchObject({ rate: '8', treatment: 'reduced', validTo: '2023-06-30' });
    expect(petrolVat(after)).toBeUndefined();
    expect(before.chargeTypes.map((t: any) => t.code)).not.toContain('EIPL');
    expect(after.chargeTypes.find((t: any) => t.code === 'EIPL')).toMatchObject({ base: 'customs_value', joinsVatBase: false, rateSource: 'schedule' });
    expect(after.chargeTypes.find((t: any) => t.code === 'EXD')).toMatchObject({ base: 'value_plus', plus: ['ID'] });
  });
});

describe('origin and procedure', () => {
  it('waives duty for EAC goods with proof of origin', async () => {
    const { body } = await calc({ date: '2025-03-01', currency: 'KES', documents: [{ code: 'CEAC', reference: 'UG-2025-0001' }], items: [{ hsCode: '1701.99.90', originCountry: 'UG', preferentialOrigin: true, fob: '100000', netMassKg: '1000' }] });
    expect(tax(body, 'ID')).toMatchObject({ amount: '0.00', method: 'preference: EAC-CU' });
  });
  it('charges 1.5% IDF and RDL under the approved-manufacturer procedure code', async () => {
    const { body } = await calc({ date: '2025-03-01', currency: 'KES', cpc: '4000430', items: [{ hsCode: '3901.10.00', originCountry: 'SA', fob: '100000', insurance: '0' }] });
    expect([tax(body, 'IDF').amount, tax(body, 'RDL').amount]).toEqual(['1500.00', '1500.00']);
  });
});

describe('errors name the field and what is allowed', () => {
  it('unknown HS code', async () => {
    const r = await calc({ date: '2025-03-01', currency: 'USD', exchangeRate: '130', items: [{ hsCode: '0101.99.99', fob: '1' }] });
    expect(r.status).toBe(422);
    expect(r.type).toContain('application/problem+json');
    expect(r.body.errors).toEqual([expect.objectContaining({ pointer: '/items/0/hsCode', code: 'unknown_hs_code' })]);
  });
  it('a code not in force on the date', async () => {
    const r = await calc({ date: '2010-01-01', currency: 'KES', items: [{ hsCode: '8471.30.00', fob: '1' }] });
    expect(r.status).toBe(422);
    expect(r.body.errors.find((e: any) => e.pointer === '/items/0/hsCode')).toMatchObject({ code: 'not_in_force' });
    expect(r.body.errors.find((e: any) => e.pointer === '/items/0/hsCode').message).toMatch(/in force 2017-01-01 to open/);
  });
  it('an unknown currency', async () => {
    const r = await calc({ date: '2025-03-01', currency: 'ABC', items: [{ hsCode: '8471.30.00', fob: '1' }] });
    expect(r.status).toBe(422);
    expect(r.body.errors[0]).toMatchObject({ pointer: '/currency', code: 'unknown_currency' });
  });
  it('a rate missing for the date', async () => {
    const r = await calc({ date: '2018-06-01', currency: 'USD', items: [{ hsCode: '8471.30.00', fob: '1' }] });
    expect(r.status).toBe(422);
    expect(r.body.errors[0]).toMatchObject({ pointer: '/exchangeRate', code: 'exchange_rate_missing' });
    expect(r.body.errors[0].message).toMatch(/give exchangeRate/);
  });
  it('malformed fields, all at once', async () => {
    const r = await calc({ date: '2025-02-30', currency: 'USD', items: [{ hsCode: '8471.30.00', fob: 'lots' }], extra: 1 });
    expect(r.status).toBe(422);
    const pointers = r.body.errors.map((e: any) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/items/0/fob', '/extra']));
  });
  it('a specific duty without the quantity it needs', async () => {
    const r = await calc({ date: '2025-03-01', currency: 'KES', items: [{ hsCode: '2402.20.10', fob: '1000' }] });
    expect(r.status).toBe(422);
    expect(r.body.errors[0]).toMatchObject({ pointer: '/items/0/quantity', code: 'required' });
  });
  it('an alcoholic strength above 100% vol', async () => {
    const r = await calc({ date: '2025-03-01', currency: 'KES', items: [{ hsCode: '2208.30.00', fob: '1000', quantity: '10', alcoholPercent: '400' }] });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([expect.objectContaining({ pointer: '/items/0/alcoholPercent', code: 'out_of_range' })]);
  });
});

describe('the service around it', () => {
  it('serves health, OpenAPI and docs', async () => {
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', database: { ok: true } });
    const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as any;
    expect(openapi.paths['/api/v1/calculator']).toBeDefined();
    expect((await fetch(`${url}/docs/`)).status).toBe(200);
  });
  it('gives every response a request id, echoing the caller’s', async () => {
    const res = await fetch(`${url}/health`, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });
});

describe('rate limit', () => {
  it('answers 429 with a problem once a client exceeds its calls per minute', async () => {
    const limited = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', CALCULATOR_RATE_LIMIT: '3' }), database, logger: false });
    const base = await limited.listen({ port: 0, host: '127.0.0.1' });
    try {
      const body = JSON.stringify({ date: '2025-03-01', currency: 'KES', items: [{ hsCode: '8471.30.00', fob: '100' }] });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${base}/api/v1/calculator`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          expect(res.headers.get('retry-after')).toBeTruthy();
        }
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
