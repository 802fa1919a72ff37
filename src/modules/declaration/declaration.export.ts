// The checks an export declaration (EX1 direct export, EX3 re-export) passes when it is lodged,
// and its assessment. Like an import's, every problem is collected and reported at once with a
// pointer, a code and what is allowed.
//
// How a dishonest exporter could use an export, and what stops it:
// - export someone else's goods, or claim a VAT refund on another's sale: the exporter is the
//   consignor, a registered Kenyan trader, declaring itself or through an agent it authorised;
// - re-export goods it never imported, or re-export the same import twice (to write off bonded or
//   temporarily imported goods that in fact stayed): a re-export item names the import
//   declaration item it is, of the same importer, released, same HS code, same unit, and no more
//   than what remains of it once every other live or exited re-export is counted. The import is
//   locked while this is counted, so two re-exports racing for the last quantity cannot both win;
// - dodge an export levy by misdeclaring the heading: the HS code must be a tariff line in force,
//   the levy is data matched on it, and the risk engine selects the declaration like an import.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { Dec, fixed, parseDecimal, sum } from '#platform/money.ts';
import { FieldErrors } from '#platform/http/problem.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { chargesFor, exportChargesInForce, normaliseHsCode } from '#modules/tariff/index.ts';
import type { ExportBody } from './declaration.export.schemas.ts';
import { incoterms } from './declaration.schemas.ts';
import { exportRegimes, regimeRules } from './declaration.regimes.ts';
import type { OrganisationRef } from './declaration.ports.ts';
import type { FixedRate } from './declaration.assessment.ts';
import { checkDocuments, type LodgementDeps } from './declaration.validation.ts';
import { declarationRepository as repo } from './declaration.repository.ts';
import type { DeclarationRow } from './declaration.tables.ts';

const pinPattern = /^[A-Z]\d{9}[A-Z]$/;
/** Offices where goods can leave Kenya. */
const exitOfficeKinds = ['port', 'airport', 'border'];
/** Import declarations whose goods are in Kenya, cleared: these may be re-exported. */
const reExportableStatuses = ['released', 'exited'];
/** Procedure codes for home-produced goods: their origin is Kenya. */
const homeProducedCpcs = new Set(['1000100']);

export interface ExportLodging {
  declarationId: string;
  body: ExportBody;
  declarant: { organisationId: string; organisationKind: string };
  /** Today in Nairobi: the rates, the agent's authority and the exchange rate of this day apply. */
  today: string;
}

/** An import declaration item a re-export item is, with what remains of it. */
export interface ReExportSource {
  itemIndex: number;
  declarationId: string;
  reference: string;
  itemNo: number;
  unit: string;
  quantity: string;
  remainingBefore: string;
}

export interface ExportTaxLine {
  code: string;
  name: string;
  base: string;
  rate: string;
  amount: string;
  method: 'ad-valorem';
  rule: { kind: 'export-charge'; id: string; key: string; validFrom: string; validTo: string | null; value: string };
}

/** Stored in declaration.assessment; the e-slip reads items, totals and total as it does an import's. */
export interface ExportAssessment {
  basis: 'lodgement';
  date: string;
  currency: string;
  cpc: string;
  exchangeRate: FixedRate;
  items: { itemNo: number; cpc: string; hsCode: string; description: string; fobValue: string; customsValue: string; taxes: ExportTaxLine[]; total: string }[];
  totals: Record<string, string>;
  total: string;
  rulesUsed: ExportTaxLine['rule'][];
  warnings: string[];
}

export interface ExportLodged {
  regime: 'EX1' | 'EX3';
  exporter: OrganisationRef;
  exitOfficeKind: string;
  assessment: ExportAssessment;
  sources: ReExportSource[];
  packages: number;
  grossMassKg: Dec;
}

export const isExportRegime = (regime: string): boolean => exportRegimes.includes(regime);
export const isExport = (row: Pick<DeclarationRow, 'regime'>): boolean => isExportRegime(row.regime);

