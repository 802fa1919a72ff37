// Lodge and assess: a draft is lodged (or a lodged, assessed or queried declaration amended) and
// leaves "lodged" for "assessed" with its reference, assessment and channel, in the caller's
// transaction (the declarant's lodge, create-and-lodge or amend request):
//
//   validate           every lodgement rule (parties, transport document, goods), and the assessment
//   give a reference   year + office + regime + serial, kept when amended
//   select a channel   the risk engine's, never lower than before
//   draw letters       exemption letters the assessment uses
//   lodge and assess   one write through transition(): the "lodged" step's audit record and event
//   open a check       a channel other than green opens (or raises) the verification task
//   record assessment  the "assessed" step's audit record and event
import { sql } from 'kysely';
import type { Tx } from '#platform/db/transaction.ts';
import { localDate } from '#platform/clock.ts';
import { reference as tradeReference } from '#platform/ids.ts';
import { systemActor, transition } from '#modules/audit/index.ts';
import { needsControl } from '#modules/risk/index.ts';
import type { DeclarationRow, DeclarationStatus } from '../declaration.tables.ts';
import type { LodgedColumns } from '../declaration.repository.ts';
import type { DeclarationBody } from '../declaration.schemas.ts';
import { declarationLifecycle, lodgementLifecycle } from '../declaration.state.ts';
import { checkLodgement, type Lodged } from '../declaration.validation.ts';
import { letterDrawsOf } from '../declaration.assessment.ts';
import { assessedFields, openVerification, selectChannel, type Selection } from '../declaration.selection.ts';
import { auditOf, drawLetters, recordChange, statusChanged, type Caller, type DeclarationServiceDeps } from '../declaration.steps.ts';

export type LodgeAndAssessDeps = Pick<DeclarationServiceDeps, 'clock' | 'reference' | 'ratesFor' | 'parties' | 'manifest' | 'selectivity' | 'onSelected' | 'letters'>;

/** Writes a draft kept in memory so far (created and lodged in one request), in its lodged status and columns. */
export type StoreDraft = (status: DeclarationStatus, columns: LodgedColumns) => Promise<DeclarationRow>;

/**
 * Validates, assesses and selects; `action` says whether this is the first lodgement or an
 * amendment. `store` is given for a draft not written yet: it is then written once, lodged.
 */
export async function lodgeAndAssess(
  deps: LodgeAndAssessDeps,
  tx: Tx,
  caller: Caller,
  row: DeclarationRow,
  body: DeclarationBody,
  action: 'lodge' | 'amend',
  reason?: string,
  store?: StoreDraft,
): Promise<DeclarationRow> {
  declarationLifecycle.next(row.status, action);
  const now = deps.clock.now();
  const lodged = await validate(deps, tx, caller, row, body, now);
  const reference = row.reference ?? newReference(localDate(now).slice(0, 4), body.officeCode.toUpperCase(), lodged);
  const selection = await selectChannel(deps, tx, row, body, lodged, reference);
  await drawLettersOnLodgement(deps, tx, caller, row, reference, lodged, action);
  const { lodgedRow, assessedRow } = await lodgeAsAssessed(deps, tx, caller, row, body, { lodged, reference, selection, now, action, reason, store });
  await openVerification(deps, tx, row, lodged, { reference, channel: selection.channel, reasons: selection.reasons, prior: selection.prior, requestId: caller.requestId });
  await recordAssessment(deps, tx, caller, lodgedRow, assessedRow, lodged, selection);
  return assessedRow;
}

/** Every lodgement rule; the exchange rate is the one in force when the entry was first accepted. */
async function validate(deps: LodgeAndAssessDeps, tx: Tx, caller: Caller, row: DeclarationRow, body: DeclarationBody, now: Date): Promise<Lodged> {
  const today = localDate(now);
  return checkLodgement(tx, deps, {
    declarationId: row.id,
    knownDocumentId: row.transport_document_id,
    body,
    declarant: { organisationId: row.declarant_org_id, organisationKind: caller.principal.organisationKind },
    today,
    acceptanceDate: row.lodged_at ? localDate(row.lodged_at) : today,
    now,
    // A declaration lodged before keeps its reference; a new one draws its serial with the document's reads.
    ...(row.reference === null ? { serialScope: (regime: string) => serialScope(today.slice(0, 4), body.officeCode.toUpperCase(), regime) } : {}),
  });
}

/** The serial scope of references of a year, office and regime. */
const serialScope = (year: string, office: string, regime: string): string => `dec_${year}_${office}_${regime}`;

