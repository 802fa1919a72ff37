// What ten years of a customs office's history look like, for the bulk seeder (scale-seed.ts):
// the goods traded, the parties, the ports, and how a declaration's figures and audit records are
// shaped. Plain data and pure functions; the seeder writes what these return with COPY.
import { randomBytes } from 'node:crypto';
import { eventHash, genesis, type Hashed } from '#modules/audit/index.ts';

/** One line of the goods catalogue: HS line, description, unit, price range per unit in USD, duty %. */
export interface Goods {
  hs: string;
  description: string;
  unit: string;
  price: [number, number];
  kgPerUnit: number;
  duty: number;
}

export const catalogue: Goods[] = [
  { hs: '8471.30.00', description: 'Laptop computers', unit: 'NAR', price: [180, 900], kgPerUnit: 2.2, duty: 0 },
  { hs: '8517.13.00', description: 'Smartphones', unit: 'NAR', price: [60, 450], kgPerUnit: 0.3, duty: 0 },
  { hs: '6109.10.00', description: 'T-shirts of cotton', unit: 'NAR', price: [1, 4], kgPerUnit: 0.2, duty: 35 },
  { hs: '1006.30.00', description: 'Semi-milled rice', unit: 'KGM', price: [0.4, 0.8], kgPerUnit: 1, duty: 35 },
  { hs: '1701.99.00', description: 'Refined cane sugar', unit: 'KGM', price: [0.35, 0.6], kgPerUnit: 1, duty: 25 },
  { hs: '1511.90.00', description: 'Palm olein, refined', unit: 'KGM', price: [0.7, 1.2], kgPerUnit: 1, duty: 25 },
  { hs: '3004.90.00', description: 'Medicaments in measured doses', unit: 'KGM', price: [8, 60], kgPerUnit: 1, duty: 0 },
  { hs: '3102.10.00', description: 'Urea fertiliser', unit: 'KGM', price: [0.25, 0.5], kgPerUnit: 1, duty: 0 },
  { hs: '7208.51.00', description: 'Hot-rolled steel plate', unit: 'KGM', price: [0.5, 0.9], kgPerUnit: 1, duty: 10 },
  { hs: '7306.30.00', description: 'Welded steel tubes', unit: 'KGM', price: [0.8, 1.5], kgPerUnit: 1, duty: 25 },
  { hs: '8413.70.00', description: 'Centrifugal pumps', unit: 'NAR', price: [90, 1500], kgPerUnit: 35, duty: 0 },
  { hs: '8504.40.00', description: 'Static converters', unit: 'NAR', price: [20, 400], kgPerUnit: 4, duty: 10 },
  { hs: '8528.72.00', description: 'Television receivers', unit: 'NAR', price: [70, 600], kgPerUnit: 12, duty: 25 },
  { hs: '8418.21.00', description: 'Household refrigerators', unit: 'NAR', price: [90, 500], kgPerUnit: 45, duty: 25 },
  { hs: '8708.99.00', description: 'Motor vehicle parts', unit: 'KGM', price: [2, 15], kgPerUnit: 1, duty: 10 },
  { hs: '4011.10.00', description: 'New pneumatic tyres for cars', unit: 'NAR', price: [25, 120], kgPerUnit: 9, duty: 25 },
  { hs: '3923.21.00', description: 'Sacks and bags of polyethylene', unit: 'KGM', price: [1.2, 2.5], kgPerUnit: 1, duty: 25 },
  { hs: '4802.56.00', description: 'Uncoated printing paper', unit: 'KGM', price: [0.7, 1.3], kgPerUnit: 1, duty: 10 },
  { hs: '6403.99.00', description: 'Footwear with leather uppers', unit: '2U', price: [6, 40], kgPerUnit: 1.1, duty: 35 },
  { hs: '9403.60.00', description: 'Wooden furniture', unit: 'NAR', price: [30, 400], kgPerUnit: 25, duty: 25 },
  { hs: '8703.23.00', description: 'Motor cars 1500-3000 cc', unit: 'NAR', price: [3000, 25000], kgPerUnit: 1350, duty: 25 },
  { hs: '2523.29.00', description: 'Portland cement', unit: 'KGM', price: [0.06, 0.12], kgPerUnit: 1, duty: 25 },
  { hs: '3901.10.00', description: 'Polyethylene in primary forms', unit: 'KGM', price: [0.9, 1.6], kgPerUnit: 1, duty: 0 },
  { hs: '8501.52.00', description: 'AC motors, 750 W to 75 kW', unit: 'NAR', price: [60, 900], kgPerUnit: 30, duty: 0 },
];