export async function checkExport(tx: Tx, deps: LodgementDeps, lodging: ExportLodging): Promise<ExportLodged> {
  const { body, today } = lodging;
  const errors = new FieldErrors();
  const refs = await deps.reference.sets();
  const rates = deps.ratesFor(tx);
  const offices = await repo.officeKinds(tx);

  // Procedure and regime: exports only, and only those that can be lodged.
  const procedure = refs.procedureCodes.get(body.cpc);
  const regime = procedure?.regime ?? body.regime ?? '';
  if (!procedure) {
    errors.add('/cpc', 'unknown_cpc', `"${body.cpc}" is not a customs procedure code; see GET /api/v1/reference/procedure-codes (e.g. 1000100 direct export, 3100000 re-export)`);
  } else if (body.regime !== undefined && body.regime !== procedure.regime) {
    errors.add('/regime', 'cpc_not_in_regime', `procedure code ${body.cpc} belongs to regime ${procedure.regime ?? 'none'}, not ${body.regime}`);
  } else if (!isExportRegime(regime)) {
    const rule = regimeRules[regime];
    errors.add(
      '/cpc',
      rule?.lodgeable ? 'not_an_export' : 'regime_not_supported',
      rule?.lodgeable ? `${body.cpc} is a ${regime} procedure code: lodge imports at POST /api/v1/declarations` : `${regime} declarations cannot be lodged here; exports are EX1 (e.g. 1000100) or EX3 (e.g. 3100000)${rule?.pending ? ` (${rule.pending})` : ''}`,
    );
  }

  // Offices: where it is lodged, where the goods leave.
  const officeCode = body.officeCode.toUpperCase();
  if (!offices.has(officeCode)) {
    errors.add('/officeCode', 'unknown_office', `"${body.officeCode}" is not a customs office code; see GET /api/v1/reference/offices (e.g. NBI, MBA)`);
  }
  const exitOfficeCode = body.exitOfficeCode.toUpperCase();
  const exitOffice = offices.get(exitOfficeCode);
  if (!exitOffice) {
    errors.add('/exitOfficeCode', 'unknown_office', `"${body.exitOfficeCode}" is not a customs office code; see GET /api/v1/reference/offices (e.g. MBA, JKA, MAL)`);
  } else if (!exitOfficeKinds.includes(exitOffice.kind)) {
    errors.add('/exitOfficeCode', 'not_an_office_of_exit', `${exitOfficeCode} is ${exitOffice.kind === 'icd' ? 'an inland container depot' : `an ${exitOffice.kind} office`}: goods leave Kenya at a port, an airport or a border office (e.g. MBA, JKA, MAL)`);
  }
  const destination = body.destinationCountry.toUpperCase();
  if (!refs.countries.has(destination)) {
    errors.add('/destinationCountry', 'unknown_country', `"${body.destinationCountry}" is not an ISO 3166 alpha-2 country code (e.g. UG, GB, NL)`);
  } else if (destination === 'KE') {
    errors.add('/destinationCountry', 'not_abroad', 'an export leaves Kenya: the destination is another country');
  }

  // Money.
  const currency = body.invoiceCurrency.toUpperCase();
  if (!refs.currencies.has(currency)) {
    errors.add('/invoiceCurrency', 'unknown_currency', `"${body.invoiceCurrency}" is not an ISO 4217 currency code (e.g. USD, EUR, KES)`);
  }
  if (!(incoterms as readonly string[]).includes(body.incoterm.toUpperCase())) {
    errors.add('/incoterm', 'unknown_incoterm', `"${body.incoterm}" is not an Incoterms 2020 rule; use one of ${incoterms.join(', ')}`);
  }
  const itemsTotal = sum(body.items.map((i) => new Dec(i.itemPrice)));
  if (!itemsTotal.equals(new Dec(body.invoiceAmount))) {
    errors.add('/invoiceAmount', 'invoice_total_mismatch', `the items' prices add up to ${fixed(itemsTotal)} ${currency} but invoiceAmount is ${fixed(new Dec(body.invoiceAmount))} ${currency}; they must be equal to the cent`);
  }

  checkDocuments(errors, body.documents ?? [], refs.documentCodes);

  // The exporter: the consignor, a registered Kenyan trader; the declarant is it or its agent.
  const exporterPin = body.exporterPin.toUpperCase();
  let exporter: OrganisationRef | undefined;
  if (!pinPattern.test(exporterPin)) {
    errors.add('/exporterPin', 'invalid_pin', `"${body.exporterPin}" is not a KRA PIN: a letter, 9 digits and a letter, e.g. P051234567A; the exporter is a Kenyan taxpayer`);
  } else {
    exporter = await deps.parties.organisationByPin(tx, exporterPin);
    if (!exporter) {
      errors.add('/exporterPin', 'unknown_exporter', `no trader with PIN ${exporterPin} is registered`);
    } else if (lodging.declarant.organisationId !== exporter.id) {
      if (lodging.declarant.organisationKind === 'trader') {
        errors.add('/exporterPin', 'not_own_pin', `a trader may export only its own goods (PIN ${exporterPin} is ${exporter.name}); a clearing agent it authorised may declare for it`);
      } else {
        const check = await deps.parties.agentMayActFor(tx, { agentOrgId: lodging.declarant.organisationId, clientOrgId: exporter.id, date: today });
        if (!check.ok) {
          errors.add('/exporterPin', check.code, check.message);
        }
      }
    }
  }

  // Items: tariff lines in force, units, masses; home-produced goods are of Kenyan origin.
  const lines = await rates.tariff.linesInForce(
    body.items.map((i) => i.hsCode),
    today,
  );
  body.items.forEach((item, i) => {
    const p = `/items/${i}`;
    const line = lines.get(item.hsCode);
    if (line && !line.ok) {
      errors.add(`${p}/hsCode`, line.code, line.message);
    }
    if (!refs.countries.has(item.originCountry.toUpperCase())) {
      errors.add(`${p}/originCountry`, 'unknown_country', `"${item.originCountry}" is not an ISO 3166 alpha-2 country code (e.g. KE, CN)`);
    } else if (homeProducedCpcs.has(body.cpc) && item.originCountry.toUpperCase() !== 'KE') {
      errors.add(`${p}/originCountry`, 'not_home_produced', `procedure ${body.cpc} exports home-produced goods: their origin is KE; goods of ${item.originCountry.toUpperCase()} origin leave as a re-export (EX3) or under another EX1 code`);
    }
    if (!refs.units.has(item.unit.toUpperCase())) {
      errors.add(`${p}/unit`, 'unknown_unit', `"${item.unit}" is not a unit code; see GET /api/v1/reference/units (e.g. NAR, KGM)`);
    }
    if (new Dec(item.grossMassKg).lessThan(item.netMassKg)) {
      errors.add(`${p}/grossMassKg`, 'gross_below_net', `gross mass ${item.grossMassKg} kg is less than the net mass ${item.netMassKg} kg`);
    }
    if (regime === 'EX1' && item.reExportOf !== undefined) {
      errors.add(`${p}/reExportOf`, 'not_applicable', 'a direct export (EX1) re-exports nothing: leave reExportOf out, or lodge a re-export (EX3)');
    }
    if (regime === 'EX3' && item.reExportOf === undefined) {
      errors.add(`${p}/reExportOf`, 'required', 'a re-export (EX3) names, for every item, the import declaration item it re-exports: { "declaration": "2026MBAIM4000123", "itemNo": 1 }');
    }
  });

  const sources = regime === 'EX3' && exporter ? await checkSources(tx, lodging, exporter, errors) : [];

  // The exchange rate of the day of lodgement; the levies in force that day.
  let exchangeRate: FixedRate | undefined;
  if (refs.currencies.has(currency)) {
    exchangeRate = await fixRate(deps, tx, currency, body.exchangeRate, today, errors);
  }
  errors.throwIfAny();
  if (!exporter || !exchangeRate || !exitOffice) {
    throw new Error('export checks passed without their results');
  }
  const assessment = await assessExport(tx, body, today, exchangeRate);
  return {
    regime: regime as 'EX1' | 'EX3',
    exporter,
    exitOfficeKind: exitOffice.kind,
    assessment,
    sources,
    packages: body.items.reduce((n, i) => n + i.packages, 0),
    grossMassKg: sum(body.items.map((i) => new Dec(i.grossMassKg))),
  };
}

