// The manifest's public face to the declaration and release modules: look a transport document
// up by its number (optionally locking it), and write cargo off it as it leaves the terminal.
// Write-offs lock the document row, so gate-outs racing on one B/L are counted one after the
// other and together can never discharge more than was manifested (CHECK constraints hold that
// line in the database as well).
import { Dec, parseDecimal } from '#platform/money.ts';
import { conflict, FieldErrors, notFound } from '#platform/http/problem.ts';
import { publish } from '#platform/events/outbox.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import { manifestRepository, type Q } from './manifest.repository.ts';
import { manifestLifecycle } from './manifest.state.ts';
import { mass, regimeSharesOf, shareOf, transportDocumentInfo, type TransportDocumentInfo } from './manifest.views.ts';
import type { CargoCategory } from './manifest.tables.ts';
import { normaliseNumber } from './manifest.rules.ts';

/**
 * The audit subject of a transport document: its id, not its number, because two carriers may
 * use the same B/L number and a timeline must never mix their consignments.
 */
export const documentSubject = (documentId: string): string => `td:${documentId}`;

export interface FindOptions {
  /** Lock the document row (SELECT ... FOR UPDATE) for the rest of the transaction. */
  forUpdate?: boolean;
  /** Which manifest, when the same number was lodged by more than one carrier. */
  manifestReference?: string;
  carrierOrgId?: string;
}

/**
 * The active transport document with this B/L, AWB or consignment-note number, or undefined.
 * Numbers are unique per carrier; when two carriers used the same number and the options do not
 * say which, this is a 409 listing the manifests, rather than a guess.
 */
export async function findTransportDocument(q: Q, number: string, opts: FindOptions = {}): Promise<TransportDocumentInfo | undefined> {
  const rows = await manifestRepository.documentsByNumber(q, normaliseNumber(number), {
    ...(opts.forUpdate === undefined ? {} : { forUpdate: opts.forUpdate }),
    ...(opts.manifestReference === undefined ? {} : { manifestReference: opts.manifestReference.trim().toUpperCase() }),
    ...(opts.carrierOrgId === undefined ? {} : { carrierOrgId: opts.carrierOrgId }),
  });
  if (rows.length > 1) {
    throw conflict(`Transport document ${number} is on more than one manifest (${rows.map((r) => r.manifest_reference).join(', ')}); say which manifest`, {
      manifests: rows.map((r) => r.manifest_reference),
    });
  }
  const row = rows[0];
  return row ? transportDocumentInfo(row) : undefined;
}

/** Every active document with this number (one per carrier at most), narrowed by the options. */
export async function findTransportDocuments(q: Q, number: string, opts: Omit<FindOptions, 'forUpdate'> = {}): Promise<TransportDocumentInfo[]> {
  const rows = await manifestRepository.documentsByNumber(q, normaliseNumber(number), {
    ...(opts.manifestReference === undefined ? {} : { manifestReference: opts.manifestReference.trim().toUpperCase() }),
    ...(opts.carrierOrgId === undefined ? {} : { carrierOrgId: opts.carrierOrgId }),
  });
  return rows.map(transportDocumentInfo);
}

/** The same, by the document's id; a document removed from its manifest only when asked for (includeRemoved). */
export async function findTransportDocumentById(q: Q, id: string, opts: { forUpdate?: boolean; includeRemoved?: boolean } = {}): Promise<TransportDocumentInfo | undefined> {
  const row = await manifestRepository.documentById(q, id, opts.forUpdate === undefined ? {} : { forUpdate: opts.forUpdate });
  return row && (row.status === 'active' || opts.includeRemoved === true) ? transportDocumentInfo(row) : undefined;
}

export interface WriteOffQuantity {
  packages: number;
  /** Decimal kilograms, e.g. "1250.5". */
  grossMassKg: string;
}

/**
 * Discharges cargo from a transport document (at gate-out). Refused with a 409 when it would
 * write off more packages or mass than remain, when the conveyance has not arrived, for cargo
 * remaining on board, and for a master document whose cargo is written off through its houses.
 */
