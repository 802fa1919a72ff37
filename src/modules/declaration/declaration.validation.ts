// The checks a declaration passes when it is lodged (and again when it is amended). Every problem
// is collected and reported at once, each with a pointer to the field, a stable code and a
// sentence saying what is allowed, so the declarant fixes everything in one go.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { Dec, fixed, parseDecimal, sum } from '#platform/money.ts';
import { conflict, FieldErrors, ProblemError } from '#platform/http/problem.ts';
import { localDate } from '#platform/clock.ts';
import { withSerial } from '#platform/ids.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { ReferenceService, ReferenceSets } from '#modules/reference/index.ts';
import type { TariffService } from '#modules/tariff/index.ts';
import type { CalculatorService } from '#modules/assessment/index.ts';
import type { DeclarationBody } from './declaration.schemas.ts';
import { incoterms } from './declaration.schemas.ts';
import { incotermCovers, regimeRules } from './declaration.regimes.ts';
import type { ManifestPort, OrganisationRef, PartiesPort, TransportDocumentRef } from './declaration.ports.ts';
import { AssessmentErrors, assessGoods, type FixedRate, type GoodsToAssess, type StoredAssessment } from './declaration.assessment.ts';
import type { AssessmentBasis, DeclarationRow } from './declaration.tables.ts';
import { declarationRepository as repo } from './declaration.repository.ts';
import { isExportRegime } from './declaration.export.ts';
import { earlierSince } from './declaration.selection.ts';

/** The tariff and the calculator reading through a given connection or transaction. */
export interface Rates {
  tariff: TariffService;
  calculator: CalculatorService;
}

export interface LodgementDeps {
  /** Reference sets are read once and cached: warm them before a transaction (see ready()). */
  reference: ReferenceService;
  /**
   * The tariff and calculator bound to the caller's transaction. On the embedded PGlite there is
   * one connection: a query through the pool from inside a transaction would wait forever.
   */
  ratesFor: (q: Kysely<DB>) => Rates;
  parties: PartiesPort;
  manifest: ManifestPort;
}

export interface Lodging {
  declarationId: string;
  /** The transport document the declaration was lodged on before (amendments keep it without asking again). */
  knownDocumentId?: string | null;
  body: DeclarationBody;
  declarant: { organisationId: string; organisationKind: string };
  /** Today in Nairobi: the agent's licence and authority must cover it. */
  today: string;
  /** Date the entry was first accepted: its exchange rate applies. */
  acceptanceDate: string;
  /** The moment of the lodgement: the consignment's earlier declarations are read back from it. */
  now: Date;
  /**
   * The serial scope of a declaration that needs a reference (its first lodgement), given its
   * regime: the serial is drawn with the document's other reads (Lodged.serial).
   */
  serialScope?: (regime: string) => string;
}

export interface Lodged {
  regime: string;
  importer: OrganisationRef;
  document: TransportDocumentRef;
  basis: AssessmentBasis;
  goods: GoodsToAssess;
  assessment: StoredAssessment;
  packages: number;
  grossMassKg: Dec;
  /** The consignment's earlier declarations, for the risk engine (read with the document's claimed packages and mass). */
  earlier: EarlierDeclarations;
  /** The serial of a new reference, when Lodging.serialScope asked for one. */
  serial: number | undefined;
}

export type EarlierDeclarations = Awaited<ReturnType<typeof repo.priorDeclarations>>;

const pinPattern = /^[A-Z]\d{9}[A-Z]$/;
/** Documents every home-use declaration carries. */
const requiredDocuments = [{ code: 'N380', name: 'commercial invoice' }];

/** The documents of an import or export: known codes, and the commercial invoice attached. */
export function checkDocuments(errors: FieldErrors, documents: readonly { code: string }[], documentCodes: ReadonlySet<string>): void {
  documents.forEach((d, j) => {
    if (!documentCodes.has(d.code.toUpperCase())) {
      errors.add(`/documents/${j}/code`, 'unknown_document_code', `"${d.code}" is not a document code; see GET /api/v1/reference/document-codes (e.g. N380 commercial invoice)`);
    }
  });
  const attached = new Set(documents.map((d) => d.code.toUpperCase()));
  for (const required of requiredDocuments) {
    if (!attached.has(required.code)) {
      errors.add('/documents', 'required_document', `attach the ${required.name} (document code ${required.code})`);
    }
  }
}

