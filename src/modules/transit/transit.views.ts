// What each audience may read of transit records, decided once, here, as whitelists: a field added
// to a full view reaches nobody until someone lists it (test/e2e/transit-views.test.ts holds every
// answer to these lists).
//
// - customs: everything, including the seals' alerts and last reported position, and who did what.
// - trade (the clearing agent whose movement or guarantee it is): its movement's particulars,
//   status, stake, deadline and guarantee; not the tracking data nor customs's alerts about it
//   (those are customs's risk information); of its guarantee's ledger, the figures but not which
//   officer recorded them.
// - carriers, banks, terminals and tracking operators read none of it (404).
import { pick, type Audience } from '#platform/http/audience.ts';
import { Dec, fixed } from '#platform/money.ts';
import type { TimelineEvent } from '#modules/audit/index.ts';
import type { AlertRow, EntryRow, EventRow, GuaranteeRow, MovementRow } from './transit.repository.ts';
import type { TransitItem } from './transit.tables.ts';
import { movementLifecycle } from './transit.state.ts';

export type TransitAudience = Extract<Audience, 'customs' | 'trade'>;

export interface LedgerEntryView {
  kind: string;
  movement: string | null;
  amount: string;
  effect: string;
  balanceAfter: string;
  at: string;
  recordedBy?: string;
}

export interface GuaranteeFullView {
  reference: string;
  kind: string;
  holder: { id: string; name: string | null };
  guarantor: string;
  currency: string;
  amount: string;
  balance: string;
  /** Held for movements on the road: amount - balance. */
  held: string;
  validFrom: string;
  validTo: string;
  /** The balance is the ledger's sum (checked on every entry, and again here). */
  ledgerChecked: boolean;
  ledger: LedgerEntryView[];
  createdAt: string;
  createdBy: string;
}

export const guaranteeFields: Record<TransitAudience, readonly string[]> = {
  customs: ['reference', 'kind', 'holder', 'guarantor', 'currency', 'amount', 'balance', 'held', 'validFrom', 'validTo', 'ledgerChecked', 'ledger', 'createdAt', 'createdBy'],
  trade: ['reference', 'kind', 'holder', 'guarantor', 'currency', 'amount', 'balance', 'held', 'validFrom', 'validTo', 'ledgerChecked', 'ledger'],
};

const money = (v: string | Dec) => fixed(new Dec(v), 2);

export function guaranteeFullView(g: GuaranteeRow, entries: EntryRow[], ledgerSum: string, holderName: string | null, movements: ReadonlyMap<string, string>): GuaranteeFullView {
  return {
    reference: g.reference,
    kind: g.kind,
    holder: { id: g.holder_org_id, name: holderName },
    guarantor: g.guarantor,
    currency: g.currency,
    amount: money(g.amount),
    balance: money(g.balance),
    held: money(new Dec(g.amount).minus(g.balance)),
    validFrom: g.valid_from,
    validTo: g.valid_to,
    ledgerChecked: new Dec(ledgerSum).eq(g.balance),
    ledger: entries.map((e) => ({
      kind: e.kind,
      movement: e.movement_id === null ? null : (movements.get(e.movement_id) ?? null),
      amount: money(e.amount),
      effect: money(e.effect),
      balanceAfter: money(e.balance_after),
      at: e.at.toISOString(),
      recordedBy: e.actor,
    })),
    createdAt: g.created_at.toISOString(),
    createdBy: g.created_by,
  };
}

export function guaranteeView(audience: TransitAudience, full: GuaranteeFullView): Record<string, unknown> {
  const shown = audience === 'customs' ? full : { ...full, ledger: full.ledger.map(({ recordedBy: _by, ...rest }) => rest) };
  return pick(shown, guaranteeFields[audience]);
}

export interface AlertView {
  id: string;
  movement: string;
  kind: string;
  message: string;
  raisedAt: string;
  status: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  note: string | null;
}

