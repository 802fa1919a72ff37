// The bulk seeder (bench/scale-seed.ts) writes accepted unit values with COPY, computed in
// JavaScript; the declaration module's consumer computes them in SQL. They must be the same values
// to the last printed digit, so the JavaScript division and date are checked here against the
// database engine itself (PGlite, or PostgreSQL with TEST_DATABASE_URL). The whole table is
// checked against `forodha unit-values rebuild` by `npm run scale:seed -- --check-unit-values`.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nairobiDate, numericDivide } from '../bench/history.model.ts';
import { openDatabase, openMemoryDatabase, type Database } from '../src/platform/db/database.ts';

/** A decimal text with `scale` places, from an integer of up to `digits` digits (the seeder's shapes and wider). */
const decimal = (scale: number, digits: number) =>
  fc.bigInt({ min: 1n, max: 10n ** BigInt(digits) - 1n }).map((n) => {
    const text = n.toString().padStart(scale + 1, '0');
    return scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`;
  });

describe('the seeder computes accepted unit values as PostgreSQL does', () => {
  let database: Database;

  beforeAll(async () => {
    const url = process.env.TEST_DATABASE_URL;
    database = url ? await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 2 }) : await openMemoryDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  /** PostgreSQL's own quotients of these pairs, as text. */
  async function divided(pairs: [string, string][]): Promise<string[]> {
    const { rows } = await sql<{ q: string }>`
      select (a::numeric / b::numeric)::text as q
      from unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[]) with ordinality as t (a, b, n)
      order by n`.execute(database.db);
    return rows.map((r) => r.q);
  }

  it('divides a customs value by a mass or quantity of three decimals to the same digits and scale', async () => {
    // Cases where the scale rule turns: equal first base-10000 digits, values below one, long quotients.
    const edges: [string, string][] = [
      ['100.00', '100.000'],
      ['99.99', '100.000'],
      ['12345.67', '100.000'],
      ['0.50', '3.000'],
      ['1.00', '7.000'],
      ['99999999.99', '1.000'],
      ['0.01', '25000.000'],
      ['5000.00', '5000.000'],
      ['1234.56', '7.000'],
    ];
    const drawn = fc.sample(fc.tuple(decimal(2, 14), decimal(3, 9)), 2000);
    const pairs = [...edges, ...drawn];
    expect(pairs.map(([a, b]) => numericDivide(a, b))).toEqual(await divided(pairs));
  });

  it('divides operands of any scale alike', async () => {
    const pairs = fc.sample(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 })).chain(([sa, sb]) => fc.tuple(decimal(sa, 18), decimal(sb, 12))), 2000);
    expect(pairs.map(([a, b]) => numericDivide(a, b))).toEqual(await divided(pairs));
  });

  it('refuses a divisor of zero, as the consumer skips it', () => {
    expect(() => numericDivide('10.00', '0.000')).toThrow(/positive divisor/);
  });

  it("dates a registration in Nairobi as `at time zone 'Africa/Nairobi'` does", async () => {
    const instants = [Date.UTC(2024, 11, 31, 20, 59, 59), Date.UTC(2024, 11, 31, 21, 0, 0), Date.UTC(2016, 1, 29, 22, 30), ...fc.sample(fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2027, 0, 1) }), 500)];
    const { rows } = await sql<{ d: string }>`
      select ((t at time zone 'Africa/Nairobi')::date)::text as d
      from unnest(${instants.map((ms) => new Date(ms).toISOString())}::timestamptz[]) with ordinality as x (t, n)
      order by n`.execute(database.db);
    expect(instants.map(nairobiDate)).toEqual(rows.map((r) => r.d));
  });
});