/** A new trade reference: year + office + regime + serial (drawn at validation), e.g. 2026MBAIM4000123. */
function newReference(year: string, office: string, lodged: Lodged): string {
  if (lodged.serial === undefined) {
    throw new Error('a new reference without its serial: validation draws it for a declaration without a reference');
  }
  return tradeReference({ year, office, kind: lodged.regime, serial: lodged.serial });
}

/** A declaration never lodged before has drawn no letter: with none to draw there is nothing to settle. */
async function drawLettersOnLodgement(deps: LodgeAndAssessDeps, tx: Tx, caller: Caller, row: DeclarationRow, reference: string, lodged: Lodged, action: 'lodge' | 'amend'): Promise<void> {
  if (row.lodged_at !== null || letterDrawsOf(lodged.assessment).length > 0) {
    await drawLetters(deps, tx, { id: row.id, reference }, lodged.assessment, {
      actor: caller.actor,
      requestId: caller.requestId,
      reason: action === 'lodge' ? 'declaration lodged' : 'declaration amended',
    });
  }
}

/**
 * One write for both steps (lodged, then assessed), through transition(): the version moves on
 * by two, and the "lodged" step's audit record and event are written with it.
 */
async function lodgeAsAssessed(
  deps: LodgeAndAssessDeps,
  tx: Tx,
  caller: Caller,
  row: DeclarationRow,
  body: DeclarationBody,
  step: { lodged: Lodged; reference: string; selection: Selection; now: Date; action: 'lodge' | 'amend'; reason: string | undefined; store: StoreDraft | undefined },
): Promise<{ lodgedRow: DeclarationRow; assessedRow: DeclarationRow }> {
  const { lodged, reference, selection, now, store } = step;
  const carrier = await deps.parties.organisation(tx, lodged.document.carrierOrgId);
  const lodgedStatus = declarationLifecycle.next(row.status, step.action);
  const lodgedRow: DeclarationRow = { ...row, status: lodgedStatus, reference, transport_document_id: lodged.document.id, version: row.version + 1, updated_at: now };
  const columns = {
    reference,
    regime: lodged.regime,
    importer_org_id: lodged.importer.id,
    transport_document_id: lodged.document.id,
    carrier_code: carrier?.code ?? body.carrierCode?.toUpperCase() ?? null,
    lodged_at: row.lodged_at ?? now,
    query: null,
    ...assessedFields(lodged, selection),
    control_status: needsControl(selection.channel) ? ('pending' as const) : ('none' as const),
    control: null,
    assessed_at: now,
    updated_at: now,
  };
  const assessedRow = await transition(tx, {
    lifecycle: lodgementLifecycle,
    table: 'declaration',
    id: row.id,
    from: row.status,
    action: step.action,
    set: { ...columns, version: sql<number>`version + 2` },
    ...(store ? { insert: (to: DeclarationStatus) => store(to, { ...columns, version: row.version + 2 }) } : {}),
    audit: auditOf(now, row, lodgedRow, {
      action: step.action === 'lodge' ? 'declaration.lodged' : 'declaration.amended',
      actor: caller.actor,
      requestId: caller.requestId,
      reason: step.reason ?? null,
      details: { reference, importerPin: lodged.importer.pin, packages: lodged.packages, grossMassKg: lodged.grossMassKg.toString(), items: body.items.length },
    }),
    event: statusChanged(lodgedRow, row.status, lodgedStatus, now),
  });
  return { lodgedRow, assessedRow };
}

/** The "assessed" step: which rates, which total, which channel and why. */
async function recordAssessment(deps: LodgeAndAssessDeps, tx: Tx, caller: Caller, lodgedRow: DeclarationRow, assessedRow: DeclarationRow, lodged: Lodged, selection: Selection): Promise<void> {
  await recordChange(deps, tx, lodgedRow, assessedRow, {
    action: 'declaration.assessed',
    actor: systemActor,
    requestId: caller.requestId,
    reason: `rates in force on ${lodged.assessment.date} (${lodged.basis === 'actual-arrival' ? 'arrival' : 'expected arrival'} of the conveyance)`,
    details: {
      assessmentDate: lodged.assessment.date,
      basis: lodged.basis,
      total: lodged.assessment.total,
      totals: lodged.assessment.totals,
      channel: selection.channel,
      risk: { reasons: selection.reasons, score: selection.selected.score, version: selection.selected.version },
    },
  });
}
