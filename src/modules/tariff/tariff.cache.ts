// Tariff data changes a few times a year and is read on every assessment, so reads are kept in
// memory for a short time. One cache serves every repository built on it (including those bound
// to a declaration's transaction); a miss reads through the repository it was asked on. A tariff
// or rate import (the CLI runs in its own process) is seen by a running server within `ttlMs`.
import type { TariffRepository, TariffLineRow, ExchangeRateRow, SettingRow, ChargeTypeRow, ChargeRateRow } from './tariff.repository.ts';

export class TariffCache {
  private readonly entries = new Map<string, { expires: number; value: unknown }>();

  constructor(
    readonly ttlMs = 30_000,
    private readonly maxEntries = 20_000,
  ) {}

  get<T>(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (!hit || hit.expires < Date.now()) {
      return undefined;
    }
    return hit.value as T;
  }

  set(key: string, value: unknown): void {
    if (this.entries.size >= this.maxEntries) {
      this.entries.clear();
    }
    this.entries.set(key, { expires: Date.now() + this.ttlMs, value });
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The repository with its hot reads answered from the cache when fresh. */
export function cachedReads(repo: TariffRepository, cache: TariffCache): TariffRepository {
  return {
    ...repo,
    async linesFor(hsCodes: string[]): Promise<TariffLineRow[]> {
      const missing = hsCodes.filter((c) => cache.get(`line:${c}`) === undefined);
      if (missing.length > 0) {
        const rows = await repo.linesFor(missing);
        for (const code of missing) {
          cache.set(`line:${code}`, rows.filter((r) => r.hs_code === code));
        }
      }
      return hsCodes.flatMap((c) => cache.get<TariffLineRow[]>(`line:${c}`) ?? []);
    },
    async vehicleLinesInForce(fuel: string, date: string): Promise<TariffLineRow[]> {
      const key = `vehicle:${fuel}:${date}`;
      let rows = cache.get<TariffLineRow[]>(key);
      if (!rows) {
        rows = await repo.vehicleLinesInForce(fuel, date);
        cache.set(key, rows);
      }
      return rows;
    },
    async ratesInForce(currencies: string[], date: string): Promise<ExchangeRateRow[]> {
      const missing = currencies.filter((c) => cache.get(`rate:${c}:${date}`) === undefined);
      if (missing.length > 0) {
        const rows = await repo.ratesInForce(missing, date);
        for (const c of missing) {
          cache.set(`rate:${c}:${date}`, rows.filter((r) => r.currency === c));
        }
      }
      return currencies.flatMap((c) => cache.get<ExchangeRateRow[]>(`rate:${c}:${date}`) ?? []);
    },
    async chargesInForce(date: string): Promise<{ types: ChargeTypeRow[]; rates: ChargeRateRow[] }> {
      const key = `charges:${date}`;
      let value = cache.get<{ types: ChargeTypeRow[]; rates: ChargeRateRow[] }>(key);
      if (!value) {
        value = await repo.chargesInForce(date);
        cache.set(key, value);
      }
      return value;
    },
    async settingsInForce(date: string): Promise<SettingRow[]> {
      const key = `settings:${date}`;
      let rows = cache.get<SettingRow[]>(key);
      if (!rows) {
        rows = await repo.settingsInForce(date);
        cache.set(key, rows);
      }
      return rows;
    },
  };
}