/**
 * Each re-export item's import declaration item, locked (in reference order, so two re-exports
 * never deadlock) and counted: what remains is its quantity less what other live or exited
 * re-exports claim, and this declaration's items of it together may take no more.
 */
async function checkSources(tx: Tx, lodging: ExportLodging, exporter: OrganisationRef, errors: FieldErrors): Promise<ReExportSource[]> {
  const { body } = lodging;
  const references = [...new Set(body.items.flatMap((i) => (i.reExportOf ? [i.reExportOf.declaration.trim().toUpperCase()] : [])))].sort();
  const imports = new Map<string, DeclarationRow>();
  for (const reference of references) {
    const row = await repo.findByReference(tx, reference);
    if (row) {
      imports.set(reference, (await repo.find(tx, row.id, { forUpdate: true })) ?? row);
    }
  }
  const sources: ReExportSource[] = [];
  const takenHere = new Map<string, Dec>();
  for (const [i, item] of body.items.entries()) {
    const cited = item.reExportOf;
    if (!cited) {
      continue;
    }
    const p = `/items/${i}/reExportOf`;
    const reference = cited.declaration.trim().toUpperCase();
    const source = imports.get(reference);
    // Another importer's declaration is reported exactly like one that does not exist.
    if (!source || source.importer_org_id !== exporter.id) {
      errors.add(`${p}/declaration`, 'unknown_import_declaration', `no import declaration ${reference} of ${exporter.name} (PIN ${exporter.pin ?? ''}) was found; a re-export names an import of the exporter itself`);
      continue;
    }
    if (!source.regime.startsWith('IM')) {
      errors.add(`${p}/declaration`, 'not_an_import', `${reference} is a ${source.regime} declaration; a re-export names the import declaration the goods came in on`);
      continue;
    }
    if (!reExportableStatuses.includes(source.status)) {
      errors.add(`${p}/declaration`, 'import_not_released', `${reference} is ${source.status}: goods are re-exported once released (${reExportableStatuses.join(' or ')})`);
      continue;
    }
    const imported = (await repo.items(tx, source.id)).find((x) => x.item_no === cited.itemNo);
    if (!imported) {
      errors.add(`${p}/itemNo`, 'unknown_item', `${reference} has no item ${cited.itemNo}`);
      continue;
    }
    if (normaliseHsCode(imported.hs_code) !== normaliseHsCode(item.hsCode)) {
      errors.add(`/items/${i}/hsCode`, 'not_the_imported_goods', `item ${cited.itemNo} of ${reference} is HS ${imported.hs_code}; the re-exported goods are the imported ones, declared under the same line`);
      continue;
    }
    if (imported.unit.toUpperCase() !== item.unit.toUpperCase()) {
      errors.add(`/items/${i}/unit`, 'unit_mismatch', `item ${cited.itemNo} of ${reference} is counted in ${imported.unit}: declare the re-exported quantity in ${imported.unit}`);
      continue;
    }
    const key = `${source.id}/${imported.item_no}`;
    const claimedElsewhere = await repo.reExportedQuantity(tx, source.id, imported.item_no, lodging.declarationId);
    const remaining = new Dec(imported.quantity).minus(claimedElsewhere).minus(takenHere.get(key) ?? 0);
    if (new Dec(item.quantity).greaterThan(remaining)) {
      errors.add(
        `/items/${i}/quantity`,
        'exceeds_remaining_quantity',
        `item ${cited.itemNo} of ${reference} has ${Dec.max(remaining, 0).toString()} ${imported.unit} left of its ${new Dec(imported.quantity).toString()} ${imported.unit} (${claimedElsewhere.toString()} on other re-exports); this item declares ${new Dec(item.quantity).toString()}`,
      );
      continue;
    }
    takenHere.set(key, (takenHere.get(key) ?? new Dec(0)).plus(item.quantity));
    sources.push({ itemIndex: i, declarationId: source.id, reference, itemNo: imported.item_no, unit: imported.unit, quantity: new Dec(item.quantity).toString(), remainingBefore: remaining.toString() });
  }
  return sources;
}

