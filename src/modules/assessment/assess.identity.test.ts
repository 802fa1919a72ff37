// The engine's fast path held to the exact one over the sample tariff. The engine keeps figures on
// safe-integer numbers where they fit (Dec's number units, DecTotal's sums, apportionment on
// integers, the reused item context) and on BigInt past that; onExactPath makes every Dec keep
// BigInt units, the arithmetic as it was before any fast path. Consignments are drawn with a
// seeded generator from every line of the sample tariff in force, with every kind of measure it
// has (ad valorem, specific per unit in USD and KES, per centilitre of pure alcohol, the fuel
// levies scheduled by HS prefix), reliefs, preferential origin, the preferential levies' procedure
// code, charge bounds, levies joining the VAT base, and values large enough to force the BigInt
// fallback; both paths must give the same result, field by field, units and scale alike.
import { describe, expect, it } from "vitest";
import { readCsv } from "#platform/csv.ts";
import { Dec, onExactPath } from "#platform/money.ts";
import { measureFrom } from "../tariff/tariff.service.ts";
import { normaliseHsCode, sampleFiles, type ChargesFile } from "../tariff/index.ts";
import { canonical, prng, rulesAt, scheduleAt, units } from "../../../test/rules.ts";
import { assess } from "./assess.ts";
import type { AssessmentInput, ItemInput, ReliefGrant, RuleRef, TariffMeasure } from "./assessment.types.ts";

const date = "2025-03-01";

type Row = Record<string, string | undefined>;
const rows: Row[] = (await readCsv(sampleFiles.tariff)).records
  .map((r) => r.values)
  .filter((v) => v.valid_from! <= date && (v.valid_to === "" || v.valid_to! >= date));

/** Every figure the engine reads, made afresh (on the exact path: on BigInt). */
interface World {
  measures: TariffMeasure[];
  /** Lines whose rates have many digits (also among `measures`). */
  manyDigits: TariffMeasure[];
  rules: AssessmentInput["rules"];
  schedules: AssessmentInput["schedule"][];
}

function world(): World {
  const orNull = (v: string | undefined) => (v ? v : null);
  const measures = rows.map((v, i) =>
    measureFrom({
      id: String(i), hs_code: normaliseHsCode(v.hs_code!)!, description: v.description!, unit: v.unit!,
      import_duty_rate: orNull(v.import_duty_rate), import_duty_specific: orNull(v.import_duty_specific), import_duty_specific_unit: orNull(v.import_duty_specific_unit),
      excise_rate: orNull(v.excise_rate), excise_specific: orNull(v.excise_specific), excise_specific_unit: orNull(v.excise_specific_unit), specific_currency: v.specific_currency || "KES",
      vat: v.vat as "standard", valid_from: v.valid_from!, valid_to: orNull(v.valid_to), vehicle_fuel: null, engine_cc_min: null, engine_cc_max: null, note: null, import_id: 1,
    }),
  );
  const types = (edit: (t: ChargesFile["chargeTypes"][number]) => object) => (f: ChargesFile) => ({ ...f, chargeTypes: f.chargeTypes.map((t) => ({ ...t, ...edit(t) })) });
  // Lines the sample tariff does not have: rates of many digits (their products leave the safe
  // range at ordinary values), a specific rate of many digits, and nil duty on an exempt line.
  const line = (key: string, importDuty: TariffMeasure["importDuty"], excise: TariffMeasure["excise"], vat: TariffMeasure["vat"]): TariffMeasure => ({
    ref: { kind: "tariff-line", id: key, key, validFrom: "2020-01-01", validTo: null },
    hsCode: key,
    description: "many digits",
    unit: "KGM",
    importDuty,
    excise,
    vat,
  });
  const manyDigits = [
    line("9901.10.00", { rate: new Dec("12.3456789012") }, { rate: new Dec("0.0000001") }, "standard"),
    line("9901.20.00", { rate: new Dec("33.33333333333333") }, {}, "zero"),
    line("9901.30.00", {}, {}, "exempt"),
    line("9901.40.00", { rate: new Dec("25"), specific: { amount: new Dec("1234.5678"), unit: "KGM", currency: "USD" } }, { rate: new Dec("7.77") }, "standard"),
  ];
  return {
    measures: [...measures, ...manyDigits],
    manyDigits,
    rules: rulesAt(date),
    schedules: [
      scheduleAt(date),
      // The levies join the VAT base, and IDF is held between a minimum and a maximum.
      scheduleAt(date, types((t) => (t.code === "IDF" ? { joinsVatBase: true, minimum: "5000", maximum: "150000" } : t.code === "RDL" ? { joinsVatBase: true } : {}))),
    ],
  };
}

