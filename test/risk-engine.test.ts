// The risk engine's hard rules on a real database: each criterion kind, validity dates, office
// scoping, versions, watchlists, prohibited goods, the valuation flag, and the random selection
// rate with the AEO reduction (statistically, with fixed declaration ids).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleBody } from '../src/modules/risk/risk.schemas.ts';
import { riskEngine, type PriorDeclaration } from '../src/modules/risk/index.ts';
import { analyst, declaration, fixedId, riskBench, seedAccepted, withinBinomial, type RiskBench } from './risk-fixtures.ts';

let bench: RiskBench;

beforeAll(async () => {
  bench = await riskBench();
  // No random selection in 2026 for these tests (a dated setting); from 2027 the default 2% again.
  await bench.change((tx) =>
    bench.risk.addSetting(tx, analyst, {
      key: 'random.rate',
      value: 0,
      validFrom: '2026-01-01',
    }),
  );
  await bench.change((tx) =>
    bench.risk.addSetting(tx, analyst, {
      key: 'random.rate',
      value: 0.02,
      validFrom: '2027-01-01',
    }),
  );
});

afterAll(async () => {
  await bench.close();
});

function rule(criteria: RuleBody['criteria'], over: Partial<RuleBody> = {}): RuleBody {
  return {
    name: 'test rule',
    reason: 'test reason',
    channel: 'red',
    priority: 10,
    validFrom: '2026-01-01',
    criteria,
    ...over,
  };
}

async function createRule(body: RuleBody) {
  return bench.change((tx) => bench.risk.createRule(tx, analyst, bench.sets, body));
}

const hits = async (d: ReturnType<typeof declaration>) => (await bench.engine.evaluate(d, bench.db)).rules.map((r) => r.id);

