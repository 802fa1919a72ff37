// The engine's settings are dated data (risk_setting): an analyst may lower the random rate from
// next month, and a decision taken today still names the values it used. Each key has a parser,
// so a bad value is refused when it is entered, not discovered during a lodgement.
import type { SettingRow } from './risk.tables.ts';

export interface TargetRates {
  red: number;
  yellow: number;
}

export interface RiskSettings {
  /** Share of declarations the model sends to red and to yellow (e.g. 0.03 and 0.07). */
  'model.targetRates': TargetRates;
  /** Lines of model explanation kept with a selection. */
  'model.explain': number;
  /** Share of otherwise-green declarations selected at random. */
  'random.rate': number;
  /** Share of random selections that go red; the rest go yellow. */
  'random.redShare': number;
  /**
   * Days a cancelled or rejected declaration's channel follows the same importer's same goods
   * declared again on another transport document (on the same one it always follows).
   */
  'consignment.inheritDays': number;
  /** Multiplies the model's and the random selection's rates for AEO importers. */
  'aeo.factor': number;
  /** Flag a unit value below this percentile of comparable accepted entries. */
  'valuation.percentile': number;
  /** Comparable entries needed before the reference is trusted. */
  'valuation.minEntries': number;
  /** Channel a valuation flag asks for. */
  'valuation.channel': 'yellow' | 'red';
  /** Seconds a computed reference is reused. */
  'valuation.cacheSeconds': number;
  /** Days back from the declaration's date that accepted values count for the reference. */
  'valuation.windowDays': number;
  /** Of those, only the newest this many count: the reference reads at most this many rows per level. */
  'valuation.windowEntries': number;
  /** Reasons kept with a selection. */
  'reasons.max': number;
}

export type SettingKey = keyof RiskSettings;

export const defaultSettings: RiskSettings = {
  'model.targetRates': { red: 0.03, yellow: 0.07 },
  'model.explain': 3,
  'random.rate': 0.02,
  'random.redShare': 0.25,
  'consignment.inheritDays': 90,
  'aeo.factor': 0.25,
  'valuation.percentile': 0.1,
  'valuation.minEntries': 20,
  'valuation.channel': 'yellow',
  'valuation.cacheSeconds': 300,
  'valuation.windowDays': 730,
  'valuation.windowEntries': 2000,
  'reasons.max': 5,
};

function share(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error('must be a number from 0 to 1, e.g. 0.02 for 2%');
  }
  return value;
}

function count(min: number, max: number) {
  return (value: unknown): number => {
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      throw new Error(`must be a whole number from ${min} to ${max}`);
    }
    return value as number;
  };
}

const parsers: { [K in SettingKey]: (value: unknown) => RiskSettings[K] } = {
  'model.targetRates': (value) => {
    const v = value as Partial<TargetRates> | null;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new Error('must be {"red": 0.03, "yellow": 0.07}');
    }
    const red = share(v.red);
    const yellow = share(v.yellow);
    if (red + yellow > 1) {
      throw new Error('red and yellow together must not exceed 1');
    }
    return { red, yellow };
  },
  'model.explain': count(0, 10),
  'random.rate': share,
  'random.redShare': share,
  'consignment.inheritDays': count(0, 365),
  'aeo.factor': share,
  'valuation.percentile': (value) => {
    const p = share(value);
    if (p <= 0 || p >= 0.5) {
      throw new Error('must be above 0 and below 0.5, e.g. 0.10 for the 10th percentile');
    }
    return p;
  },
  'valuation.minEntries': count(2, 100_000),
  'valuation.channel': (value) => {
    if (value !== 'yellow' && value !== 'red') {
      throw new Error('must be "yellow" or "red"');
    }
    return value;
  },
  'valuation.cacheSeconds': count(0, 86_400),
  'valuation.windowDays': count(1, 3660),
  'valuation.windowEntries': count(2, 100_000),
  'reasons.max': count(1, 20),
};

export const settingKeys = Object.keys(parsers) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return (settingKeys as string[]).includes(key);
}

/** Checks a value for a key; throws an Error saying what is allowed. */
export function parseSetting<K extends SettingKey>(key: K, value: unknown): RiskSettings[K] {
  return parsers[key](value);
}

/** The settings in force on a date, from all dated rows (unknown keys and bad rows are ignored: the parser refused them on entry). */
export function settingsOn(rows: readonly SettingRow[], date: string): RiskSettings {
  const out: Record<string, unknown> = { ...defaultSettings };
  const best = new Map<string, SettingRow>();
  for (const row of rows) {
    if (row.valid_from > date || (row.valid_to !== null && row.valid_to < date) || !isSettingKey(row.key)) {
      continue;
    }
    const seen = best.get(row.key);
    if (!seen || seen.valid_from < row.valid_from) {
      best.set(row.key, row);
    }
  }
  for (const [key, row] of best) {
    try {
      out[key] = parseSetting(key as SettingKey, row.value);
    } catch {
      // keep the default
    }
  }
  return out as unknown as RiskSettings;
}