export async function writeOff(
  tx: Tx,
  documentId: string,
  quantity: WriteOffQuantity,
  actor: Actor,
  opts: { requestId?: string | null; at?: Date; reason?: string; regime?: CargoCategory } = {},
): Promise<TransportDocumentInfo> {
  const errors = new FieldErrors();
  if (!Number.isInteger(quantity.packages) || quantity.packages < 0) {
    errors.add('/packages', 'invalid_quantity', 'must be a whole number of packages, 0 or more');
  }
  const kg = parseDecimal(String(quantity.grossMassKg ?? ''));
  if (!kg || kg.isNegative() || kg.decimalPlaces() > 3) {
    errors.add('/grossMassKg', 'invalid_decimal', 'must be a decimal number of kilograms, 0 or more, with at most 3 decimals');
  }
  if (errors.empty && quantity.packages === 0 && kg?.isZero()) {
    errors.add('/packages', 'nothing_to_write_off', 'write off at least one package or some mass');
  }
  errors.throwIfAny();
  const massKg = kg as Dec;

  const doc = await manifestRepository.documentById(tx, documentId, { forUpdate: true });
  if (!doc || doc.status !== 'active') {
    throw notFound(`Transport document ${documentId}`);
  }
  manifestLifecycle.next(doc.manifest_status, 'write_off');
  if (doc.cargo_category === 'remaining_on_board') {
    throw conflict(`${doc.number} is cargo remaining on board; it is not discharged here and cannot be written off`);
  }
  if ((await manifestRepository.houseCount(tx, doc.id)) > 0) {
    throw conflict(`${doc.number} is a master document; write the cargo off its house documents instead`);
  }
  const remainingPackages = doc.packages - doc.packages_written_off;
  const remainingMass = new Dec(doc.gross_mass_kg).minus(doc.mass_written_off);
  if (quantity.packages > remainingPackages || massKg.greaterThan(remainingMass)) {
    throw conflict(
      `Cannot write off ${quantity.packages} packages and ${mass(massKg)} kg from ${doc.number}: only ${remainingPackages} packages and ${mass(remainingMass)} kg remain`,
      { remainingPackages, remainingMassKg: mass(remainingMass) },
    );
  }
  // A B/L split between regimes is written off regime by regime: each only up to its own share.
  const regime = opts.regime ?? doc.cargo_category;
  const share = shareOf(regimeSharesOf(doc), regime);
  if (!share) {
    throw conflict(`${doc.number} has no ${regime.replace(/_/g, ' ')} cargo (it is manifested as ${regimeSharesOf(doc).map((s) => s.cargoCategory.replace(/_/g, ' ')).join(' and ')}); it cannot be written off as ${regime.replace(/_/g, ' ')}`);
  }
  if (quantity.packages > share.remainingPackages || massKg.greaterThan(share.remainingMassKg)) {
    throw conflict(
      `Cannot write off ${quantity.packages} packages and ${mass(massKg)} kg of ${regime.replace(/_/g, ' ')} cargo from ${doc.number}: only ${share.remainingPackages} packages and ${share.remainingMassKg} kg of it remain`,
      { regime, remainingPackages: share.remainingPackages, remainingMassKg: share.remainingMassKg },
    );
  }
  const before = { packagesWrittenOff: doc.packages_written_off, massWrittenOffKg: mass(doc.mass_written_off) };
  const after = {
    packagesWrittenOff: doc.packages_written_off + quantity.packages,
    massWrittenOffKg: mass(new Dec(doc.mass_written_off).plus(massKg)),
  };
  const regimeWrittenOff = {
    ...doc.regime_written_off,
    [regime]: { packages: share.packagesWrittenOff + quantity.packages, grossMassKg: mass(new Dec(share.massWrittenOffKg).plus(massKg)) },
  };
  const at = opts.at ?? new Date();
  await manifestRepository.updateDocument(tx, doc.id, {
    packages_written_off: after.packagesWrittenOff,
    mass_written_off: after.massWrittenOffKg,
    regime_written_off: JSON.stringify(regimeWrittenOff),
    updated_at: at,
  });
  await recordAudit(tx, {
    actor,
    action: 'transport_document.written_off',
    entityType: 'transport_document',
    entityId: doc.id,
    subjects: [doc.manifest_reference, documentSubject(doc.id)],
    before,
    after: { ...after, regime, packages: quantity.packages, grossMassKg: mass(massKg) },
    reason: opts.reason ?? null,
    requestId: opts.requestId ?? null,
    at,
  });
  const info = transportDocumentInfo({ ...doc, packages_written_off: after.packagesWrittenOff, mass_written_off: after.massWrittenOffKg, regime_written_off: regimeWrittenOff });
  await publish(tx, 'transport_document.written_off', doc.number, {
    documentId: doc.id,
    number: doc.number,
    manifestId: doc.manifest_id,
    manifestReference: doc.manifest_reference,
    regime,
    packages: quantity.packages,
    grossMassKg: mass(massKg),
    remainingPackages: info.remainingPackages,
    remainingMassKg: info.remainingMassKg,
  });
  return info;
}
