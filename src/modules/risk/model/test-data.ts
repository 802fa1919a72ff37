// Synthetic declarations for the unit tests (not imported by the model itself).
import { Rng } from './prng.ts';
import type { RiskTrainingRow } from './types.ts';

/**
 * Declarations where a few importers cheat often, one HS6 x origin route is risky and
 * strongly undervalued consignments are more often fraudulent.
 */
export function syntheticRows(n: number, seed: number): RiskTrainingRow[] {
  const rng = new Rng(seed);
  const hs = ['392690', '950300', '071080', '630790', '850440', '610910'];
  const countries = ['CN', 'JP', 'US', 'DE', 'VN'];
  const rows: RiskTrainingRow[] = [];
  for (let i = 0; i < n; i++) {
    const imp = rng.int(40);
    const hsCode = hs[rng.int(hs.length)]!;
    const origin = countries[rng.int(countries.length)]!;
    const mass = Math.round(Math.exp(1 + rng.next() * 5));
    const cheap = rng.next() < 0.15;
    const perKg = (1000 + 200 * hs.indexOf(hsCode)) * (cheap ? 0.1 : 1) * (0.8 + 0.4 * rng.next());
    const p = 0.05 + (imp < 4 ? 0.6 : 0) + (hsCode === '950300' && origin === 'VN' ? 0.5 : 0) + (cheap ? 0.25 : 0);
    rows.push({
      declarationId: `D${i}`,
      date: `2020-${String(1 + (i % 12)).padStart(2, '0')}-15`,
      officeId: String(10 + rng.int(3)),
      processType: 'B',
      importType: rng.next() < 0.9 ? '11' : '87',
      importUse: '21',
      paymentType: rng.next() < 0.7 ? '11' : '43',
      transportMode: rng.next() < 0.5 ? '10' : '40',
      declarantId: `DEC${rng.int(8)}`,
      importerId: `IMP${imp}`,
      sellerId: rng.next() < 0.1 ? null : `SEL${rng.int(30)}`,
      courierId: rng.next() < 0.8 ? null : `C${rng.int(3)}`,
      hsCode,
      departureCountry: origin,
      originCountry: origin,
      taxRate: hs.indexOf(hsCode) * 2,
      taxType: rng.next() < 0.5 ? 'A' : 'FCN1',
      originIndicator: 'Y',
      netMassKg: mass,
      itemPrice: Math.round(mass * perKg),
      fraud: Math.min(p, 0.95) > rng.next() ? 1 : 0,
    });
  }
  return rows;
}
