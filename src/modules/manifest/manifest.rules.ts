// The rules a manifest must meet, as pure functions over the request and the manifest's current
// documents: every broken rule becomes a field error with a pointer into the request, so the
// carrier can fix everything in one go. The service adds what needs the database (B/L numbers
// already lodged by the carrier) and turns the plan into rows.
import { Dec } from '#platform/money.ts';
import { conflict, type FieldErrors } from '#platform/http/problem.ts';
import { isIsoDateTimeInRange } from '#platform/http/formats.ts';
import { containerNumberProblem, isImoNumber, normaliseContainerNumber, pinPattern, sizeTypePattern } from './identifiers.ts';
import { cargoCategories, transportModes, type CargoCategory, type Container, type DocumentKind, type RegimeShare, type TransportMode } from './manifest.tables.ts';

type Maybe<T> = T | null | undefined;

export interface ContainerInput {
  number: string;
  sizeType: string;
  seals?: Maybe<string[]>;
}

export interface DocumentInput {
  /** B/L, air waybill or consignment note number. */
  number: string;
  kind: DocumentKind;
  /** Number of the master document on the same manifest, for a house document. */
  masterNumber?: Maybe<string>;
  shipperName: string;
  consigneeName: string;
  /** KRA PIN of the consignee (importer), when known. */
  consigneePin?: Maybe<string>;
  notifyParty?: Maybe<string>;
  packages: number;
  packageKind: string;
  grossMassKg: string;
  description: string;
  cargoCategory: CargoCategory;
  /** A B/L split between regimes: each regime's packages and mass, adding up to the document's. */
  regimeShares?: Maybe<RegimeShare[]>;
  containers?: Maybe<ContainerInput[]>;
}

export interface ManifestHeaderInput {
  mode: TransportMode;
  conveyanceId: string;
  conveyanceName?: Maybe<string>;
  voyageNumber: string;
  portOfLoading: string;
  portOfDischarge: string;
  officeCode: string;
  expectedArrival?: Maybe<string>;
}

export interface LodgementInput extends ManifestHeaderInput {
  documents: DocumentInput[];
}

export interface AmendmentEntry extends Partial<Omit<DocumentInput, 'number'>> {
  /** add a document, change some of its fields, or remove it. */
  action: 'add' | 'change' | 'remove';
  number: string;
}

export interface AmendmentInput {
  reason: string;
  /** A new expected time of arrival (a delayed or early vessel). */
  expectedArrival?: Maybe<string>;
  documents: AmendmentEntry[];
}

export interface SupplementaryInput {
  reason: string;
  documents: DocumentInput[];
}

/** A document as the rules see it: checked, trimmed and upper-cased where the trade does. */
export interface DocumentDraft {
  number: string;
  kind: DocumentKind;
  masterNumber: string | null;
  shipperName: string;
  consigneeName: string;
  consigneePin: string | null;
  notifyParty: string | null;
  packages: number;
  packageKind: string;
  grossMassKg: string;
  description: string;
  cargoCategory: CargoCategory;
  /** null: not split, all of it is of cargoCategory. */
  regimeShares: RegimeShare[] | null;
  containers: Container[];
}

/** A document already on the manifest. */
export interface CurrentDocument {
  id: string;
  draft: DocumentDraft;
  packagesWrittenOff: number;
  massWrittenOff: string;
}

/** Which document kinds each mode of transport carries. */
export const kindsForMode: Readonly<Record<TransportMode, readonly DocumentKind[]>> = {
  sea: ['BL'],
  air: ['AWB'],
  road: ['RCN'],
  rail: ['RCN'],
};

const documentNumberPattern = /^[A-Z0-9][A-Z0-9/-]{2,34}$/;
const massPattern = /^\d{1,11}(\.\d{1,3})?$/;
const dateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

const text = (v: Maybe<string>): string => (v ?? '').trim();
const optionalText = (v: Maybe<string>): string | null => (text(v) === '' ? null : text(v));
export const normaliseNumber = (v: string): string => v.trim().toUpperCase();