describe('rule criteria: each kind hits what it names and nothing else', () => {
  it('HS code prefix', async () => {
    const r = await createRule(rule({ hsCodes: ['8523.49'] }, { reason: 'recorded media: piracy' }));
    const hit = await bench.engine.evaluate(declaration(bench.orgs, {}, { hsCode: '8523.49.10' }), bench.db);
    expect(hit.channel).toBe('red');
    expect(hit.rules).toEqual([{ id: r.id, version: 1, code: r.code, channel: 'red', items: [1] }]);
    expect(hit.reasons[0]).toBe(`rule ${r.code} v1 "test rule": recorded media: piracy`);
    expect(hit.selectedBy).toEqual(['rule']);
    expect(await hits(declaration(bench.orgs, {}, { hsCode: '8523.59.00' }))).not.toContain(r.id);
  });

  it('origin country', async () => {
    const r = await createRule(rule({ originCountries: ['vn'] }, { channel: 'yellow' }));
    const hit = await bench.engine.evaluate(declaration(bench.orgs, {}, { originCountry: 'VN' }), bench.db);
    expect(hit.rules.map((h) => h.id)).toEqual([r.id]);
    expect(hit.channel).toBe('yellow');
    expect(await hits(declaration(bench.orgs))).not.toContain(r.id);
  });

  it('departure country', async () => {
    const r = await createRule(rule({ departureCountries: ['AE'] }));
    expect(await hits(declaration(bench.orgs, { departureCountry: 'AE' }))).toEqual([r.id]);
    expect(await hits(declaration(bench.orgs, { departureCountry: null }))).not.toContain(r.id);
  });

  it('importer, by PIN or organisation code', async () => {
    const byPin = await createRule(rule({ importers: ['p051234568b'] }));
    const byCode = await createRule(rule({ importers: ['MTRADERS'] }, { channel: 'blue' }));
    expect(byCode.criteria.importers).toEqual([bench.orgs.MTRADERS]);
    const d = declaration(bench.orgs, {
      importerOrgId: bench.orgs.MTRADERS!,
      importerPin: 'P051234568B',
    });
    expect((await hits(d)).sort()).toEqual([byPin.id, byCode.id].sort());
    expect(await hits(declaration(bench.orgs))).toEqual([]);
  });

  it('declarant (clearing agent)', async () => {
    const r = await createRule(rule({ declarants: ['BOLLORE'] }));
    expect(await hits(declaration(bench.orgs, { declarantOrgId: bench.orgs.BOLLORE! }))).toEqual([r.id]);
    expect(await hits(declaration(bench.orgs))).toEqual([]);
  });

  it('seller, whatever the case and spacing', async () => {
    const r = await createRule(rule({ sellers: ['Dubious Trading FZE'] }));
    expect(await hits(declaration(bench.orgs, { sellerName: '  DUBIOUS   trading fze ' }))).toEqual([r.id]);
    expect(await hits(declaration(bench.orgs, { sellerName: 'Dubious Trading' }))).toEqual([]);
  });

  it('office of declaration', async () => {
    const r = await createRule(rule({ offices: ['MAL'] }));
    expect(await hits(declaration(bench.orgs, { officeCode: 'MAL' }))).toEqual([r.id]);
    expect(await hits(declaration(bench.orgs, { officeCode: 'BUS' }))).toEqual([]);
  });

  it('procedure code (CPC)', async () => {
    const r = await createRule(
      rule(
        { procedureCodes: ['4000411'] },
        {
          channel: 'yellow',
          reason: 'diplomatic exemption: check the privilege',
        },
      ),
    );
    expect(await hits(declaration(bench.orgs, { cpc: '4000411' }))).toEqual([r.id]);
    expect(await hits(declaration(bench.orgs, { cpc: '4000412' }))).toEqual([]);
  });

  it('mode of transport', async () => {
    const r = await createRule(rule({ transportModes: ['rail'] }));
    expect(await hits(declaration(bench.orgs, { transportMode: 'rail' }))).toEqual([r.id]);
    expect(await hits(declaration(bench.orgs, { transportMode: 'road' }))).toEqual([]);
  });

  it('value per kg below a threshold (KES of customs value)', async () => {
    const r = await createRule(rule({ valuePerKg: { below: '200' } }));
    // 15,000 KES over 100 kg = 150/kg: below 200.
    expect(await hits(declaration(bench.orgs, {}, { customsValue: '15000.00' }))).toEqual([r.id]);
    // 20,000 / 100 = 200/kg is not below 200.
    expect(await hits(declaration(bench.orgs, {}, { customsValue: '20000.00' }))).toEqual([]);
    // Switched off again: it would hit every cheap declaration of the tests below.
    await bench.change((tx) =>
      bench.risk.changeRule(tx, analyst, bench.sets, r.id, {
        ...rule({ valuePerKg: { below: '200' } }),
        active: false,
      }),
    );
  });

  it('value per unit above a threshold', async () => {
    const r = await createRule(rule({ valuePerUnit: { above: '2000000' } }));
    expect(await hits(declaration(bench.orgs, {}, { customsValue: '20000010.00' }))).toEqual([r.id]);
    expect(await hits(declaration(bench.orgs, {}, { customsValue: '20000000.00' }))).toEqual([]);
  });

  it('a combination: every criterion must hold, item criteria on one same item', async () => {
    const r = await createRule(
      rule(
        {
          hsCodes: ['6109'],
          originCountries: ['TR'],
          valuePerKg: { below: '300' },
          transportModes: ['sea'],
        },
        { reason: 'cotton T-shirts from TR undervalued' },
      ),
    );
    const tshirts = {
      itemNo: 2,
      hsCode: '6109.10.00',
      originCountry: 'TR',
      preferentialOrigin: false,
      quantity: '1000',
      unit: 'NAR',
      netMassKg: '200',
      grossMassKg: '220',
      itemPrice: '400',
      customsValue: '52000.00',
      dutyRate: '35',
    };
    const d = declaration(bench.orgs);
    d.items.push(tshirts);
    const hit = await bench.engine.evaluate(d, bench.db);
    expect(hit.rules).toEqual([{ id: r.id, version: 1, code: r.code, channel: 'red', items: [2] }]);
    expect(hit.reasons[0]).toContain('(item 2)');
    // The cheap item is from BD and the Turkish one is dear: no single item satisfies everything.
    const split = declaration(bench.orgs);
    split.items.push({ ...tshirts, originCountry: 'BD' }, { ...tshirts, itemNo: 3, customsValue: '200000.00' });
    expect(await hits(split)).not.toContain(r.id);
    // By air: the header criterion fails.
    const byAir = declaration(bench.orgs, { transportMode: 'air' });
    byAir.items.push(tshirts);
    expect(await hits(byAir)).not.toContain(r.id);
  });

  it('refuses a rule without criteria or with unknown codes, pointing at each', async () => {
    const err = await bench
      .change((tx) =>
        bench.risk.createRule(
          tx,
          analyst,
          bench.sets,
          rule(
            {
              originCountries: ['XX'],
              offices: ['ZZZ'],
              procedureCodes: ['1234567'],
              declarants: ['NOSUCH'],
              valuePerKg: { below: '10', above: '20' },
            },
            { validTo: '2025-01-01' },
          ),
        ),
      )
      .then(
        () => undefined,
        (e: unknown) => e as { problem: { errors: { pointer: string }[] } },
      );
    expect(err?.problem.errors.map((e) => e.pointer).sort()).toEqual(
      ['/criteria/declarants/0', '/criteria/offices/0', '/criteria/originCountries/0', '/criteria/procedureCodes/0', '/criteria/valuePerKg/above', '/validTo'].sort(),
    );
  });
});