/** The rate in force on the day of lodgement; a declared one only for a currency without one (then checked by an officer). */
async function fixRate(deps: LodgementDeps, tx: Tx, currency: string, declaredText: string | undefined, date: string, errors: FieldErrors): Promise<FixedRate | undefined> {
  if (currency === 'KES') {
    return { rate: '1', source: 'declared' };
  }
  const declared = declaredText === undefined ? undefined : parseDecimal(declaredText);
  const { rates: found, missing } = await deps.ratesFor(tx).tariff.exchangeRates([currency], date);
  const rate = found.get(currency);
  if (!rate || rate.ref.kind === 'declared' || missing.length > 0) {
    if (declared && !declared.isZero()) {
      return { rate: declared.toString(), source: 'declared' };
    }
    errors.add('/exchangeRate', 'exchange_rate_missing', missing[0]?.message ?? `no ${currency} rate is in force on ${date}; declare exchangeRate`);
    return undefined;
  }
  if (declared && !declared.equals(rate.rate)) {
    errors.add('/exchangeRate', 'exchange_rate_not_official', `the ${currency} rate in force on ${date} is ${rate.rate.toString()} KES; leave exchangeRate out, or declare exactly that rate`);
    return undefined;
  }
  const ref = rate.ref;
  return {
    rate: rate.rate.toString(),
    source: 'tariff',
    fixedOn: date,
    rule: { kind: ref.kind, id: ref.id, key: ref.key, validFrom: ref.validFrom, validTo: ref.validTo, ...(ref.value === undefined ? {} : { value: ref.value }) },
  };
}