export const origins = ['CN', 'IN', 'AE', 'JP', 'DE', 'ZA', 'TR', 'US', 'GB', 'MY', 'ID', 'EG', 'TH', 'BD', 'IT', 'NL'];

/** The offices cargo is declared at: Mombasa port by sea, JKIA by air, the Nairobi ICD by rail from the port. */
export const offices = [
  { code: 'MBA', share: 0.7, mode: 'sea', discharge: 'KEMBA', kind: 'BL' },
  { code: 'JKA', share: 0.2, mode: 'air', discharge: 'KENBO', kind: 'AWB' },
  { code: 'NBI', share: 0.1, mode: 'sea', discharge: 'KEEMB', kind: 'BL' },
] as const;
export type Office = (typeof offices)[number];

export const loadingPorts = { sea: ['CNSHA', 'CNNGB', 'INNSA', 'AEJEA', 'SGSIN', 'MYPKG', 'NLRTM'], air: ['AEDXB', 'CNPVG', 'INBOM', 'NLAMS', 'GBLHR'] };

/** KES per USD by year: what the assessments of that year used. */
export const usdRate: Record<number, string> = {
  2016: '101.50', 2017: '103.40', 2018: '101.30', 2019: '101.90', 2020: '106.50', 2021: '109.60', 2022: '117.90', 2023: '139.80', 2024: '134.20', 2025: '129.30', 2026: '129.10',
};

// A small, fast random source: seeded per run so two runs of one size produce the same history.
let state = 0x9e3779b9;
export function reseed(seed: number): void {
  state = seed >>> 0 || 1;
}
export function rnd(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
}
export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
export const between = (lo: number, hi: number): number => lo + rnd() * (hi - lo);
/** Skewed towards 0: a few big importers, many small ones (roughly Zipf). */
export const skewed = (n: number): number => Math.min(n - 1, Math.floor(n * rnd() ** 3));

const pool = { bytes: Buffer.alloc(0), at: 0 };
function random(n: number): Buffer {
  if (pool.at + n > pool.bytes.length) {
    pool.bytes = randomBytes(1 << 16);
    pool.at = 0;
  }
  pool.at += n;
  return pool.bytes.subarray(pool.at - n, pool.at);
}

/**
 * A time-ordered UUID (version 7) for a moment in history: rows of one month land next to each
 * other in the primary key, so bulk loading appends instead of splitting pages all over the tree.
 */