const relief = (charge: string, kind: "full" | "rate", rate: Dec | undefined, name: string): ReliefGrant => ({
  charge,
  kind,
  ...(rate === undefined ? {} : { rate }),
  name,
  ref: { kind: "relief", id: name, key: name, validFrom: "2020-01-01", validTo: null },
});
const eac: RuleRef = { kind: "preference", id: "EAC-CU", key: "EAC-CU", validFrom: "2005-01-01", validTo: null };

/**
 * Draws one consignment's figures from `seed` and builds it in `w`: the same draws give the same
 * consignment in either world, so the fast and exact paths assess the same goods.
 */
function consignment(seed: number, w: World): AssessmentInput {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  // Units at a scale: mostly ordinary; now and then far past 2^53 once scaled (the BigInt fallback).
  const figure = (max: number, scale: number): Dec => {
    const units = random() < 0.08 ? BigInt(Math.floor(random() * 1e9)) * 10n ** BigInt(8 + Math.floor(random() * 12)) + BigInt(Math.floor(random() * 1e6)) : BigInt(Math.floor(random() * max));
    return new Dec(units, scale);
  };
  // Huge figures on purpose too: a FOB or quantity near 2^53 once scaled, a tiny and a huge exchange rate.
  const huge = (scale: number): Dec => new Dec(BigInt(Math.floor(random() * 9e15)), scale);
  const fx = pick([new Dec("129.25"), new Dec("1"), new Dec("0.8734125"), new Dec("146.3371"), new Dec("0.000000123456789"), new Dec("987654321.123456")]);
  const rate = { currency: "USD", rate: fx, ref: { kind: "declared" as const } };
  const items: ItemInput[] = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
    const measure = random() < 0.1 ? pick(w.manyDigits) : pick(w.measures);
    const alcohol = [measure.importDuty, measure.excise].some((c) => c.specific?.unit === "CLPA");
    const reliefs = random() < 0.15 ? [pick([relief("ID", "full", undefined, "diplomatic"), relief("VAT", "rate", new Dec("8"), "half-vat"), relief("EXD", "rate", new Dec("2.5"), "reduced-excise"), relief("IDF", "full", undefined, "aid")])] : undefined;
    return {
      measure,
      fob: random() < 0.05 ? huge(2) : figure(5_000_000_000, pick([0, 2, 2, 3])),
      ...(random() < 0.2 ? { freight: figure(50_000_000, 2) } : {}),
      ...(random() < 0.3 ? { insurance: figure(5_000_000, 2) } : {}),
      ...(random() < 0.9 ? { quantity: random() < 0.05 ? huge(3) : figure(2_000_000, pick([0, 3])) } : {}),
      ...(random() < 0.9 ? { netMassKg: figure(200_000, 1) } : {}),
      ...(alcohol && random() < 0.95 ? { alcoholPercent: new Dec(BigInt(Math.floor(random() * 400) + 35), 1) } : {}),
      ...(reliefs ? { reliefs } : {}),
      ...(random() < 0.1 ? { preferentialOrigin: true, preference: { agreement: "EAC-CU", charges: ["ID"], ref: eac } } : {}),
    };
  });
  return {
    date,
    cpc: random() < 0.2 ? "4000430" : "4000000", // 4000430: the preferential IDF and RDL
    currency: "USD",
    exchangeRate: rate,
    specificRates: new Map([["USD", rate]]),
    ...(random() < 0.6 ? { freight: figure(300_000, 2) } : {}),
    ...(random() < 0.2 ? { insurance: figure(50_000, 2) } : {}),
    items,
    rules: w.rules,
    schedule: pick(w.schedules),
    units,
  };
}


