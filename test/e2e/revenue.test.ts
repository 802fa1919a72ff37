// Revenue right: hand-computed assessments of goods whose charges are specific, per unit of pure
// alcohol, scheduled by HS prefix (EIPL, fuel levies) or dated (fuel VAT), each through the public
// calculator and through a declaration lodged on a manifest, agreeing to the cent.
//
// Every case is declared in KES on CIF terms (no freight or insurance to add), by the importer
// itself, with the conveyance arriving the day the declaration is lodged, so the assessment date
// is the day named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server.ts';
import { blNumber, expectStatus, lodgeManifest, pins } from './cargo.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ clock: '2025-03-01T06:00:00Z' });
});

afterAll(async () => {
  await server?.close();
});

interface Goods {
  hsCode: string;
  description: string;
  quantity: string;
  unit?: string;
  alcoholPercent?: string;
  netMassKg: string;
  price: string;
}

type Lines = Record<string, string>;

/** Tax lines of the first item, code -> amount. */
const linesOf = (item: { taxes: { code: string; amount: string }[] }): Lines => Object.fromEntries(item.taxes.map((t) => [t.code, t.amount]));

async function viaCalculator(date: string, goods: Goods) {
  const res = await server.anonymous().post('/api/v1/calculator', {
    date,
    currency: 'KES',
    items: [
      {
        hsCode: goods.hsCode,
        fob: goods.price,
        freight: '0',
        insurance: '0',
        quantity: goods.quantity,
        ...(goods.unit ? { unit: goods.unit } : {}),
        ...(goods.alcoholPercent ? { alcoholPercent: goods.alcoholPercent } : {}),
        netMassKg: goods.netMassKg,
      },
    ],
  });
  expectStatus(res, 200);
  return res.body as { total: string; items: { taxes: { code: string; amount: string; method: string; specific?: { quantity: string; unit: string } }[] }[] };
}

async function viaDeclaration(date: string, goods: Goods, lineUnit: string) {
  server.clock.set(`${date}T06:00:00Z`);
  const bl = blNumber('REV');
  await lodgeManifest(server, `${date}T08:00:00Z`, [{ number: bl, packages: 10, grossMassKg: String(Number(goods.netMassKg) + 100) }]);
  const res = await (await server.relogin('nmotors.owner')).post('/api/v1/declarations', {
    cpc: '4000000',
    officeCode: 'MBA',
    importerPin: pins.nmotors,
    transportDocumentNumber: bl,
    invoiceCurrency: 'KES',
    invoiceAmount: goods.price,
    incoterm: 'CIF',
    documents: [{ code: 'N380', reference: `INV-${bl}` }],
    items: [
      {
        hsCode: goods.hsCode,
        description: goods.description,
        originCountry: 'GB',
        quantity: goods.quantity,
        unit: goods.unit ?? lineUnit,
        ...(goods.alcoholPercent ? { alcoholPercent: goods.alcoholPercent } : {}),
        netMassKg: goods.netMassKg,
        grossMassKg: String(Number(goods.netMassKg) + 100),
        packages: 10,
        itemPrice: goods.price,
      },
    ],
    lodge: true,
  });
  expectStatus(res, 201);
  const body = res.body as { assessment: { date: string; total: string; items: { taxes: { code: string; amount: string }[] }[] } };
  expect(body.assessment.date).toBe(date);
  return body.assessment;
}

async function bothWays(date: string, goods: Goods, lineUnit: string, expected: Lines, total: string) {
  const calc = await viaCalculator(date, goods);
  const declared = await viaDeclaration(date, goods, lineUnit);
  expect(linesOf(calc.items[0]!)).toEqual(expected);
  expect(calc.total).toBe(total);
  expect(linesOf(declared.items[0]!)).toEqual(expected);
  expect(declared.total).toBe(total);
  return calc;
}