describe('validity, offices and versions', () => {
  it('a rule not yet in force or expired does not hit', async () => {
    const future = await createRule(rule({ hsCodes: ['9504'] }, { validFrom: '2026-07-01' }));
    const expired = await createRule(rule({ hsCodes: ['9504'] }, { validFrom: '2026-01-01', validTo: '2026-06-14' }));
    const current = await createRule(rule({ hsCodes: ['9504'] }, { validFrom: '2026-06-15', validTo: '2026-06-15' }));
    const d = declaration(bench.orgs, {}, { hsCode: '9504.50.00' });
    expect(await hits(d)).toEqual([current.id]);
    expect(await hits({ ...d, date: '2026-07-01' })).toEqual([future.id]);
    expect(await hits({ ...d, date: '2026-06-14' })).toEqual([expired.id]);
  });

  it('a rule scoped to offices applies there only', async () => {
    const r = await createRule(rule({ hsCodes: ['8703'] }, { offices: ['JKA', 'nbi'] }));
    expect(await hits(declaration(bench.orgs, { officeCode: 'NBI' }, { hsCode: '8703.23.00' }))).toEqual([r.id]);
    expect(await hits(declaration(bench.orgs, { officeCode: 'MBA' }, { hsCode: '8703.23.00' }))).toEqual([]);
  });

  it('a change is a new version: the old one is kept and each selection names the version that hit', async () => {
    const v1 = await createRule(rule({ hsCodes: ['2402'] }, { channel: 'yellow', reason: 'cigarettes: excise stamps' }));
    const first = await bench.engine.evaluate(declaration(bench.orgs, {}, { hsCode: '2402.20.00' }), bench.db);
    expect(first.rules).toMatchObject([{ id: v1.id, version: 1 }]);
    expect(first.version).toContain(`rules ${v1.code} v1`);

    const v2 = await bench.change((tx) =>
      bench.risk.changeRule(tx, analyst, bench.sets, v1.id, {
        ...rule({ hsCodes: ['2402'] }, { channel: 'red', reason: 'cigarettes: counterfeit wave' }),
        expectedVersion: 1,
        changeReason: 'intelligence report 2026/14',
      }),
    );
    expect(v2).toMatchObject({
      id: v1.id,
      version: 2,
      code: v1.code,
      channel: 'red',
      current: true,
    });
    const second = await bench.engine.evaluate(declaration(bench.orgs, {}, { hsCode: '2402.20.00' }), bench.db);
    expect(second.rules).toMatchObject([{ id: v1.id, version: 2, channel: 'red' }]);
    expect(second.channel).toBe('red');
    expect(second.reasons[0]).toContain('cigarettes: counterfeit wave');

    const history = await bench.risk.rule(bench.db, v1.id);
    expect(history.versions.map((v) => [v.version, v.channel, v.current])).toEqual([
      [2, 'red', true],
      [1, 'yellow', false],
    ]);
    expect((await bench.risk.ruleVersion(bench.db, v1.id, 1)).reason).toBe('cigarettes: excise stamps');
    // Changing a version that is no longer current is refused.
    await expect(
      bench.change((tx) =>
        bench.risk.changeRule(tx, analyst, bench.sets, v1.id, {
          ...rule({ hsCodes: ['2402'] }),
          expectedVersion: 1,
        }),
      ),
    ).rejects.toThrow(/version 2 is current/);
    // Switched off: a new version, inactive, which hits nothing.
    await bench.change((tx) =>
      bench.risk.changeRule(tx, analyst, bench.sets, v1.id, {
        ...rule({ hsCodes: ['2402'] }),
        active: false,
      }),
    );
    expect(await hits(declaration(bench.orgs, {}, { hsCode: '2402.20.00' }))).toEqual([]);
    // The selection recorded with the first decision still names version 1.
    const d = declaration(bench.orgs, {}, { hsCode: '2402.20.00' });
    await bench.change((tx) => bench.engine.record(tx, d, first));
    expect((await bench.risk.selection(bench.db, d.declarationId)).rules).toMatchObject([{ id: v1.id, version: 1 }]);
  });
});

