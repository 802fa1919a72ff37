// Assessing a declaration with the public calculator's engine: the same figures a trader gets
// from the calculator, for the goods as declared. Two things are the declaration's own:
// - the exchange rate is fixed when the entry is accepted (lodgement), while the tariff and levy
//   rates are those in force on arrival of the conveyance (the calculator's date);
// - items may carry different procedure codes of the same regime (e.g. 4000430 for an approved
//   manufacturer's raw materials beside 4000000), so items are assessed per CPC and merged, with
//   the header freight and insurance apportioned over all items by price first.
import { Dec, fixed, sum } from '#platform/money.ts';
import { ProblemError, type FieldError } from '#platform/http/problem.ts';
import { apportion, type CalculatorService } from '#modules/assessment/index.ts';
import type { DeclaredVehicle } from './declaration.tables.ts';

type CalculatorResult = Awaited<ReturnType<CalculatorService['calculate']>>;
type RuleJson = CalculatorResult['rulesUsed'][number];

/** The exchange rate an assessment uses: declared by the declarant or in force at acceptance. */
export interface FixedRate {
  rate: string;
  source: 'declared' | 'tariff';
  /** Date of acceptance whose rate was taken (tariff rates only). */
  fixedOn?: string;
  rule?: RuleJson;
}

export interface GoodsItem {
  hsCode: string;
  originCountry: string;
  preferentialOrigin: boolean;
  itemPrice: string;
  quantity: string;
  unit: string;
  alcoholPercent: string | null;
  netMassKg: string;
  cpc: string | null;
  vehicle: DeclaredVehicle | null;
}

export interface GoodsToAssess {
  /** Date whose tariff and settings apply: arrival (actual, else expected). */
  date: string;
  currency: string;
  cpc: string;
  exchangeRate: FixedRate;
  /** Header freight after the incoterm: zero when the price includes it. */
  freight: Dec | undefined;
  /** Header insurance after the incoterm; undefined lets the 1% default apply. */
  insurance: Dec | undefined;
  /** The declaration's supporting documents: reliefs and preferences need theirs; exemption letters are quoted here. */
  documents: { code: string; reference: string }[];
  items: GoodsItem[];
  /** The importer's PIN: an exemption letter must be held by it. */
  importerPin?: string;
}

export interface StoredAssessment {
  date: string;
  currency: string;
  cpc: string;
  exchangeRate: FixedRate;
  items: (CalculatorResult['items'][number] & { itemNo: number; cpc: string })[];
  totals: Record<string, string>;
  total: string;
  rulesUsed: RuleJson[];
  warnings: string[];
}

/** Moves a calculator pointer (/items/k/...) of a CPC group back to the declaration's own item. */
function remapPointer(pointer: string, indexes: number[]): string {
  const m = /^\/items\/(\d+)(\/.*)?$/.exec(pointer);
  if (m) {
    return `/items/${indexes[Number(m[1])] ?? m[1]}${m[2] ?? ''}`;
  }
  if (pointer === '/currency') {
    return '/invoiceCurrency';
  }
  // The date is not the declarant's field: it is the arrival of the conveyance.
  return pointer === '/date' ? '' : pointer;
}

export async function assessGoods(calculator: CalculatorService, goods: GoodsToAssess): Promise<StoredAssessment> {
  const prices = goods.items.map((i) => new Dec(i.itemPrice));
  const freightShares = goods.freight ? apportion(goods.freight, prices) : undefined;
  const insuranceShares = goods.insurance ? apportion(goods.insurance, prices) : undefined;

  const groups = new Map<string, number[]>();
  goods.items.forEach((item, index) => {
    const cpc = item.cpc ?? goods.cpc;
    groups.set(cpc, [...(groups.get(cpc) ?? []), index]);
  });

  const errors: FieldError[] = [];
  const results: { cpc: string; indexes: number[]; result: CalculatorResult }[] = [];
  for (const [cpc, indexes] of groups) {
    try {
      const result = await calculator.calculate({
        date: goods.date,
        currency: goods.currency,
        exchangeRate: goods.exchangeRate.rate,
        cpc,
        documents: goods.documents,
        ...(goods.importerPin ? { importer: { pin: goods.importerPin } } : {}),
        // A used vehicle with no CRSP row is not refused: it is valued provisionally from the
        // invoice and selection sends the declaration to an officer to value (see select()).
        noCrspRow: 'officer',
        items: indexes.map((index) => {
          const item = goods.items[index] as GoodsItem;
          const freight = freightShares?.[index];
          const insurance = insuranceShares?.[index];
          return {
            hsCode: item.hsCode,
            originCountry: item.originCountry,
            preferentialOrigin: item.preferentialOrigin,
            fob: item.itemPrice,
            quantity: item.quantity,
            unit: item.unit,
            ...(item.alcoholPercent === null ? {} : { alcoholPercent: item.alcoholPercent }),
            netMassKg: item.netMassKg,
            ...(freight === undefined ? { freight: '0' } : { freight: fixed(freight) }),
            ...(insurance === undefined ? {} : { insurance: fixed(insurance) }),
            ...(item.vehicle ? { vehicle: vehicleFor(item.vehicle) } : {}),
          };
        }),
      });
      results.push({ cpc, indexes, result });
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status !== 422) {
        throw err;
      }
      for (const e of err.problem.errors ?? []) {
        errors.push({ ...e, pointer: remapPointer(e.pointer, indexes) });
      }
    }
  }
  if (errors.length > 0) {
    throw new AssessmentErrors(errors);
  }
  const assessed = merge(goods, results);
  if (!fitsRecords(assessed)) {
    throw new AssessmentErrors([
      {
        pointer: '/invoiceAmount',
        code: 'amount_out_of_range',
        message: `the goods assess at KES ${assessed.total}, more than a declaration can record (under KES ${fixed(maxAssessedKes, 0)}); check the amounts, the currency and the exchange rate`,
      },
    ]);
  }
  return assessed;
}

