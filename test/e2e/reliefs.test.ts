// Reliefs by procedure code and exemption letters, hand-computed to the cent, each through the
// public calculator and through a lodged declaration (they must agree). Rates on 2026-06-15:
// VAT 16%, IDF 2.5%, RDL 2%; every item is CIF, at the official KES 129.2 per USD of that day.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, Res } from '../server.ts';
import { importReliefs } from '../../src/modules/relief/index.ts';
import { blNumber, expectStatus, lodgeManifest, pins, startJourney, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
let officer: Client;
let calculator: Client;
const bls = Array.from({ length: 16 }, (_, i) => blNumber(`RL${i}`));
let nextBl = 0;

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', bls.map((number) => ({ number, grossMassKg: '30000' })));
  agent = await journey.server.as('siginon.agent');
  officer = await journey.server.as('kra.officer');
  calculator = journey.server.anonymous();
});

afterAll(async () => {
  await journey.close();
});

interface Goods {
  hsCode: string;
  description: string;
  usd: string;
  quantity: string;
  unit: string;
  netMassKg: string;
  /** Goods on a motor car line (87.03) declare the vehicle. */
  vehicle?: { fuel: string; engineCc: number };
}

const tshirts: Goods = { hsCode: '6109.10.00', description: 'T-shirts of cotton', usd: '1000.00', quantity: '500', unit: 'NAR', netMassKg: '100' };
const phones: Goods = { hsCode: '8517.13.00', description: 'Smartphones', usd: '1000.00', quantity: '10', unit: 'NAR', netMassKg: '3' };
const car: Goods = { hsCode: '8703.23.90', description: 'Adapted saloon car, petrol 1800 cc, new', usd: '10000.00', quantity: '1', unit: 'NAR', netMassKg: '1300', vehicle: { fuel: 'petrol', engineCc: 1800 } };
const sugar: Goods = { hsCode: '1701.13.00', description: 'Raw cane sugar for industrial use', usd: '10000.00', quantity: '20000', unit: 'KGM', netMassKg: '20000' };

type Doc = { code: string; reference: string };

function calculate(cpc: string, goods: Goods[], documents: Doc[]) {
  return calculator.post('/api/v1/calculator', {
    date: '2026-06-15',
    currency: 'USD',
    exchangeRate: '129.2',
    cpc,
    documents,
    items: goods.map((g) => ({ hsCode: g.hsCode, fob: g.usd, freight: '0', insurance: '0', quantity: g.quantity, netMassKg: g.netMassKg, ...(g.vehicle ? { vehicle: g.vehicle } : {}) })),
  });
}

function lodge(cpc: string, goods: Goods[], documents: Doc[], importerPin: string = pins.nmotors) {
  const bl = bls[nextBl++] as string;
  const total = goods.reduce((s, g) => s + Number(g.usd), 0).toFixed(2);
  return agent.post('/api/v1/declarations', {
    cpc,
    officeCode: 'MBA',
    importerPin,
    transportDocumentNumber: bl,
    invoiceCurrency: 'USD',
    invoiceAmount: total,
    exchangeRate: '129.2',
    incoterm: 'CIF',
    documents: [{ code: 'N380', reference: `INV-${bl}` }, { code: 'N705', reference: bl }, ...documents],
    items: goods.map((g) => ({
      hsCode: g.hsCode,
      description: g.description,
      originCountry: 'CN',
      quantity: g.quantity,
      unit: g.unit,
      netMassKg: g.netMassKg,
      ...(g.vehicle ? { vehicle: g.vehicle } : {}),
      grossMassKg: String(Number(g.netMassKg) + 10),
      packages: 1,
      itemPrice: g.usd,
    })),
    lodge: true,
  });
}

type Figures = Record<string, string>;
const taxesOf = (item: { taxes: { code: string; amount: string }[] }): Figures => Object.fromEntries(item.taxes.map((t) => [t.code, t.amount]));

/** The calculator and the lodged declaration agree with the hand-computed figures. */
async function expectBoth(cpc: string, goods: Goods[], documents: Doc[], expected: { items: Figures[]; total: string; method?: string }) {
  const calc = await calculate(cpc, goods, documents);
  expectStatus(calc, 200);
  const res = await lodge(cpc, goods, documents);
  expectStatus(res, 201);
  const assessment = res.body.assessment;
  for (const [source, a] of [['calculator', calc.body], ['declaration', assessment]] as const) {
    expect(a.items.map(taxesOf), source).toEqual(expected.items);
    expect(a.total, source).toBe(expected.total);
    expect(a.rulesUsed.some((r: { kind: string }) => r.kind === 'relief'), source).toBe(true);
    if (expected.method) {
      expect(a.items[0].taxes.find((t: { code: string }) => t.code === 'ID').method, source).toBe(expected.method);
    }
  }
  return { calc: calc.body, declaration: res.body };
}

async function registerLetter(body: Record<string, unknown>): Promise<{ id: string; number: string; balance: string }> {
  const res = await officer.post('/api/v1/exemption-letters', body);
  expectStatus(res, 201);
  return res.body;
}