export async function checkLodgement(tx: Tx, deps: LodgementDeps, lodging: Lodging): Promise<Lodged> {
  const { body } = lodging;
  const errors = new FieldErrors();
  const refs = await deps.reference.sets();
  const rates = deps.ratesFor(tx);

  // Header: office, procedure and regime, money.
  const officeCode = body.officeCode.toUpperCase();
  if (!refs.offices.has(officeCode)) {
    errors.add('/officeCode', 'unknown_office', `"${body.officeCode}" is not a customs office code; see GET /api/v1/reference/offices (e.g. MBA Mombasa port)`);
  }
  const procedure = refs.procedureCodes.get(body.cpc);
  const regime = procedure?.regime ?? body.regime ?? '';
  if (!procedure) {
    errors.add('/cpc', 'unknown_cpc', `"${body.cpc}" is not a customs procedure code; see GET /api/v1/reference/procedure-codes (e.g. 4000000 home use)`);
  } else if (body.regime !== undefined && body.regime !== procedure.regime) {
    errors.add('/regime', 'cpc_not_in_regime', `procedure code ${body.cpc} belongs to regime ${procedure.regime ?? 'none'}, not ${body.regime}`);
  }
  const rule = regimeRules[regime];
  if (procedure && isExportRegime(regime)) {
    errors.add('/cpc', 'export_regime', `${body.cpc} is an export procedure (${regime}): lodge exports at POST /api/v1/exports`);
  } else if (procedure && !rule?.lodgeable) {
    errors.add('/cpc', 'regime_not_supported', `${regime} declarations cannot be lodged yet${rule?.pending ? ` (${rule.pending})` : ''}; IM4 home use is lodged here, exports (EX1, EX3) at POST /api/v1/exports`);
  }
  const currency = body.invoiceCurrency.toUpperCase();
  if (!refs.currencies.has(currency)) {
    errors.add('/invoiceCurrency', 'unknown_currency', `"${body.invoiceCurrency}" is not an ISO 4217 currency code (e.g. USD, EUR, KES)`);
  }
  const incoterm = body.incoterm.toUpperCase();
  const covers = incotermCovers[incoterm];
  if (!covers) {
    errors.add('/incoterm', 'unknown_incoterm', `"${body.incoterm}" is not an Incoterms 2020 rule; use one of ${incoterms.join(', ')}`);
  } else {
    if (covers.freight && body.freight !== undefined) {
      errors.add('/freight', 'included_in_price', `with ${incoterm} the invoice price already includes freight to the port of import; leave freight out`);
    }
    if (!covers.freight && body.freight === undefined) {
      errors.add('/freight', 'required', `with ${incoterm} the price stops before the main carriage: declare the freight to the port of import`);
    }
    if (covers.insurance && body.insurance !== undefined) {
      errors.add('/insurance', 'included_in_price', `with ${incoterm} the invoice price already includes insurance; leave insurance out`);
    }
  }
  const declaredRate = body.exchangeRate === undefined ? undefined : parseDecimal(body.exchangeRate);
  if (declaredRate?.isZero()) {
    errors.add('/exchangeRate', 'invalid_decimal', 'must be a positive number of KES per unit of the invoice currency');
  }

  for (const field of ['sellerCountry', 'departureCountry'] as const) {
    const country = body[field];
    if (country !== undefined && !refs.countries.has(country.toUpperCase())) {
      errors.add(`/${field}`, 'unknown_country', `"${country}" is not an ISO 3166 alpha-2 country code (e.g. CN, AE, UG)`);
    }
  }

  checkDocuments(errors, body.documents ?? [], refs.documentCodes);

  // Items.
  body.items.forEach((item, i) => {
    const p = `/items/${i}`;
    if (!refs.countries.has(item.originCountry.toUpperCase())) {
      errors.add(`${p}/originCountry`, 'unknown_country', `"${item.originCountry}" is not an ISO 3166 alpha-2 country code (e.g. CN, JP, UG)`);
    }
    if (!refs.units.has(item.unit.toUpperCase())) {
      errors.add(`${p}/unit`, 'unknown_unit', `"${item.unit}" is not a unit code; see GET /api/v1/reference/units (e.g. NAR, KGM, PR)`);
    }
    if (item.cpc !== undefined) {
      const itemProcedure = refs.procedureCodes.get(item.cpc);
      if (!itemProcedure) {
        errors.add(`${p}/cpc`, 'unknown_cpc', `"${item.cpc}" is not a customs procedure code`);
      } else if (procedure && itemProcedure.regime !== procedure.regime) {
        errors.add(`${p}/cpc`, 'cpc_not_in_regime', `procedure code ${item.cpc} belongs to regime ${itemProcedure.regime ?? 'none'}; every item must be of the declaration's regime ${procedure.regime ?? ''}`);
      }
    }
    if (new Dec(item.grossMassKg).lessThan(item.netMassKg)) {
      errors.add(`${p}/grossMassKg`, 'gross_below_net', `gross mass ${item.grossMassKg} kg is less than the net mass ${item.netMassKg} kg`);
    }
    // A preferential claim is checked by the assessment, against the origin data in force on
    // arrival: which agreement the origin country applies and which certificate proves it.
  });

  // Arithmetic: the items must add up to the invoice, to the cent.
  const itemsTotal = sum(body.items.map((i) => new Dec(i.itemPrice)));
  if (!itemsTotal.equals(new Dec(body.invoiceAmount))) {
    errors.add(
      '/invoiceAmount',
      'invoice_total_mismatch',
      `the items' prices add up to ${fixed(itemsTotal)} ${currency} but invoiceAmount is ${fixed(new Dec(body.invoiceAmount))} ${currency}; they must be equal to the cent`,
    );
  }

  // Who declares for whom.
  const importerPin = body.importerPin.toUpperCase();
  let importer: OrganisationRef | undefined;
  if (!pinPattern.test(importerPin)) {
    errors.add('/importerPin', 'invalid_pin', `"${body.importerPin}" is not a KRA PIN: a letter, 9 digits and a letter, e.g. P051234567A`);
  } else {
    importer = await deps.parties.organisationByPin(tx, importerPin);
    if (!importer) {
      errors.add('/importerPin', 'unknown_importer', `no trader with PIN ${importerPin} is registered`);
    }
  }
  if (importer) {
    await checkDeclarant(tx, deps, lodging, importer, errors);
  }

  // The transport document: on a manifest, for this regime, consigned to the importer, not over-declared.
  const packages = body.items.reduce((n, i) => n + i.packages, 0);
  const grossMassKg = sum(body.items.map((i) => new Dec(i.grossMassKg)));
  const document = await transportDocumentOf(tx, deps, lodging, errors);
  let earlier: EarlierDeclarations = { sameDocument: [], sameGoods: [] };
  let serial: number | undefined;
  if (document) {
    if (rule && !rule.cargoCategories.includes(document.cargoCategory)) {
      errors.add(
        '/transportDocumentNumber',
        'cargo_category_mismatch',
        `${document.number} is manifested as ${document.cargoCategory.replace(/_/g, ' ')} cargo; a ${regime} declaration needs ${rule.cargoCategories.map((c) => c.replace(/_/g, ' ')).join(' or ') || 'no inbound'} cargo`,
      );
    }
    if (document.consigneePin?.toUpperCase() !== importerPin) {
      errors.add('/importerPin', 'not_consignee', `${document.number} is not consigned to PIN ${importerPin}; only its consignee may declare it (or amend the manifest)`);
    }
    if (document.officeCode !== officeCode && refs.offices.has(officeCode)) {
      errors.add('/officeCode', 'office_mismatch', `${document.number} is discharged at office ${document.officeCode}; declare it there`);
    }
    const alreadyOn = (serialSequence: string | undefined) =>
      repo.alreadyOnDocument(tx, {
        declarationId: lodging.declarationId,
        transportDocumentId: document.id,
        importerOrgId: importer?.id ?? null,
        hsCodes: body.items.map((i) => i.hsCode),
        since: earlierSince(lodging.now),
        serialSequence,
      });
    // The serial is drawn only while every check so far has passed, so refused lodgements leave few gaps.
    const onDocument = lodging.serialScope && errors.list.length === 0 ? await withSerial(tx, lodging.serialScope(regime), alreadyOn) : await alreadyOn(undefined);
    earlier = onDocument.earlier;
    serial = onDocument.serial;
    const { claimed } = onDocument;
    const packagesLeft = document.remainingPackages - claimed.packages;
    if (packages > packagesLeft) {
      errors.add(
        '/items',
        'packages_exceed_transport_document',
        `${document.number} has ${Math.max(packagesLeft, 0)} of its ${document.packages} packages left to declare (${claimed.packages} on other declarations); this declaration declares ${packages}`,
      );
    }
    const massLeft = new Dec(document.remainingMassKg).minus(claimed.grossMassKg);
    if (grossMassKg.greaterThan(massLeft)) {
      errors.add(
        '/items',
        'mass_exceeds_transport_document',
        `${document.number} has ${Dec.max(massLeft, 0).toString()} kg of its ${document.grossMassKg} kg gross mass left to declare (${claimed.grossMassKg.toString()} kg on other declarations); this declaration declares ${grossMassKg.toString()} kg`,
      );
    }
  }

  // Rates in force on arrival: actual if the conveyance has arrived, else expected (pre-arrival).
  // A conveyance still expected arrives today at the earliest: an expected arrival already past
  // (a late vessel) never selects an older day's rates.
  const basis: AssessmentBasis = document?.actualArrival ? 'actual-arrival' : 'expected-arrival';
  const assessmentDate = document ? (document.actualArrival ? localDate(document.actualArrival) : laterDate(localDate(document.expectedArrival), lodging.today)) : undefined;

  let exchangeRate: FixedRate | undefined;
  if (refs.currencies.has(currency)) {
    exchangeRate = await fixRate(rates, currency, declaredRate, lodging.acceptanceDate, errors);
  }
  if (assessmentDate) {
    await checkUnits(rates, refs, body, assessmentDate, errors);
  }

  let assessment: StoredAssessment | undefined;
  let goods: GoodsToAssess | undefined;
  if (assessmentDate && exchangeRate && procedure && covers) {
    goods = goodsFrom(body, assessmentDate, exchangeRate);
    try {
      assessment = await assessGoods(rates.calculator, goods);
    } catch (err) {
      if (!(err instanceof AssessmentErrors)) {
        throw err;
      }
      const seen = new Set(errors.list.map((e) => e.pointer));
      for (const e of err.errors.filter((e) => !seen.has(e.pointer))) {
        errors.add(e.pointer, e.code, e.message);
      }
    }
  }
  errors.throwIfAny();
  if (!importer || !document || !goods || !assessment) {
    throw new Error('lodgement checks passed without their results');
  }
  return { regime, importer, document, basis, goods, assessment, packages, grossMassKg, earlier, serial };
}