export function uuid7(ms: number): string {
  const t = Math.floor(ms).toString(16).padStart(12, '0');
  const r = random(10).toString('hex');
  const variant = ((parseInt(r[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

/** Cents as a decimal string with two places: "1234.50". */
export const kes = (cents: number): string => `${Math.trunc(cents / 100)}.${String(Math.abs(cents % 100)).padStart(2, '0')}`;

export interface SeedItem {
  goods: Goods;
  origin: string;
  quantity: number;
  netKg: number;
  grossKg: number;
  packages: number;
  /** Invoice price in US cents. */
  priceCents: number;
}

export function items(): SeedItem[] {
  const n = 1 + skewed(5);
  return Array.from({ length: n }, () => {
    const goods = pick(catalogue);
    const quantity = goods.unit === 'KGM' ? Math.round(between(200, 25_000)) : Math.round(between(1, goods.hs.startsWith('8703') ? 3 : 800));
    const unitPrice = between(goods.price[0], goods.price[1]);
    const netKg = Math.max(1, Math.round(quantity * goods.kgPerUnit));
    return { goods, origin: pick(origins), quantity, netKg, grossKg: Math.round(netKg * 1.08) + 1, packages: 1 + Math.floor(netKg / 500), priceCents: Math.max(100, Math.round(quantity * unitPrice * 100)) };
  });
}

const pct = (baseCents: number, rate: number): number => Math.round((baseCents * rate) / 100);

/**
 * The stored assessment of a declaration (the shape of assessmentJson): CIF in KES apportioned by
 * price, import duty at the line's rate, excise none, VAT 16% on value plus duty, IDF 2.5% and
 * RDL 2% of the customs value. Integer cents throughout, so every total adds up exactly.
 */
export function assessment(lines: SeedItem[], rate: string, freightCents: number, insuranceCents: number, date: string) {
  const invoice = lines.reduce((s, i) => s + i.priceCents, 0);
  const rateNum = Number(rate);
  const totals: Record<string, number> = { ID: 0, VAT: 0, IDF: 0, RDL: 0 };
  const out = lines.map((i, index) => {
    const share = i.priceCents / invoice;
    const fob = i.priceCents;
    const freight = Math.round(freightCents * share);
    const insurance = Math.round(insuranceCents * share);
    const cif = fob + freight + insurance;
    const customsValue = Math.round(cif * rateNum);
    const duty = pct(customsValue, i.goods.duty);
    const taxes = [
      { code: 'ID', name: 'Import duty', base: customsValue, rate: i.goods.duty, amount: duty, rule: 'tariff_rate' },
      { code: 'VAT', name: 'Value added tax', base: customsValue + duty, rate: 16, amount: pct(customsValue + duty, 16), rule: 'charge_rate' },
      { code: 'IDF', name: 'Import declaration fee', base: customsValue, rate: 2.5, amount: pct(customsValue, 2.5), rule: 'charge_rate' },
      { code: 'RDL', name: 'Railway development levy', base: customsValue, rate: 2, amount: pct(customsValue, 2), rule: 'charge_rate' },
    ];
    for (const t of taxes) {
      totals[t.code] = (totals[t.code] ?? 0) + t.amount;
    }
    const total = taxes.reduce((s, t) => s + t.amount, 0);
    return {
      index,
      hsCode: i.goods.hs,
      customsValue: kes(customsValue),
      valuation: { method: 'transaction', currency: 'USD', exchangeRate: rate, fob: kes(fob), freight: kes(freight), insurance: kes(insurance), insuranceDefaulted: false, cif: kes(cif), warnings: [] },
      taxes: taxes.map((t) => ({ code: t.code, name: t.name, base: kes(t.base), rate: String(t.rate), amount: kes(t.amount), method: 'ad_valorem', rule: `${t.rule}:${1 + index}` })),
      total: kes(total),
    };
  });
  const totalCents = Object.values(totals).reduce((s, v) => s + v, 0);
  return {
    json: {
      date,
      items: out,
      totals: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, kes(v)])),
      total: kes(totalCents),
      rulesUsed: [{ kind: 'exchange_rate', id: 1, key: 'USD', validFrom: date, validTo: null }],
      warnings: [],
    },
    totalCents,
  };
}

/** Audit records of one stream, chained from genesis exactly as recordAudit chains them. */
export class Chain {
  private seq = 0;
  private head = genesis;
  constructor(readonly stream: string) {}

  append(e: Omit<Hashed, 'stream' | 'stream_seq' | 'prev_hash'>): Hashed & { hash: string } {
    const record: Hashed = { ...e, stream: this.stream, stream_seq: ++this.seq, prev_hash: this.head };
    this.head = eventHash(record);
    return { ...record, hash: this.head };
  }

  get state(): { stream: string; seq: number; head: string } {
    return { stream: this.stream, seq: this.seq, head: this.head };
  }
}

// --- Accepted unit values ---------------------------------------------------------------------

/** A positive decimal text as an integer and its scale: "123.40" is 12340n at scale 2. */
function scaled(text: string): { digits: bigint; scale: number } {
  const [whole, fraction = ''] = text.split('.');
  return { digits: BigInt(`${whole}${fraction}`), scale: fraction.length };
}

/** Weight and first digit of a value in PostgreSQL's base-10000 numeric representation. */
function baseTenThousand(x: { digits: bigint; scale: number }): { weight: number; first: bigint } {
  if (x.digits === 0n) {
    return { weight: 0, first: 0n };
  }
  const exponent = x.digits.toString().length - 1 - x.scale;
  const weight = Math.floor(exponent / 4);
  const shift = x.scale + 4 * weight;
  return { weight, first: shift >= 0 ? x.digits / 10n ** BigInt(shift) : x.digits * 10n ** BigInt(-shift) };
}

/**
 * `a::numeric / b::numeric` exactly as PostgreSQL computes and prints it, for positive a and b:
 * the scale its select_div_scale chooses (at least 16 significant digits, never fewer decimals
 * than either operand), rounded half away from zero. The seeder writes accepted unit values with
 * COPY, and they must be the very values the declaration module's consumer writes in SQL
 * (test/history-model.test.ts compares the two).
 */
export function numericDivide(a: string, b: string): string {
  const x = scaled(a);
  const y = scaled(b);
  if (y.digits <= 0n || x.digits < 0n) {
    throw new Error(`numericDivide takes a non-negative dividend and a positive divisor: ${a} / ${b}`);
  }
  const wx = baseTenThousand(x);
  const wy = baseTenThousand(y);
  const quotientWeight = wx.weight - wy.weight - (wx.first <= wy.first ? 1 : 0);
  const scale = Math.min(1000, Math.max(16 - quotientWeight * 4, x.scale, y.scale, 0));
  // a / b * 10^scale = x.digits * 10^(y.scale + scale) / (y.digits * 10^x.scale), rounded.
  const numerator = x.digits * 10n ** BigInt(y.scale + scale);
  const denominator = y.digits * 10n ** BigInt(x.scale);
  let q = numerator / denominator;
  if ((numerator % denominator) * 2n >= denominator) {
    q += 1n;
  }
  const text = q.toString().padStart(scale + 1, '0');
  return scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`;
}

/** A date in Africa/Nairobi (UTC+3 all year), as `(t at time zone 'Africa/Nairobi')::date` gives it. */
export const nairobiDate = (ms: number): string => new Date(ms + 3 * 3_600_000).toISOString().slice(0, 10);

/** One row of declaration_unit_value, in its column order (declaration.reads.ts writeAcceptedValues). */
export type UnitValueRow = [declarationId: string, itemNo: number, per: string, hsCode: string, hs6: string, hs4: string, origin: string, unit: string, customsValue: string, unitValue: string, acceptedOn: string];

/**
 * The accepted unit values of an accepted (registered or later) import declaration, as the
 * declaration module's consumer writes them: per item, the customs value of the stored assessment
 * over the net mass (per 'kg') and over the quantity (per its unit), for each positive divisor,
 * accepted on the day of registration in Nairobi. Quantities and masses are read back from
 * numeric(18,3) and numeric(14,3) columns, so they divide with three decimals.
 */
export function acceptedUnitValues(declarationId: string, lines: SeedItem[], customsValues: string[], registeredAt: number): UnitValueRow[] {
  const acceptedOn = nairobiDate(registeredAt);
  return lines.flatMap((item, n) => {
    const code = item.goods.hs.replace(/[^0-9]/g, '');
    const value = customsValues[n]!;
    const unit = item.goods.unit.toUpperCase();
    const bases: [string, number][] = [
      ['kg', item.netKg],
      [unit, item.quantity],
    ];
    return bases
      .filter(([, divisor]) => divisor > 0)
      .map(([per, divisor]): UnitValueRow => [declarationId, n + 1, per, code, code.slice(0, 6), code.slice(0, 4), item.origin.toUpperCase(), unit, value, numericDivide(value, divisor.toFixed(3)), acceptedOn]);
  });
}
