// Release: a declaration that is paid, cleared by its channel (green, blue) or by its passed
// control, and whose goods have arrived, gets its release order and becomes "released". Called in
// the transaction of every event that can complete the condition (payment, arrival, control
// passed, registration with nothing to pay); the declaration row is locked first, so racing
// triggers release once.
//
//   lock the declaration   and check it is paid and cleared
//   goods arrived?         the transport document's arrival, read after the lock
//   issue a release order  (release module)
//   release                paid -> released through transition(), with its audit record and event
import type { Kysely } from 'kysely';
import type { DB } from '../../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { Dec } from '#platform/money.ts';
import { systemActor } from '#modules/audit/index.ts';
import type { DeclarationRow } from '../declaration.tables.ts';
import { declarationRepository as repo } from '../declaration.repository.ts';
import { moveDeclaration, type DeclarationServiceDeps } from '../declaration.steps.ts';
import { isExport } from '../declaration.export.ts';
import { tryReleaseExport } from './export.ts';

export type ReleaseDeps = Pick<DeclarationServiceDeps, 'clock' | 'manifest' | 'release'>;

/** A declaration ready for release: paid, cleared, lodged on a document, with its importer and reference. */
type Clearable = DeclarationRow & { transport_document_id: string; importer_org_id: string; reference: string };

/** Releases the declaration if it is paid, cleared by its channel or control, and its goods have arrived. */
export async function tryRelease(deps: ReleaseDeps, tx: Tx, declarationId: string, requestId: string | null = null): Promise<boolean> {
  const locked = await repo.find(tx, declarationId, { forUpdate: true });
  if (locked && isExport(locked)) {
    // An export waits for no arrival: paid and cleared, it is released for loading (flows/export.ts).
    return tryReleaseExport(deps, tx, locked, requestId);
  }
  const row = await lockIfCleared(tx, declarationId);
  if (!row || !(await goodsArrived(deps, tx, row))) {
    return false;
  }
  const order = await issueReleaseOrder(deps, tx, row, requestId);
  await release(deps, tx, row, order, requestId);
  return true;
}

async function lockIfCleared(tx: Tx, declarationId: string): Promise<Clearable | undefined> {
  const row = await repo.find(tx, declarationId, { forUpdate: true });
  if (row?.status !== 'paid' || !(row.control_status === 'none' || row.control_status === 'passed') || !row.transport_document_id || !row.importer_org_id || !row.reference) {
    return undefined;
  }
  return row as Clearable;
}

/** Read after the lock: an arrival committed while we waited is seen. */
async function goodsArrived(deps: ReleaseDeps, q: Kysely<DB>, row: Clearable): Promise<boolean> {
  const document = await deps.manifest.findTransportDocumentById(q, row.transport_document_id);
  return !!document?.actualArrival;
}

async function issueReleaseOrder(deps: ReleaseDeps, tx: Tx, row: Clearable, requestId: string | null) {
  const items = await repo.items(tx, row.id);
  return deps.release.issueReleaseOrder(tx, {
    declarationId: row.id,
    declarationReference: row.reference,
    declarantOrgId: row.declarant_org_id,
    importerOrgId: row.importer_org_id,
    transportDocumentId: row.transport_document_id,
    transportDocumentNumber: row.transport_document_number,
    officeCode: row.office_code,
    packages: items.reduce((n, i) => n + i.packages, 0),
    grossMassKg: items.reduce((m, i) => m.plus(i.gross_mass_kg), new Dec(0)).toString(),
    actor: systemActor,
    requestId,
  });
}

async function release(deps: ReleaseDeps, tx: Tx, row: Clearable, order: { number: string; releasedAt: Date }, requestId: string | null): Promise<void> {
  const cleared = row.control_status === 'passed' ? 'control passed' : row.channel === 'blue' ? 'blue (post-clearance audit)' : 'green';
  await moveDeclaration(deps, tx, row, 'release', {
    set: { released_at: order.releasedAt, release_order_number: order.number },
    action: 'declaration.released',
    actor: systemActor,
    requestId,
    reason: `automatic release: paid, ${cleared}, arrived`,
    details: { releaseOrderNumber: order.number },
    subjects: [order.number],
  });
}
