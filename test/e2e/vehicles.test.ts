// Used vehicles over real HTTP: valued from the CRSP schedule in force (never a price the
// declarant types), age in months, the 87.03 line checked against fuel and engine size, the age
// limit refused except for returning residents, and a vehicle the list lacks sent to an officer.
// Figures are worked by hand below and agree to the cent between the calculator and a declaration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../server.ts';
import { blNumber, declarationBody, expectStatus, lodgeManifest, startJourney, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
let officer: Client;
let anonymous: Client;
const bls: Record<string, string> = {};
const date = '2026-06-15';

beforeAll(async () => {
  // 08:00 in Nairobi; the vessel is expected at 14:00 the same day: rates of 2026-06-15 apply.
  journey = await startJourney('2026-06-15T05:00:00Z');
  agent = await journey.server.as('siginon.agent');
  officer = await journey.server.as('kra.officer');
  anonymous = journey.server.anonymous();
  for (const tag of ['used', 'old', 'resident', 'nolist', 'wrongline']) {
    bls[tag] = blNumber('V');
  }
  await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', Object.values(bls).map((number) => ({ number, packages: 1, grossMassKg: '1450' })));
  journey.server.clock.set('2026-06-15T05:10:00Z');
});

afterAll(async () => {
  await journey.close();
});

const harrier = { fuel: 'petrol', engineCc: 1986, make: 'Toyota', model: 'Harrier', body: 'SUV', drive: '2WD' };
const calc = (body: Record<string, unknown>) => anonymous.post('/api/v1/calculator', { date, currency: 'USD', exchangeRate: '129.50', ...body });
const carItem = (hsCode: string, vehicle: Record<string, unknown>) => ({
  hsCode,
  description: 'Used Toyota Harrier 2.0 petrol SUV',
  originCountry: 'JP',
  quantity: '1',
  unit: 'NAR',
  netMassKg: '1400',
  grossMassKg: '1450',
  packages: 1,
  itemPrice: '8000.00',
  vehicle,
});
const declare = (tag: string, hsCode: string, vehicle: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  agent.post('/api/v1/declarations', { ...declarationBody(bls[tag] as string, { invoiceAmount: '8000.00', freight: '1100.00', insurance: '90.00', items: [carItem(hsCode, vehicle)], ...over }), lodge: true });
const tax = (item: any, code: string) => item.taxes.find((t: any) => t.code === code)?.amount;

// First registered September 2021: 57 months on 2026-06-15, the band up to 60 months: 50%.
// CRSP TOYOTA HARRIER SUV 1986 cc petrol 2WD: KES 5,600,000 x 50% = 2,800,000.00
// retail-less-all-taxes, 8703.23.90 (ID 35%, EXD 25%, VAT 16%, IDF 2.5%, RDL 2%):
//   divisor 1.35 x 1.25 x 1.16 + 0.025 + 0.02 = 2.0025; CV = 2,800,000 / 2.0025 = 1,398,252.18
//   ID  35% of 1,398,252.18                       = 489,388.26
//   EXD 25% of 1,887,640.44 (CV + ID)             = 471,910.11
//   VAT 16% of 2,359,550.55 (CV + ID + EXD)       = 377,528.09
//   IDF 2.5% of CV = 34,956.30; RDL 2% of CV      =  27,965.04
//   total                                         = 1,401,747.80
const expected = { customsValue: '1398252.18', ID: '489388.26', EXD: '471910.11', VAT: '377528.09', IDF: '34956.30', RDL: '27965.04', total: '1401747.80' };
const used = { ...harrier, firstRegistration: '2021-09' };

describe('a used car valued from the CRSP schedule', () => {
  it('through the calculator, to the cent', async () => {
    const res = await calc({ items: [{ hsCode: '8703.23.90', originCountry: 'JP', vehicle: used }] });
    expectStatus(res, 200);
    const item = res.body.items[0];
    expect(item.valuation).toMatchObject({
      method: 'retail-less-all-taxes',
      vehicle: { firstRegistration: '2021-09', ageMonths: 57, crsp: '5600000.00', crspVariant: 'TOYOTA HARRIER SUV 1986 cc petrol 2WD', depreciationPercent: '50', depreciatedPrice: '2800000.00', retailMarginPercent: '0', divisor: '2.0025' },
    });
    expect(item.customsValue).toBe(expected.customsValue);
    expect(['ID', 'EXD', 'VAT', 'IDF', 'RDL'].map((c) => tax(item, c))).toEqual([expected.ID, expected.EXD, expected.VAT, expected.IDF, expected.RDL]);
    expect(res.body.total).toBe(expected.total);
    expect(res.body.rulesUsed.map((r: any) => r.kind)).toContain('crsp');
    expect(res.body.rulesUsed.map((r: any) => r.key)).toEqual(expect.arrayContaining(['valuation.vehicle_depreciation', 'valuation.used_vehicle_method', 'valuation.used_vehicle_factors']));
  });

  it('through a lodged declaration, agreeing with the calculator to the cent', async () => {
    const res = await declare('used', '8703.23.90', { ...used, chassisNumber: 'ZSU60-0123456' });
    expectStatus(res, 201);
    const item = res.body.assessment.items[0];
    expect(item.valuation.method).toBe('retail-less-all-taxes');
    expect(item.customsValue).toBe(expected.customsValue);
    expect(['ID', 'EXD', 'VAT', 'IDF', 'RDL'].map((c) => tax(item, c))).toEqual([expected.ID, expected.EXD, expected.VAT, expected.IDF, expected.RDL]);
    expect(res.body.assessment.total).toBe(expected.total);
  });

  it('counts age in months: 12 months is in the first band, 13 in the second', async () => {
    const at = async (firstRegistration: string) => (await calc({ items: [{ hsCode: '8703.23.90', vehicle: { ...harrier, firstRegistration } }] })).body.items[0].valuation.vehicle;
    expect(await at('2025-06')).toMatchObject({ ageMonths: 12, depreciationPercent: '0', depreciatedPrice: '5600000.00' });
    expect(await at('2025-05')).toMatchObject({ ageMonths: 13, depreciationPercent: '20', depreciatedPrice: '4480000.00' });
  });

  it('refuses a CRSP typed by the declarant, and the year-only registration', async () => {
    const res = await calc({ items: [{ hsCode: '8703.23.90', fob: '8000', vehicle: { ...harrier, firstRegistrationYear: 2021, crsp: '100000' } }] });
    expectStatus(res, 422);
    const codes = res.body.errors.map((e: any) => [e.pointer, e.code]);
    expect(codes).toEqual(expect.arrayContaining([['/items/0/vehicle/crsp', 'crsp_not_declared'], ['/items/0/vehicle/firstRegistrationYear', 'use_first_registration']]));
    const month = await calc({ items: [{ hsCode: '8703.23.90', vehicle: { ...harrier, firstRegistration: '2021-13' } }] });
    expectStatus(month, 422);
    expect(month.body.errors[0]).toMatchObject({ pointer: '/items/0/vehicle/firstRegistration', code: 'invalid_month' });
  });

  it('takes no instruction from the public on what to do without a CRSP row', async () => {
    const res = await calc({ noCrspRow: 'officer', items: [{ hsCode: '8703.23.90', vehicle: used }] });
    expectStatus(res, 422);
  });

  it('needs make and model, and asks for drive when the list has variants at different prices', async () => {
    const noModel = await calc({ items: [{ hsCode: '8703.23.90', vehicle: { fuel: 'petrol', engineCc: 1986, make: 'Toyota', firstRegistration: '2021-09' } }] });
    expectStatus(noModel, 422);
    expect(noModel.body.errors[0]).toMatchObject({ pointer: '/items/0/vehicle/model', code: 'required' });
    const { drive: _drive, ...noDrive } = used;
    const ambiguous = await calc({ items: [{ hsCode: '8703.23.90', vehicle: noDrive }] });
    expectStatus(ambiguous, 422);
    expect(ambiguous.body.errors[0]).toMatchObject({ pointer: '/items/0/vehicle', code: 'crsp_ambiguous' });
  });
});

describe('the 87.03 line must fit fuel and engine size', () => {
  it('refuses a 2,500 cc petrol car under the 1,500 cc line, naming the line that fits', async () => {
    const car = { fuel: 'petrol', engineCc: 2500 };
    const res = await calc({ items: [{ hsCode: '8703.22.90', fob: '8000', vehicle: car }] });
    expectStatus(res, 422);
    expect(res.body.errors[0]).toMatchObject({ pointer: '/items/0/hsCode', code: 'hs_code_does_not_match_vehicle' });
    expect(res.body.errors[0].message).toContain('goes under 8703.23.90');
    // A national split without its own fuel and capacity is held to its subheading's.
    const split = await calc({ items: [{ hsCode: '8703.22.10', fob: '8000', vehicle: car }] });
    expectStatus(split, 422);
    expect(split.body.errors[0]).toMatchObject({ code: 'hs_code_does_not_match_vehicle' });
    // The right line passes.
    expectStatus(await calc({ items: [{ hsCode: '8703.23.90', fob: '8000', vehicle: car }] }), 200);
  });

  it('needs the vehicle on an 87.03 line', async () => {
    const res = await calc({ items: [{ hsCode: '8703.23.90', fob: '8000' }] });
    expectStatus(res, 422);
    expect(res.body.errors[0]).toMatchObject({ pointer: '/items/0/vehicle', code: 'required' });
  });

  it('refuses the wrong line in a declaration too', async () => {
    const res = await declare('wrongline', '8703.22.90', { fuel: 'petrol', engineCc: 2500 });
    expectStatus(res, 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/items/0/hsCode', code: 'hs_code_does_not_match_vehicle' })]));
  });
});

describe('the age limit', () => {
  // First registered May 2018: 97 months on 2026-06-15, over 8 years (96 months).
  const old = { ...harrier, firstRegistration: '2018-05' };

  it('refuses a vehicle over the limit in the calculator and in a declaration', async () => {
    const res = await calc({ items: [{ hsCode: '8703.23.90', vehicle: old }] });
    expectStatus(res, 422);
    expect(res.body.errors[0]).toMatchObject({ pointer: '/items/0/vehicle/firstRegistration', code: 'vehicle_too_old' });
    expect(res.body.errors[0].message).toContain('97 months old');
    const lodged = await declare('old', '8703.23.90', old);
    expectStatus(lodged, 422);
    expect(lodged.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/items/0/vehicle/firstRegistration', code: 'vehicle_too_old' })]));
  });

  it("lets a returning resident's vehicle through (CPC 4000414), at the schedule's last band", async () => {
    // The returning-resident relief asks for its document (RRES) with the procedure code.
    const documents = [{ code: 'RRES', reference: 'RR/2026/0042' }];
    const res = await calc({ cpc: '4000414', documents, items: [{ hsCode: '8703.23.90', vehicle: old }] });
    expectStatus(res, 200);
    expect(res.body.items[0].valuation.vehicle).toMatchObject({ ageMonths: 97, depreciationPercent: '65' });
    expect(res.body.warnings.join(' ')).toContain('admitted under procedure code 4000414');
    // That procedure is for used vehicles: one declared new under it is refused.
    const asNew = await calc({ cpc: '4000414', documents, items: [{ hsCode: '8703.23.90', fob: '8000', vehicle: harrier }] });
    expectStatus(asNew, 422);
    expect(asNew.body.errors[0]).toMatchObject({ pointer: '/items/0/vehicle/firstRegistration', code: 'required' });
    const lodged = await declare('resident', '8703.23.90', old, { cpc: '4000414', documents: [{ code: 'N380', reference: 'INV-RR-1' }, ...documents] });
    expectStatus(lodged, 201);
    expect(lodged.body.assessment.items[0].customsValue).toBe(res.body.items[0].customsValue);
  });
});

describe('a used vehicle the CRSP schedule does not list', () => {
  const unlisted = { fuel: 'petrol', engineCc: 1990, make: 'TOYOTA', model: 'HARRIER', firstRegistration: '2021-09' };

  it('is refused by the calculator, which points at the lookup', async () => {
    const res = await calc({ items: [{ hsCode: '8703.23.90', fob: '8000', vehicle: unlisted }] });
    expectStatus(res, 422);
    expect(res.body.errors[0]).toMatchObject({ pointer: '/items/0/vehicle', code: 'crsp_not_found' });
    expect(res.body.errors[0].message).toContain('GET /api/v1/vehicles/crsp?make=TOYOTA&model=HARRIER');
  });

  it('lodges, valued provisionally from the invoice, at least yellow, with a verification task for an officer to value it', async () => {
    const res = await declare('nolist', '8703.23.90', unlisted);
    expectStatus(res, 201);
    const item = res.body.assessment.items[0];
    expect(item.valuation.method).toBe('transaction-value');
    expect(item.valuation.pendingValuation).toContain('no CRSP row');
    expect(['yellow', 'red']).toContain(res.body.selectivity.channel);
    const asOfficer = (await officer.get(`/api/v1/declarations/${res.body.id}`)).body;
    expect(JSON.stringify(asOfficer.selectivity.reasons)).toContain('valuation: no CRSP row for TOYOTA HARRIER 1990 cc petrol; officer to value');
    const task = await agent.get(`/api/v1/declarations/${res.body.id}/verification`);
    expectStatus(task, 200);
  });
});

describe('the CRSP lookup', () => {
  it('lists the rows in force for a make and model, bounded', async () => {
    const res = await anonymous.get('/api/v1/vehicles/crsp?make=toyota&model=harr&date=2026-06-15');
    expectStatus(res, 200);
    expect(res.body.rows.map((r: any) => `${r.engineCc} ${r.fuel} ${r.drive} ${r.priceKes}`)).toEqual(['1986 petrol 2WD 5600000.00', '1986 petrol 4WD 5950000.00', '2487 hybrid-petrol 4WD 7200000.00']);
    expect((await anonymous.get('/api/v1/vehicles/crsp?make=toyota&limit=500')).status).toBe(422);
    expect((await anonymous.get('/api/v1/vehicles/crsp?model=harrier')).status).toBe(422);
  });
});