describe('watchlists and prohibited goods', () => {
  it('a party on a watchlist raises at least the list channel while its entry is in force', async () => {
    const list = await bench.change((tx) =>
      bench.risk.createWatchlist(tx, analyst, {
        name: 'Sellers under investigation',
        kind: 'seller',
        reason: 'invoices under investigation (case 88/2026)',
      }),
    );
    expect(list.channel).toBe('yellow');
    const entry = await bench.change((tx) =>
      bench.risk.addEntry(tx, analyst, list.id, {
        value: 'Shady  Exports Ltd',
        validFrom: '2026-06-01',
        validTo: '2026-06-30',
      }),
    );
    const d = declaration(bench.orgs, { sellerName: 'SHADY EXPORTS LTD' });
    const hit = await bench.engine.evaluate(d, bench.db);
    expect(hit.channel).toBe('yellow');
    expect(hit.watchlists).toEqual([
      {
        id: list.id,
        code: list.code,
        entryId: entry.id,
        value: 'Shady Exports Ltd',
        channel: 'yellow',
        items: [],
      },
    ]);
    expect(hit.reasons[0]).toMatch(/^watchlist WL\d{4} "Sellers under investigation" \(seller Shady Exports Ltd\): invoices under investigation/);
    expect((await bench.engine.evaluate({ ...d, date: '2026-07-01' }, bench.db)).watchlists).toEqual([]);

    const hsList = await bench.change((tx) =>
      bench.risk.createWatchlist(tx, analyst, {
        name: 'Mobile phones',
        kind: 'hs',
        channel: 'red',
        reason: 'grey-market handsets',
      }),
    );
    await bench.change((tx) =>
      bench.risk.addEntry(tx, analyst, hsList.id, {
        value: '8517.13',
        validFrom: '2026-01-01',
      }),
    );
    const phones = await bench.engine.evaluate(declaration(bench.orgs, {}, { hsCode: '8517.13.00' }), bench.db);
    expect(phones.channel).toBe('red');
    // An ended entry stops hitting from the day after its end.
    const ended = await bench.change((tx) =>
      bench.risk.endEntry(tx, analyst, list.id, entry.id, {
        validTo: '2026-06-14',
        reason: 'case closed',
      }),
    );
    expect(ended.status).toBe('expired');
    expect((await bench.engine.evaluate(d, bench.db)).watchlists).toEqual([]);
  });

  it('prohibited goods always stop: red, for an AEO importer too, and never lowered', async () => {
    const d = declaration(bench.orgs, { importerAeo: true }, { hsCode: '9302.00.00' });
    // A blue rule on the same goods does not lower it.
    await createRule(rule({ hsCodes: ['9302'] }, { channel: 'blue', priority: 1 }));
    const hit = await bench.engine.evaluate(d, bench.db);
    expect(hit.channel).toBe('red');
    expect(hit.prohibited).toMatchObject([{ hsPrefix: '9302', items: [1] }]);
    expect(hit.selectedBy).toEqual(['prohibited']);
    expect(hit.random).toBe(false);
    expect(hit.reasons[0]).toMatch(/^prohibited or restricted goods, HS 9302: revolvers and pistols/);
    // Used tyres: one item of three is enough.
    const tyres = declaration(bench.orgs, { importerAeo: true });
    tyres.items.push({ ...tyres.items[0]!, itemNo: 2, hsCode: '4012.20.10' });
    expect((await bench.engine.evaluate(tyres, bench.db)).prohibited).toMatchObject([{ hsPrefix: '401220', items: [2] }]);
  });
});