/** Parses an ISO 8601 time with its offset, in MIN_YEAR..MAX_YEAR; undefined when it is not one. */
export function parseDateTime(value: string): Date | undefined {
  if (!dateTimePattern.test(value) || !isIsoDateTimeInRange(value)) {
    return undefined;
  }
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export interface ReferenceLookup {
  locodes: ReadonlySet<string>;
  /** Customs office code -> the UN/LOCODE where it sits. */
  offices: ReadonlyMap<string, string | null>;
}

/** Checks the header of a manifest; returns the expected arrival when it is valid. */
export function checkHeader(input: ManifestHeaderInput, ref: ReferenceLookup, errors: FieldErrors): Date | undefined {
  if (!(transportModes as readonly string[]).includes(input.mode)) {
    errors.add('/mode', 'invalid_value', `must be one of ${transportModes.join(', ')}`);
  }
  const conveyanceId = text(input.conveyanceId);
  if (conveyanceId === '') {
    errors.add('/conveyanceId', 'required', 'is required: the IMO number (sea), flight number (air), vehicle plate (road) or train number (rail)');
  } else if (input.mode === 'sea' && !isImoNumber(conveyanceId)) {
    errors.add('/conveyanceId', 'invalid_imo_number', 'must be the vessel\'s IMO number: 7 digits whose last is the check digit, e.g. 9074729');
  }
  if (text(input.voyageNumber) === '') {
    errors.add('/voyageNumber', 'required', 'is required: the voyage, flight or trip number');
  }
  for (const field of ['portOfLoading', 'portOfDischarge'] as const) {
    const code = text(input[field]).toUpperCase();
    if (!ref.locodes.has(code)) {
      errors.add(`/${field}`, 'unknown_locode', `"${input[field]}" is not a known UN/LOCODE; use a 5-letter code such as KEMBA (Mombasa) from /api/v1/reference/locode`);
    }
  }
  const office = text(input.officeCode).toUpperCase();
  if (!ref.offices.has(office)) {
    errors.add('/officeCode', 'unknown_office', `"${input.officeCode}" is not a customs office; use a code such as MBA from /api/v1/reference/customs_office`);
  } else {
    const at = ref.offices.get(office);
    const discharge = text(input.portOfDischarge).toUpperCase();
    if (at && ref.locodes.has(discharge) && at !== discharge) {
      errors.add('/officeCode', 'office_not_at_port', `office ${office} is at ${at}, but the port of discharge is ${discharge}: lodge the manifest at the office of the port of discharge`);
    }
  }
  return checkArrival(input.expectedArrival, '/expectedArrival', errors);
}

export function checkArrival(value: Maybe<string>, pointer: string, errors: FieldErrors): Date | undefined {
  if (value === undefined || value === null || value.trim() === '') {
    errors.add(pointer, 'required', 'is required: the expected time of arrival, e.g. 2026-12-01T06:00:00+03:00');
    return undefined;
  }
  const at = parseDateTime(value.trim());
  if (!at) {
    errors.add(pointer, 'invalid_datetime', 'must be a date and time with its offset, e.g. 2026-12-01T06:00:00+03:00');
  }
  return at;
}

/** Checks one document's own fields; returns the draft when they are all valid. */
export function checkDocument(input: DocumentInput, mode: TransportMode, at: string, errors: FieldErrors): DocumentDraft | undefined {
  const before = errors.list.length;
  const number = normaliseNumber(input.number ?? '');
  if (!documentNumberPattern.test(number)) {
    errors.add(`${at}/number`, 'invalid_document_number', 'must be 3 to 35 letters, digits, "-" or "/", e.g. MAEU240512345');
  }
  const allowedKinds = kindsForMode[mode] ?? [];
  if (!allowedKinds.includes(input.kind)) {
    errors.add(`${at}/kind`, 'kind_not_for_mode', `a ${mode} manifest carries ${allowedKinds.join(' or ')} documents`);
  }
  for (const field of ['shipperName', 'consigneeName', 'packageKind', 'description'] as const) {
    if (text(input[field]) === '') {
      errors.add(`${at}/${field}`, 'required', 'is required');
    }
  }
  const pin = optionalText(input.consigneePin)?.toUpperCase() ?? null;
  if (pin !== null && !pinPattern.test(pin)) {
    errors.add(`${at}/consigneePin`, 'invalid_pin', 'must be a KRA PIN: A or P, nine digits and a letter, e.g. P051234567A');
  }
  if (!Number.isInteger(input.packages)) {
    errors.add(`${at}/packages`, 'not_integer', 'must be a whole number of packages');
  } else if (input.packages <= 0) {
    errors.add(`${at}/packages`, 'not_positive', 'must be at least 1 package');
  }
  const mass = text(input.grossMassKg);
  if (!massPattern.test(mass)) {
    errors.add(`${at}/grossMassKg`, 'invalid_decimal', 'must be a decimal number of kilograms with at most 3 decimals, e.g. "12500.5"');
  } else if (new Dec(mass).lessThanOrEqualTo(0)) {
    errors.add(`${at}/grossMassKg`, 'not_positive', 'must be more than 0 kg');
  }
  if (!(cargoCategories as readonly string[]).includes(input.cargoCategory)) {
    errors.add(`${at}/cargoCategory`, 'invalid_value', `must be one of ${cargoCategories.join(', ')}`);
  }
  const containers = checkContainers(input.containers ?? [], `${at}/containers`, errors);
  const regimeShares = checkShares(input, at, errors);
  if (errors.list.length > before) {
    return undefined;
  }
  return {
    number,
    kind: input.kind,
    masterNumber: optionalText(input.masterNumber)?.toUpperCase() ?? null,
    shipperName: text(input.shipperName),
    consigneeName: text(input.consigneeName),
    consigneePin: pin,
    notifyParty: optionalText(input.notifyParty),
    packages: input.packages,
    packageKind: text(input.packageKind).toUpperCase(),
    grossMassKg: new Dec(mass).toFixed(3),
    description: text(input.description),
    cargoCategory: input.cargoCategory,
    regimeShares: regimeShares ?? null,
    containers,
  };
}

/** At most one share per regime. */
export const maxRegimeShares = cargoCategories.length;

/**
 * A B/L split between regimes: one share per regime, the document's own cargoCategory among them,
 * adding up exactly to its packages and mass (no cargo left without a regime, none counted twice).
 * A single share of the whole document is no split.
 */
function checkShares(input: DocumentInput, at: string, errors: FieldErrors): RegimeShare[] | undefined {
  const list = input.regimeShares;
  if (list === undefined || list === null || list.length === 0) {
    return undefined;
  }
  const p = `${at}/regimeShares`;
  if (list.length > maxRegimeShares) {
    errors.add(p, 'too_many', `at most ${maxRegimeShares} shares, one per regime`);
    return undefined;
  }
  const before = errors.list.length;
  const seen = new Set<string>();
  let packages = 0;
  let kg = new Dec(0);
  const shares: RegimeShare[] = [];
  list.forEach((share, i) => {
    if (!(cargoCategories as readonly string[]).includes(share.cargoCategory)) {
      errors.add(`${p}/${i}/cargoCategory`, 'invalid_value', `must be one of ${cargoCategories.join(', ')}`);
    } else if (seen.has(share.cargoCategory)) {
      errors.add(`${p}/${i}/cargoCategory`, 'duplicate_regime', `${share.cargoCategory} has a share already; give each regime once`);
    }
    seen.add(share.cargoCategory);
    if (!Number.isInteger(share.packages) || share.packages < 0) {
      errors.add(`${p}/${i}/packages`, 'not_integer', 'must be a whole number of packages, 0 or more');
    }
    const mass = text(share.grossMassKg);
    if (!massPattern.test(mass)) {
      errors.add(`${p}/${i}/grossMassKg`, 'invalid_decimal', 'must be a decimal number of kilograms with at most 3 decimals, e.g. "12500.5"');
    } else {
      kg = kg.plus(mass);
      packages += Number.isInteger(share.packages) ? share.packages : 0;
      shares.push({ cargoCategory: share.cargoCategory, packages: share.packages, grossMassKg: new Dec(mass).toFixed(3) });
    }
  });
  if (errors.list.length > before) {
    return undefined;
  }
  if (!seen.has(input.cargoCategory)) {
    errors.add(`${at}/cargoCategory`, 'not_among_shares', `the document's cargoCategory (${input.cargoCategory}) must be one of its regime shares`);
  }
  if (Number.isInteger(input.packages) && packages !== input.packages) {
    errors.add(p, 'shares_do_not_add_up', `the shares add up to ${packages} packages; the document has ${input.packages}`);
  }
  if (massPattern.test(text(input.grossMassKg)) && !kg.eq(text(input.grossMassKg))) {
    errors.add(p, 'shares_do_not_add_up', `the shares add up to ${kg.toFixed(3)} kg; the document has ${new Dec(text(input.grossMassKg)).toFixed(3)} kg`);
  }
  return shares.length === 1 ? undefined : shares;
}

function checkContainers(list: ContainerInput[], at: string, errors: FieldErrors): Container[] {
  const seen = new Set<string>();
  return list.map((c, j) => {
    const number = normaliseContainerNumber(c.number ?? '');
    const problem = containerNumberProblem(number);
    if (problem === 'container_number_format') {
      errors.add(`${at}/${j}/number`, problem, 'must be an ISO 6346 container number: 3-letter owner code, U, J or Z, 6 digits and a check digit, e.g. CSQU3054383');
    } else if (problem === 'container_check_digit') {
      errors.add(`${at}/${j}/number`, problem, `the check digit does not match: ${number} is mistyped (ISO 6346)`);
    } else if (seen.has(number)) {
      errors.add(`${at}/${j}/number`, 'duplicate_container', `${number} is already listed on this document`);
    }
    seen.add(number);
    const sizeType = (c.sizeType ?? '').trim().toUpperCase();
    if (!sizeTypePattern.test(sizeType)) {
      errors.add(`${at}/${j}/sizeType`, 'size_type_format', 'must be an ISO 6346 size and type code, e.g. 22G1 (20 ft) or 45G1 (40 ft high cube)');
    }
    const seals = (c.seals ?? []).map((s) => (s ?? '').trim().toUpperCase());
    seals.forEach((s, k) => {
      if (s === '' || s.length > 35) {
        errors.add(`${at}/${j}/seals/${k}`, 'invalid_seal', 'must be a seal number of 1 to 35 characters');
      }
    });
    return { number, sizeType, seals };
  });
}

/** A document in the manifest as it would be after the request, with where the request touched it. */
export interface Placed {
  draft: DocumentDraft;
  /** Pointer to the request entry that added or changed it; null when it is unchanged. */
  at: string | null;
}

/** Rules across documents: unique numbers, house documents under a master within its figures. */
export function checkDocumentSet(documents: Placed[], errors: FieldErrors): void {
  const byNumber = new Map<string, Placed>();
  for (const p of documents) {
    if (byNumber.has(p.draft.number)) {
      if (p.at !== null) {
        errors.add(`${p.at}/number`, 'duplicate_document_number', `${p.draft.number} appears more than once on this manifest`);
      }
      continue;
    }
    byNumber.set(p.draft.number, p);
  }
  const houses = new Map<string, Placed[]>();
  for (const p of documents) {
    const masterNumber = p.draft.masterNumber;
    if (masterNumber === null) {
      continue;
    }
    const master = byNumber.get(masterNumber);
    if (!master || master === p) {
      if (p.at !== null) {
        errors.add(`${p.at}/masterNumber`, 'unknown_master', `no other document ${masterNumber} is on this manifest; a house document names its master B/L on the same manifest`);
      }
      continue;
    }
    if (master.draft.masterNumber !== null) {
      if (p.at !== null) {
        errors.add(`${p.at}/masterNumber`, 'master_is_house', `${masterNumber} is itself a house document; name the master document`);
      }
      continue;
    }
    houses.set(masterNumber, [...(houses.get(masterNumber) ?? []), p]);
  }
  for (const [masterNumber, list] of houses) {
    const master = byNumber.get(masterNumber) as Placed;
    checkHouseTotals(master, list, errors);
  }
}

/** House documents together may not carry more packages or mass than their master declares. */
function checkHouseTotals(master: Placed, houses: Placed[], errors: FieldErrors): void {
  const rules = [
    { field: 'packages', code: 'house_packages_exceed_master', of: (d: DocumentDraft) => new Dec(d.packages), unit: 'packages' },
    { field: 'grossMassKg', code: 'house_mass_exceeds_master', of: (d: DocumentDraft) => new Dec(d.grossMassKg), unit: 'kg' },
  ] as const;
  for (const rule of rules) {
    const limit = rule.of(master.draft);
    let total = new Dec(0);
    let exceededAt = -1;
    houses.forEach((h, i) => {
      total = total.plus(rule.of(h.draft));
      if (exceededAt < 0 && total.greaterThan(limit)) {
        exceededAt = i;
      }
    });
    if (exceededAt < 0) {
      continue;
    }
    const touched = houses.slice(exceededAt).find((h) => h.at !== null) ?? houses.find((h) => h.at !== null);
    const at = touched?.at ?? master.at;
    if (at !== null) {
      errors.add(
        `${at}/${rule.field}`,
        rule.code,
        `the house documents under ${master.draft.number} add up to ${total.toString()} ${rule.unit}, more than the ${limit.toString()} ${rule.unit} the master declares`,
      );
    }
  }
}

export interface AmendmentPlan {
  added: { draft: DocumentDraft; at: string }[];
  changed: { current: CurrentDocument; draft: DocumentDraft; at: string }[];
  removed: { current: CurrentDocument; at: string }[];
}

/** Turns amendment entries into additions, changes and removals, checking each against the manifest. */
export function planAmendment(current: CurrentDocument[], entries: AmendmentEntry[], mode: TransportMode, errors: FieldErrors): AmendmentPlan {
  const byNumber = new Map(current.map((c) => [c.draft.number, c]));
  refuseWrittenOff(entries, byNumber);
  const plan: AmendmentPlan = { added: [], changed: [], removed: [] };
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const at = `/documents/${i}`;
    const number = normaliseNumber(entry.number ?? '');
    if (seen.has(number)) {
      errors.add(`${at}/number`, 'duplicate_entry', `${number} is amended more than once in this request; combine the changes in one entry`);
      return;
    }
    seen.add(number);
    const existing = byNumber.get(number);
    if (entry.action === 'add') {
      if (existing) {
        errors.add(`${at}/number`, 'duplicate_document_number', `${number} is already on this manifest; use action "change" to correct it`);
        return;
      }
      const draft = checkDocument(completeEntry(entry, mode, at, errors), mode, at, errors);
      if (draft) {
        plan.added.push({ draft, at });
      }
      return;
    }
    if (!existing) {
      errors.add(`${at}/number`, 'unknown_document', `${number} is not on this manifest`);
      return;
    }
    if (entry.action === 'remove') {
      plan.removed.push({ current: existing, at });
      return;
    }
    const { action: _action, ...fields } = entry;
    const merged: DocumentInput = { ...draftAsInput(existing.draft), ...withoutUndefined(fields), number };
    const draft = checkDocument(merged, mode, at, errors);
    if (draft) {
      plan.changed.push({ current: existing, draft, at });
    }
  });
  return plan;
}

