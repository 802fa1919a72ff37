// Valuation reference: what comparable goods were accepted at. From declarations that customs
// accepted (registered or later, not cancelled or rejected), the distribution of customs value
// in KES per kg, and per unit of quantity for goods counted in units, per HS6 code and origin;
// when that has too few entries, HS6 from all origins, then the HS4 heading. A declared unit
// value below the low percentile (10th by default) raises the risk, with the figures in words.
//
// The figures come from the declaration module (acceptedUnitValues, over its table of accepted
// unit values): percentile_disc, an actual accepted unit value, exact numeric, never a float.
// Only a window counts: values accepted within valuation.windowDays before the declaration's
// date and, of those, the newest valuation.windowEntries, so a reference reads a bounded number
// of rows however long the history (README "History at scale").
// Results are cached per HS code, origin, unit and window for valuation.cacheSeconds.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { Dec } from '#platform/money.ts';
import { addDays } from '#platform/clock.ts';
import { acceptedUnitValues } from '#modules/declaration/index.ts';
import type { DeclarationForRisk } from './selectivity.ts';
import { digits, valuePerKg, valuePerUnit } from './rules.ts';

type Q = Kysely<DB>;
type Item = DeclarationForRisk['items'][number];

export type Basis = 'kg' | 'unit';
export type Level = 'HS6 and origin' | 'HS6' | 'HS4';

export interface UnitValueReference {
  basis: Basis;
  level: Level;
  hsCode: string;
  origin: string | null;
  unit: string | null;
  entries: number;
  percentile: number;
  /** KES per kg or per unit at the percentile. */
  low: string;
  median: string;
}

export interface ValuationFlag {
  itemNo: number;
  basis: Basis;
  declared: string;
  reference: UnitValueReference;
  reason: string;
}

/** Units that measure mass: a per-unit reference for them would repeat the per-kg one. */
const massUnits = new Set(['KGM', 'KG', 'TNE', 'GRM']);

interface Cached {
  at: number;
  value: UnitValueReference | null;
}

export class ValuationReferences {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<UnitValueReference | null>>();

  /** Forget every cached reference (tests, or after a bulk load of declarations). */
  clear(): void {
    this.cache.clear();
  }

  /** A cached reference, or undefined when it must be (re)computed. */
  private cached(key: string, now: number, ttlMs: number): Cached | undefined {
    const hit = this.cache.get(key);
    return hit && now - hit.at <= ttlMs ? hit : undefined;
  }

  /**
   * The reference for an item: the first level with at least minEntries comparable entries.
   * Without a query executor only cached references are used.
   */
  async reference(
    q: Q | undefined,
    args: {
      hsCode: string;
      origin: string;
      basis: Basis;
      unit: string;
      percentile: number;
      minEntries: number;
      ttlSeconds: number;
      /** Accepted on or after this date (ISO) ... */
      since: string;
      /** ... and of those the newest this many. */
      windowEntries: number;
      now: number;
    },
  ): Promise<UnitValueReference | null> {
    const hs = digits(args.hsCode);
    const unit = args.basis === 'unit' ? args.unit.toUpperCase() : null;
    const levels: [Level, string, string | null][] = [
      ['HS6 and origin', hs.slice(0, 6), args.origin.toUpperCase()],
      ['HS6', hs.slice(0, 6), null],
      ['HS4', hs.slice(0, 4), null],
    ];
    for (const [level, code, origin] of levels) {
      const key = [args.basis, level, code, origin ?? '*', unit ?? '*', args.percentile, args.since, args.windowEntries].join('|');
      let hit = this.cached(key, args.now, args.ttlSeconds * 1000);
      if (!hit) {
        if (!q) {
          continue;
        }
        const spec = {
          basis: args.basis,
          level,
          code,
          origin,
          unit,
          percentile: args.percentile,
          window: { since: args.since, entries: args.windowEntries },
        };
        hit = { at: args.now, value: await this.computeOnce(key, q, spec) };
        this.cache.set(key, hit);
      }
      if (hit.value && hit.value.entries >= args.minEntries) {
        return hit.value;
      }
    }
    return null;
  }

