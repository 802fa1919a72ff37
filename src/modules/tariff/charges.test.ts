import { describe, expect, it } from 'vitest';
import { parseChargesFile } from './charges.ts';

const known = { units: new Set(['LTR', 'KGM']), currencies: new Set(['KES']), cetNotation: new Map([['l', { code: 'LTR', symbol: 'l' }]]) };
const types = [{ code: 'RML', name: 'Road maintenance levy', base: 'quantity' as const, rateSource: 'schedule' as const, sequence: 40, validFrom: '2016-07-01' }];

describe('a charges file', () => {
  it('takes a specific rate unit in the CET notation, as the tariff does, and stores the Rec 20 code', () => {
    const parsed = parseChargesFile({ chargeTypes: types, chargeRates: [{ charge: 'RML', hsPrefix: '27101210', specific: '18', unit: 'l', validFrom: '2016-07-01' }] }, known);
    expect(parsed.errors).toEqual([]);
    expect(parsed.rates[0]).toMatchObject({ specific_unit: 'LTR' });
  });

  it('names both notations when the unit is neither', () => {
    const parsed = parseChargesFile({ chargeTypes: types, chargeRates: [{ charge: 'RML', specific: '18', unit: 'gal', validFrom: '2016-07-01' }] }, known);
    expect(parsed.errors).toEqual([expect.stringMatching(/^chargeRates entry 1: specific and unit go together; unit must be a UN\/ECE Rec 20 code \(LTR, KGM\) or its CET notation/)]);
  });
});
