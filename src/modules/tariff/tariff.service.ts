// What the rest of the system asks of the tariff: the line in force for a code on a date, the
// car line for a fuel and engine size, exchange rates and national settings in force.
import { Dec } from '#platform/money.ts';
import type { NationalRules, RuleRef, TariffMeasure, ExchangeRate } from '#modules/assessment/index.ts';
import type { TariffRepository, TariffLineRow, ExchangeRateRow, SettingRow } from './tariff.repository.ts';
import { nationalRulesFrom, type SettingKey } from './national-settings.ts';
import { formatHsCode, normaliseHsCode } from './hs-code.ts';
import { scheduleFrom } from './charges.ts';

export type LineLookup =
  | { ok: true; measure: TariffMeasure; row: TariffLineRow }
  | { ok: false; code: 'invalid_hs_code' | 'unknown_hs_code' | 'not_in_force'; message: string };

export function measureFrom(row: TariffLineRow): TariffMeasure {
  const ref: RuleRef = { kind: 'tariff-line', id: String(row.id), key: formatHsCode(row.hs_code), validFrom: row.valid_from, validTo: row.valid_to };
  const charge = (rate: string | null, specific: string | null, unit: string | null) => ({
    ...(rate === null ? {} : { rate: new Dec(rate) }),
    ...(specific === null || unit === null ? {} : { specific: { amount: new Dec(specific), unit, currency: row.specific_currency } }),
  });
  return {
    ref,
    hsCode: formatHsCode(row.hs_code),
    description: row.description,
    unit: row.unit,
    importDuty: charge(row.import_duty_rate, row.import_duty_specific, row.import_duty_specific_unit),
    excise: charge(row.excise_rate, row.excise_specific, row.excise_specific_unit),
    vat: row.vat,
  };
}

function inForce(row: { valid_from: string; valid_to: string | null }, date: string): boolean {
  return row.valid_from <= date && (row.valid_to === null || row.valid_to >= date);
}

const period = (r: { valid_from: string; valid_to: string | null }) => `${r.valid_from} to ${r.valid_to ?? 'open'}`;

function rateFrom(row: ExchangeRateRow): ExchangeRate {
  return {
    currency: row.currency,
    rate: new Dec(row.rate),
    ref: { kind: 'exchange-rate', id: String(row.id), key: row.currency, validFrom: row.valid_from, validTo: row.valid_to, value: row.rate },
  };
}

/**
 * What is built from rows (measures with their decimals parsed, rates, the national rules, the
 * charge schedule), kept with the row objects it was built from. The tariff cache hands out the
 * same row objects while they are fresh, so every lodgement in that time shares one built value,
 * and the assessment engine's plan for a schedule (kept with the schedule object) is made once;
 * when the cache reads again (its time limit, an import in this process) the rows are new objects
 * and so are the values built from them: nothing here can be staler than the cache. Rows read
 * without the cache are new every time and their entries go with them. The values are shared:
 * nothing may change them (none of their readers does; they copy).
 */
const built = new WeakMap<object, unknown>();

function once<K extends object, V>(key: K, build: (key: K) => V): V {
  let value = built.get(key) as V | undefined;
  if (value === undefined) {
    value = build(key);
    built.set(key, value);
  }
  return value;
}

const measureOf = (row: TariffLineRow) => once(row, measureFrom);

/** The national rules from the settings in force, newest first: the first row of each key. */
function rulesOf(rows: SettingRow[]): { rules: NationalRules } | { missing: SettingKey[] } {
  const latestPerKey = new Map<string, SettingRow>();
  for (const row of rows) {
    if (!latestPerKey.has(row.key)) {
      latestPerKey.set(row.key, row);
    }
  }
  return nationalRulesFrom([...latestPerKey.values()]);
}

export function tariffService(repo: TariffRepository) {
  return {
    /** The lines in force on the date for each code asked, or why there is none. */
    async linesInForce(codes: string[], date: string): Promise<Map<string, LineLookup>> {
      const normalised = new Map(codes.map((c) => [c, normaliseHsCode(c)]));
      const rows = await repo.linesFor([...new Set([...normalised.values()].filter((c): c is string => c !== undefined))]);
      const result = new Map<string, LineLookup>();
      for (const [asked, digits] of normalised) {
        if (!digits) {
          result.set(asked, { ok: false, code: 'invalid_hs_code', message: `"${asked}" is not a national tariff line: 8 to 10 digits, e.g. 8703.23.00` });
          continue;
        }
        const versions = rows.filter((r) => r.hs_code === digits);
        const row = versions.find((r) => inForce(r, date));
        if (row) {
          result.set(asked, { ok: true, measure: measureOf(row), row });
        } else if (versions.length === 0) {
          result.set(asked, { ok: false, code: 'unknown_hs_code', message: `${formatHsCode(digits)} is not in the tariff; search the tariff at GET /api/v1/tariff/lines?q=${digits.slice(0, 4)}` });
        } else {
          result.set(asked, {
            ok: false,
            code: 'not_in_force',
            message: `${formatHsCode(digits)} is not in force on ${date}; it is in force ${versions.map(period).join(', ')}`,
          });
        }
      }
      return result;
    },

    /** The passenger-car line (87.03) for a fuel and engine capacity, in force on the date. */
    async vehicleLine(fuel: string, engineCc: number, date: string): Promise<LineLookup> {
      const rows = await repo.vehicleLinesInForce(fuel, date);
      const row = rows.find((r) => (r.engine_cc_min ?? 0) <= engineCc && (r.engine_cc_max === null || engineCc <= r.engine_cc_max));
      if (!row) {
        return { ok: false, code: 'unknown_hs_code', message: `no 87.03 tariff line for a ${fuel} car of ${engineCc} cc is in force on ${date}; give hsCode` };
      }
      return { ok: true, measure: measureOf(row), row };
    },

    async exchangeRates(currencies: string[], date: string): Promise<{ rates: Map<string, ExchangeRate>; missing: { currency: string; message: string }[] }> {
      const wanted = [...new Set(currencies.filter((c) => c !== 'KES'))];
      const rows = await repo.ratesInForce(wanted, date);
      const rates = new Map<string, ExchangeRate>([['KES', { currency: 'KES', rate: new Dec(1), ref: { kind: 'declared' } }]]);
      for (const row of rows) {
        if (!rates.has(row.currency)) {
          rates.set(row.currency, once(row, rateFrom));
        }
      }
      const missing: { currency: string; message: string }[] = [];
      for (const c of wanted.filter((w) => !rates.has(w))) {
        const latest = await repo.latestRate(c);
        missing.push({
          currency: c,
          message: latest
            ? `no exchange rate for ${c} is in force on ${date} (the latest loaded is ${latest.rate} from ${period(latest)}); give exchangeRate or load rates with "forodha rates import"`
            : `no exchange rate for ${c} has been loaded; give exchangeRate or load rates with "forodha rates import"`,
        });
      }
      return { rates, missing };
    },

    async nationalRules(date: string): Promise<{ rules: NationalRules } | { missing: SettingKey[] }> {
      return once(await repo.settingsInForce(date), rulesOf);
    },

    /** The tax heads and their scheduled rates in force on the date. */
    async chargeSchedule(date: string) {
      return once(await repo.chargesInForce(date), scheduleFrom);
    },

    async search(query: string, date: string, limit: number) {
      return (await repo.searchLines(query, date, limit)).map(measureFrom);
    },
  };
}

export type TariffService = ReturnType<typeof tariffService>;