/** The documents after the plan, for the rules across documents; a removed master with houses left is an error. */
export function resultingDocuments(current: CurrentDocument[], plan: AmendmentPlan, errors: FieldErrors): Placed[] {
  const removed = new Map(plan.removed.map((r) => [r.current.id, r.at]));
  const changed = new Map(plan.changed.map((c) => [c.current.id, c]));
  const result: Placed[] = [];
  for (const c of current) {
    if (removed.has(c.id)) {
      continue;
    }
    const change = changed.get(c.id);
    result.push(change ? { draft: change.draft, at: change.at } : { draft: c.draft, at: null });
  }
  result.push(...plan.added.map((a) => ({ draft: a.draft, at: a.at })));
  for (const r of plan.removed) {
    const orphans = result.filter((p) => p.draft.masterNumber === r.current.draft.number).map((p) => p.draft.number);
    if (orphans.length > 0) {
      errors.add(`${r.at}/number`, 'master_has_houses', `${r.current.draft.number} is the master of ${orphans.join(', ')}; remove or re-assign those house documents too`);
    }
  }
  return result;
}

/** Cargo already discharged against a document fixes it: changing or removing it would falsify the write-off. */
function refuseWrittenOff(entries: AmendmentEntry[], byNumber: Map<string, CurrentDocument>): void {
  const refused = entries
    .map((entry, i) => ({ entry, i, current: byNumber.get(normaliseNumber(entry.number ?? '')) }))
    .filter(({ entry, current }) => entry.action !== 'add' && current && (current.packagesWrittenOff > 0 || new Dec(current.massWrittenOff).greaterThan(0)));
  if (refused.length > 0) {
    throw conflict(`${refused.map((r) => r.current?.draft.number).join(', ')} already has cargo written off; a document with discharged cargo cannot be changed or removed`, {
      errors: refused.map((r) => ({
        pointer: `/documents/${r.i}/number`,
        code: 'document_written_off',
        message: `${r.current?.packagesWrittenOff} packages and ${r.current?.massWrittenOff} kg of ${r.current?.draft.number} are written off`,
      })),
    });
  }
}

/** An added document must be complete; missing fields are reported once, as required, not again as invalid. */
function completeEntry(entry: AmendmentEntry, mode: TransportMode, at: string, errors: FieldErrors): DocumentInput {
  const required = ['kind', 'shipperName', 'consigneeName', 'packages', 'packageKind', 'grossMassKg', 'description', 'cargoCategory'] as const;
  for (const field of required) {
    if (entry[field] === undefined || entry[field] === null) {
      errors.add(`${at}/${field}`, 'required', 'is required for a document being added');
    }
  }
  return {
    ...(entry as unknown as DocumentInput),
    kind: entry.kind ?? kindsForMode[mode][0] ?? 'BL',
    cargoCategory: entry.cargoCategory ?? 'home_use',
    packages: entry.packages ?? 1,
    grossMassKg: entry.grossMassKg ?? '1',
    shipperName: entry.shipperName ?? '-',
    consigneeName: entry.consigneeName ?? '-',
    packageKind: entry.packageKind ?? '-',
    description: entry.description ?? '-',
  };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function draftAsInput(d: DocumentDraft): DocumentInput {
  return { ...d, containers: d.containers.map((c) => ({ ...c })), regimeShares: d.regimeShares?.map((r) => ({ ...r })) ?? null };
}
