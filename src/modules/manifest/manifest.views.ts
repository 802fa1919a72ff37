// How manifests and transport documents are shown: API answers, version snapshots and the
// lookup the declaration and release modules use. Decimal figures stay strings.
import { Dec } from '#platform/money.ts';
import type { CargoCategory, Container, RegimeShare, RegimeWrittenOff } from './manifest.tables.ts';
import type { DocumentRow, DocumentWithManifest, ManifestRow } from './manifest.repository.ts';
import type { DocumentDraft } from './manifest.rules.ts';

export interface DocumentView {
  id: string;
  /** Line of the manifest. */
  line: number;
  number: string;
  kind: DocumentRow['kind'];
  masterNumber: string | null;
  shipperName: string;
  consigneeName: string;
  consigneePin: string | null;
  notifyParty: string | null;
  packages: number;
  packageKind: string;
  grossMassKg: string;
  description: string;
  cargoCategory: DocumentRow['cargo_category'];
  /** The document's regimes with their packages and mass, and what is written off of each. */
  regimeShares: RegimeShareView[];
  containers: Container[];
  packagesWrittenOff: number;
  massWrittenOffKg: string;
  remainingPackages: number;
  remainingMassKg: string;
  addedInVersion: number;
  status: DocumentRow['status'];
}

export interface ManifestView {
  id: string;
  reference: string;
  carrierOrgId: string;
  mode: ManifestRow['mode'];
  conveyanceId: string;
  conveyanceName: string | null;
  voyageNumber: string;
  portOfLoading: string;
  portOfDischarge: string;
  officeCode: string;
  expectedArrival: string;
  actualArrival: string | null;
  status: ManifestRow['status'];
  version: number;
  lodgedAt: string;
  updatedAt: string;
  /** When the manifest was due (null when no deadline applies to the mode). */
  lodgingDeadline: string | null;
  /** The deadline rule used (manifest_deadline row). */
  deadlineRuleId: number | null;
  late: boolean;
  /** How many hours after the deadline it was lodged (2 decimals); null when on time. */
  lateByHours: number | null;
  documents: DocumentView[];
}

export const mass = (value: string | Dec): string => new Dec(value).toFixed(3);

export interface RegimeShareView extends RegimeShare {
  packagesWrittenOff: number;
  massWrittenOffKg: string;
  remainingPackages: number;
  remainingMassKg: string;
}

/** Each regime's share of a document (one share, of its cargo category, when it is not split). */
export function regimeSharesOf(row: Pick<DocumentRow, 'regime_shares' | 'regime_written_off' | 'cargo_category' | 'packages' | 'gross_mass_kg'>): RegimeShareView[] {
  const shares: RegimeShare[] = row.regime_shares ?? [{ cargoCategory: row.cargo_category, packages: row.packages, grossMassKg: mass(row.gross_mass_kg) }];
  const off: RegimeWrittenOff = row.regime_written_off ?? {};
  return shares.map((s) => {
    const w = off[s.cargoCategory] ?? { packages: 0, grossMassKg: '0' };
    return {
      cargoCategory: s.cargoCategory,
      packages: s.packages,
      grossMassKg: mass(s.grossMassKg),
      packagesWrittenOff: w.packages,
      massWrittenOffKg: mass(w.grossMassKg),
      remainingPackages: s.packages - w.packages,
      remainingMassKg: mass(new Dec(s.grossMassKg).minus(w.grossMassKg)),
    };
  });
}

export const shareOf = (shares: readonly RegimeShareView[], category: CargoCategory): RegimeShareView | undefined => shares.find((s) => s.cargoCategory === category);

export function documentView(row: DocumentRow, numbersById: ReadonlyMap<string, string>): DocumentView {
  return {
    id: row.id,
    line: row.line,
    // What the carrier declared, as a draft carries it; then what the customs side keeps of it.
    ...draftOf(row, numbersById),
    regimeShares: regimeSharesOf(row),
    packagesWrittenOff: row.packages_written_off,
    massWrittenOffKg: mass(row.mass_written_off),
    remainingPackages: row.packages - row.packages_written_off,
    remainingMassKg: mass(new Dec(row.gross_mass_kg).minus(row.mass_written_off)),
    addedInVersion: row.added_in_version,
    status: row.status,
  };
}