describe('valuation reference', () => {
  it('flags a unit value below the 10th percentile of accepted entries, with the figures', async () => {
    // 25 accepted entries of HS 6109.10 from BD at KES 250, 260, ... 490 per kg; two rejected/cancelled ones very low.
    const accepted = Array.from({ length: 25 }, (_, i) => ({
      hsCode: '6109.10.00',
      origin: 'BD',
      netMassKg: '100',
      customsValue: String((250 + i * 10) * 100),
    }));
    await seedAccepted(bench.db, bench.orgs.SIGINON!, [
      ...accepted,
      {
        hsCode: '6109.10.00',
        origin: 'BD',
        netMassKg: '100',
        customsValue: '100',
        status: 'cancelled',
      },
      {
        hsCode: '6109.10.00',
        origin: 'BD',
        netMassKg: '100',
        customsValue: '100',
        status: 'rejected',
      },
    ]);
    bench.engine.valuation.clear();
    // Declared KES 5,200 over 100 kg = 52/kg; rate 130 KES/USD -> 0.40 USD/kg.
    const d = declaration(
      bench.orgs,
      {},
      {
        hsCode: '6109.10.00',
        originCountry: 'BD',
        unit: 'KGM',
        customsValue: '5200.00',
      },
    );
    const decision = await bench.engine.evaluate(d, bench.db);
    expect(decision.channel).toBe('yellow');
    expect(decision.selectedBy).toEqual(['valuation']);
    expect(decision.valuation).toHaveLength(1);
    const flag = decision.valuation[0]!;
    // percentile_disc(0.10) over 25 values: the 3rd smallest, KES 270/kg.
    expect(flag.reference).toMatchObject({
      level: 'HS6 and origin',
      entries: 25,
      basis: 'kg',
      hsCode: '610910',
      origin: 'BD',
    });
    expect(flag.reference.low).toBe('270');
    expect(decision.reasons[0]).toBe('valuation: item 1: declared 0.40 USD/kg (KES 52.00/kg); 10th percentile 2.08 USD/kg (KES 270.00/kg) over 25 entries (HS 610910 from BD, customs value)');

    // At the usual value there is no flag.
    expect(
      (
        await bench.engine.evaluate(
          declaration(
            bench.orgs,
            {},
            {
              hsCode: '6109.10.00',
              originCountry: 'BD',
              unit: 'KGM',
              customsValue: '30000.00',
            },
          ),
          bench.db,
        )
      ).valuation,
    ).toEqual([]);
    // From another origin with too few entries of its own, HS6 from all origins is the reference.
    const fromCn = await bench.engine.evaluate(
      declaration(
        bench.orgs,
        {},
        {
          hsCode: '6109.10.00',
          originCountry: 'CN',
          unit: 'KGM',
          customsValue: '5200.00',
        },
      ),
      bench.db,
    );
    expect(fromCn.valuation[0]?.reference).toMatchObject({
      level: 'HS6',
      entries: 25,
    });
    // Fewer than valuation.minEntries comparable entries: no reference, no flag.
    await seedAccepted(
      bench.db,
      bench.orgs.SIGINON!,
      Array.from({ length: 5 }, () => ({
        hsCode: '6110.20.00',
        origin: 'BD',
        netMassKg: '10',
        customsValue: '10000',
      })),
    );
    expect(
      (
        await bench.engine.evaluate(
          declaration(
            bench.orgs,
            {},
            {
              hsCode: '6110.20.00',
              originCountry: 'BD',
              unit: 'KGM',
              customsValue: '10.00',
            },
          ),
          bench.db,
        )
      ).valuation,
    ).toEqual([]);
  });
});

