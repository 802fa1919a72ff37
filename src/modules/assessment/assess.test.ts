import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  assess,
  apportion,
  type AssessmentInput,
  type ItemInput,
  type Assessment,
} from "./index.ts";
import { Dec, onExactPath } from "#platform/money.ts";
import { canonical, rulesAt, measure, d, scheduleAt, units } from "../../../test/rules.ts";

const kes = { currency: "KES", rate: d(1), ref: { kind: "declared" as const } };

function input(
  items: ItemInput[],
  over: Partial<AssessmentInput> = {},
): AssessmentInput {
  return {
    date: "2025-03-01",
    cpc: "4000000",
    currency: "KES",
    exchangeRate: kes,
    specificRates: new Map(),
    items,
    rules: rulesAt("2025-03-01"),
    schedule: scheduleAt("2025-03-01"),
    units,
    ...over,
  };
}

function run(i: AssessmentInput): Assessment {
  const r = assess(i);
  if (!r.ok) {
    throw new Error(JSON.stringify(r.errors));
  }
  return r.assessment;
}

const line = (a: Assessment, code: string, item = 0) =>
  a.items[item]!.taxes.find((t) => t.code === code);
const amount = (a: Assessment, code: string, item = 0) =>
  line(a, code, item)?.amount.toFixed(2);

