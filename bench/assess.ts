// npm run bench:assess — how fast the assessment engine is, in process and behind the calculator.
//  1. In process: declarations of 3 items drawn from every line of the sample tariff in force
//     (ad valorem and specific duty and excise, per kg, tonne, litre, mille, pair, article and
//     centilitre of pure alcohol, USD and KES specific rates, fuel levies), with Kenya's shipped tax
//     heads (ID, EXD, EIPL, RML, PDL, IDF, RDL, VAT), freight apportioned and insurance declared or
//     defaulted, assessed by the pure engine on one core (items per second).
//     Beside it, the ceiling: the same loop over the same items doing only the minimal arithmetic
//     in plain floating-point JS numbers (CIF, customs value, each ad valorem or specific charge
//     rounded to the cent, the VAT base), no exactness and no result objects, into a typed array:
//     what this core can do for the arithmetic alone. The ratio is engine / ceiling.
//  2. Over HTTP (skipped with --no-http): the real server (embedded PGlite in a temporary folder,
//     or DATABASE_URL when set) driven by a load generator in another process (bench/load.ts):
//     calculator requests per second and latency percentiles.
// Same inputs, seed and durations on every run. The last line printed is the JSON summary, with
// the load average of the machine (2 shared cores) at the start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCsv } from '../src/platform/csv.ts';
import { Dec } from '../src/platform/money.ts';
import { assess, type AssessmentInput, type ItemInput, type TariffMeasure } from '../src/modules/assessment/index.ts';
import { measureFrom } from '../src/modules/tariff/tariff.service.ts';
import { normaliseHsCode, sampleFiles } from '../src/modules/tariff/index.ts';
import { prng, rulesAt, scheduleAt, units } from '../test/rules.ts';
import { runLoad, startServer, type LoadResult } from './harness.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] || 10) || 10;
const withHttp = !args.includes('--no-http');
const date = '2025-03-01';

async function tariffLines(): Promise<TariffMeasure[]> {
  const { records } = await readCsv(sampleFiles.tariff);
  const orNull = (v: string | undefined) => (v ? v : null);
  return records
    .map((r) => r.values)
    .filter((v) => v.valid_from! <= date && (v.valid_to === '' || v.valid_to! >= date))
    .map((v, i) =>
      measureFrom({
        id: String(i), hs_code: normaliseHsCode(v.hs_code!)!, description: v.description!, unit: v.unit!,
        import_duty_rate: orNull(v.import_duty_rate), import_duty_specific: orNull(v.import_duty_specific), import_duty_specific_unit: orNull(v.import_duty_specific_unit),
        excise_rate: orNull(v.excise_rate), excise_specific: orNull(v.excise_specific), excise_specific_unit: orNull(v.excise_specific_unit), specific_currency: v.specific_currency || 'KES',
        vat: v.vat as 'standard', valid_from: v.valid_from!, valid_to: orNull(v.valid_to), vehicle_fuel: null, engine_cc_min: null, engine_cc_max: null, note: null, import_id: 1,
      }),
    );
}

const cents = (random: () => number, max: number) => new Dec(BigInt(Math.floor(random() * max * 100)), 2);

/** One goods item as a trader declares it: value, and the quantity, mass and strength the line may be charged on. */
function itemFrom(measure: TariffMeasure, random: () => number): ItemInput {
  const alcohol = [measure.importDuty, measure.excise].some((c) => c.specific?.unit === 'CLPA');
  return {
    measure,
    fob: cents(random, 50_000),
    ...(random() < 0.3 ? { insurance: cents(random, 500) } : {}),
    quantity: new Dec(BigInt(Math.floor(random() * 2_000_000) + 1), 3),
    netMassKg: new Dec(BigInt(Math.floor(random() * 200_000) + 1), 1),
    ...(alcohol ? { alcoholPercent: new Dec(BigInt(Math.floor(random() * 400) + 35), 1) } : {}),
    originCountry: random() < 0.1 ? 'UG' : 'CN',
    preferentialOrigin: random() < 0.1,
  };
}

async function inProcess() {
  const lines = await tariffLines();
  const random = prng(42);
  const usd = { currency: 'USD', rate: new Dec('129.25'), ref: { kind: 'declared' as const } };
  const [specificRates, rules, schedule] = [new Map([['USD', usd]]), rulesAt(date), scheduleAt(date)];
  // Written out field by field in the calculator's order (calculator.service.ts), not spread from
  // a shared base: V8 gives each object built as `{ ...base, more }` in a loop a hidden class of
  // its own (1,992 for 2,000 declarations), which no caller does and which made every
  // assessment's first read of each input field a miss of the inline caches.
  const declarations: AssessmentInput[] = Array.from({ length: 2000 }, () => {
    const cpc = random() < 0.05 ? '4071000' : '4000000';
    const items = Array.from({ length: 3 }, () => itemFrom(lines[Math.floor(random() * lines.length)]!, random));
    const freight = cents(random, 3000);
    return { date, cpc, currency: 'USD', exchangeRate: usd, specificRates, freight, items, rules, schedule, units };
  });
  const engine = timed(declarations, (d) => {
    const r = assess(d);
    if (!r.ok) {
      throw new Error(JSON.stringify(r.errors));
    }
  });
  const ceiling = floatCeiling(declarations);
  return { engine, ceiling, tariffLines: lines.length, specificLines: lines.filter((l) => l.importDuty.specific || l.excise.specific).length };
}

