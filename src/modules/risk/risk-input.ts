// How a declaration is shown to the learned model: one RiskInput per item, with the
// declaration's header facts repeated. A declaration's score is the highest of its items'
// scores (the riskiest item decides: one smuggled line is enough to make it a fraud), and
// its explanation is that item's. Training from the database uses the same mapping on the
// facts recorded at selection, with the declaration's inspection outcome as every item's
// label, so scoring and training can never drift apart.
//
// Numbers here are model features, not amounts: JS numbers are fine (nothing is summed or taxed).
import type { RiskInput, RiskTrainingRow } from './model/index.ts';
import type { DeclarationForRisk } from './selectivity.ts';
import { digits, sellerKey } from './rules.ts';

const num = (v: string | null | undefined): number | null => {
  if (v === null || v === undefined || v === '') {
    return null;
  }
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
};

export function riskInputs(d: DeclarationForRisk): RiskInput[] {
  return d.items.map((item) => ({
    declarationId: d.reference,
    date: d.date,
    officeId: d.officeCode,
    processType: d.preArrival ? 'pre-arrival' : 'post-arrival',
    importType: d.regime,
    importUse: d.cpc,
    transportMode: d.transportMode,
    declarantId: d.declarantOrgId,
    importerId: d.importerPin,
    sellerId: d.sellerName ? sellerKey(d.sellerName).toUpperCase() : null,
    hsCode: digits(item.hsCode),
    departureCountry: d.departureCountry ?? null,
    originCountry: item.originCountry,
    taxRate: num(item.dutyRate),
    taxType: item.preferentialOrigin ? 'EAC-preference' : 'general',
    netMassKg: num(item.netMassKg),
    itemPrice: num(item.customsValue),
  }));
}

export function trainingRows(d: DeclarationForRisk, fraud: boolean): RiskTrainingRow[] {
  return riskInputs(d).map((r) => ({ ...r, fraud: fraud ? 1 : 0 }));
}