describe("customs value", () => {
  it("is CIF converted at the exchange rate, with insurance 1% of C&F when none is declared", () => {
    const a = run(
      input(
        [{ measure: measure("8471.30.00"), fob: d(8000), freight: d(1200) }],
        {
          currency: "USD",
          exchangeRate: {
            currency: "USD",
            rate: d("129.50"),
            ref: { kind: "declared" },
          },
        },
      ),
    );
    // insurance = 1% of 9200 = 92; CIF 9292 USD x 129.50 = 1,203,314.00
    expect(a.items[0]!.valuation.insurance.toString()).toBe("92");
    expect(a.items[0]!.valuation.insuranceDefaulted).toBe(true);
    expect(a.items[0]!.customsValue.toFixed(2)).toBe("1203314.00");
  });

  it("uses declared insurance, even zero, instead of the default", () => {
    const a = run(
      input([
        {
          measure: measure("8471.30.00"),
          fob: d(1000),
          freight: d(100),
          insurance: d(0),
        },
      ]),
    );
    expect(a.items[0]!.customsValue.toFixed(2)).toBe("1100.00");
    expect(a.items[0]!.valuation.insuranceDefaulted).toBe(false);
  });

  it("apportions consignment freight and insurance to items by FOB, to the cent", () => {
    const a = run(
      input(
        [
          { measure: measure("1".padEnd(8, "0")), fob: d(100) },
          { measure: measure("2".padEnd(8, "0")), fob: d(200) },
          { measure: measure("3".padEnd(8, "0")), fob: d(700) },
        ],
        {
          freight: d("100.00"),
          insurance: d("10.01"),
        },
      ),
    );
    expect(a.items.map((i) => i.valuation.freight.toFixed(2))).toEqual([
      "10.00",
      "20.00",
      "70.00",
    ]);
    expect(a.items.map((i) => i.valuation.insurance.toFixed(2))).toEqual([
      "1.00",
      "2.00",
      "7.01",
    ]);
  });

  it("apportions on integers exactly as by the 20-place decimal rule", () => {
    // The rule as written before the integer path: shares at 20 places, floored to the cent,
    // the cents left over to the largest remainders first.
    function byDecimals(total: Dec, weights: Dec[]): Dec[] {
      const sum = weights.reduce((a, b) => a.plus(b), new Dec(0));
      const shares = weights.map((w) => total.times(w).div(sum));
      const floored = shares.map((x) => x.toDecimalPlaces(2, "down"));
      let left = total.minus(floored.reduce((a, b) => a.plus(b), new Dec(0)));
      const order = shares
        .map((x, i) => ({ i, rem: x.minus(floored[i]!) }))
        .sort((a, b) => b.rem.comparedTo(a.rem) || a.i - b.i);
      for (const { i } of order) {
        if (left.lessThan(new Dec(1n, 2))) {
          break;
        }
        floored[i] = floored[i]!.plus(new Dec(1n, 2));
        left = left.minus(new Dec(1n, 2));
      }
      return floored;
    }
    const amount = fc.oneof(
      fc.tuple(
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.integer({ min: 0, max: 3 }),
      ),
      fc.tuple(
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.integer({ min: 0, max: 6 }),
      ), // past the safe range: the decimal path
      fc.tuple(fc.constantFrom(0n, 1n, 3n, 7n, 10n), fc.constantFrom(0, 2)), // equal shares and remainders
    );
    fc.assert(
      fc.property(
        amount,
        fc.array(amount, { minLength: 1, maxLength: 12 }),
        ([t, ts], weights) => {
          const w = weights.map(([u, s]) => new Dec(u, s));
          fc.pre(!w.reduce((a, b) => a.plus(b), new Dec(0)).isZero());
          const total = new Dec(t, ts);
          expect(apportion(total, w).map(String)).toEqual(
            byDecimals(total, w).map(String),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("apportionment parts always add up to the whole", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), {
          minLength: 1,
          maxLength: 20,
        }),
        (cents, weights) => {
          const total = new Dec(cents).div(100);
          const parts = apportion(
            total,
            weights.map((w) => new Dec(w)),
          );
          expect(
            parts.reduce((a, b) => a.plus(b), new Dec(0)).equals(total),
          ).toBe(true);
          expect(parts.every((p) => !p.isNegative())).toBe(true);
        },
      ),
    );
  });
});

describe("taxes", () => {
  it("charges duty on CV, excise on CV + duty, VAT on CV + duty + excise, IDF and RDL on CV", () => {
    const a = run(
      input([
        {
          measure: measure("8703.23.00", {
            duty: { rate: d(35) },
            excise: { rate: d(25) },
          }),
          fob: d(1_000_000),
          insurance: d(0),
        },
      ]),
    );
    expect(amount(a, "ID")).toBe("350000.00");
    expect(line(a, "EXD")!.base.toFixed(2)).toBe("1350000.00");
    expect(amount(a, "EXD")).toBe("337500.00");
    expect(line(a, "VAT")!.base.toFixed(2)).toBe("1687500.00");
    expect(amount(a, "VAT")).toBe("270000.00");
    expect(amount(a, "IDF")).toBe("25000.00");
    expect(amount(a, "RDL")).toBe("20000.00");
    expect(a.total.toFixed(2)).toBe("1002500.00");
  });

  it("puts IDF and RDL into the VAT base only when their charge types say they join it", () => {
    const m = measure("8471.30.00", { duty: { rate: d(0) } });
    const off = run(input([{ measure: m, fob: d(1000), insurance: d(0) }]));
    const joining = scheduleAt("2025-03-01", (f) => ({
      ...f,
      chargeTypes: f.chargeTypes.map((t) =>
        t.code === "IDF" || t.code === "RDL" ? { ...t, joinsVatBase: true } : t,
      ),
    }));
    const on = run(
      input([{ measure: m, fob: d(1000), insurance: d(0) }], {
        schedule: joining,
      }),
    );
    expect(amount(off, "VAT")).toBe("160.00");
    expect(amount(on, "VAT")).toBe("167.20"); // 16% of 1000 + 25 + 20
  });

  it("exempt and zero-rated goods pay no VAT but still pay IDF and RDL", () => {
    for (const vat of ["exempt", "zero"] as const) {
      const a = run(
        input([
          {
            measure: measure("3004.90.00", { duty: { rate: d(0) }, vat }),
            fob: d(1000),
            insurance: d(0),
          },
        ]),
      );
      expect(amount(a, "VAT")).toBe("0.00");
      expect(line(a, "VAT")!.method).toBe(
        vat === "exempt" ? "exempt" : "zero-rated",
      );
      expect(amount(a, "IDF")).toBe("25.00");
    }
  });

  it("charges the higher of ad valorem and specific duty, converting the specific currency", () => {
    const rice = measure("1006.30.00", {
      duty: {
        rate: d(35),
        specific: { amount: d(345), unit: "TNE", currency: "USD" },
      },
    });
    const usd = {
      currency: "USD",
      rate: d(130),
      ref: { kind: "declared" as const },
    };
    const specificRates = new Map([["USD", usd]]);
    // 10 t declared at KES 100,000: 35% = 35,000; 10 x 345 x 130 = 448,500 -> specific
    const cheap = run(
      input(
        [
          {
            measure: rice,
            fob: d(100_000),
            insurance: d(0),
            netMassKg: d(10_000),
          },
        ],
        { specificRates },
      ),
    );
    expect(amount(cheap, "ID")).toBe("448500.00");
    expect(line(cheap, "ID")!.method).toBe("higher-of: specific");
    // 10 t at KES 2,000,000: 35% = 700,000 > 448,500 -> ad valorem
    const dear = run(
      input(
        [
          {
            measure: rice,
            fob: d(2_000_000),
            insurance: d(0),
            netMassKg: d(10_000),
          },
        ],
        { specificRates },
      ),
    );
    expect(amount(dear, "ID")).toBe("700000.00");
    expect(line(dear, "ID")!.method).toBe("higher-of: ad-valorem");
  });

  it("charges specific excise per litre of pure alcohol from quantity and strength", () => {
    const whisky = measure("2208.30.00", {
      excise: { specific: { amount: d(5), unit: "CLPA", currency: "KES" } },
      unit: "LTR",
    });
    const a = run(
      input([
        {
          measure: whisky,
          fob: d(10_000),
          insurance: d(0),
          quantity: d(100),
          alcoholPercent: d(40),
        },
      ]),
    );
    // 100 l x 40% = 40 l pure alcohol = 4000 cl x 5 = 20,000
    expect(amount(a, "EXD")).toBe("20000.00");
  });

  it("names the missing quantity a specific charge needs", () => {
    const sugar = measure("1701.99.00", {
      excise: { specific: { amount: d(5), unit: "KGM", currency: "KES" } },
    });
    const r = assess(input([{ measure: sugar, fob: d(1000) }]));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toMatchObject({
      pointer: "/items/0/netMassKg",
      code: "required",
    });
  });

  it("waives import duty when the caller grants a preference, names it, and never on a bare claim", () => {
    const m = measure("1701.14.00", { duty: { rate: d(100) } });
    const ref = {
      kind: "preference" as const,
      id: "7",
      key: "EAC-CU:UG",
      validFrom: "2005-01-01",
      validTo: null,
    };
    const ug = run(
      input([
        {
          measure: m,
          fob: d(1000),
          insurance: d(0),
          originCountry: "UG",
          preferentialOrigin: true,
          preference: { agreement: "EAC-CU", charges: ["ID"], ref },
        },
      ]),
    );
    expect(amount(ug, "ID")).toBe("0.00");
    expect(line(ug, "ID")).toMatchObject({
      method: "preference: EAC-CU",
      rule: ref,
    });
    expect(ug.rulesUsed).toContainEqual(ref);
    // The engine does not decide origin: a claim the caller did not grant pays in full.
    const claimOnly = run(
      input([
        {
          measure: m,
          fob: d(1000),
          insurance: d(0),
          originCountry: "UG",
          preferentialOrigin: true,
        },
      ]),
    );
    expect(amount(claimOnly, "ID")).toBe("1000.00");
  });

  it("charges preferential IDF and RDL for the approved-manufacturer procedure code", () => {
    const m = measure("3901.10.00", { duty: { rate: d(0) } });
    const normal = run(
      input([{ measure: m, fob: d(100_000), insurance: d(0) }]),
    );
    const preferential = run(
      input([{ measure: m, fob: d(100_000), insurance: d(0) }], {
        cpc: "4000430",
      }),
    );
    expect([amount(normal, "IDF"), amount(normal, "RDL")]).toEqual([
      "2500.00",
      "2000.00",
    ]);
    expect([amount(preferential, "IDF"), amount(preferential, "RDL")]).toEqual([
      "1500.00",
      "1500.00",
    ]);
    expect(line(preferential, "IDF")!.method).toBe("preferential-cpc");
  });
});

describe("levies and VAT by date", () => {
  const m = measure("8471.30.00", { duty: { rate: d(0) } });
  const at = (date: string) =>
    run(
      input([{ measure: m, fob: d(100_000), insurance: d(0) }], {
        date,
        rules: rulesAt(date),
        schedule: scheduleAt(date),
      }),
    );
  const cases: [string, string, string, string][] = [
    // date, IDF, RDL, VAT (on 100,000)
    ["2019-11-06", "2000.00", "1500.00", "16000.00"],
    ["2019-11-07", "3500.00", "2000.00", "16000.00"],
    ["2020-01-15", "3500.00", "2000.00", "16000.00"],
    ["2020-03-31", "3500.00", "2000.00", "16000.00"],
    ["2020-04-01", "3500.00", "2000.00", "14000.00"],
    ["2020-12-31", "3500.00", "2000.00", "14000.00"],
    ["2021-01-01", "3500.00", "2000.00", "16000.00"],
    ["2023-06-30", "3500.00", "2000.00", "16000.00"],
    ["2023-07-01", "2500.00", "1500.00", "16000.00"],
    ["2024-06-01", "2500.00", "1500.00", "16000.00"],
    ["2024-12-26", "2500.00", "1500.00", "16000.00"],
    ["2024-12-27", "2500.00", "2000.00", "16000.00"],
    ["2025-03-01", "2500.00", "2000.00", "16000.00"],
  ];
  it.each(cases)("on %s IDF %s, RDL %s, VAT %s", (date, idf, rdl, vat) => {
    const a = at(date);
    expect([amount(a, "IDF"), amount(a, "RDL"), amount(a, "VAT")]).toEqual([
      idf,
      rdl,
      vat,
    ]);
    const idfRate = a.rulesUsed.find(
      (r) => r.kind === "charge-rate" && r.key === "IDF all lines",
    );
    expect(
      idfRate !== undefined &&
        idfRate.validFrom <= date &&
        (idfRate.validTo ?? "9999") >= date,
    ).toBe(true);
  });
});

describe("rounding", () => {
  it("rounds each line half up to the cent by default, and totals are sums of rounded lines", () => {
    // CV 0.10 x 25% = 0.025 -> 0.03
    const a = run(
      input([
        { measure: measure("9503.00.00"), fob: d("0.10"), insurance: d(0) },
      ]),
    );
    expect(amount(a, "ID")).toBe("0.03");
  });
  it("follows the rounding setting (whole shillings, half even)", () => {
    const rules = rulesAt("2025-03-01", {
      rounding: { scale: 0, mode: "half-even" },
    });
    const a = run(
      input(
        [
          {
            measure: measure("9503.00.00", { duty: { rate: d(25) } }),
            fob: d(10),
            insurance: d(0),
          },
        ],
        { rules },
      ),
    );
    expect(amount(a, "ID")).toBe("2.00"); // 2.5 -> 2 (half even)
  });
});

describe("used motor vehicles from the CRSP", () => {
  const car = measure("8703.23.00", {
    duty: { rate: d(35) },
    excise: { rate: d(25) },
    unit: "NAR",
  });
  const crsp = {
    price: d(3_000_000),
    ref: {
      kind: "crsp" as const,
      id: "7",
      key: "TOYOTA TEST 1800 cc petrol",
      validFrom: "2025-01-01",
      validTo: null,
    },
    variant: "TOYOTA TEST 1800 cc petrol",
  };
  const vehicle = (firstRegistration: string, withCrsp = true): ItemInput => ({
    measure: car,
    fob: d(5000),
    vehicle: {
      fuel: "petrol",
      engineCc: 1800,
      make: "TOYOTA",
      model: "TEST",
      firstRegistration,
      ...(withCrsp ? { crsp } : {}),
    },
  });

  // Assessed 2025-03-01: age counts whole months from the month of first registration.
  it.each([
    ["2025-03", 0, "0"],
    ["2024-03", 12, "0"],
    ["2024-02", 13, "20"],
    ["2023-03", 24, "20"],
    ["2023-02", 25, "30"],
    ["2022-03", 36, "30"],
    ["2021-03", 48, "40"],
    ["2020-03", 60, "50"],
    ["2019-03", 72, "55"],
    ["2018-03", 84, "60"],
    ["2017-03", 96, "65"],
  ])(
    "first registered %s is %i months old and depreciates %s%%",
    (month, months, pct) => {
      const a = run(input([vehicle(month)]));
      expect(a.items[0]!.valuation.vehicle!.ageMonths).toBe(months);
      expect(
        a.items[0]!.valuation.vehicle!.depreciationPercent!.toString(),
      ).toBe(pct);
    },
  );

  it("refuses a vehicle one month over the age limit, except under a procedure code listed as exempt", () => {
    const r = assess(input([vehicle("2017-02")]));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toMatchObject({
      pointer: "/items/0/vehicle/firstRegistration",
      code: "vehicle_too_old",
    });
    expect(!r.ok && r.errors[0]!.message).toMatch(/97 months old.*4000414/);
    const resident = run(input([vehicle("2017-02")], { cpc: "4000414" }));
    expect(
      resident.items[0]!.valuation.vehicle!.depreciationPercent!.toString(),
    ).toBe("65");
    expect(resident.warnings.join(" ")).toMatch(
      /admitted under procedure code 4000414/,
    );
  });

  it("refuses a first registration after the assessment date", () => {
    const r = assess(input([vehicle("2025-04")]));
    expect(!r.ok && r.errors[0]).toMatchObject({
      pointer: "/items/0/vehicle/firstRegistration",
      code: "after_date",
    });
  });

  it("by default divides the depreciated CRSP by all ad valorem charges, so the taxes add back to it", () => {
    const a = run(input([vehicle("2023-06")]));
    const item = a.items[0]!;
    expect(item.valuation.method).toBe("retail-less-all-taxes");
    // 21 months: 20%. 3,000,000 x 80% = 2,400,000; divisor 1.35 x 1.25 x 1.16 + 0.025 + 0.02 = 2.0025
    expect(item.valuation.vehicle!.divisor!.toString()).toBe("2.0025");
    expect(item.customsValue.toFixed(2)).toBe("1198501.87");
    expect(a.rulesUsed).toContain(crsp.ref);
    const loaded = item.customsValue.plus(item.total);
    expect(loaded.minus(2_400_000).abs().lessThan(1)).toBe(true);
  });

  it("offers the other methods as settings, each shown in the result", () => {
    const plain = run(
      input([vehicle("2023-06")], {
        rules: rulesAt("2025-03-01", {
          "valuation.used_vehicle_method": "depreciated-retail",
        }),
      }),
    );
    expect(plain.items[0]!.customsValue.toFixed(2)).toBe("2400000.00");
    expect(plain.items[0]!.valuation.method).toBe("depreciated-retail");
    const dev = run(
      input([vehicle("2023-06")], {
        rules: rulesAt("2025-03-01", {
          "valuation.used_vehicle_method": "retail-less-duty-excise-vat",
        }),
      }),
    );
    expect(dev.items[0]!.customsValue.toFixed(2)).toBe("1226053.64"); // 2,400,000 / 1.9575
  });

  it("takes the method's factors from data: a dealer margin comes off before the taxes are reduced out", () => {
    const a = run(
      input([vehicle("2023-06")], {
        rules: rulesAt("2025-03-01", {
          "valuation.used_vehicle_factors": { retailMarginPercent: "10" },
        }),
      }),
    );
    // 2,400,000 x 90% = 2,160,000 / 2.0025 = 1,078,651.685... -> 1,078,651.69
    expect(a.items[0]!.customsValue.toFixed(2)).toBe("1078651.69");
  });

  it("without a CRSP row values the invoice provisionally and says an officer is to value it", () => {
    const a = run(input([vehicle("2023-06", false)]));
    const v = a.items[0]!.valuation;
    expect(v.method).toBe("transaction-value");
    // FOB 5,000 + 1% insurance = 5,050 KES
    expect(a.items[0]!.customsValue.toFixed(2)).toBe("5050.00");
    expect(v.pendingValuation).toMatch(
      /no CRSP row for TOYOTA TEST 1800 cc petrol; officer to value/,
    );
  });
});

describe("totals", () => {
  it("equal the sum of every line, per code and overall, for random consignments", () => {
    const item = fc.record({
      fob: fc.integer({ min: 0, max: 1e9 }).map((c) => new Dec(c).div(100)),
      freight: fc.option(
        fc.integer({ min: 0, max: 1e7 }).map((c) => new Dec(c).div(100)),
        { nil: undefined },
      ),
      duty: fc.constantFrom(0, 10, 25, 35, 100),
      excise: fc.option(fc.constantFrom(10, 15, 20, 25, 35), {
        nil: undefined,
      }),
      vat: fc.constantFrom(
        "standard" as const,
        "exempt" as const,
        "zero" as const,
      ),
    });
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 200_000 }),
        fc.constantFrom("2020-01-15", "2024-06-01", "2025-03-01"),
        (items, rateMilli, date) => {
          const a = run(
            input(
              items.map((i, n) => ({
                measure: measure(`8471.30.${String(n).padStart(2, "0")}`, {
                  duty: { rate: d(i.duty) },
                  excise: i.excise === undefined ? {} : { rate: d(i.excise) },
                  vat: i.vat,
                }),
                fob: i.fob,
                ...(i.freight === undefined ? {} : { freight: i.freight }),
              })),
              {
                date,
                rules: rulesAt(date),
                currency: "USD",
                exchangeRate: {
                  currency: "USD",
                  rate: new Dec(rateMilli).div(1000),
                  ref: { kind: "declared" },
                },
              },
            ),
          );
          const lines = a.items.flatMap((i) => i.taxes);
          expect(
            a.total.equals(
              lines.reduce((s, l) => s.plus(l.amount), new Dec(0)),
            ),
          ).toBe(true);
          for (const [code, total] of Object.entries(a.totals)) {
            expect(
              total.equals(
                lines
                  .filter((l) => l.code === code)
                  .reduce((s, l) => s.plus(l.amount), new Dec(0)),
              ),
            ).toBe(true);
          }
          for (const l of lines) {
            expect(l.amount.decimalPlaces()).toBeLessThanOrEqual(2);
            expect(l.amount.isNegative()).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("quantities in the unit a charge is levied per", () => {
  // line unit, declared unit (undefined: the line's), charge unit, quantity, % vol, net kg, chargeable quantity
  const cases: [
    string,
    string | undefined,
    string,
    string,
    string | undefined,
    string,
    string,
  ][] = [
    // every pair the sample tariff uses
    ["LTR", undefined, "LTR", "100", undefined, "90", "100"],
    ["KGM", undefined, "KGM", "250", undefined, "250", "250"],
    ["LTR", undefined, "CLPA", "10", "40", "10", "400"],
    ["NAR", undefined, "NAR", "12", undefined, "5", "12"],
    ["MIL", undefined, "MIL", "3", undefined, "4", "3"],
    ["PR", undefined, "PR", "7", undefined, "6", "7"],
    ["KGM", undefined, "TNE", "2500", undefined, "2500", "2.5"],
    // quantities declared in another unit of the same kind
    ["MIL", "NAR", "MIL", "3000", undefined, "4", "3"],
    ["LTR", "MLT", "LTR", "750", undefined, "1", "0.75"],
    ["KGM", "GRM", "KGM", "1500", undefined, "1.5", "1.5"],
    ["LTR", "HLT", "LPA", "2", "5", "200", "10"],
    ["PR", "NAR", "PR", "10", undefined, "6", "5"],
    ["NAR", "DZN", "NAR", "3", undefined, "6", "36"],
    // a charge by mass on goods counted otherwise is levied on net mass
    ["NAR", undefined, "KGM", "40", undefined, "80", "80"],
  ];
  it.each(cases)(
    "a %s line declared in %s, charged per %s: %s at %s%% vol, %s kg -> %s",
    (lineUnit, declared, chargeUnit, quantity, strength, kg, expected) => {
      const m = measure("2208.90.00", {
        unit: lineUnit,
        duty: { rate: d(0) },
        excise: {
          specific: { amount: d(1), unit: chargeUnit, currency: "KES" },
        },
      });
      const a = run(
        input([
          {
            measure: m,
            fob: d(1000),
            insurance: d(0),
            quantity: d(quantity),
            netMassKg: d(kg),
            ...(declared ? { unit: declared } : {}),
            ...(strength ? { alcoholPercent: d(strength) } : {}),
          },
        ]),
      );
      expect(line(a, "EXD")?.specific?.quantity.toString()).toBe(expected);
      expect(amount(a, "EXD")).toBe(d(expected).toFixed(2));
    },
  );

  it("refuses a conversion between kinds, naming the item and both units", () => {
    const m = measure("2402.20.10", {
      unit: "LTR",
      excise: { specific: { amount: d(4100), unit: "MIL", currency: "KES" } },
    });
    const r = assess(
      input([
        { measure: measure("8471.30.00"), fob: d(1) },
        { measure: m, fob: d(1000), quantity: d(5) },
      ]),
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toMatchObject({
      pointer: "/items/1/unit",
      code: "unit_not_convertible",
      message: expect.stringMatching(
        /LTR \(volume\) cannot be converted to MIL \(count\)/,
      ),
    });
  });
});

describe("charge types as data", () => {
  const m = measure("8471.30.00", { duty: { rate: d(0) } });
  const withIdf = (over: { minimum?: string; maximum?: string }) =>
    scheduleAt("2025-03-01", (f) => ({
      ...f,
      chargeTypes: f.chargeTypes.map((t) =>
        t.code === "IDF" ? { ...t, ...over } : t,
      ),
    }));

  it("raises a charge to its minimum and caps it at its maximum, saying so", () => {
    const low = run(
      input([{ measure: m, fob: d(1000), insurance: d(0) }], {
        schedule: withIdf({ minimum: "5000" }),
      }),
    );
    expect(amount(low, "IDF")).toBe("5000.00");
    expect(line(low, "IDF")?.method).toBe("ad-valorem (minimum KES 5000.00)");
    const high = run(
      input([{ measure: m, fob: d(1_000_000), insurance: d(0) }], {
        schedule: withIdf({ maximum: "10000" }),
      }),
    );
    expect(amount(high, "IDF")).toBe("10000.00");
    expect(line(high, "IDF")?.method).toBe("ad-valorem (maximum KES 10000.00)");
  });

  it("takes a scheduled rate from the longest HS prefix that matches the line", () => {
    const schedule = scheduleAt("2025-03-01", (f) => ({
      ...f,
      chargeRates: [
        ...f.chargeRates,
        { charge: "IDF", hsPrefix: "84", rate: "1", validFrom: "2025-01-01" },
        {
          charge: "IDF",
          hsPrefix: "847130",
          rate: "0.5",
          validFrom: "2025-01-01",
        },
      ],
    }));
    const a = run(
      input(
        [
          { measure: m, fob: d(1000), insurance: d(0) },
          {
            measure: measure("8471.41.00", { duty: { rate: d(0) } }),
            fob: d(1000),
            insurance: d(0),
          },
        ],
        { schedule },
      ),
    );
    expect(amount(a, "IDF", 0)).toBe("5.00");
    expect(amount(a, "IDF", 1)).toBe("10.00");
  });

  it("levies a charge only on the lines its schedule lists", () => {
    const a = run(
      input([
        { measure: m, fob: d(1000), insurance: d(0) },
        {
          measure: measure("2523.10.00", {
            duty: { rate: d(10) },
            unit: "TNE",
          }),
          fob: d(1000),
          insurance: d(0),
        },
      ]),
    );
    expect(line(a, "EIPL", 0)).toBeUndefined();
    expect(amount(a, "EIPL", 1)).toBe("175.00");
  });
});

describe("the fast path against the exact one", () => {
  // The engine's figures are Decs on safe-integer numbers where they fit (and apportionment on
  // integers); onExactPath keeps every Dec on BigInt, the arithmetic as it was before any fast
  // path. Whole assessments must come out the same, unit for unit and scale for scale.
  /** A decimal as units and scale: ordinary, huge (past 2^53 once scaled), many decimals, zero. */
  const decimal = (maxUnits: bigint) =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.tuple(
          fc.bigInt({ min: 0n, max: maxUnits }),
          fc.integer({ min: 0, max: 3 }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.bigInt({ min: 0n, max: 10n ** 24n }),
          fc.integer({ min: 0, max: 4 }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.bigInt({ min: 0n, max: 10n ** 12n }),
          fc.integer({ min: 8, max: 18 }),
        ),
      },
      { weight: 1, arbitrary: fc.constant<[bigint, number]>([0n, 0]) },
    );
  const rate = fc.oneof(
    decimal(10_000n),
    fc.constantFrom<[bigint, number]>(
      [0n, 0],
      [100n, 0],
      [1n, 8],
      [99_999_999_999n, 9],
      [25n, 0],
      [35n, 0],
      [16n, 0],
      [35n, 1],
    ),
  );
  const specific = fc.record({
    amount: decimal(1_000_000n),
    currency: fc.constantFrom("KES", "USD"),
  });
  const charge = fc.record({
    rate: fc.option(rate, { nil: undefined }),
    specific: fc.option(specific, { nil: undefined }),
  });
  const item = fc.record({
    hsCode: fc.constantFrom(
      "8471.30.00",
      "2710.12.10",
      "2203.00.00",
      "2402.20.00",
      "1006.30.00",
      "3004.90.00",
      "2523.10.00",
    ),
    duty: charge,
    excise: charge,
    vat: fc.constantFrom<"standard" | "exempt" | "zero">(
      "standard",
      "standard",
      "exempt",
      "zero",
    ),
    /** The line's unit, which its specific charges are levied per. */
    unit: fc.constantFrom("KGM", "TNE", "LTR", "NAR", "MIL"),
    fob: decimal(10n ** 9n),
    freight: fc.option(decimal(10n ** 6n), { nil: undefined }),
    insurance: fc.option(decimal(10n ** 5n), { nil: undefined }),
    quantity: decimal(10n ** 7n),
    netMassKg: decimal(10n ** 7n),
  });
  const consignment = fc.record({
    items: fc.array(item, { minLength: 1, maxLength: 5 }),
    freight: fc.option(decimal(10n ** 7n), { nil: undefined }),
    insurance: fc.option(decimal(10n ** 6n), { nil: undefined }),
    exchangeRate: fc.oneof(
      fc.constantFrom<[bigint, number]>(
        [12925n, 2],
        [1n, 0],
        [1_234_567_891n, 7],
      ),
    ),
    cpc: fc.constantFrom("4000000", "4071000"),
  });
  type Drawn = typeof consignment extends fc.Arbitrary<infer T> ? T : never;
  const dec = ([u, s]: [bigint, number]) => new Dec(u, s);
  /** The assessment of the drawn consignment, every Dec (inputs, rules, schedule) made afresh. */
  function assessDrawn(c: Drawn) {
    const chargeOf = (x: Drawn["items"][number]["duty"], unit: string) => ({
      ...(x.rate ? { rate: dec(x.rate) } : {}),
      ...(x.specific
        ? {
            specific: {
              amount: dec(x.specific.amount),
              unit,
              currency: x.specific.currency,
            },
          }
        : {}),
    });
    const usd = {
      currency: "USD",
      rate: dec(c.exchangeRate),
      ref: { kind: "declared" as const },
    };
    return assess(
      input(
        c.items.map((i) => ({
          measure: measure(i.hsCode, {
            duty: chargeOf(i.duty, i.unit),
            excise: chargeOf(i.excise, i.unit),
            vat: i.vat,
            unit: i.unit,
          }),
          fob: dec(i.fob),
          ...(i.freight ? { freight: dec(i.freight) } : {}),
          ...(i.insurance ? { insurance: dec(i.insurance) } : {}),
          quantity: dec(i.quantity),
          netMassKg: dec(i.netMassKg),
        })),
        {
          currency: "USD",
          exchangeRate: usd,
          specificRates: new Map([["USD", usd]]),
          cpc: c.cpc,
          rules: rulesAt("2025-03-01"),
          schedule: scheduleAt("2025-03-01"),
          ...(c.freight ? { freight: dec(c.freight) } : {}),
          ...(c.insurance ? { insurance: dec(c.insurance) } : {}),
        },
      ),
    );
  }

  it("assesses random consignments exactly as the BigInt path does", () => {
    let assessed = 0;
    fc.assert(
      fc.property(consignment, (c) => {
        const fast = assessDrawn(c);
        const exactly = onExactPath(() => assessDrawn(c));
        expect(canonical(fast)).toEqual(canonical(exactly));
        assessed += fast.ok ? 1 : 0;
      }),
      { numRuns: 400 },
    );
    expect(assessed).toBeGreaterThan(250); // most draws are assessed, not refused
  });

  it("the exact path really is exact: its units stay BigInt", () => {
    const r = onExactPath(() =>
      assessDrawn({
        items: [
          {
            hsCode: "8471.30.00",
            duty: { rate: [25n, 0], specific: undefined },
            excise: { rate: undefined, specific: undefined },
            vat: "standard",
            unit: "KGM",
            fob: [100n, 0],
            freight: undefined,
            insurance: undefined,
            quantity: [1n, 0],
            netMassKg: [1n, 0],
          },
        ],
        freight: undefined,
        insurance: undefined,
        exchangeRate: [1n, 0],
        cpc: "4000000",
      }),
    );
    expect(
      r.ok && typeof (r.assessment.total as unknown as { u: unknown }).u,
    ).toBe("bigint");
    expect(r.ok && r.assessment.items[0]!.customsValue.toFixed(2)).toBe(
      "101.00",
    );
  });
});