const laterDate = (a: string, b: string): string => (a > b ? a : b);

/**
 * The transport document, named without ambiguity: by its number and, when two carriers use the
 * number, by the carrier or the manifest. A declaration lodged before keeps its document.
 */
async function transportDocumentOf(tx: Tx, deps: LodgementDeps, lodging: Lodging, errors: FieldErrors): Promise<TransportDocumentRef | undefined> {
  const { body } = lodging;
  const number = body.transportDocumentNumber;
  if (lodging.knownDocumentId) {
    const known = await deps.manifest.findTransportDocumentById(tx, lodging.knownDocumentId, { forUpdate: true });
    if (known && known.number === normalisedNumber(number)) {
      return known;
    }
  }
  let carrierOrgId: string | undefined;
  if (body.carrierCode !== undefined) {
    const carrier = await deps.parties.organisationByCode(tx, body.carrierCode);
    if (carrier?.kind !== 'carrier') {
      errors.add('/carrierCode', 'unknown_carrier', `"${body.carrierCode}" is not the code of a registered carrier (e.g. MAERSK)`);
      return undefined;
    }
    carrierOrgId = carrier.id;
  }
  const options = { forUpdate: true, ...(carrierOrgId === undefined ? {} : { carrierOrgId }), ...(body.manifestReference === undefined ? {} : { manifestReference: body.manifestReference }) };
  let document: TransportDocumentRef | undefined;
  try {
    document = await deps.manifest.findTransportDocument(tx, number, options);
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status !== 409) {
      throw err;
    }
    errors.add(
      '/transportDocumentNumber',
      'ambiguous_transport_document',
      `${number} is on the manifests of more than one carrier; name yours with carrierCode (the carrier's code, e.g. MAERSK) or manifestReference`,
    );
    return undefined;
  }
  if (!document) {
    const named = carrierOrgId !== undefined || body.manifestReference !== undefined ? ' of that carrier or manifest' : '';
    errors.add('/transportDocumentNumber', 'unknown_transport_document', `no manifest${named} carries transport document ${number}; the carrier must lodge its manifest first`);
  }
  return document;
}