async function balanceOf(id: string): Promise<string> {
  const res = await officer.get(`/api/v1/exemption-letters/${id}`);
  expectStatus(res, 200);
  return res.body.balance;
}

function expectError(res: Res, pointer: string, code: string): string {
  expectStatus(res, 422);
  const found = (res.body.errors as { pointer: string; code: string; message: string }[]).find((e) => e.pointer === pointer && e.code === code);
  expect(found, JSON.stringify(res.body.errors)).toBeDefined();
  return (found as { message: string }).message;
}

describe('reliefs by procedure code', () => {
  it('diplomatic privileges (4000411 with a diplomatic note): every charge relieved', async () => {
    // T-shirts and phones, KES 129,200.00 each: duty 35%, excise 10% (phones), VAT, IDF and RDL all nil.
    await expectBoth('4000411', [tshirts, phones], [{ code: 'DIPN', reference: 'MFA/PRIV/2026/311' }], {
      items: [
        { ID: '0.00', VAT: '0.00', IDF: '0.00', RDL: '0.00' },
        { ID: '0.00', EXD: '0.00', VAT: '0.00', IDF: '0.00', RDL: '0.00' },
      ],
      total: '0.00',
      method: 'relief: diplomatic-privileges',
    });
  });

  it('returning resident (4000414 with evidence of residence): duty, excise and VAT relieved, levies due', async () => {
    // CV 129,200.00: ID 0; VAT 0; IDF 2.5% = 3,230.00; RDL 2% = 2,584.00; total 5,814.00.
    await expectBoth('4000414', [tshirts], [{ code: 'RRES', reference: 'PP-AK1234567' }], {
      items: [{ ID: '0.00', VAT: '0.00', IDF: '3230.00', RDL: '2584.00' }],
      total: '5814.00',
      method: 'relief: returning-resident',
    });
  });

  it('person with disability (4000415 with the NCPD recommendation): duty and excise on the vehicle relieved', async () => {
    // CV 1,292,000.00: ID 35% relieved; EXD 25% on CV + 0 relieved; VAT 16% of 1,292,000.00 =
    // 206,720.00; IDF 32,300.00; RDL 25,840.00; total 264,860.00.
    await expectBoth('4000415', [car], [{ code: 'NCPD', reference: 'NCPWD/REC/2026/88' }], {
      items: [{ ID: '0.00', EXD: '0.00', VAT: '206720.00', IDF: '32300.00', RDL: '25840.00' }],
      total: '264860.00',
      method: 'relief: disability-vehicle',
    });
  });

  it('refuses a relief whose required document is missing, in the calculator and at lodgement', async () => {
    const calc = await calculate('4000411', [tshirts], []);
    expect(expectError(calc, '/documents', 'document_required')).toMatch(/DIPN/);
    const res = await lodge('4000411', [tshirts], []);
    expect(expectError(res, '/documents', 'document_required')).toMatch(/DIPN/);
  });

  it('a relief to a rate (loaded from JSON): RDL at 1% on CPC 4051000; a bad file loads nothing and names its lines', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliefs-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify([{ cpc: '4051000', charge: 'RDL', kind: 'rate', rate: '1', name: 'ok-row', valid_from: '2026-01-01' }, { cpc: '9999999', charge: 'RDL', kind: 'half', name: 'Bad Name', valid_from: '2026-13-01' }]));
    const refused = await importReliefs(journey.server.database.db, bad, { importedBy: 'test' });
    expect(refused.ok).toBe(false);
    expect(refused.errors.map((e) => `${e.line} ${e.field}`)).toEqual(['2 cpc', '2 kind', '2 name', '2 valid_from']);
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, JSON.stringify({ reliefs: [{ cpc: '4051000', charge: 'RDL', kind: 'rate', rate: '1', name: 'test-reduced-levy', valid_from: '2026-01-01' }] }));
    const loaded = await importReliefs(journey.server.database.db, good, { importedBy: 'test' });
    expect(loaded).toMatchObject({ ok: true, loaded: 1 });
    // CV 129,200.00: ID 35% = 45,220.00; VAT 16% of 174,420.00 = 27,907.20; IDF 3,230.00;
    // RDL 1% = 1,292.00 (not 2,584.00); total 77,649.20.
    const calc = await calculate('4051000', [tshirts], []);
    expectStatus(calc, 200);
    expect(taxesOf(calc.body.items[0])).toEqual({ ID: '45220.00', VAT: '27907.20', IDF: '3230.00', RDL: '1292.00' });
    expect(calc.body.total).toBe('77649.20');
    expect(calc.body.items[0].taxes.find((t: { code: string }) => t.code === 'RDL')).toMatchObject({ rate: '1', method: 'relief-rate: test-reduced-levy' });
  });
});