/** Runs `work` over the declarations round and round for the configured time (at most 10 s), after a 1 s warm-up. */
function timed(declarations: AssessmentInput[], work: (d: AssessmentInput, i: number) => void) {
  const run = (ms: number) => {
    let items = 0;
    let i = 0;
    const started = performance.now();
    const until = started + ms;
    while (performance.now() < until) {
      for (let k = 0; k < 100; k++, i++) {
        const d = declarations[i % declarations.length]!;
        work(d, i);
        items += d.items.length;
      }
    }
    const elapsed = (performance.now() - started) / 1000;
    return { items, seconds: Number(elapsed.toFixed(2)), itemsPerSecond: Math.round(items / elapsed) };
  };
  run(1000);
  return run(Math.min(seconds, 10) * 1000);
}

/**
 * The ceiling: the arithmetic of each item in plain floats, its inputs read from the same
 * declarations, its rates resolved once beforehand (as the engine resolves a schedule once).
 */
function floatCeiling(declarations: AssessmentInput[]) {
  const { schedule, rules } = declarations[0]!;
  const rateOf = (code: string) => Number(schedule.rates.find((r) => r.charge === code && r.hsPrefix === '')?.rate ?? 0);
  const [idf, rdl, vat, insuranceRate] = [rateOf('IDF'), rateOf('RDL'), rateOf('VAT'), rules.defaultInsuranceRate.value.toNumber()];
  const plain = declarations.map((d) => ({
    fx: d.exchangeRate.rate.toNumber(),
    freight: d.freight?.toNumber() ?? 0,
    items: d.items.map((i) => ({
      fob: i.fob.toNumber(),
      insurance: i.insurance?.toNumber(),
      quantity: i.quantity?.toNumber() ?? 0,
      duty: i.measure.importDuty.rate?.toNumber() ?? 0,
      dutySpecific: i.measure.importDuty.specific?.amount.toNumber() ?? 0,
      excise: i.measure.excise.rate?.toNumber() ?? 0,
      exciseSpecific: i.measure.excise.specific?.amount.toNumber() ?? 0,
    })),
  }));
  const cent = (x: number) => Math.round(x * 100) / 100;
  const out = new Float64Array(4);
  return timed(declarations, (_, n) => {
    const d = plain[n % plain.length]!;
    let fobTotal = 0;
    for (const i of d.items) {
      fobTotal += i.fob;
    }
    for (const i of d.items) {
      const freight = cent((d.freight * i.fob) / fobTotal);
      const cif = i.fob + freight + (i.insurance ?? ((i.fob + freight) * insuranceRate) / 100);
      const cv = cent(cif * d.fx);
      const duty = Math.max(cent((cv * i.duty) / 100), cent(i.quantity * i.dutySpecific));
      const excise = Math.max(cent(((cv + duty) * i.excise) / 100), cent(i.quantity * i.exciseSpecific));
      out[0] = duty + excise;
      out[1] = cent((cv * idf) / 100) + cent((cv * rdl) / 100);
      out[2] = cent(((cv + duty + excise) * vat) / 100);
      out[3] = cv;
    }
  });
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

const load = os.loadavg()[0] ?? 0;
const { engine, ceiling, tariffLines: lineCount, specificLines } = await inProcess();
const ratio = Number((engine.itemsPerSecond / ceiling.itemsPerSecond).toFixed(4));
console.log(`engine: ${engine.itemsPerSecond.toLocaleString()} items/s in process (${engine.items} items in ${engine.seconds} s, ${lineCount} tariff lines, ${specificLines} with a specific charge)`);
console.log(`ceiling (same items, float arithmetic only): ${ceiling.itemsPerSecond.toLocaleString()} items/s; engine at ${(ratio * 100).toFixed(1)}% of it; load average ${load.toFixed(2)} on ${os.cpus().length} cores`);
const http = withHttp ? await overHttp() : undefined;
if (http) {
  console.log(`calculator over HTTP (${http.database}, 3 items per request): ${http.requestsPerSecond} req/s, p50 ${http.p50Ms} ms, p99 ${http.p99Ms} ms, errors ${http.errors}`);
}
console.log(
  JSON.stringify({
    itemsPerSecond: engine.itemsPerSecond,
    ceiling: { what: 'same loop, float arithmetic only, no result objects', itemsPerSecond: ceiling.itemsPerSecond },
    ratio,
    loadAverage: Number(load.toFixed(2)),
    ...(http ? { calculator: http } : {}),
  }),
);