/** Document numbers as the manifest keeps them (trimmed, upper case). */
const normalisedNumber = (number: string): string => number.trim().toUpperCase();

/** A trader declares for itself; a clearing agent only for clients that authorised it, while licensed. */
async function checkDeclarant(tx: Tx, deps: LodgementDeps, lodging: Lodging, importer: OrganisationRef, errors: FieldErrors): Promise<void> {
  const { declarant } = lodging;
  if (declarant.organisationId === importer.id) {
    return;
  }
  if (declarant.organisationKind === 'trader') {
    errors.add('/importerPin', 'not_own_pin', `a trader may declare only its own goods (PIN ${importer.pin ?? ''} is ${importer.name}); a clearing agent it authorised may declare for it`);
    return;
  }
  const check = await deps.parties.agentMayActFor(tx, { agentOrgId: declarant.organisationId, clientOrgId: importer.id, date: lodging.today });
  if (!check.ok) {
    errors.add('/importerPin', check.code, check.message);
  }
}

/** The exchange rate of the entry: declared, or the rate in force on the day it was accepted. */
async function fixRate(rates: Rates, currency: string, declared: Dec | undefined, acceptanceDate: string, errors: FieldErrors): Promise<FixedRate | undefined> {
  if (currency === 'KES') {
    return { rate: '1', source: 'declared' };
  }
  const { rates: found, missing } = await rates.tariff.exchangeRates([currency], acceptanceDate);
  const rate = found.get(currency);
  if (!rate || rate.ref.kind === 'declared' || missing.length > 0) {
    // No official rate for the currency: the declared one is taken, and checked by an officer (see lodgeAndAssess).
    if (declared) {
      return declared.isZero() ? undefined : { rate: declared.toString(), source: 'declared' };
    }
    errors.add('/exchangeRate', 'exchange_rate_missing', missing[0]?.message ?? `no ${currency} rate is in force on ${acceptanceDate}; declare exchangeRate`);
    return undefined;
  }
  // The rate in force when the entry is accepted applies: the declarant does not choose its own.
  if (declared && !declared.equals(rate.rate)) {
    errors.add(
      '/exchangeRate',
      'exchange_rate_not_official',
      `the ${currency} rate in force on ${acceptanceDate} is ${rate.rate.toString()} KES; leave exchangeRate out, or declare exactly that rate`,
    );
    return undefined;
  }
  const ref = rate.ref;
  return {
    rate: rate.rate.toString(),
    source: 'tariff',
    fixedOn: acceptanceDate,
    rule: { kind: ref.kind, id: ref.id, key: ref.key, validFrom: ref.validFrom, validTo: ref.validTo, ...(ref.value === undefined ? {} : { value: ref.value }) },
  };
}

