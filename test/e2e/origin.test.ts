// Preferences by origin, hand-computed to the cent, through the public calculator and through
// lodged declarations: the EAC Customs Union for Rwanda only from 1 July 2009 (COMESA before),
// no preference for DR Congo, COMESA for Egypt only with a COMESA certificate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importTariff } from '../../src/modules/tariff/index.ts';
import type { Client, Res } from '../server.ts';
import { blNumber, declarationBody, expectStatus, lodgeManifest, startJourney, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
const bl = { eg: blNumber('E'), cd: blNumber('C'), spare: blNumber('X') };

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  // The sample tariff starts in 2017: a test version of roasted coffee at the CET's 25% for 2005-2016.
  const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-origin-e2e-')), 'coffee-history.csv');
  fs.writeFileSync(
    csv,
    'hs_code,description,unit,import_duty_rate,import_duty_specific,import_duty_specific_unit,excise_rate,excise_specific,excise_specific_unit,specific_currency,vat,valid_from,valid_to\n' +
      '0901.21.00,"Coffee, roasted, not decaffeinated",kg,25,,,,,,,standard,2005-01-01,2016-12-31\n',
  );
  expect(await importTariff(journey.server.database.db, csv, { importedBy: 'test' })).toMatchObject({ ok: true, loaded: 1 });
  await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl.eg }, { number: bl.cd }, { number: bl.spare }]);
  agent = await journey.server.as('siginon.agent');
});
afterAll(async () => {
  await journey.close();
});

const calc = (body: Record<string, unknown>) => journey.server.anonymous().post('/api/v1/calculator', body);
const coffee = (originCountry: string, claim: boolean) => ({ hsCode: '0901.21.00', originCountry, ...(claim ? { preferentialOrigin: true } : {}), fob: '100000', insurance: '0', netMassKg: '1000' });
const docs = (...codes: string[]) => codes.map((code, i) => ({ code, reference: `${code}-2026-${i + 1}` }));
const taxes = (res: Res, item = 0) => Object.fromEntries((res.body.items[item].taxes as { code: string; amount: string }[]).map((t) => [t.code, t.amount]));
const line = (res: Res, code: string) => (res.body.items[0].taxes as { code: string; method: string; rule: unknown }[]).find((t) => t.code === code);

function expectError(res: Res, pointer: string, code: string, message: RegExp): void {
  expectStatus(res, 422);
  expect(res.body.errors).toContainEqual({ pointer, code, message: expect.stringMatching(message) });
}

describe('calculator: Rwanda joins the EAC Customs Union on 1 July 2009', () => {
  // KES 100,000 of roasted coffee (25% duty in 2009): VAT 16%, IDF 2%, RDL 0% (none before July 2013).
  it('30 June 2009: COMESA FTA preference with a COMESA certificate: ID 0, VAT 16,000, IDF 2,000, total 18,000.00', async () => {
    const res = await calc({ date: '2009-06-30', currency: 'KES', documents: docs('N380', 'CCOM'), items: [coffee('RW', true)] });
    expectStatus(res, 200);
    expect(taxes(res)).toEqual({ ID: '0.00', VAT: '16000.00', IDF: '2000.00', RDL: '0.00' });
    expect(res.body.total).toBe('18000.00');
    expect(line(res, 'ID')).toMatchObject({ method: 'preference: COMESA-FTA', rule: expect.stringMatching(/^preference:\d+$/) });
    const used = (res.body.rulesUsed as { kind: string; id: string }[]).find((r) => `${r.kind}:${r.id}` === line(res, 'ID')!.rule);
    expect(used).toMatchObject({ kind: 'preference', key: 'COMESA-FTA:RW', validFrom: '2004-01-01', validTo: null });
  });

  it('30 June 2009: an EAC certificate is not the proof yet: 422 naming the COMESA certificate', async () => {
    const res = await calc({ date: '2009-06-30', currency: 'KES', documents: docs('CEAC'), items: [coffee('RW', true)] });
    expectError(res, '/items/0/preferentialOrigin', 'document_required', /COMESA-FTA.*CCOM/);
  });

  it('1 July 2009: EAC preference with an EAC certificate, total 18,000.00; without a claim 47,000.00', async () => {
    const eac = await calc({ date: '2009-07-01', currency: 'KES', documents: docs('CEAC'), items: [coffee('RW', true)] });
    expectStatus(eac, 200);
    expect(taxes(eac)).toEqual({ ID: '0.00', VAT: '16000.00', IDF: '2000.00', RDL: '0.00' });
    expect(line(eac, 'ID')).toMatchObject({ method: 'preference: EAC-CU' });
    expect(eac.body.rulesUsed).toContainEqual(expect.objectContaining({ kind: 'preference', key: 'EAC-CU:RW', validFrom: '2009-07-01' }));
    // Duty 25% of 100,000 = 25,000; VAT 16% of 125,000 = 20,000; IDF 2,000.
    const full = await calc({ date: '2009-07-01', currency: 'KES', items: [coffee('RW', false)] });
    expect(taxes(full)).toEqual({ ID: '25000.00', VAT: '20000.00', IDF: '2000.00', RDL: '0.00' });
    expect(full.body.total).toBe('47000.00');
  });
});

