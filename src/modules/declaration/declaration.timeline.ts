// What each audience may read of a consignment's timeline, written once as a whitelist.
//
// Customs read every audited step as recorded. The trade (the importer and its agents) read the
// steps of the manifest line, the declaration, payment, release and the verification's outcome,
// with the reasons addressed to them, but never the risk engine's reasons, nor which officer a
// task was drawn for or handed to, nor an officer's name: customs people appear as the
// administration. The carrier reads the steps of its own B/L and whether the declaration went
// through, without a figure. Banks and terminals do not follow consignments (they read a PRN or a
// release order). A step or a detail nobody listed here is shown to customs only.
import type { Audience } from '#platform/http/audience.ts';
import type { TimelineEvent } from '#modules/audit/index.ts';

/** What an audience reads of one kind of step: its details (keys of `after`) and whether its reason. */
interface Shown {
  details: readonly string[];
  reason: boolean;
}

type Rule = Partial<Record<Exclude<Audience, 'customs'>, Shown>>;

const manifestHeader = ['reference', 'mode', 'conveyanceName', 'voyageNumber', 'portOfLoading', 'portOfDischarge', 'officeCode', 'expectedArrival', 'actualArrival', 'status', 'version', 'late', 'documents'];
const status = ['status', 'version'];
const declared = [...status, 'reference', 'importerPin', 'packages', 'grossMassKg', 'items', 'exporterPin', 'exitOfficeCode', 'destinationCountry', 'reExportOf'];
const assessed = [...status, 'assessmentDate', 'basis', 'total', 'totals', 'channel', 'arrivalDate', 'previousDate', 'previousTotal', 'prn', 'refundDue'];
const verification = [...status, 'number', 'kind', 'outcome', 'changes', 'totalBefore', 'totalAfter', 'difference', 'prn', 'prnAmount', 'prnKind', 'refundDue', 'escalatedTo'];

const both = (trade: Shown, carrier?: Shown): Rule => (carrier ? { trade, carrier } : { trade });
const shown = (details: readonly string[], reason = true): Shown => ({ details, reason });
/** A verification step past its creation: the trade reads what was found and decided, the carrier nothing. */
const verificationStep = both(shown(verification));

const rules: Record<string, Rule> = {
  // The manifest line: the carrier's own steps, and the trade's view of its B/L.
  'manifest.lodged': both(shown(manifestHeader, false), shown(manifestHeader, false)),
  'manifest.amended': both(shown(['version', 'expectedArrival']), shown(['version', 'expectedArrival'])),
  'manifest.supplementary_lodged': both(shown(['version']), shown(['version'])),
  'manifest.arrived': both(shown(['status', 'actualArrival']), shown(['status', 'actualArrival'])),
  'manifest.closed': both(shown(['status']), shown(['status'])),
  'transport_document.written_off': both(shown(['packagesWrittenOff', 'massWrittenOffKg', 'packages', 'grossMassKg']), shown(['packagesWrittenOff', 'massWrittenOffKg', 'packages', 'grossMassKg'])),
  // The declaration: the trade reads its figures; the carrier only that it moved on.
  'declaration.lodged': both(shown(declared), shown(status, false)),
  'declaration.amended': both(shown(declared), shown(status, false)),
  'declaration.assessed': both(shown(assessed), shown(status, false)),
  'declaration.registered': both(shown([...status, 'prn', 'amount', 'validUntil']), shown(status, false)),
  'declaration.paid': both(shown([...status, 'amount']), shown(status, false)),
  'declaration.released': both(shown([...status, 'releaseOrderNumber', 'exitOfficeCode']), shown([...status, 'releaseOrderNumber'], false)),
  'declaration.exited': both(shown([...status, 'exitOfficeCode', 'confirmedBy', 'exitReference']), shown(status, false)),
  // A re-export that left wrote off part of the import: the importer reads what and how much remains.
  'declaration.written_off': both(shown(['reExport', 'items'])),
  'declaration.cancelled': both(shown([...status, 'refundDue']), shown(status, false)),
  'declaration.rejected': both(shown(status), shown(status, false)),
  'declaration.queried': both(shown(status)),
  'declaration.control_passed': both(shown([...status, 'controlStatus'])),
  'declaration.control_failed': both(shown([...status, 'controlStatus'])),
  'declaration.corrected': both(shown([...status, 'changes', 'totalBefore', 'totalAfter', 'difference', 'prn', 'refundDue'])),
  'declaration.reassessed': both(shown(assessed)),
  'declaration.assessment_confirmed': both(shown([...assessed, 'total'])),
  'declaration.reassessment_failed': both(shown(assessed)),
  'declaration.refund_due': both(shown(status)),
  'declaration.request_made': both(shown([...status, 'request', 'kind', 'difference', 'totalBefore', 'totalAfter'])),
  'declaration.request_approved': both(shown([...status, 'request', 'kind', 'difference', 'totalBefore', 'totalAfter', 'prn', 'refundDue'])),
  'declaration.request_refused': both(shown([...status, 'request', 'kind'])),
  'declaration.request_withdrawn': both(shown([...status, 'request', 'kind'])),
  'declaration.amended_on_request': both(shown([...assessed, 'changes', 'totalBefore', 'totalAfter', 'difference'])),
  // Payment: the trade's own money; the carrier sees none of it.
  'prn.issued': both(shown(['prn', 'amount', 'currency', 'status', 'validUntil', 'carriedOver', 'supersedes'])),
  'prn.cancelled': both(shown(['status', 'supersededBy'])),
  'prn.expired': both(shown(['status'])),
  'payment.received': both(shown(['status', 'paidTotal', 'payment'])),
  'payment.unallocated': both(shown(['status', 'paidTotal', 'payment'])),
  // Release: the goods may leave; the carrier hands them over.
  'release_order.issued': both(shown(['status', 'releaseOrderNumber', 'packages', 'grossMassKg']), shown(['status', 'releaseOrderNumber', 'packages', 'grossMassKg'], false)),
  'release_order.exited': both(shown(['status', 'at', 'packages', 'grossMassKg', 'gateReference']), shown(['status', 'at', 'packages', 'grossMassKg', 'gateReference'], false)),
  // Verification: what was found and decided, never who holds the task or why it was chosen.
  'verification.task_created': both(shown(['number', 'kind', 'status'])),
  'verification.carried_over': both(shown(['number', 'kind', 'status', 'carriedFrom'])),
  'verification.carried_forward': verificationStep,
  'verification.discrepancy_found': verificationStep,
  'verification.accepted': verificationStep,
  'verification.paid_under_protest': verificationStep,
  'verification.rejected': verificationStep,
  'verification.upheld': verificationStep,
  'verification.overturned': verificationStep,
  'verification.cleared': verificationStep,
  'verification.settled': verificationStep,
  'verification.withdrawn': verificationStep,
  'verification.protest_upheld': verificationStep,
  'verification.protest_overturned': verificationStep,
};