describe('valuation reference window', () => {
  it('counts only values accepted within valuation.windowDays, and of those the newest valuation.windowEntries', async () => {
    // 25 values of HS 6203.42 from PK accepted 1-25 May 2026 at KES 300, 310, ... 540 per kg (newest dearest),
    // and 30 values at KES 10 per kg accepted in January 2023, more than 730 days before the declarations below.
    const at = (day: number) => `2026-05-${String(day).padStart(2, '0')}`;
    await seedAccepted(bench.db, bench.orgs.SIGINON!, [
      ...Array.from({ length: 25 }, (_, i) => ({ hsCode: '6203.42.00', origin: 'PK', netMassKg: '100', customsValue: String((300 + i * 10) * 100), registeredOn: at(i + 1) })),
      ...Array.from({ length: 30 }, () => ({ hsCode: '6203.42.00', origin: 'PK', netMassKg: '100', customsValue: '1000', registeredOn: '2023-01-10' })),
    ]);
    const trousers = (date: string) => declaration(bench.orgs, { date }, { hsCode: '6203.42.00', originCountry: 'PK', unit: 'KGM', customsValue: '5200.00' });

    // The old, very low values are outside the window: the 10th percentile of the 25 recent ones is the 3rd smallest, KES 320/kg.
    const recent = await bench.engine.evaluate(trousers('2026-06-15'), bench.db);
    expect(recent.valuation).toHaveLength(1);
    expect(recent.valuation[0]!.reference).toMatchObject({ level: 'HS6 and origin', entries: 25, low: '320' });

    // Only the newest 20 from July: KES 350 ... 540, the 10th percentile is the 2nd smallest, KES 360/kg.
    await bench.change((tx) => bench.risk.addSetting(tx, analyst, { key: 'valuation.windowEntries', value: 20, validFrom: '2026-07-01' }));
    const newest = await bench.engine.evaluate(trousers('2026-07-01'), bench.db);
    expect(newest.valuation[0]!.reference).toMatchObject({ entries: 20, low: '360' });

    // Widened to ten years and 2,000 entries from August, the old values count: 55 entries, the 10th percentile
    // KES 10/kg, and KES 52/kg is no longer low. It was the window that kept them out.
    await bench.change((tx) => bench.risk.addSetting(tx, analyst, { key: 'valuation.windowEntries', value: 2000, validFrom: '2026-08-01' }));
    await bench.change((tx) => bench.risk.addSetting(tx, analyst, { key: 'valuation.windowDays', value: 3660, validFrom: '2026-08-01' }));
    const wide = await bench.engine.evaluate(trousers('2026-08-01'), bench.db);
    expect(wide.valuation).toEqual([]);
    const reference = await bench.engine.valuation.reference(bench.db, {
      hsCode: '6203.42.00',
      origin: 'PK',
      basis: 'kg',
      unit: 'KGM',
      percentile: 0.1,
      minEntries: 20,
      ttlSeconds: 0,
      since: '2016-08-01',
      windowEntries: 2000,
      now: Date.now(),
    });
    expect(reference).toMatchObject({ entries: 55, low: '10' });
  });
});

