// How an assessment is shown over the API and stored: every figure a decimal string, amounts
// with the scale of the rounding rule, rates in percent.
import { fixed, type Dec } from '#platform/money.ts';
import type { Assessment, RuleRef, TaxLine, UsedVehicleValuation } from './assessment.types.ts';

function ruleJson(ref: RuleRef) {
  return { kind: ref.kind, id: ref.id, key: ref.key, validFrom: ref.validFrom, validTo: ref.validTo, ...(ref.value === undefined ? {} : { value: ref.value }) };
}

function taxJson(t: TaxLine, scale: number) {
  return {
    code: t.code,
    name: t.name,
    base: fixed(t.base, scale),
    rate: t.rate === undefined ? null : t.rate.toString(),
    ...(t.specific
      ? {
          specific: {
            amount: t.specific.amount.toString(),
            currency: t.specific.currency,
            unit: t.specific.unit,
            quantity: t.specific.quantity.toString(),
            rateKes: t.specific.rateKes.toString(),
          },
        }
      : {}),
    amount: fixed(t.amount, scale),
    method: t.method,
    rule: `${t.rule.kind}:${t.rule.id}`,
  };
}

const text = (d: Dec) => d.toString();

/** A used vehicle's valuation: the CRSP row, its age in months and each step to the customs value. */
function vehicleJson(v: UsedVehicleValuation, scale: number) {
  return {
    firstRegistration: v.firstRegistration,
    ageMonths: v.ageMonths,
    crsp: v.crsp ? fixed(v.crsp.price, scale) : null,
    crspVariant: v.crsp?.variant ?? null,
    crspRule: v.crsp ? `${v.crsp.ref.kind}:${v.crsp.ref.id}` : null,
    ...(v.depreciationPercent === undefined ? {} : { depreciationPercent: text(v.depreciationPercent) }),
    ...(v.depreciatedPrice === undefined ? {} : { depreciatedPrice: fixed(v.depreciatedPrice, scale) }),
    ...(v.retailMarginPercent === undefined ? {} : { retailMarginPercent: text(v.retailMarginPercent) }),
    ...(v.divisor === undefined ? {} : { divisor: v.divisor.toDecimalPlaces(10).toString() }),
  };
}

export function assessmentJson(a: Assessment, scale: number) {
  return {
    date: a.date,
    items: a.items.map((i) => ({
      index: i.index,
      hsCode: i.hsCode,
      customsValue: fixed(i.customsValue, scale),
      valuation: {
        method: i.valuation.method,
        currency: i.valuation.currency,
        exchangeRate: text(i.valuation.exchangeRate),
        fob: text(i.valuation.fob),
        freight: text(i.valuation.freight),
        insurance: text(i.valuation.insurance),
        insuranceDefaulted: i.valuation.insuranceDefaulted,
        cif: text(i.valuation.cif),
        ...(i.valuation.vehicle ? { vehicle: vehicleJson(i.valuation.vehicle, scale) } : {}),
        ...(i.valuation.pendingValuation === undefined ? {} : { pendingValuation: i.valuation.pendingValuation }),
        warnings: i.valuation.warnings,
      },
      taxes: i.taxes.map((t) => taxJson(t, scale)),
      total: fixed(i.total, scale),
    })),
    totals: Object.fromEntries(Object.entries(a.totals).map(([code, amount]) => [code, fixed(amount, scale)])),
    total: fixed(a.total, scale),
    rulesUsed: a.rulesUsed.map(ruleJson),
    warnings: a.warnings,
  };
}

export type AssessmentJson = ReturnType<typeof assessmentJson>;