export function lateness(lodgedAt: Date, deadline: Date | null): { late: boolean; lateByHours: number | null } {
  if (deadline === null || lodgedAt.getTime() <= deadline.getTime()) {
    return { late: false, lateByHours: null };
  }
  return { late: true, lateByHours: Math.round((lodgedAt.getTime() - deadline.getTime()) / 36_000) / 100 };
}

/** The manifest with the given documents (all of them, or only those the caller may see). */
export function manifestView(m: ManifestRow, documents: DocumentRow[], allDocuments: DocumentRow[] = documents): ManifestView {
  const numbersById = new Map(allDocuments.map((d) => [d.id, d.number]));
  return {
    id: m.id,
    reference: m.reference,
    carrierOrgId: m.carrier_org_id,
    mode: m.mode,
    conveyanceId: m.conveyance_id,
    conveyanceName: m.conveyance_name,
    voyageNumber: m.voyage_number,
    portOfLoading: m.port_of_loading,
    portOfDischarge: m.port_of_discharge,
    officeCode: m.office_code,
    expectedArrival: m.expected_arrival.toISOString(),
    actualArrival: m.actual_arrival?.toISOString() ?? null,
    status: m.status,
    version: m.version,
    lodgedAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
    lodgingDeadline: m.lodging_deadline?.toISOString() ?? null,
    deadlineRuleId: m.deadline_rule_id,
    ...lateness(m.created_at, m.lodging_deadline),
    documents: documents.map((d) => documentView(d, numbersById)),
  };
}

export function draftOf(row: DocumentRow, numbersById: ReadonlyMap<string, string>): DocumentDraft {
  return {
    number: row.number,
    kind: row.kind,
    masterNumber: row.master_id === null ? null : (numbersById.get(row.master_id) ?? null),
    shipperName: row.shipper_name,
    consigneeName: row.consignee_name,
    consigneePin: row.consignee_pin,
    notifyParty: row.notify_party,
    packages: row.packages,
    packageKind: row.package_kind,
    grossMassKg: mass(row.gross_mass_kg),
    description: row.description,
    cargoCategory: row.cargo_category,
    regimeShares: row.regime_shares,
    containers: row.containers,
  };
}

/** What the declaration and release modules need to know about a transport document. */
export interface TransportDocumentInfo {
  id: string;
  number: string;
  /** active, or removed by an amendment of its manifest. */
  status: DocumentRow['status'];
  kind: DocumentRow['kind'];
  manifestId: string;
  manifestReference: string;
  manifestStatus: ManifestRow['status'];
  carrierOrgId: string;
  masterId: string | null;
  consigneeName: string;
  consigneePin: string | null;
  packages: number;
  grossMassKg: string;
  packagesWrittenOff: number;
  massWrittenOff: string;
  remainingPackages: number;
  remainingMassKg: string;
  cargoCategory: DocumentRow['cargo_category'];
  regimeShares: RegimeShareView[];
  containers: Container[];
  expectedArrival: Date;
  /** When the conveyance arrived; null until arrival is confirmed. */
  actualArrival: Date | null;
  conveyanceArrived: boolean;
  officeCode: string;
  portOfDischarge: string;
  mode: ManifestRow['mode'];
}

export function transportDocumentInfo(d: DocumentWithManifest): TransportDocumentInfo {
  return {
    id: d.id,
    number: d.number,
    status: d.status,
    kind: d.kind,
    manifestId: d.manifest_id,
    manifestReference: d.manifest_reference,
    manifestStatus: d.manifest_status,
    carrierOrgId: d.carrier_org_id,
    masterId: d.master_id,
    consigneeName: d.consignee_name,
    consigneePin: d.consignee_pin,
    packages: d.packages,
    grossMassKg: mass(d.gross_mass_kg),
    packagesWrittenOff: d.packages_written_off,
    massWrittenOff: mass(d.mass_written_off),
    remainingPackages: d.packages - d.packages_written_off,
    remainingMassKg: mass(new Dec(d.gross_mass_kg).minus(d.mass_written_off)),
    cargoCategory: d.cargo_category,
    regimeShares: regimeSharesOf(d),
    containers: d.containers,
    expectedArrival: d.expected_arrival,
    actualArrival: d.actual_arrival,
    conveyanceArrived: d.actual_arrival !== null,
    officeCode: d.office_code,
    portOfDischarge: d.port_of_discharge,
    mode: d.mode,
  };
}