/** Export charges: ad valorem on the FOB value in KES, from the export_charge rows in force; usually none. */
async function assessExport(q: Kysely<DB>, body: ExportBody, date: string, exchangeRate: FixedRate): Promise<ExportAssessment> {
  const inForce = await exportChargesInForce(q, date);
  const rate = new Dec(exchangeRate.rate);
  const totals = new Map<string, Dec>();
  const rulesUsed = new Map<string, ExportTaxLine['rule']>();
  const items = body.items.map((item, i) => {
    const fob = new Dec(fixed(new Dec(item.itemPrice).times(rate), 2));
    const taxes: ExportTaxLine[] = chargesFor(normaliseHsCode(item.hsCode) ?? '', inForce).map((c) => {
      const amount = new Dec(fixed(fob.times(c.ratePercent).div(100), 2));
      totals.set(c.code, (totals.get(c.code) ?? new Dec(0)).plus(amount));
      const rule = { kind: 'export-charge' as const, id: String(c.id), key: `${c.code} ${c.hsPrefix}`, validFrom: c.validFrom, validTo: c.validTo, value: c.ratePercent };
      rulesUsed.set(rule.id, rule);
      return { code: c.code, name: c.name, base: fixed(fob, 2), rate: c.ratePercent, amount: fixed(amount, 2), method: 'ad-valorem' as const, rule };
    });
    const total = sum(taxes.map((t) => new Dec(t.amount)));
    return { itemNo: i + 1, cpc: body.cpc, hsCode: item.hsCode, description: item.description, fobValue: fixed(fob, 2), customsValue: fixed(fob, 2), taxes, total: fixed(total, 2) };
  });
  const total = sum([...totals.values()]);
  return {
    basis: 'lodgement',
    date,
    currency: body.invoiceCurrency.toUpperCase(),
    cpc: body.cpc,
    exchangeRate,
    items,
    totals: Object.fromEntries([...totals].map(([code, amount]) => [code, fixed(amount, 2)])),
    total: fixed(total, 2),
    rulesUsed: [...rulesUsed.values()],
    warnings: [],
  };
}