/**
 * KES figures are stored as numeric(18, 2); a quadrillion shillings keeps every figure made from
 * them (totals, differences, refunds) within that, however large the declared amounts and rate.
 */
const maxAssessedKes = new Dec('1000000000000000');

function fitsRecords(a: StoredAssessment): boolean {
  return new Dec(a.total).lessThan(maxAssessedKes) && a.items.every((i) => new Dec(i.customsValue).lessThan(maxAssessedKes));
}

/** The vehicle as the calculator takes it: everything declared but the chassis number. */
function vehicleFor(v: DeclaredVehicle) {
  const { chassisNumber: _chassis, ...vehicle } = v;
  return vehicle;
}

/** Field errors the calculator found, already pointing at the declaration's fields. */
export class AssessmentErrors extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`${errors.length} assessment errors`);
  }
}

function merge(goods: GoodsToAssess, results: { cpc: string; indexes: number[]; result: CalculatorResult }[]): StoredAssessment {
  const items = results
    .flatMap(({ cpc, indexes, result }) =>
      result.items.map((item) => {
        const index = indexes[item.index] as number;
        return { ...item, index, itemNo: index + 1, cpc };
      }),
    )
    .sort((a, b) => a.index - b.index);
  const totals: Record<string, Dec> = {};
  for (const { result } of results) {
    for (const [code, amount] of Object.entries(result.totals)) {
      totals[code] = (totals[code] ?? new Dec(0)).plus(amount);
    }
  }
  const rules = new Map<string, RuleJson>();
  if (goods.exchangeRate.rule) {
    rules.set(`${goods.exchangeRate.rule.kind}:${goods.exchangeRate.rule.id}`, goods.exchangeRate.rule);
  }
  for (const rule of results.flatMap((r) => r.result.rulesUsed)) {
    rules.set(`${rule.kind}:${rule.id}`, rule);
  }
  return {
    date: goods.date,
    currency: goods.currency,
    cpc: goods.cpc,
    exchangeRate: goods.exchangeRate,
    items,
    totals: Object.fromEntries(Object.entries(totals).map(([code, amount]) => [code, fixed(amount)])),
    total: fixed(sum(items.map((i) => new Dec(i.total)))),
    rulesUsed: [...rules.values()].sort((a, b) => `${a.kind}:${a.id}`.localeCompare(`${b.kind}:${b.id}`)),
    warnings: [...new Set(results.flatMap((r) => r.result.warnings))],
  };
}

/** What an assessment draws on exemption letters, per declaration item (see the relief module). */
export function letterDrawsOf(a: StoredAssessment): { number: string; itemNo: number; amount: string }[] {
  return a.items.flatMap((i) => (i.exemptionLetters ?? []).map((l) => ({ number: l.number, itemNo: i.itemNo, amount: l.amount })));
}

/** Tariff lines and settings an assessment rests on, to tell whether another date's rules differ. */
export function rulesKey(a: StoredAssessment): string {
  return a.rulesUsed
    .filter((r) => r.kind !== 'exchange-rate')
    .map((r) => `${r.kind}:${r.id}`)
    .sort()
    .join(',');
}

/** The e-slip: the assessment's items and totals, as the payment module prints them, and who is who. */
export function slipOf(a: StoredAssessment, parties: { importer: { name: string; pin: string | null }; declarant: { name: string }; officeCode: string }) {
  return {
    importer: parties.importer,
    declarant: parties.declarant,
    officeCode: parties.officeCode,
    items: a.items.map((i) => ({ index: i.itemNo, hsCode: i.hsCode, description: i.description, customsValue: i.customsValue, taxes: i.taxes, total: i.total })),
    totals: a.totals,
    total: a.total,
  };
}