describe('exemption letters', () => {
  it('NGO relief with a Treasury exemption letter: drawn by value, exhausted, given back on cancellation', async () => {
    const letter = await registerLetter({
      number: 'TNT/EXM/2026/0142',
      holderPin: pins.nmotors,
      holderName: 'Nairobi Motors relief project',
      procedureCodes: ['4000412'],
      charges: ['ID', 'VAT'],
      cover: 'value',
      limit: '200000.00',
      validFrom: '2026-01-01',
      validTo: '2026-12-31',
    });
    const documents = [{ code: 'EXL', reference: letter.number }];
    // CV 129,200.00: ID and VAT relieved; IDF 3,230.00; RDL 2,584.00; total 5,814.00.
    const first = await expectBoth('4000412', [tshirts], documents, { items: [{ ID: '0.00', VAT: '0.00', IDF: '3230.00', RDL: '2584.00' }], total: '5814.00', method: 'relief: ngo-relief' });
    expect(first.calc.warnings.join(' ')).toMatch(/checked at lodgement/);
    expect(first.declaration.assessment.rulesUsed).toContainEqual(expect.objectContaining({ kind: 'exemption-letter', key: letter.number }));
    expect(await balanceOf(letter.id)).toBe('70800.00');

    // A second declaration needs 129,200.00 of the 70,800.00 left: refused, nothing drawn.
    const second = await lodge('4000412', [tshirts], documents);
    expect(expectError(second, '/documents', 'exemption_exhausted')).toMatch(/KES 70800\.00 left/);
    expect(await balanceOf(letter.id)).toBe('70800.00');

    // Cancelling the first gives its 129,200.00 back; the second then gets it.
    expectStatus(await agent.post(`/api/v1/declarations/${first.declaration.id}/cancel`, { reason: 'goods not shipped' }), 200);
    expect(await balanceOf(letter.id)).toBe('200000.00');
    const retry = await lodge('4000412', [tshirts], documents);
    expectStatus(retry, 201);
    expect(retry.body.assessment.total).toBe('5814.00');
    expect(await balanceOf(letter.id)).toBe('70800.00');
  });

  it('two declarations racing for the last of a letter: exactly one gets it', async () => {
    const letter = await registerLetter({ number: 'TNT/EXM/2026/0500', holderPin: pins.nmotors, procedureCodes: ['4000412'], charges: ['ID', 'VAT'], cover: 'value', limit: '150000', validFrom: '2026-01-01' });
    const documents = [{ code: 'EXL', reference: letter.number }];
    const results = await Promise.all([lodge('4000412', [tshirts], documents), lodge('4000412', [tshirts], documents)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
    expectError(results.find((r) => r.status === 422) as Res, '/documents', 'exemption_exhausted');
    // 150,000.00 less the winner's 129,200.00.
    expect(await balanceOf(letter.id)).toBe('20800.00');
  });

  it('duty remission (4000440 with a remission letter): duty relieved on raw sugar, drawn by quantity', async () => {
    const letter = await registerLetter({
      number: 'DRS/2026/KE/0077',
      documentCode: 'DRL',
      holderPin: pins.nmotors,
      procedureCodes: ['4000440'],
      charges: ['ID'],
      cover: 'quantity',
      limit: '50000',
      unit: 'KGM',
      hsPrefix: '1701',
      validFrom: '2026-01-01',
    });
    // CV 1,292,000.00: ID 100% relieved; EXD KES 7.50/kg x 20,000 kg = 150,000.00; VAT 16% of
    // 1,442,000.00 = 230,720.00; IDF 32,300.00; RDL 25,840.00; total 438,860.00.
    await expectBoth('4000440', [sugar], [{ code: 'DRL', reference: letter.number }], {
      items: [{ ID: '0.00', EXD: '150000.00', VAT: '230720.00', IDF: '32300.00', RDL: '25840.00' }],
      total: '438860.00',
      method: 'relief: duty-remission',
    });
    expect(await balanceOf(letter.id)).toBe('30000.000');
  });

  it("refuses a letter held by another importer, and a letter only customs may register", async () => {
    const letter = await registerLetter({ number: 'TNT/EXM/2026/0999', holderPin: pins.mtraders, procedureCodes: ['4000412'], charges: ['ID', 'VAT'], cover: 'value', limit: '1000000', validFrom: '2026-01-01' });
    const res = await lodge('4000412', [tshirts], [{ code: 'EXL', reference: letter.number }]);
    expectError(res, '/documents/2/reference', 'exemption_letter_holder');
    const byAgent = await agent.post('/api/v1/exemption-letters', { number: 'FAKE/1', holderPin: pins.nmotors, procedureCodes: ['4000412'], charges: ['ID'], cover: 'value', limit: '1', validFrom: '2026-01-01' });
    expect(byAgent.status).toBe(403);
    const bad = await officer.post('/api/v1/exemption-letters', { number: 'TNT/EXM/2026/1000', holderPin: pins.nmotors, procedureCodes: ['4000412'], charges: ['ID'], cover: 'quantity', limit: '0', validFrom: '2026-01-01' });
    expectError(bad, '/unit', 'required');
    expectError(bad, '/limit', 'invalid_limit');
  });
});