/**
 * The quantity must be of the same kind as the tariff line's supplementary unit (items for a line
 * counted in mille, millilitres for one in litres): it is converted for statistics and for each
 * specific charge, but a count cannot stand for a mass.
 */
async function checkUnits(rates: Rates, refs: ReferenceSets, body: DeclarationBody, date: string, errors: FieldErrors): Promise<void> {
  const lines = await rates.tariff.linesInForce(
    body.items.map((i) => i.hsCode),
    date,
  );
  body.items.forEach((item, i) => {
    const line = lines.get(item.hsCode);
    const declared = refs.unitDefs.get(item.unit.toUpperCase());
    const wanted = line?.ok ? refs.unitDefs.get(line.measure.unit) : undefined;
    if (line?.ok && declared && wanted && (declared.kind !== wanted.kind || declared.factor === null)) {
      errors.add(
        `/items/${i}/unit`,
        'unit_mismatch',
        `tariff line ${line.measure.hsCode} is measured in ${line.measure.unit} (${wanted.kind}); declare the quantity in ${line.measure.unit} or another ${wanted.kind} unit, not ${declared.code} (${declared.kind})`,
      );
    }
  });
}

/** The goods as the assessment sees them on a date: header freight and insurance after the incoterm. */
export function goodsFrom(body: DeclarationBody, date: string, exchangeRate: FixedRate): GoodsToAssess {
  const covers = incotermCovers[body.incoterm.toUpperCase()] ?? { freight: false, insurance: false };
  return {
    date,
    currency: body.invoiceCurrency.toUpperCase(),
    cpc: body.cpc,
    exchangeRate,
    freight: covers.freight ? new Dec(0) : body.freight === undefined ? undefined : new Dec(body.freight),
    insurance: covers.insurance ? new Dec(0) : body.insurance === undefined ? undefined : new Dec(body.insurance),
    documents: (body.documents ?? []).map((d) => ({ code: d.code.toUpperCase(), reference: d.reference })),
    importerPin: body.importerPin.toUpperCase(),
    items: body.items.map((i) => ({
      hsCode: i.hsCode,
      originCountry: i.originCountry.toUpperCase(),
      preferentialOrigin: i.preferentialOrigin ?? false,
      itemPrice: i.itemPrice,
      quantity: i.quantity,
      unit: i.unit.toUpperCase(),
      alcoholPercent: i.alcoholPercent ?? null,
      netMassKg: i.netMassKg,
      cpc: i.cpc ?? null,
      vehicle: i.vehicle ?? null,
    })),
  };
}

