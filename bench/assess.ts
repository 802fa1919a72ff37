// npm run bench:assess — how fast the assessment engine is, in process and behind the calculator.
//  1. In process: declarations of 3 items drawn from the sample tariff, assessed by the pure engine
//     on one core (items per second).
//  2. Over HTTP: the real server (embedded PGlite in a temporary folder, or DATABASE_URL when set)
//     driven by a load generator in another process (bench/load.ts): calculator requests per second
//     and latency percentiles.
// Same inputs, seed and durations on every run. The last line printed is the JSON summary.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCsv } from '../src/platform/csv.ts';
import { Dec } from '../src/platform/money.ts';
import { assess, type ItemInput } from '../src/modules/assessment/index.ts';
import { measureFrom } from '../src/modules/tariff/tariff.service.ts';
import { normaliseHsCode, sampleFiles } from '../src/modules/tariff/index.ts';
import { rulesAt, scheduleAt, units } from '../test/rules.ts';
import { runLoad, startServer, type LoadResult } from './harness.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] || 10) || 10;
const date = '2025-03-01';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function inProcess() {
  const { records } = await readCsv(sampleFiles.tariff);
  // Lines in force on the date with ad valorem duty (specific lines need quantities: kept simple).
  const lines = records
    .map((r) => r.values)
    .filter((v) => v.valid_from! <= date && (v.valid_to === '' || v.valid_to! >= date) && v.import_duty_specific === '' && v.excise_specific === '')
    .map((v, i) =>
      measureFrom({
        id: String(i), hs_code: normaliseHsCode(v.hs_code!)!, description: v.description!, unit: v.unit!,
        import_duty_rate: v.import_duty_rate || null, import_duty_specific: null, import_duty_specific_unit: null,
        excise_rate: v.excise_rate || null, excise_specific: null, excise_specific_unit: null, specific_currency: 'KES',
        vat: v.vat as 'standard', valid_from: v.valid_from!, valid_to: v.valid_to || null, vehicle_fuel: null, engine_cc_min: null, engine_cc_max: null, note: null, import_id: 1,
      }),
    );
  const rules = rulesAt(date);
  const schedule = scheduleAt(date);
  const random = prng(42);
  const usd = { currency: 'USD', rate: new Dec('129.25'), ref: { kind: 'declared' as const } };
  const declarations = Array.from({ length: 2000 }, () => ({
    items: Array.from({ length: 3 }, (): ItemInput => ({
      measure: lines[Math.floor(random() * lines.length)]!,
      fob: new Dec(Math.floor(random() * 5_000_000)).div(100),
      originCountry: random() < 0.1 ? 'UG' : 'CN',
      preferentialOrigin: random() < 0.1,
    })),
    freight: new Dec(Math.floor(random() * 300_000)).div(100),
  }));
  let items = 0;
  const started = performance.now();
  const until = started + Math.min(seconds, 10) * 1000;
  let i = 0;
  while (performance.now() < until) {
    const d = declarations[i++ % declarations.length]!;
    const r = assess({ date, cpc: '4000000', currency: 'USD', exchangeRate: usd, specificRates: new Map(), freight: d.freight, items: d.items, rules, schedule, units });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.errors));
    }
    items += d.items.length;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { items, seconds: elapsed, itemsPerSecond: Math.round(items / elapsed), tariffLines: lines.length };
}

async function overHttp(): Promise<LoadResult & { database: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-bench-'));
  const server = await startServer({ DATA_DIR: dataDir, DEMO: 'true', CALCULATOR_RATE_LIMIT: '1000000' }, 3950);
  try {
    const body = JSON.stringify({
      date,
      currency: 'USD',
      items: [
        { hsCode: '8471.30.00', originCountry: 'CN', fob: '12000', freight: '300' },
        { vehicle: { fuel: 'petrol', engineCc: 1800 }, originCountry: 'JP', fob: '8000', freight: '1200' },
        { hsCode: '3004.90.00', originCountry: 'IN', fob: '5000' },
      ],
    });
    const url = `${server.url}/api/v1/calculator`;
    await runLoad({ url, body, seconds: 2, connections: 8 }); // warm-up
    return { database: process.env.DATABASE_URL ? 'postgres' : 'pglite', ...(await runLoad({ url, body, seconds, connections: 16 })) };
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const engine = await inProcess();
console.log(`engine: ${engine.itemsPerSecond.toLocaleString()} items/s in process (${engine.items} items in ${engine.seconds.toFixed(1)} s, ${engine.tariffLines} tariff lines)`);
const http = await overHttp();
console.log(`calculator over HTTP (${http.database}, 3 items per request): ${http.requestsPerSecond} req/s, p50 ${http.p50Ms} ms, p99 ${http.p99Ms} ms, errors ${http.errors}`);
console.log(JSON.stringify({ itemsPerSecond: engine.itemsPerSecond, calculator: http }));