describe('random selection', () => {
  it('selects about random.rate of otherwise-green declarations (binomial bounds), marked random, each decision explained by its recorded draw', async () => {
    const n = 10_000;
    let selected = 0;
    let red = 0;
    let aeoSelected = 0;
    for (let i = 0; i < n; i++) {
      const d = declaration(bench.orgs, {
        declarationId: fixedId(i),
        date: '2027-01-15',
      });
      const decision = await bench.engine.evaluate(d, bench.db);
      // The record alone says why: selected when the draw is below the rate, red below the red share.
      const draw = decision.draw!;
      expect(draw).toMatchObject({ rate: 0.02, redShare: 0.25 });
      expect(decision.random).toBe(draw.selection < draw.rate);
      if (decision.random) {
        selected++;
        expect(decision.selectedBy).toEqual(['random']);
        expect(decision.channel).toBe(draw.channel < draw.redShare ? 'red' : 'yellow');
        if (decision.channel === 'red') {
          red++;
        }
      } else {
        expect(decision.channel).toBe('green');
      }
      const aeo = await bench.engine.evaluate({ ...d, importerAeo: true }, bench.db);
      expect(aeo.draw?.rate).toBeCloseTo(0.005, 10);
      if (aeo.random) {
        aeoSelected++;
      }
    }
    // 2% of 10,000: 200 expected; 99.9% bounds about 154..246.
    expect(withinBinomial(selected, n, 0.02)).toMatchObject({ ok: true });
    // A quarter of them red.
    expect(withinBinomial(red, selected, 0.25)).toMatchObject({ ok: true });
    // AEO importers: 2% x 0.25 = 0.5%: 50 expected.
    expect(withinBinomial(aeoSelected, n, 0.005)).toMatchObject({ ok: true });
    expect(aeoSelected).toBeLessThan(selected);
  }, 120_000);

  it('draws from a cryptographic generator: nothing the declarant holds (its declaration id, a seed) predicts the draw', async () => {
    // The engine as the server builds it, with no draw given.
    const engine = riskEngine({ db: bench.db, clock: bench.clock });
    const d = declaration(bench.orgs, { declarationId: fixedId(7), date: '2027-01-15' });
    const draws = new Set<number>();
    for (let i = 0; i < 20; i++) {
      draws.add((await engine.evaluate(d, bench.db)).draw!.selection);
    }
    // The same declaration draws anew every time (20 equal 32-bit draws would be a broken generator).
    expect(draws.size).toBeGreaterThan(15);
    // And the public seed setting is gone: nothing to predict it from.
    const settings = await bench.risk.settings(bench.db, '2027-01-15');
    expect(Object.keys(settings.inForce)).not.toContain('random.seed');
    expect(settings.keys).not.toContain('random.seed');
  });

  it('never draws a declaration a hard rule already selected', async () => {
    const d = declaration(bench.orgs, { date: '2027-01-15' }, { hsCode: '9301.10.00' });
    for (let i = 0; i < 200; i++) {
      const decision = await bench.engine.evaluate({ ...d, declarationId: fixedId(50_000 + i) }, bench.db);
      expect(decision.random).toBe(false);
      expect(decision.channel).toBe('red');
    }
  });
});

describe('selection follows the consignment', () => {
  const prior = (over: Partial<PriorDeclaration>): PriorDeclaration => ({
    declarationId: fixedId(90_000),
    reference: '2027MBAIM4000001',
    channel: 'red',
    status: 'cancelled',
    relation: 'same_document',
    at: '2027-01-10T09:00:00.000Z',
    ...over,
  });

  it('gives a declaration the highest channel of the earlier declarations on its transport document, whatever their age', async () => {
    const d = declaration(bench.orgs, { date: '2027-01-15', consignment: [prior({ channel: 'yellow' }), prior({ channel: 'red', at: '2026-01-01T00:00:00.000Z' })] });
    const decision = await bench.engine.evaluate(d, bench.db);
    expect(decision.channel).toBe('red');
    expect(decision.selectedBy).toEqual(['consignment']);
    expect(decision.random).toBe(false);
    expect(decision.draw).toBeNull();
    expect(decision.consignment).toHaveLength(2);
    expect(decision.reasons[0]).toMatch(/channel red of declaration 2027MBAIM4000001 \(cancelled\) on the same transport document .*: selection follows the consignment/);
  });

  it('follows the same goods of the same importer cancelled within consignment.inheritDays, not older, and never a green one', async () => {
    const recent = declaration(bench.orgs, { date: '2027-01-15', consignment: [prior({ relation: 'same_goods', at: '2026-12-01T00:00:00.000Z' })] });
    expect((await bench.engine.evaluate(recent, bench.db)).channel).toBe('red');
    // 90 days by default: a cancellation in September 2026 no longer follows the goods in January 2027.
    const old = declaration(bench.orgs, { date: '2027-01-15', consignment: [prior({ relation: 'same_goods', at: '2026-09-01T00:00:00.000Z' })] });
    const decided = await bench.engine.evaluate(old, bench.db);
    expect(decided.consignment).toEqual([]);
    expect(decided.selectedBy).not.toContain('consignment');
    const green = declaration(bench.orgs, { date: '2027-01-15', consignment: [prior({ channel: 'green' })] });
    expect((await bench.engine.evaluate(green, bench.db)).consignment).toEqual([]);
  });
});
