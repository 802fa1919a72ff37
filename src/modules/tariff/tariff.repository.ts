// The only file that touches the tariff module's tables.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { TariffTables } from './tariff.tables.ts';

export type TariffLineRow = Selectable<TariffTables['tariff_line']>;
export type ExchangeRateRow = Selectable<TariffTables['exchange_rate']>;
export type SettingRow = Selectable<TariffTables['national_setting']>;
type Q = Kysely<DB> | Tx;

export function tariffRepository(db: Kysely<DB>) {
  return {
    /** Every version of the given lines, oldest first: the caller picks the one in force or explains why none is. */
    linesFor(hsCodes: string[]): Promise<TariffLineRow[]> {
      if (hsCodes.length === 0) {
        return Promise.resolve([]);
      }
      return db.selectFrom('tariff_line').selectAll().where('hs_code', 'in', hsCodes).orderBy('hs_code').orderBy('valid_from').execute();
    },

    vehicleLinesInForce(fuel: string, date: string): Promise<TariffLineRow[]> {
      return db
        .selectFrom('tariff_line')
        .selectAll()
        .where('vehicle_fuel', '=', fuel)
        .where('valid_from', '<=', date)
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', date)]))
        .orderBy('engine_cc_min')
        .execute();
    },

    ratesInForce(currencies: string[], date: string): Promise<ExchangeRateRow[]> {
      if (currencies.length === 0) {
        return Promise.resolve([]);
      }
      return db
        .selectFrom('exchange_rate')
        .selectAll()
        .where('currency', 'in', currencies)
        .where('valid_from', '<=', date)
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', date)]))
        .orderBy('valid_from', 'desc')
        .execute();
    },

    latestRate(currency: string): Promise<ExchangeRateRow | undefined> {
      return db.selectFrom('exchange_rate').selectAll().where('currency', '=', currency).orderBy('valid_from', 'desc').limit(1).executeTakeFirst();
    },

    settingsInForce(date: string): Promise<SettingRow[]> {
      return db
        .selectFrom('national_setting')
        .selectAll()
        .where('valid_from', '<=', date)
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', date)]))
        .orderBy('valid_from', 'desc')
        .execute();
    },

    searchLines(query: string, date: string, limit: number): Promise<TariffLineRow[]> {
      const digits = query.replace(/[.\s]/g, '');
      return db
        .selectFrom('tariff_line')
        .selectAll()
        .where('valid_from', '<=', date)
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', date)]))
        .where((eb) =>
          /^\d+$/.test(digits) ? eb('hs_code', 'like', `${digits}%`) : eb(sql<string>`lower(description)`, 'like', `%${query.toLowerCase()}%`),
        )
        .orderBy('hs_code')
        .limit(limit)
        .execute();
    },

    chargesInForce(date: string) {
      return chargeReads(db).chargesInForce(date);
    },

    async isEmpty(): Promise<boolean> {
      const row = await db.selectFrom('tariff_line').select('id').limit(1).executeTakeFirst();
      return row === undefined;
    },

    async hasSettings(): Promise<boolean> {
      const row = await db.selectFrom('national_setting').select('id').limit(1).executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type TariffRepository = ReturnType<typeof tariffRepository>;

/** Writes of an import run inside its one transaction. */
export const tariffWrites = {
  async lockTariff(tx: Tx): Promise<void> {
    await sql`lock table tariff_line in share row exclusive mode`.execute(tx);
  },
  async lockRates(tx: Tx): Promise<void> {
    await sql`lock table exchange_rate in share row exclusive mode`.execute(tx);
  },
  existingLines(tx: Q, hsCodes: string[]): Promise<TariffLineRow[]> {
    return hsCodes.length === 0 ? Promise.resolve([]) : tx.selectFrom('tariff_line').selectAll().where('hs_code', 'in', hsCodes).execute();
  },
  existingRates(tx: Q, currencies: string[]): Promise<ExchangeRateRow[]> {
    return currencies.length === 0 ? Promise.resolve([]) : tx.selectFrom('exchange_rate').selectAll().where('currency', 'in', currencies).execute();
  },
  async recordImport(tx: Q, entry: { kind: string; file_name: string; checksum: string; rows_loaded: number; rows_unchanged: number; imported_by: string; note: string | null }): Promise<number> {
    const row = await tx.insertInto('data_import').values(entry).returning('id').executeTakeFirstOrThrow();
    return row.id;
  },
  async closeLine(tx: Q, id: string, validTo: string): Promise<void> {
    await tx.updateTable('tariff_line').set({ valid_to: validTo }).where('id', '=', id).execute();
  },
  async closeRate(tx: Q, id: string, validTo: string): Promise<void> {
    await tx.updateTable('exchange_rate').set({ valid_to: validTo }).where('id', '=', id).execute();
  },
  async insertLines(tx: Q, rows: Omit<TariffLineRow, 'id'>[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await tx.insertInto('tariff_line').values(rows.slice(i, i + 500)).execute();
    }
  },
  async insertRates(tx: Q, rows: Omit<ExchangeRateRow, 'id'>[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      await tx.insertInto('exchange_rate').values(rows.slice(i, i + 1000)).execute();
    }
  },
  async insertSettings(tx: Q, rows: { key: string; value: unknown; valid_from: string; valid_to: string | null; note: string | null }[]): Promise<number> {
    let inserted = 0;
    for (const row of rows) {
      const result = await tx
        .insertInto('national_setting')
        .values({ ...row, value: JSON.stringify(row.value) })
        .onConflict((oc) => oc.columns(['key', 'valid_from']).doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  },
};

export type ChargeTypeRow = Selectable<TariffTables['charge_type']>;
export type ChargeRateRow = Selectable<TariffTables['charge_rate']>;

/** Tax heads and their scheduled rates in force on a date. */
export function chargeReads(db: Q) {
  return {
    async chargesInForce(date: string): Promise<{ types: ChargeTypeRow[]; rates: ChargeRateRow[] }> {
      const [types, rates] = await Promise.all([
        db
          .selectFrom('charge_type')
          .selectAll()
          .where('valid_from', '<=', date)
          .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', date)]))
          .orderBy('sequence')
          .execute(),
        db
          .selectFrom('charge_rate')
          .selectAll()
          .where('valid_from', '<=', date)
          .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', date)]))
          .execute(),
      ]);
      return { types, rates };
    },
  };
}