describe('specific charges in the unit the tariff sets them', () => {
  // 2402.20.10 from 27 Dec 2024: duty 35%, excise KES 4,100 per mille. 500 mille at KES 1,000,000:
  // ID 350,000; EXD 500 x 4,100 = 2,050,000; IDF 2.5% 25,000; RDL 2% 20,000;
  // VAT 16% of (1,000,000 + 350,000 + 2,050,000) = 544,000; total 2,989,000.
  const cigarettes = { ID: '350000.00', EXD: '2050000.00', IDF: '25000.00', RDL: '20000.00', VAT: '544000.00' };

  it('charges cigarettes declared in mille per mille, not a thousandth of it', async () => {
    const calc = await bothWays('2025-03-01', { hsCode: '2402.20.10', description: 'Filter cigarettes', quantity: '500', netMassKg: '400', price: '1000000.00' }, 'MIL', cigarettes, '2989000.00');
    expect(calc.items[0]!.taxes.find((t) => t.code === 'EXD')).toMatchObject({ method: 'specific', specific: { quantity: '500', unit: 'MIL' } });
  });

  it('converts cigarettes counted in sticks to mille', async () => {
    await bothWays('2025-03-02', { hsCode: '2402.20.10', description: 'Filter cigarettes, counted in sticks', quantity: '500000', unit: 'NAR', netMassKg: '400', price: '1000000.00' }, 'MIL', cigarettes, '2989000.00');
  });

  it('charges whisky per centilitre of pure alcohol from its litres and strength', async () => {
    // 2208.30.00 from 27 Dec 2024: duty 35%, excise KES 10 per cl of pure alcohol. 1,200 l at 40% vol
    // = 480 l = 48,000 cl of pure alcohol: EXD 480,000. ID 840,000; IDF 60,000; RDL 48,000;
    // VAT 16% of 3,720,000 = 595,200; total 2,023,200.
    await bothWays(
      '2025-03-03',
      { hsCode: '2208.30.00', description: 'Scotch whisky 40% vol', quantity: '1200', alcoholPercent: '40', netMassKg: '1300', price: '2400000.00' },
      'LTR',
      { ID: '840000.00', EXD: '480000.00', IDF: '60000.00', RDL: '48000.00', VAT: '595200.00' },
      '2023200.00',
    );
  });

  it('charges beer declared in hectolitres per centilitre of pure alcohol', async () => {
    // 2203.00.10: excise KES 22.50 per cl of pure alcohol. 50 hl = 5,000 l at 5% = 250 l = 25,000 cl:
    // EXD 562,500. ID 35% 350,000; IDF 25,000; RDL 20,000; VAT 16% of 1,912,500 = 306,000; total 1,263,500.
    await bothWays(
      '2025-03-04',
      { hsCode: '2203.00.10', description: 'Stout 5% vol', quantity: '50', unit: 'HLT', alcoholPercent: '5', netMassKg: '5200', price: '1000000.00' },
      'LTR',
      { ID: '350000.00', EXD: '562500.00', IDF: '25000.00', RDL: '20000.00', VAT: '306000.00' },
      '1263500.00',
    );
  });
});

describe('charges scheduled by HS prefix and date', () => {
  it('levies the export and investment promotion levy on clinker, outside the VAT base', async () => {
    // 2523.10.00: duty 10%; EIPL 17.5% (Finance Act 2023, sample figure). 1,000 t at KES 5,000,000:
    // ID 500,000; EIPL 875,000; IDF 125,000; RDL 100,000; VAT 16% of 5,500,000 = 880,000; total 2,480,000.
    await bothWays(
      '2025-03-05',
      { hsCode: '2523.10.00', description: 'Cement clinker', quantity: '1000', netMassKg: '1000000', price: '5000000.00' },
      'TNE',
      { ID: '500000.00', EIPL: '875000.00', IDF: '125000.00', RDL: '100000.00', VAT: '880000.00' },
      '2480000.00',
    );
  });

  // 2710.12.10, 100,000 l at KES 8,000,000: ID 0; EXD 100,000 x 21.95302 = 2,195,302; road maintenance
  // levy KES 18/l = 1,800,000; petroleum development levy KES 5.40/l = 540,000. VAT base = CV + ID + EXD
  // = 10,195,302 (the levies per litre do not join it).
  const petrol = { hsCode: '2710.12.10', description: 'Motor spirit regular', quantity: '100000', netMassKg: '74000', price: '8000000.00' };

  it('charges fuel VAT at 8% until 30 June 2023', async () => {
    // IDF 3.5% 280,000; RDL 2% 160,000; VAT 8% of 10,195,302 = 815,624.16; total 5,790,926.16.
    const calc = await bothWays('2023-06-30', petrol, 'LTR', { ID: '0.00', EXD: '2195302.00', RML: '1800000.00', PDL: '540000.00', IDF: '280000.00', RDL: '160000.00', VAT: '815624.16' }, '5790926.16');
    expect(calc.items[0]!.taxes.find((t) => t.code === 'VAT')?.method).toBe('reduced-rate');
  });

  it('charges fuel VAT at 16% from 1 July 2023', async () => {
    // IDF 2.5% 200,000; RDL 1.5% 120,000; VAT 16% of 10,195,302 = 1,631,248.32; total 6,486,550.32.
    await bothWays('2023-07-01', petrol, 'LTR', { ID: '0.00', EXD: '2195302.00', RML: '1800000.00', PDL: '540000.00', IDF: '200000.00', RDL: '120000.00', VAT: '1631248.32' }, '6486550.32');
  });
});

describe('quantities that cannot be converted', () => {
  it('refuses a declared unit of another kind than the line, naming the item', async () => {
    const res = await server.anonymous().post('/api/v1/calculator', {
      date: '2025-03-01',
      currency: 'KES',
      items: [{ hsCode: '2208.30.00', fob: '1000', quantity: '10', unit: 'KGM', alcoholPercent: '40' }],
    });
    expectStatus(res, 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/items/0/unit', code: 'unit_not_convertible' })]));
  });

  it('asks for the strength of a spirit charged per litre of pure alcohol', async () => {
    const res = await server.anonymous().post('/api/v1/calculator', { date: '2025-03-01', currency: 'KES', items: [{ hsCode: '2208.30.00', fob: '1000', quantity: '10' }] });
    expectStatus(res, 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/items/0/alcoholPercent', code: 'required' })]));
  });
});