/** The whitelist itself, for the tests that hold every audience to it. */
export const timelineWhitelist = rules;

export interface TimelineContext {
  audience: Audience;
  /** The viewer's organisation: its own people are named, others appear as their organisation. */
  viewerOrgId: string;
  organisationNames: ReadonlyMap<string, string>;
  /** The followed transport document: a manifest's other documents are not the viewer's business. */
  documentId: string | undefined;
  /** The declaration reference of the entity an event belongs to, when it is one of the consignment's. */
  declarationOf: (entityId: string) => string | null;
}

export interface TimelineEntry {
  at: string;
  action: string;
  entityType: string;
  declaration: string | null;
  actor: { name: string; role: string };
  reason: string | null;
  details: unknown;
}

/** The event as the audience reads it, or undefined when the audience does not see that step. */
export function timelineEntry(event: TimelineEvent, ctx: TimelineContext): TimelineEntry | undefined {
  const base = { at: event.at.toISOString(), action: event.action, entityType: event.entityType, declaration: ctx.declarationOf(event.entityId) };
  if (ctx.audience === 'customs') {
    return { ...base, actor: { name: event.actor.name, role: event.actor.role }, reason: event.reason, details: event.after };
  }
  const shownTo = rules[event.action]?.[ctx.audience];
  if (!shownTo) {
    return undefined;
  }
  return {
    ...base,
    actor: actorAs(event.actor, ctx),
    reason: shownTo.reason ? event.reason : null,
    details: detailsOf(event.after, shownTo.details, ctx.documentId),
  };
}

/** People of the viewer's own organisation by name; anyone else as their organisation, in their role. */
function actorAs(actor: TimelineEvent['actor'], ctx: TimelineContext): { name: string; role: string } {
  if (actor.organisationId === null || actor.organisationId === ctx.viewerOrgId) {
    return { name: actor.name, role: actor.role };
  }
  return { name: ctx.organisationNames.get(actor.organisationId) ?? 'another organisation', role: actor.role };
}

function detailsOf(after: unknown, keys: readonly string[], documentId: string | undefined): unknown {
  if (after === null || typeof after !== 'object' || Array.isArray(after)) {
    return null;
  }
  const source = after as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (!(key in source)) {
      continue;
    }
    const value = source[key];
    // A manifest lists every consignee's documents: the viewer reads only the followed one.
    out[key] = key === 'documents' && Array.isArray(value) ? value.filter((d: { id?: unknown }) => d.id === documentId) : value;
  }
  return out;
}