describe("the fast path against the exact one, over the sample tariff", () => {
  const fast = world();
  const exact = onExactPath(world);

  it("assesses drawn consignments exactly as the BigInt path does, field by field", () => {
    const seen = { assessed: 0, refused: 0, specific: 0, alcohol: 0, fuelLevy: 0, relieved: 0, preference: 0, preferentialCpc: 0, bounded: 0, fallback: 0 };
    for (let seed = 1; seed <= 3000; seed++) {
      const a = assess(consignment(seed, fast));
      const b = onExactPath(() => assess(consignment(seed, exact)));
      expect(canonical(a), `seed ${seed}`).toEqual(canonical(b));
      if (!a.ok) {
        seen.refused++;
        continue;
      }
      seen.assessed++;
      const lines = a.assessment.items.flatMap((i) => i.taxes);
      seen.specific += lines.filter((l) => l.specific).length;
      seen.alcohol += lines.filter((l) => l.specific?.unit === "CLPA").length;
      seen.fuelLevy += lines.filter((l) => l.code === "RML" || l.code === "PDL").length;
      seen.relieved += lines.filter((l) => l.method.startsWith("relief")).length;
      seen.preference += lines.filter((l) => l.method.startsWith("preference")).length;
      seen.preferentialCpc += lines.filter((l) => l.method === "preferential-cpc").length;
      seen.bounded += lines.filter((l) => l.method.includes("(m")).length;
      seen.fallback += a.assessment.items.some((i) => i.customsValue.toScaledInteger(i.customsValue.scale) === undefined) ? 1 : 0;
    }
    // The draws reach every kind of charge and the BigInt fallback, not just the common case.
    for (const [kind, count] of Object.entries(seen)) {
      expect(count, kind).toBeGreaterThan(kind === "refused" ? 0 : 20);
    }
  });

  it("takes figures past the safe range (huge values, rates of many digits, tiny and huge exchange rates) to the BigInt path", () => {
    const seen = { manyDigits: 0, hugeAmount: 0, hugeBase: 0, tinyRate: 0, hugeRate: 0 };
    const unsafe = (d: Dec) => d.toScaledInteger(d.scale) === undefined;
    for (let seed = 1; seed <= 3000; seed++) {
      const a = assess(consignment(seed, fast));
      if (!a.ok) {
        continue;
      }
      const b = onExactPath(() => assess(consignment(seed, exact)));
      expect(canonical(a), `seed ${seed}`).toEqual(canonical(b));
      const lines = a.assessment.items.flatMap((i) => i.taxes);
      seen.manyDigits += a.assessment.items.filter((i) => fast.manyDigits.some((m) => m.hsCode === i.hsCode)).length;
      seen.hugeAmount += lines.filter((l) => unsafe(l.amount)).length;
      seen.hugeBase += lines.filter((l) => unsafe(l.base)).length;
      const rate = a.assessment.items[0]?.valuation.exchangeRate.toString();
      seen.tinyRate += rate === "0.000000123456789" ? 1 : 0;
      seen.hugeRate += rate === "987654321.123456" ? 1 : 0;
    }
    for (const [kind, count] of Object.entries(seen)) {
      expect(count, kind).toBeGreaterThan(20);
    }
  });

  // A plain item (no preference, relief or preferential levy) is assessed from its line's plain
  // charges; a preference that names no charge changes nothing in the result but sends each item
  // through the general path, charge by charge, so the two can be compared.
  it("assesses a plain item as the general path does", () => {
    let plain = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const input = consignment(seed, fast);
      const general = { ...input, items: input.items.map((i) => i.preference === undefined ? { ...i, preference: { agreement: "none", charges: [], ref: eac } } : i) };
      expect(canonical(assess(input)), `seed ${seed}`).toEqual(canonical(assess(general)));
      plain += input.cpc === "4000430" ? 0 : input.items.filter((i) => i.preference === undefined && i.reliefs === undefined).length;
    }
    expect(plain).toBeGreaterThan(3000);
  });
});