export function alertView(a: AlertRow & { movement_reference?: string }, movementReference?: string): AlertView {
  return {
    id: a.id,
    movement: movementReference ?? a.movement_reference ?? '',
    kind: a.kind,
    message: a.message,
    raisedAt: a.raised_at.toISOString(),
    status: a.status,
    acknowledgedAt: a.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: a.acknowledged_by,
    note: a.note,
  };
}

export interface MovementFullView {
  id: string;
  reference: string;
  kind: string;
  status: string;
  agent: { id: string; name: string | null };
  guaranteeReference: string;
  transportDocument: { id: string; number: string; manifestReference: string };
  packages: number;
  grossMassKg: string;
  itinerary: { officeOfDeparture: string; officeOfExit: string | null; officeOfDestination: string | null; destinationCountry: string };
  currency: string;
  items: TransitItem[];
  seals: string[];
  /** Duties and taxes at stake (KES), fixed at departure; null before. */
  stake: string | null;
  stakeDetail: unknown;
  /** At lodgement and amendment: the stake at today's rates (departure recomputes it). */
  estimatedStake?: string;
  deadline: string | null;
  /** Past the deadline without arrival or exit (the sweep flags it overdue). */
  late: boolean;
  lodgedAt: string;
  lodgedBy: string;
  departedAt: string | null;
  concludedAt: string | null;
  concludedOffice: string | null;
  dischargedAt: string | null;
  cancelledAt: string | null;
  overdueAt: string | null;
  calledAt: string | null;
  version: number;
  allowedActions: string[];
  alerts: AlertView[];
  lastPosition: { at: string; kind: string; sealId: string; latitude: string | null; longitude: string | null; speedKmh: string | null } | null;
}

const tradeMovement = [
  'id',
  'reference',
  'kind',
  'status',
  'agent',
  'guaranteeReference',
  'transportDocument',
  'packages',
  'grossMassKg',
  'itinerary',
  'currency',
  'items',
  'seals',
  'stake',
  'stakeDetail',
  'estimatedStake',
  'deadline',
  'late',
  'lodgedAt',
  'lodgedBy',
  'departedAt',
  'concludedAt',
  'concludedOffice',
  'dischargedAt',
  'cancelledAt',
  'overdueAt',
  'calledAt',
  'version',
  'allowedActions',
] as const;