describe('calculator in 2026: DR Congo and Egypt', () => {
  // KES 100,000 of roasted coffee at 35%: duty 35,000; VAT 16% of 135,000 = 21,600; IDF 2.5% 2,500; RDL 2% 2,000.
  it('DR Congo earns no EAC preference: the claim is refused, and without it the full 61,100.00 is due', async () => {
    const claimed = await calc({ date: '2026-06-15', currency: 'KES', documents: docs('CEAC'), items: [coffee('CD', true)] });
    expectError(claimed, '/items/0/preferentialOrigin', 'no_preference', /CD applies none of the preference agreements/);
    const res = await calc({ date: '2026-06-15', currency: 'KES', items: [coffee('CD', false)] });
    expect(taxes(res)).toEqual({ ID: '35000.00', VAT: '21600.00', IDF: '2500.00', RDL: '2000.00' });
    expect(res.body.total).toBe('61100.00');
  });

  it('Egypt: COMESA preference with a COMESA certificate (20,500.00), refused with an EAC one', async () => {
    const res = await calc({ date: '2026-06-15', currency: 'KES', documents: docs('N380', 'CCOM'), items: [coffee('EG', true)] });
    expect(taxes(res)).toEqual({ ID: '0.00', VAT: '16000.00', IDF: '2500.00', RDL: '2000.00' });
    expect(res.body.total).toBe('20500.00');
    const without = await calc({ date: '2026-06-15', currency: 'KES', documents: docs('N380', 'CEAC'), items: [coffee('EG', true)] });
    expectError(without, '/items/0/preferentialOrigin', 'document_required', /COMESA Free Trade Area \(COMESA-FTA\).*CCOM/);
  });

  it('bounds the documents: at most 99, codes of 2 to 4 characters', async () => {
    const tooMany = await calc({ date: '2026-06-15', currency: 'KES', documents: docs(...Array.from({ length: 100 }, () => 'N380')), items: [coffee('EG', false)] });
    expectStatus(tooMany, 422);
    const longCode = await calc({ date: '2026-06-15', currency: 'KES', documents: [{ code: 'CCOMX', reference: 'x' }], items: [coffee('EG', false)] });
    expectStatus(longCode, 422);
  });
});

describe('lodged declarations: the same figures, from the declaration documents', () => {
  // Invoiced in KES, CIF: the customs value is the price, KES 100,000.00; arrival 15 June 2026.
  const declaration = (number: string, originCountry: string, claim: boolean, extraDocuments: string[]) =>
    declarationBody(number, {
      invoiceCurrency: 'KES',
      invoiceAmount: '100000.00',
      incoterm: 'CIF',
      freight: undefined,
      insurance: undefined,
      documents: [...docs('N380'), { code: 'N705', reference: number }, ...docs(...extraDocuments)],
      items: [
        {
          hsCode: '0901.21.00',
          description: 'Roasted coffee beans',
          originCountry,
          ...(claim ? { preferentialOrigin: true } : {}),
          quantity: '1000',
          unit: 'KGM',
          netMassKg: '1000',
          grossMassKg: '1100',
          packages: 10,
          itemPrice: '100000.00',
        },
      ],
    });
  const lodge = (body: Record<string, unknown>) => agent.post('/api/v1/declarations', { ...body, lodge: true });
  const assessed = (res: Res) => Object.fromEntries((res.body.assessment.items[0].taxes as { code: string; amount: string }[]).map((t) => [t.code, t.amount]));

  it('Egyptian coffee with a COMESA certificate: ID 0, total 20,500.00, the preference in rulesUsed', async () => {
    const res = await lodge(declaration(bl.eg, 'EG', true, ['CCOM']));
    expectStatus(res, 201);
    expect(assessed(res)).toEqual({ ID: '0.00', VAT: '16000.00', IDF: '2500.00', RDL: '2000.00' });
    expect(res.body.assessment.total).toBe('20500.00');
    expect(res.body.assessment.items[0].taxes[0]).toMatchObject({ code: 'ID', method: 'preference: COMESA-FTA' });
    expect(res.body.assessment.rulesUsed).toContainEqual(expect.objectContaining({ kind: 'preference', key: 'COMESA-FTA:EG', validTo: null }));
  });

  it('Egyptian coffee claimed without the COMESA certificate is refused, naming it', async () => {
    const res = await lodge(declaration(bl.spare, 'EG', true, ['CEAC']));
    expectError(res, '/items/0/preferentialOrigin', 'document_required', /CCOM/);
  });

  it('DR Congo: the claim is refused; declared without it, the full 61,100.00', async () => {
    expectError(await lodge(declaration(bl.spare, 'CD', true, ['CEAC'])), '/items/0/preferentialOrigin', 'no_preference', /CD applies none/);
    const res = await lodge(declaration(bl.cd, 'CD', false, []));
    expectStatus(res, 201);
    expect(assessed(res)).toEqual({ ID: '35000.00', VAT: '21600.00', IDF: '2500.00', RDL: '2000.00' });
    expect(res.body.assessment.total).toBe('61100.00');
  });
});

describe('the rice line follows the EAC stay of application for Kenya', () => {
  // 10 t of milled rice at KES 500,000 on 1 March 2025 (USD 129.25 in the sample rates): 35% ad valorem
  // is 175,000; USD 200/t is 10 x 200 x 129.25 = 258,500, the higher. Rice is VAT exempt; IDF 2.5%
  // 12,500; RDL 2% 10,000. Total 281,000.00 (the CET's USD 345/t would have been 445,912.50).
  it('charges 35% or USD 200 per tonne, whichever is higher', async () => {
    const res = await calc({ date: '2025-03-01', currency: 'KES', items: [{ hsCode: '1006.30.00', originCountry: 'PK', fob: '500000', insurance: '0', netMassKg: '10000' }] });
    expectStatus(res, 200);
    expect(taxes(res)).toMatchObject({ ID: '258500.00', IDF: '12500.00', RDL: '10000.00' });
    expect(res.body.total).toBe('281000.00');
  });
});
