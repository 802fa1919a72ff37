// Building engine inputs in memory for unit tests: the shipped national settings as they stood
// on a date, and tariff measures written inline.
import fs from 'node:fs';
import { Dec } from '../src/platform/money.ts';
import { nationalRulesFrom } from '../src/modules/tariff/national-settings.ts';
import { sampleFiles } from '../src/modules/tariff/index.ts';
import { parseChargesFile, scheduleFrom, type ChargesFile } from '../src/modules/tariff/index.ts';
import type { NationalRules, TariffMeasure, Charge, ChargeSchedule, UnitDef } from '../src/modules/assessment/index.ts';

interface Entry {
  key: string;
  value: unknown;
  validFrom: string;
  validTo?: string;
}

const entries = (JSON.parse(fs.readFileSync(sampleFiles.settings, 'utf8')) as { settings: Entry[] }).settings;

export function rulesAt(date: string, overrides: Record<string, unknown> = {}): NationalRules {
  const rows = entries
    .filter((e) => e.validFrom <= date && (e.validTo === undefined || e.validTo >= date))
    .map((e, i) => ({ id: i, key: e.key, value: e.key in overrides ? overrides[e.key] : e.value, valid_from: e.validFrom, valid_to: e.validTo ?? null }));
  const result = nationalRulesFrom(rows);
  if ('missing' in result) {
    throw new Error(`settings missing on ${date}: ${result.missing.join(', ')}`);
  }
  return result.rules;
}

export function measure(hsCode: string, opts: { duty?: Charge; excise?: Charge; vat?: 'standard' | 'exempt' | 'zero'; unit?: string } = {}): TariffMeasure {
  return {
    ref: { kind: 'tariff-line', id: hsCode, key: hsCode, validFrom: '2022-07-01', validTo: null },
    hsCode,
    description: `test line ${hsCode}`,
    unit: opts.unit ?? 'KGM',
    importDuty: opts.duty ?? { rate: new Dec(25) },
    excise: opts.excise ?? {},
    vat: opts.vat ?? 'standard',
  };
}

export const d = (v: string | number) => new Dec(v);

const unitRows = fs
  .readFileSync(new URL('../src/modules/reference/data/units.csv', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('code,'))
  .map((l) => l.split(','));

/** The shipped units table, as the engine converts with it. */
export const units: ReadonlyMap<string, UnitDef> = new Map(unitRows.map(([code, , , kind, factor]) => [code as string, { code: code as string, kind: kind as string, factor: new Dec(factor as string) }]));

const charges = JSON.parse(fs.readFileSync(sampleFiles.charges, 'utf8')) as ChargesFile;

/** The shipped tax heads and rates in force on a date; `edit` may change the file's entries first. */
export function scheduleAt(date: string, edit: (file: ChargesFile) => ChargesFile = (f) => f): ChargeSchedule {
  const file = edit(structuredClone(charges));
  const parsed = parseChargesFile(file, { units: new Set(units.keys()), currencies: new Set(['KES', 'USD', 'EUR']) });
  if (parsed.errors.length > 0) {
    throw new Error(parsed.errors.join('; '));
  }
  const inForce = <T extends { valid_from: string; valid_to: string | null }>(rows: T[]) => rows.filter((r) => r.valid_from <= date && (r.valid_to === null || r.valid_to >= date));
  return scheduleFrom({
    types: inForce(parsed.types).map((t, i) => ({ ...t, id: `t${i}` })),
    rates: inForce(parsed.rates).map((r, i) => ({ ...r, id: `r${i}` })),
  });
}

/** mulberry32: a small seeded generator, so every run draws the same inputs. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every Dec as its units and scale, so equal results mean the same figures digit for digit and scale for scale. */
export function canonical(x: unknown): unknown {
  if (x instanceof Dec) {
    return `${x.units}e-${x.scale}`;
  }
  if (Array.isArray(x)) {
    return x.map(canonical);
  }
  if (x && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, canonical(v)]));
  }
  return x;
}