export const movementFields: Record<TransitAudience, readonly string[]> = {
  customs: [...tradeMovement, 'alerts', 'lastPosition'],
  trade: tradeMovement,
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function movementFullView(
  m: MovementRow,
  extra: { guaranteeReference: string; agentName: string | null; alerts: AlertRow[]; lastEvent: EventRow | undefined; now: Date },
): MovementFullView {
  return {
    id: m.id,
    reference: m.reference,
    kind: m.kind,
    status: m.status,
    agent: { id: m.agent_org_id, name: extra.agentName },
    guaranteeReference: extra.guaranteeReference,
    transportDocument: { id: m.transport_document_id, number: m.transport_document_number, manifestReference: m.manifest_reference },
    packages: m.packages,
    grossMassKg: fixed(new Dec(m.gross_mass_kg), 3),
    itinerary: { officeOfDeparture: m.office_of_departure, officeOfExit: m.office_of_exit, officeOfDestination: m.office_of_destination, destinationCountry: m.destination_country },
    currency: m.currency,
    items: m.items,
    seals: m.seals,
    stake: m.stake === null ? null : money(m.stake),
    stakeDetail: m.stake_detail,
    deadline: iso(m.deadline),
    late: m.deadline !== null && (m.status === 'departed' || m.status === 'overdue') && m.deadline < extra.now,
    lodgedAt: m.lodged_at.toISOString(),
    lodgedBy: m.lodged_by,
    departedAt: iso(m.departed_at),
    concludedAt: iso(m.concluded_at),
    concludedOffice: m.concluded_office,
    dischargedAt: iso(m.discharged_at),
    cancelledAt: iso(m.cancelled_at),
    overdueAt: iso(m.overdue_at),
    calledAt: iso(m.called_at),
    version: m.version,
    allowedActions: movementLifecycle.allowed(m.status),
    alerts: extra.alerts.map((a) => alertView(a, m.reference)),
    lastPosition: extra.lastEvent
      ? { at: extra.lastEvent.at.toISOString(), kind: extra.lastEvent.kind, sealId: extra.lastEvent.seal_id, latitude: extra.lastEvent.latitude, longitude: extra.lastEvent.longitude, speedKmh: extra.lastEvent.speed_kmh }
      : null,
  };
}

export function movementView(audience: TransitAudience, full: MovementFullView): Record<string, unknown> {
  return pick(full, movementFields[audience]);
}

// The movement's timeline: every audited step of the movement and of its B/L (subject td:<id>).
// Customs read them all as recorded. The agent reads its movement's steps and the B/L's write-off,
// with the figures listed here; not the alerts, nor the B/L's other consignments, nor officers' names.
const transitSteps: Record<string, readonly string[]> = {
  'transit.lodged': ['status', 'reference', 'kind', 'transportDocumentNumber', 'packages', 'grossMassKg', 'officeOfDeparture', 'officeOfExit', 'officeOfDestination', 'destinationCountry', 'seals', 'guaranteeReference', 'estimatedStake'],
  'transit.amended': ['status', 'version', 'packages', 'grossMassKg', 'seals', 'officeOfExit', 'officeOfDestination', 'estimatedStake'],
  'transit.cancelled': ['status'],
  'transit.departed': ['status', 'seals', 'stake', 'deadline', 'timeLimitDays', 'guaranteeReference', 'guaranteeBalance', 'officeOfDeparture'],
  'transit.exited': ['status', 'office', 'late'],
  'transit.arrived': ['status', 'office', 'late'],
  'transit.discharged': ['status', 'restored', 'guaranteeReference', 'guaranteeBalance'],
  'transit.overdue': ['status', 'deadline', 'stake'],
  'transit.guarantee_called': ['status', 'called', 'guaranteeReference'],
  'transport_document.written_off': ['regime', 'packages', 'grossMassKg', 'packagesWrittenOff', 'massWrittenOffKg'],
};

export const transitTimelineWhitelist: Record<Exclude<TransitAudience, 'customs'>, Record<string, readonly string[]>> = { trade: transitSteps };

export interface TransitTimelineEntry {
  at: string;
  action: string;
  actor: { name: string; role: string };
  reason: string | null;
  details: unknown;
}

export function transitTimeline(events: TimelineEvent[], audience: TransitAudience, viewerOrgId: string, names: ReadonlyMap<string, string>, movementReference: string): TransitTimelineEntry[] {
  const out: TransitTimelineEntry[] = [];
  for (const e of events) {
    if (audience === 'customs') {
      out.push({ at: e.at.toISOString(), action: e.action, actor: { name: e.actor.name, role: e.actor.role }, reason: e.reason, details: e.after });
      continue;
    }
    const keys = transitSteps[e.action];
    // The trade reads its own movement's steps; a write-off of the B/L only when it is this movement's.
    const ours = e.action.startsWith('transit.') ? e.entityId === movementReference : typeof e.reason === 'string' && e.reason.includes(movementReference);
    if (!keys || !ours) {
      continue;
    }
    const after = (e.after ?? {}) as Record<string, unknown>;
    const details = Object.fromEntries(keys.filter((k) => k in after).map((k) => [k, after[k]]));
    const own = e.actor.organisationId === null || e.actor.organisationId === viewerOrgId;
    out.push({
      at: e.at.toISOString(),
      action: e.action,
      actor: own ? { name: e.actor.name, role: e.actor.role } : { name: (e.actor.organisationId && names.get(e.actor.organisationId)) ?? 'customs', role: e.actor.role },
      reason: e.action === 'transit.cancelled' || e.action === 'transit.guarantee_called' || e.action === 'transit.overdue' ? e.reason : null,
      details,
    });
  }
  return out;
}