/** Verification says whether the declarant may amend: not while a documentary or physical check is open (409 naming the task). */
export async function checkNotUnderVerification(
  deps: { verificationOf?: (q: Kysely<DB>, declarationId: string) => Promise<{ task: string; amendable: boolean } | undefined> },
  q: Kysely<DB>,
  row: DeclarationRow,
): Promise<void> {
  const verification = await deps.verificationOf?.(q, row.id);
  if (verification && !verification.amendable) {
    throw conflict(`Declaration ${row.reference ?? row.id} is under verification (task ${verification.task}): it cannot be amended until the check is done; the officer records any corrections`, {
      state: row.status,
      action: 'amend',
      task: verification.task,
    });
  }
}

/**
 * An amendment after registration keeps what the PRN and the release hang on: the importer,
 * the transport document, the office, the regime and the exchange rate fixed at acceptance;
 * the goods and figures may change. Checked like a lodgement, on the same rules.
 */
export async function checkAmendmentAfterRegistration(
  tx: Tx,
  deps: LodgementDeps & Parameters<typeof checkNotUnderVerification>[0],
  amending: { row: DeclarationRow; body: DeclarationBody; declarantKind: string; now: Date },
): Promise<Lodged> {
  const { row, body } = amending;
  const errors = new FieldErrors();
  const same = (a: string | undefined | null, b: string | undefined | null) => (a ?? '').trim().toUpperCase() === (b ?? '').trim().toUpperCase();
  const fixedFields: [keyof DeclarationBody, string | null][] = [
    ['importerPin', row.importer_pin],
    ['transportDocumentNumber', row.transport_document_number],
    ['officeCode', row.office_code],
    ['exchangeRate', row.exchange_rate],
  ];
  for (const [field, stored] of fixedFields) {
    const given = body[field] as string | undefined;
    const equal = field === 'exchangeRate' ? (given === undefined ? stored === null : stored !== null && new Dec(given).equals(stored)) : same(given, stored);
    if (!equal) {
      errors.add(`/${field}`, 'not_amendable_after_registration', `cannot change once the declaration is registered (it is ${stored ?? 'not given'}); cancel it and lodge a new declaration instead`);
    }
  }
  const refs = await deps.reference.sets();
  if (refs.procedureCodes.get(body.cpc)?.regime !== row.regime) {
    errors.add('/cpc', 'not_amendable_after_registration', `must stay a procedure code of regime ${row.regime} once the declaration is registered`);
  }
  errors.throwIfAny();
  await checkNotUnderVerification(deps, tx, row);
  return checkLodgement(tx, deps, {
    declarationId: row.id,
    knownDocumentId: row.transport_document_id,
    body: { ...body, regime: row.regime },
    declarant: { organisationId: row.declarant_org_id, organisationKind: amending.declarantKind },
    today: localDate(amending.now),
    acceptanceDate: row.lodged_at ? localDate(row.lodged_at) : localDate(amending.now),
    now: amending.now,
  });
}