  /**
   * One computation per key at a time: when the cache expires under load, the declarations
   * lodged meanwhile wait for the query already running instead of each scanning the history.
   */
  private async computeOnce(key: string, q: Q, spec: Parameters<ValuationReferences['compute']>[1]): Promise<UnitValueReference | null> {
    const running = this.inflight.get(key);
    if (running) {
      try {
        return await running;
      } catch {
        // The transaction that ran it failed; compute on ours.
      }
    }
    const mine = this.compute(q, spec);
    this.inflight.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.inflight.get(key) === mine) {
        this.inflight.delete(key);
      }
    }
  }

  private async compute(
    q: Q,
    a: {
      basis: Basis;
      level: Level;
      code: string;
      origin: string | null;
      unit: string | null;
      percentile: number;
      window: { since: string; entries: number };
    },
  ): Promise<UnitValueReference | null> {
    const found = await acceptedUnitValues(q, {
      basis: a.basis,
      hsPrefix: a.code,
      origin: a.origin,
      unit: a.unit,
      percentile: a.percentile,
      window: a.window,
    });
    if (found.entries === 0 || found.low === null || found.median === null) {
      return null;
    }
    return {
      basis: a.basis,
      level: a.level,
      hsCode: a.code,
      origin: a.origin,
      unit: a.unit,
      entries: found.entries,
      percentile: a.percentile,
      low: new Dec(String(found.low)).toDecimalPlaces(4).toString(),
      median: new Dec(String(found.median)).toDecimalPlaces(4).toString(),
    };
  }

  /** Flags for the items declared below the low percentile of their reference. */
  async check(
    q: Q | undefined,
    d: DeclarationForRisk,
    settings: { percentile: number; minEntries: number; ttlSeconds: number; windowDays: number; windowEntries: number },
    now: number,
  ): Promise<ValuationFlag[]> {
    const flags: ValuationFlag[] = [];
    const { windowDays, ...kept } = settings;
    const since = addDays(d.date, -windowDays);
    for (const item of d.items) {
      const bases: [Basis, Dec | null][] = [['kg', valuePerKg(item)]];
      if (!massUnits.has(item.unit.toUpperCase())) {
        bases.push(['unit', valuePerUnit(item)]);
      }
      for (const [basis, declared] of bases) {
        if (declared === null) {
          continue;
        }
        const reference = await this.reference(q, {
          hsCode: item.hsCode,
          origin: item.originCountry,
          basis,
          unit: item.unit,
          ...kept,
          since,
          now,
        });
        if (reference && declared.lessThan(reference.low)) {
          const text = declared.toDecimalPlaces(4).toString();
          flags.push({
            itemNo: item.itemNo,
            basis,
            declared: text,
            reference,
            reason: describe(d, item, basis, declared, reference),
          });
          break; // one flag per item is enough to say why
        }
      }
    }
    return flags;
  }
}

const ordinal = (p: number): string => {
  const n = Math.round(p * 100);
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
};

/** "declared 0.42 USD/kg (KES 54.18/kg); 10th percentile 1.90 USD/kg (KES 245.10/kg) over 312 entries" */
function describe(d: DeclarationForRisk, item: Item, basis: Basis, declared: Dec, ref: UnitValueReference): string {
  const per = basis === 'kg' ? 'kg' : item.unit.toUpperCase();
  const rate = d.exchangeRate && d.invoiceCurrency !== 'KES' ? new Dec(d.exchangeRate) : null;
  const show = (kes: Dec): string => {
    const inKes = `KES ${kes.toDecimalPlaces(2).toFixed(2)}/${per}`;
    return rate && rate.isPositive() ? `${kes.div(rate).toDecimalPlaces(2).toFixed(2)} ${d.invoiceCurrency}/${per} (${inKes})` : inKes;
  };
  const scope = ref.level === 'HS6 and origin' ? `HS ${ref.hsCode} from ${ref.origin ?? ''}` : ref.level === 'HS6' ? `HS ${ref.hsCode}, all origins` : `heading ${ref.hsCode}, all origins`;
  return `item ${item.itemNo}: declared ${show(declared)}; ${ordinal(ref.percentile)} percentile ${show(new Dec(ref.low))} over ${ref.entries} entries (${scope}, customs value)`;
}
