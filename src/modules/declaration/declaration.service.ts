// Import declarations from draft to exit, and the orchestration that carries a consignment from
// payment to release without anyone pushing it:
//
//   lodge -> validate, assess (rates in force on arrival), select a channel   -> assessed
//   register -> PRN (payment module)                                          -> registered
//   the bank pays -> payment calls onSettled in its transaction               -> paid
//   paid AND (green/blue OR control passed) AND conveyance arrived            -> released (release order)
//   the terminal reports gate-out -> release calls onExited                   -> exited
//
// tryRelease is called from every event that can complete the condition (payment, arrival,
// control passed). It locks the declaration row, so racing triggers release once.
// Every change is one transaction with its audit record; status changes are also published
// on the outbox (`declaration.status_changed`) for whoever must hear of them.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { localDate, type Clock } from '#platform/clock.ts';
import { Dec, fixed } from '#platform/money.ts';
import { newId, nextSerial, reference as tradeReference } from '#platform/ids.ts';
import { conflict, FieldErrors, forbidden, invalid, notFound, ProblemError } from '#platform/http/problem.ts';
import { isCustoms, type Principal } from '#platform/http/auth.ts';
import { publish, type OutboxEvent } from '#platform/events/outbox.ts';
import { recordAudit, systemActor, timeline as auditTimeline, type Actor } from '#modules/audit/index.ts';
import { needsControl, type Channel, type DeclarationForRisk, type PriorDeclaration, type Selectivity } from '#modules/risk/index.ts';
import { documentSubject } from '#modules/manifest/index.ts';
import type { DeclarationItemRow, DeclarationRequestRow, DeclarationRow, DeclarationStatus, RequestKind } from './declaration.tables.ts';
import { amendableStatuses, controllableStatuses, controlLifecycle, declarationLifecycle, type DeclarationAction } from './declaration.state.ts';
import type { AmendBody, ControlBody, CreateBody, DeclarationBody, ListQuery, RequestDecisionBody, TimelineQuery } from './declaration.schemas.ts';
import { bodyOf, declarationRepository as repo, type DeclarationPatch } from './declaration.repository.ts';
import { checkLodgement, goodsFrom, type LodgementDeps, type Lodged } from './declaration.validation.ts';
import { corrected } from './declaration.corrections.ts';
import type { Correction, CorrectionEffect, SelectedDeclaration, VerificationSubject } from '#modules/inspection/index.ts';
import { AssessmentErrors, assessGoods, letterDrawsOf, rulesKey, slipOf, type StoredAssessment } from './declaration.assessment.ts';
import type { GateOut, ManifestArrived, PaymentPort, ReleasePort, Settlement, TransportDocumentRef } from './declaration.ports.ts';
import { declarationView, requestView, summaryView, type DeclarationView } from './declaration.view.ts';
import { timelineEntry, type TimelineEntry } from './declaration.timeline.ts';

export interface DeclarationServiceDeps extends LodgementDeps {
  db: Kysely<DB>;
  clock: Clock;
  payment: PaymentPort;
  release: ReleasePort;
  selectivity: Selectivity;
  /**
   * Told, inside the lodgement's transaction, when the channel is not green: verification opens
   * its task (or raises it after an amendment) atomically with the lodgement.
   */
  onSelected?: (tx: Tx, selected: SelectedDeclaration) => Promise<unknown>;
  /**
   * The declaration's open verification task, if any: its control is then recorded on the task
   * by the officer drawn for it, not through recordControl; and the declarant may amend only if
   * verification says so (the officer's corrections, not the declarant's, follow a selection).
   */
  verificationOf?: (q: Kysely<DB>, declarationId: string) => Promise<{ task: string; amendable: boolean } | undefined>;
  /**
   * Exemption letters (relief module): makes the declaration's draws what its assessment asks,
   * in the same transaction; an empty list gives everything back. 422 exemption_exhausted.
   */
  letters?: {
    settle(tx: Tx, draw: { declarationId: string; reference: string | null; draws: { number: string; itemNo: number; amount: string }[]; actor: Actor; requestId: string | null; reason: string }): Promise<void>;
  };
}

/** Who asks, as the routes know it. */
export interface Caller {
  principal: Principal;
  actor: Actor;
  requestId: string | null;
  /** The version the caller last saw (If-Match); a different current version is a 412. */
  expectedVersion?: number;
}

/** Statuses in which arrival can still change the assessment or complete the release. */
const awaitingArrival: readonly DeclarationStatus[] = ['assessed', 'queried', 'registered', 'paid'];
/** Channels from least to most checked: an amendment never lowers the channel. */
const channelRank: Record<Channel, number> = { green: 0, blue: 1, yellow: 2, red: 3 };

const money = (d: Dec | string) => fixed(new Dec(d), 2);
/**
 * How far back the consignment's earlier declarations are read for the risk engine; its setting
 * consignment.inheritDays (at most 365) decides which of them count.
 */
const inheritanceWindowDays = 366;
/** Requests (amend or cancel) one declaration may take: asking and withdrawing again cannot fill the trail. */
export const maxRequestsPerDeclaration = 20;

/** Who may see a declaration: customs, its declarant, and its importer once it is lodged. */
export function maySee(viewer: Principal, row: DeclarationRow): boolean {
  return isCustoms(viewer) || row.declarant_org_id === viewer.organisationId || (row.importer_org_id === viewer.organisationId && row.status !== 'draft');
}

export function declarationService(deps: DeclarationServiceDeps) {
  const { db, clock } = deps;

  /** A declaration's steps belong to its reference, its transport document (by id: numbers repeat across carriers) and its PRN. */
  function subjectsOf(row: DeclarationRow, ...more: (string | null | undefined)[]): string[] {
    const document = row.transport_document_id ? documentSubject(row.transport_document_id) : null;
    return [row.reference, document, row.prn, ...more].filter((s): s is string => typeof s === 'string' && s !== '');
  }

  /**
   * An agent acts for its client only while its licence and the client's authorisation are in
   * force: checked on every action, not only at lodgement, so a revoked agent cannot go on
   * registering or cancelling. The importer acting for itself needs no authority.
   */
  async function checkAuthority(q: Kysely<DB>, organisationId: string, row: DeclarationRow): Promise<void> {
    if (row.importer_org_id === null || row.importer_org_id === organisationId || row.declarant_org_id !== organisationId) {
      return;
    }
    const check = await deps.parties.agentMayActFor(q, { agentOrgId: organisationId, clientOrgId: row.importer_org_id, date: localDate(clock.now()) });
    if (!check.ok) {
      throw new ProblemError({ type: 'forbidden', title: 'Forbidden', status: 403, detail: `${check.message}; an agent acts for a client only while both are in force`, code: check.code });
    }
  }

  /** Draws the exemption letters the assessment uses (none: everything drawn is given back). */
  async function drawLetters(tx: Tx, row: DeclarationRow, assessment: StoredAssessment | null, context: { actor: Actor; requestId: string | null; reason: string }): Promise<void> {
    await deps.letters?.settle(tx, { declarationId: row.id, reference: row.reference, draws: assessment ? letterDrawsOf(assessment) : [], ...context });
  }

  /** The audit record of a change (and its outbox event when the status moved). */
  async function record(
    tx: Tx,
    before: DeclarationRow,
    after: DeclarationRow,
    entry: { action: string; actor: Actor; requestId?: string | null; reason?: string | null; details?: Record<string, unknown>; subjects?: (string | null)[] },
  ): Promise<void> {
    await recordAudit(tx, {
      actor: entry.actor,
      action: entry.action,
      entityType: 'declaration',
      entityId: after.id,
      subjects: subjectsOf(after, before.prn, ...(entry.subjects ?? [])),
      before: { status: before.status, version: before.version },
      after: { status: after.status, version: after.version, ...entry.details },
      reason: entry.reason ?? null,
      requestId: entry.requestId ?? null,
      at: clock.now(),
    });
    if (before.status !== after.status) {
      await publish(tx, 'declaration.status_changed', after.id, {
        declarationId: after.id,
        reference: after.reference,
        transportDocumentNumber: after.transport_document_number,
        from: before.status,
        to: after.status,
        at: after.updated_at.toISOString(),
      });
    }
  }

  /** Locks the declaration for a change by the caller; 404 when the caller may not see it. */
  async function lockFor(tx: Tx, caller: Caller, id: string, as: 'declarant' | 'customs'): Promise<DeclarationRow> {
    const row = await repo.find(tx, id, { forUpdate: true });
    if (!row || !maySee(caller.principal, row)) {
      throw notFound(`Declaration ${id}`);
    }
    if (as === 'declarant' && row.declarant_org_id !== caller.principal.organisationId) {
      throw forbidden(`Only the declarant of ${row.reference ?? 'this declaration'} may do this`);
    }
    if (as === 'declarant') {
      await checkAuthority(tx, caller.principal.organisationId, row);
    }
    if (caller.expectedVersion !== undefined && caller.expectedVersion !== row.version) {
      throw new ProblemError({
        type: 'precondition-failed',
        title: 'The declaration has changed',
        status: 412,
        detail: `You saw version ${caller.expectedVersion} but the declaration is at version ${row.version} (${row.status}); reload it and try again`,
        version: row.version,
        state: row.status,
      });
    }
    return row;
  }

  /** A new trade reference: year + office + regime + serial, e.g. 2026MBAIM4000123. */
  async function newReference(tx: Tx, year: string, office: string, regime: string): Promise<string> {
    return tradeReference({ year, office, kind: regime, serial: await nextSerial(tx, `dec_${year}_${office}_${regime}`) });
  }

  /** Earlier declarations of this consignment, whose selection follows the goods (see the risk engine). */
  async function priorOf(tx: Tx, row: DeclarationRow, body: DeclarationBody, lodged: Lodged): Promise<PriorDeclaration[]> {
    const { sameDocument, sameGoods } = await repo.priorDeclarations(tx, {
      declarationId: row.id,
      transportDocumentId: lodged.document.id,
      importerOrgId: lodged.importer.id,
      hsCodes: body.items.map((i) => i.hsCode),
      since: new Date(clock.now().getTime() - inheritanceWindowDays * 86_400_000),
    });
    // The same goods on another document: only when the goods moved there (the earlier document
    // was removed from this one's manifest: a B/L reissued under a new number) or when the two
    // share a container; a regular importer's next shipment of the same kind of goods is another
    // consignment.
    const containers = new Set(lodged.document.containers.map((c) => c.number));
    const moved: typeof sameGoods = [];
    for (const d of sameGoods) {
      const earlier = d.transport_document_id ? await deps.manifest.findTransportDocumentById(tx, d.transport_document_id, { includeRemoved: true }) : undefined;
      const reissued = earlier?.status === 'removed' && earlier.manifestId === lodged.document.manifestId;
      if (reissued || earlier?.containers.some((c) => containers.has(c.number))) {
        moved.push(d);
      }
    }
    const prior = (d: (typeof sameDocument)[number], relation: PriorDeclaration['relation']): PriorDeclaration => ({
      declarationId: d.id,
      reference: d.reference ?? d.id,
      channel: d.channel ?? 'green',
      status: d.status,
      relation,
      at: (d.cancelled_at ?? (d.status === 'rejected' ? d.updated_at : d.lodged_at) ?? d.updated_at).toISOString(),
    });
    return [...sameDocument.map((d) => prior(d, 'same_document')), ...moved.map((d) => prior(d, 'same_goods'))];
  }

  function riskInput(row: DeclarationRow, body: DeclarationBody, lodged: Lodged, reference: string, aeo: boolean, today: string, consignment: PriorDeclaration[]): DeclarationForRisk {
    return {
      consignment,
      declarationId: row.id,
      reference,
      date: today,
      regime: lodged.regime,
      cpc: body.cpc,
      officeCode: body.officeCode.toUpperCase(),
      declarantOrgId: row.declarant_org_id,
      importerOrgId: lodged.importer.id,
      importerPin: lodged.importer.pin ?? body.importerPin,
      importerAeo: aeo,
      transportDocumentNumber: lodged.document.number,
      transportMode: lodged.document.mode,
      preArrival: lodged.document.actualArrival === null,
      invoiceCurrency: body.invoiceCurrency.toUpperCase(),
      invoiceAmount: body.invoiceAmount,
      exchangeRate: lodged.assessment.exchangeRate.rate,
      sellerName: body.sellerName?.trim() ?? null,
      sellerCountry: body.sellerCountry?.toUpperCase() ?? null,
      departureCountry: body.departureCountry?.toUpperCase() ?? null,
      incoterm: body.incoterm.toUpperCase(),
      assessedTotal: lodged.assessment.total,
      items: body.items.map((item, index) => {
        const assessed = lodged.assessment.items[index];
        const duty = assessed?.taxes.find((t) => t.code === 'ID');
        return {
          itemNo: index + 1,
          hsCode: item.hsCode,
          originCountry: item.originCountry.toUpperCase(),
          preferentialOrigin: item.preferentialOrigin ?? false,
          quantity: item.quantity,
          unit: item.unit.toUpperCase(),
          netMassKg: item.netMassKg,
          grossMassKg: item.grossMassKg,
          itemPrice: item.itemPrice,
          customsValue: assessed?.customsValue ?? '0',
          dutyRate: duty?.rate ?? null,
        };
      }),
    };
  }

  /**
   * The channel of a declaration being lodged, amended, or amended on an approved request: the
   * risk engine's choice (in this transaction, so its record commits or rolls back with the
   * declaration), never below an earlier channel of the same declaration, and at least yellow when
   * the declarant gave the exchange rate (no official one for the currency), or when a used vehicle
   * has no CRSP row, so an officer checks it.
   */
  async function select(tx: Tx, row: DeclarationRow, body: DeclarationBody, lodged: Lodged, reference: string) {
    const aeo = await deps.parties.isAeo(tx, lodged.importer.id);
    const prior = await priorOf(tx, row, body, lodged);
    const selected = await deps.selectivity.assign(riskInput(row, body, lodged, reference, aeo, localDate(clock.now()), prior), tx);
    let channel = selected.channel;
    const reasons = [...selected.reasons];
    if (row.channel && channelRank[row.channel] > channelRank[channel]) {
      reasons.push(`channel kept at ${row.channel} from the earlier lodgement: an amendment does not lower the channel (selected now: ${channel})`);
      channel = row.channel;
    }
    const rate = lodged.assessment.exchangeRate;
    if (rate.source === 'declared' && lodged.assessment.currency !== 'KES' && channelRank[channel] < channelRank.yellow) {
      reasons.push(`exchange rate ${rate.rate} KES per ${lodged.assessment.currency} declared (no official rate in force): documentary check of the rate`);
      channel = 'yellow';
    }
    // A used vehicle the CRSP schedule has no row for is valued provisionally from the invoice:
    // an officer values it (documentary check at least), never the declarant's number alone.
    const pendingValuation = lodged.assessment.items.flatMap((i) => (i.valuation.pendingValuation === undefined ? [] : [`item ${i.itemNo}: ${i.valuation.pendingValuation}`]));
    if (pendingValuation.length > 0) {
      reasons.push(...pendingValuation);
      if (channelRank[channel] < channelRank.yellow) {
        channel = 'yellow';
      }
    }
    return { channel, reasons, selected, prior };
  }

  /** The columns an assessment and its selection set, the same for a lodgement and an approved amendment. */
  function assessedFields(lodged: Lodged, selection: Pick<Awaited<ReturnType<typeof select>>, 'channel' | 'reasons' | 'selected'>) {
    return {
      assessment: JSON.stringify(lodged.assessment),
      assessment_date: lodged.assessment.date,
      assessment_basis: lodged.basis,
      assessed_total: lodged.assessment.total,
      channel: selection.channel,
      channel_reasons: JSON.stringify(selection.reasons),
      risk_score: selection.selected.score,
      selectivity_version: selection.selected.version,
    } satisfies DeclarationPatch;
  }

  /** A channel that asks for a check opens (or raises) the declaration's verification task, in the same transaction. */
  async function openCheck(tx: Tx, row: DeclarationRow, lodged: Lodged, selection: { reference: string; channel: Channel; reasons: string[]; prior: PriorDeclaration[]; requestId: string | null }) {
    if (!deps.onSelected || selection.channel === 'green') {
      return;
    }
    await deps.onSelected(tx, {
      declarationId: row.id,
      reference: selection.reference,
      transportDocumentNumber: lodged.document.number,
      transportDocumentId: lodged.document.id,
      declarantOrgId: row.declarant_org_id,
      importerOrgId: lodged.importer.id,
      // The declared office: lodgement refuses one that is not the document's.
      officeCode: lodged.document.officeCode,
      channel: selection.channel,
      reasons: selection.reasons,
      priorDeclarationIds: selection.prior.map((p) => p.declarationId),
      requestId: selection.requestId,
    });
  }

  /**
   * Validates, assesses and selects: the declaration leaves "lodged" for "assessed" with its
   * reference, assessment and channel. Used by lodge and by amend (action decides the wording).
   */
  async function lodgeAndAssess(tx: Tx, caller: Caller, row: DeclarationRow, body: DeclarationBody, action: 'lodge' | 'amend', reason?: string): Promise<DeclarationRow> {
    const lodgedStatus = declarationLifecycle.next(row.status, action);
    const now = clock.now();
    const today = localDate(now);
    // The exchange rate is the one in force when the entry was first accepted.
    const acceptanceDate = row.lodged_at ? localDate(row.lodged_at) : today;
    const lodged = await checkLodgement(tx, deps, {
      declarationId: row.id,
      knownDocumentId: row.transport_document_id,
      body,
      declarant: { organisationId: row.declarant_org_id, organisationKind: caller.principal.organisationKind },
      today,
      acceptanceDate,
    });
    const reference = row.reference ?? (await newReference(tx, today.slice(0, 4), body.officeCode.toUpperCase(), lodged.regime));
    const { channel, reasons, selected, prior } = await select(tx, row, body, lodged, reference);
    const carrier = await deps.parties.organisation(tx, lodged.document.carrierOrgId);
    const assessedStatus = declarationLifecycle.next(lodgedStatus, 'assess');

    // One write for both steps (lodged, then assessed); each step keeps its own audit record.
    const assessedRow = await repo.update(
      tx,
      row.id,
      {
        status: assessedStatus,
        reference,
        regime: lodged.regime,
        importer_org_id: lodged.importer.id,
        transport_document_id: lodged.document.id,
        carrier_code: carrier?.code ?? body.carrierCode?.toUpperCase() ?? null,
        lodged_at: row.lodged_at ?? now,
        query: null,
        ...assessedFields(lodged, { channel, reasons, selected }),
        control_status: needsControl(channel) ? 'pending' : 'none',
        control: null,
        assessed_at: now,
      },
      now,
      2,
    );
    // A declaration never lodged before has drawn no letter: with none to draw there is nothing to settle.
    if (row.lodged_at !== null || letterDrawsOf(lodged.assessment).length > 0) {
      await drawLetters(tx, assessedRow, lodged.assessment, { actor: caller.actor, requestId: caller.requestId, reason: action === 'lodge' ? 'declaration lodged' : 'declaration amended' });
    }
    const lodgedRow: DeclarationRow = { ...row, status: lodgedStatus, reference, transport_document_id: lodged.document.id, version: row.version + 1, updated_at: now };
    await record(tx, row, lodgedRow, {
      action: action === 'lodge' ? 'declaration.lodged' : 'declaration.amended',
      actor: caller.actor,
      requestId: caller.requestId,
      reason: reason ?? null,
      details: { reference, importerPin: lodged.importer.pin, packages: lodged.packages, grossMassKg: lodged.grossMassKg.toString(), items: body.items.length },
    });
    await openCheck(tx, row, lodged, { reference, channel, reasons, prior, requestId: caller.requestId });
    await record(tx, lodgedRow, assessedRow, {
      action: 'declaration.assessed',
      actor: systemActor,
      requestId: caller.requestId,
      reason: `rates in force on ${lodged.assessment.date} (${lodged.basis === 'actual-arrival' ? 'arrival' : 'expected arrival'} of the conveyance)`,
      details: {
        assessmentDate: lodged.assessment.date,
        basis: lodged.basis,
        total: lodged.assessment.total,
        totals: lodged.assessment.totals,
        channel,
        risk: { reasons, score: selected.score, version: selected.version },
      },
    });
    return assessedRow;
  }

  /** Releases the declaration if it is paid, cleared by its channel or control, and its goods have arrived. */
  async function tryRelease(tx: Tx, declarationId: string, requestId: string | null = null): Promise<boolean> {
    const row = await repo.find(tx, declarationId, { forUpdate: true });
    if (row?.status !== 'paid' || !(row.control_status === 'none' || row.control_status === 'passed') || !row.transport_document_id || !row.importer_org_id || !row.reference) {
      return false;
    }
    // Read after the lock: an arrival committed while we waited is seen.
    const document = await deps.manifest.findTransportDocumentById(tx, row.transport_document_id);
    if (!document?.actualArrival) {
      return false;
    }
    const items = await repo.items(tx, row.id);
    const order = await deps.release.issueReleaseOrder(tx, {
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
    const released = await repo.update(
      tx,
      row.id,
      { status: declarationLifecycle.next(row.status, 'release'), released_at: order.releasedAt, release_order_number: order.number },
      clock.now(),
    );
    const cleared = row.control_status === 'passed' ? 'control passed' : row.channel === 'blue' ? 'blue (post-clearance audit)' : 'green';
    await record(tx, row, released, {
      action: 'declaration.released',
      actor: systemActor,
      requestId,
      reason: `automatic release: paid, ${cleared}, arrived`,
      details: { releaseOrderNumber: order.number },
      subjects: [order.number],
    });
    return true;
  }

  /** Paid: the PRN is settled (or nothing was due). Then release if everything else is there. */
  async function markPaid(tx: Tx, row: DeclarationRow, reason: string, requestId: string | null, subjects: (string | null)[] = []): Promise<DeclarationRow> {
    const now = clock.now();
    const paid = await repo.update(tx, row.id, { status: declarationLifecycle.next(row.status, 'settle'), paid_at: now }, now);
    await record(tx, row, paid, { action: 'declaration.paid', actor: systemActor, requestId, reason, details: { amount: row.assessed_total }, subjects });
    return paid;
  }

  /**
   * On arrival the rates in force on the arrival date replace those of the expected date, when
   * they differ. Before registration the new figures simply stand; a registered declaration gets
   * a new PRN (the old one is superseded, part payment carried over); a paid one keeps its
   * payment and records the difference: more due (demanded after release, as a short levy) or a
   * refund due. The exchange rate stays the one fixed at acceptance.
   */
  async function reassessOnArrival(tx: Tx, declarationId: string, arrivedAt: Date): Promise<void> {
    const row = await repo.find(tx, declarationId, { forUpdate: true });
    if (!row || !awaitingArrival.includes(row.status) || row.assessment_basis !== 'expected-arrival' || !row.assessment) {
      return;
    }
    const old = row.assessment as StoredAssessment;
    const arrivalDate = localDate(arrivedAt);
    const now = clock.now();
    const confirm = async (reason: string, action = 'declaration.assessment_confirmed') => {
      const confirmed = await repo.update(tx, row.id, { assessment_basis: 'actual-arrival' }, now);
      await record(tx, row, confirmed, { action, actor: systemActor, reason, details: { arrivalDate, assessmentDate: old.date, total: old.total } });
    };
    if (old.date === arrivalDate) {
      await confirm(`arrived on the expected date ${arrivalDate}: the assessment stands`);
      return;
    }
    let fresh: StoredAssessment;
    try {
      fresh = await assessGoods(deps.ratesFor(tx).calculator, goodsFrom(bodyOf(row, await repo.items(tx, row.id)), arrivalDate, old.exchangeRate));
    } catch (err) {
      if (!(err instanceof AssessmentErrors)) {
        throw err;
      }
      // Kept as assessed on the expected date; customs sees why in the trail and can query it.
      await confirm(`could not re-assess on the arrival date ${arrivalDate}: ${err.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`, 'declaration.reassessment_failed');
      return;
    }
    if (rulesKey(fresh) === rulesKey(old) && fresh.total === old.total) {
      await confirm(`the rules in force on arrival (${arrivalDate}) are those used for ${old.date}: the assessment stands`);
      return;
    }
    const difference = new Dec(fresh.total).minus(old.total);
    const changes = describeChanges(old, fresh);
    let reason = `arrived ${arrivalDate}, assessed for ${old.date}: ${changes || 'rates changed'}; total KES ${old.total} -> ${fresh.total}`;
    const patch: DeclarationPatch = { assessment: JSON.stringify(fresh), assessment_date: arrivalDate, assessment_basis: 'actual-arrival', assessed_total: fresh.total };
    let issued: Awaited<ReturnType<PaymentPort['issuePrn']>> | undefined;
    if (row.status === 'registered' && !difference.isZero() && row.reference && row.importer_org_id) {
      if (new Dec(fresh.total).isZero()) {
        await deps.payment.cancelPrn(tx, { declarationId: row.id, reason: 'nothing to pay after re-assessment on arrival', actor: systemActor });
        patch.prn = null;
        reason += '; nothing is due any more, the PRN is cancelled';
      } else {
        issued = await deps.payment.issuePrn(tx, {
          declarationId: row.id,
          declarationReference: row.reference,
          declarantOrgId: row.declarant_org_id,
          importerOrgId: row.importer_org_id,
          amount: fresh.total,
          slip: await slip(tx, row, fresh),
          actor: systemActor,
        });
        patch.prn = issued.prn;
        reason += `; PRN ${row.prn ?? '-'} superseded by ${issued.prn}`;
      }
    } else if (row.status === 'paid' && !difference.isZero()) {
      if (difference.isPositive()) {
        patch.additional_due = money(difference.plus(row.additional_due ?? 0));
        reason += `; KES ${money(difference)} more is due: the goods are not held for it, it is demanded after release`;
      } else {
        patch.refund_due = money(difference.negated().plus(row.refund_due ?? 0));
        reason += `; KES ${money(difference.negated())} was overpaid and is refundable`;
      }
    }
    let after = await repo.update(tx, row.id, patch, now);
    await record(tx, row, after, {
      action: 'declaration.reassessed',
      actor: systemActor,
      reason,
      details: { arrivalDate, previousDate: old.date, previousTotal: old.total, total: fresh.total, totals: fresh.totals, prn: after.prn },
      subjects: [row.prn],
    });
    if (row.status === 'registered' && (new Dec(fresh.total).isZero() || issued?.status === 'paid')) {
      after = await markPaid(tx, after, new Dec(fresh.total).isZero() ? 'nothing to pay after re-assessment' : 'part payments carried over cover the new amount', null);
    }
  }

  async function slip(q: Kysely<DB>, row: DeclarationRow, assessment: StoredAssessment) {
    const [importer, declarant] = await Promise.all([
      row.importer_org_id ? deps.parties.organisation(q, row.importer_org_id) : undefined,
      deps.parties.organisation(q, row.declarant_org_id),
    ]);
    return slipOf(assessment, {
      importer: { name: importer?.name ?? row.importer_pin, pin: row.importer_pin },
      declarant: { name: declarant?.name ?? '' },
      officeCode: row.office_code,
    });
  }

  /** The declaration as the viewer may see it; `known` spares reading back what the caller has just written. */
  async function view(q: Kysely<DB>, row: DeclarationRow, viewer: Principal, known?: { items: DeclarationItemRow[]; pending: null }): Promise<DeclarationView> {
    const [items, declarant, importer, pending] = await Promise.all([
      known?.items ?? repo.items(q, row.id),
      deps.parties.organisation(q, row.declarant_org_id),
      row.importer_org_id ? deps.parties.organisation(q, row.importer_org_id) : undefined,
      known ? known.pending : repo.pendingRequest(q, row.id),
    ]);
    return declarationView(row, items, viewer, { declarant, importer }, pending ? requestView(pending, isCustoms(viewer)) : null);
  }

  /** Organisations that may follow a consignment: its carrier, importer, the importer's agents; customs always. */
  async function mayFollow(viewer: Principal, document: TransportDocumentRef | undefined, declarations: DeclarationRow[]): Promise<'customs' | 'party' | 'carrier' | undefined> {
    if (isCustoms(viewer)) {
      return 'customs';
    }
    const org = viewer.organisationId;
    if (declarations.some((d) => d.importer_org_id === org || d.declarant_org_id === org)) {
      return 'party';
    }
    if (document) {
      const consignee = document.consigneePin ? await deps.parties.organisationByPin(db, document.consigneePin) : undefined;
      if (consignee?.id === org) {
        return 'party';
      }
      if (consignee && (await deps.parties.agentMayActFor(db, { agentOrgId: org, clientOrgId: consignee.id, date: localDate(clock.now()) })).ok) {
        return 'party';
      }
      if (document.carrierOrgId === org) {
        return 'carrier';
      }
    }
    return undefined;
  }

  /** The goods re-assessed with an officer's corrections, on the declaration's assessment date and exchange rate. */
  async function correctedAssessment(q: Kysely<DB>, row: DeclarationRow, corrections: Correction[]) {
    const old = row.assessment as StoredAssessment | null;
    if (!old || !row.reference) {
      throw conflict(`The declaration is ${row.status} and has no assessment to correct`, { state: row.status });
    }
    const { body, changes } = corrected(bodyOf(row, await repo.items(q, row.id)), corrections);
    try {
      const assessment = await assessGoods(deps.ratesFor(q).calculator, goodsFrom(body, row.assessment_date ?? old.date, old.exchangeRate));
      return { old, body, changes, assessment };
    } catch (err) {
      if (err instanceof AssessmentErrors) {
        throw invalid(err.errors, 'the corrected goods cannot be assessed');
      }
      throw err;
    }
  }

  /**
   * What a new assessment of a registered or paid declaration asks for: before the first PRN is
   * paid, a replacement PRN for the new total (part payment carried over); once paid, a
   * supplementary PRN for more, or a refund due for less. The caller stores the patch.
   */
  async function differenceDue(tx: Tx, row: DeclarationRow, assessment: StoredAssessment, context: { actor: Actor; requestId: string | null; why: string }) {
    const difference = new Dec(assessment.total).minus(row.assessed_total ?? 0);
    const patch: DeclarationPatch = {};
    const effect: Pick<CorrectionEffect, 'prn' | 'refundDue'> = {};
    let paidByCarryOver = false;
    if (difference.isZero() || !row.reference || !row.importer_org_id) {
      return { patch, effect, paidByCarryOver, difference };
    }
    const prnFor = async (amount: string) =>
      deps.payment.issuePrn(tx, {
        declarationId: row.id,
        declarationReference: row.reference as string,
        declarantOrgId: row.declarant_org_id,
        importerOrgId: row.importer_org_id as string,
        amount,
        slip: await slip(tx, row, assessment),
        actor: context.actor,
        requestId: context.requestId,
      });
    if (row.status === 'registered' && new Dec(assessment.total).isZero()) {
      await deps.payment.cancelPrn(tx, { declarationId: row.id, reason: `nothing to pay after ${context.why}`, actor: context.actor, requestId: context.requestId });
      patch.prn = null;
      paidByCarryOver = true;
    } else if (row.status === 'registered') {
      const issued = await prnFor(assessment.total);
      patch.prn = issued.prn;
      effect.prn = { prn: issued.prn, amount: issued.amount, status: issued.status, kind: 'replacement' };
      paidByCarryOver = issued.status === 'paid';
    } else if (['paid', 'released', 'exited'].includes(row.status) && difference.isPositive()) {
      const issued = await prnFor(money(difference));
      patch.prn = issued.prn;
      effect.prn = { prn: issued.prn, amount: issued.amount, status: issued.status, kind: 'supplementary' };
    } else if (['paid', 'released', 'exited'].includes(row.status)) {
      patch.refund_due = money(difference.negated().plus(row.refund_due ?? 0));
      effect.refundDue = money(difference.negated());
    }
    return { patch, effect, paidByCarryOver, difference };
  }

  /** Cancels the declaration: an open PRN is cancelled and what was paid becomes refundable. An open verification stays open. */
  async function cancelNow(tx: Tx, row: DeclarationRow, context: { actor: Actor; requestId: string | null; reason: string }): Promise<DeclarationRow> {
    const status = declarationLifecycle.next(row.status, 'cancel');
    const patch: DeclarationPatch = { status, cancelled_at: clock.now(), status_reason: context.reason };
    await drawLetters(tx, row, null, { actor: context.actor, requestId: context.requestId, reason: 'declaration cancelled' });
    let refund: string | undefined;
    if (row.status === 'registered') {
      await deps.payment.cancelPrn(tx, { declarationId: row.id, reason: `declaration cancelled: ${context.reason}`, actor: context.actor, requestId: context.requestId });
    }
    if (row.status === 'paid' || row.status === 'registered') {
      const balance = await deps.payment.balance(tx, row.id);
      const paid = new Dec(balance.paid);
      if (paid.isPositive()) {
        refund = money(paid);
        patch.refund_due = refund;
      }
    }
    const cancelled = await repo.update(tx, row.id, patch, clock.now());
    await record(tx, row, cancelled, {
      action: 'declaration.cancelled',
      actor: context.actor,
      requestId: context.requestId,
      reason: refund ? `${context.reason} (KES ${refund} paid is refundable)` : context.reason,
      details: refund ? { refundDue: refund } : {},
    });
    return cancelled;
  }

  /**
   * After registration the declarant asks: an amendment is checked now (every lodgement rule)
   * and its effect shown to the officer who decides; a cancellation waits for an officer too.
   */
  async function requestChange(tx: Tx, caller: Caller, row: DeclarationRow, kind: RequestKind, reason: string, body?: DeclarationBody): Promise<DeclarationRow> {
    const pending = await repo.pendingRequest(tx, row.id, { forUpdate: true });
    if (pending) {
      throw conflict(`Declaration ${row.reference ?? row.id} already has a ${pending.kind} request waiting for an officer (requested ${pending.requested_at.toISOString()}); withdraw it first or wait for the decision`, {
        state: row.status,
        request: pending.id,
      });
    }
    const asked = await repo.requestCount(tx, row.id);
    if (asked >= maxRequestsPerDeclaration) {
      throw conflict(`Declaration ${row.reference ?? row.id} has had ${asked} requests, the most one declaration takes; an officer may still query or reject it`, {
        state: row.status,
        requests: asked,
      });
    }
    let preview: Record<string, unknown> | null = null;
    if (kind === 'amend' && body) {
      const lodged = await checkAmendmentRequest(tx, caller, row, body);
      preview = { totalBefore: money(row.assessed_total ?? '0'), totalAfter: lodged.assessment.total, difference: money(new Dec(lodged.assessment.total).minus(row.assessed_total ?? 0)), totalsAfter: lodged.assessment.totals };
    }
    const now = clock.now();
    const request = await repo.insertRequest(tx, {
      id: newId(),
      declarationId: row.id,
      kind,
      reason,
      body: body ?? null,
      preview,
      by: { orgId: caller.principal.organisationId, id: caller.actor.id, name: caller.actor.name },
      at: now,
    });
    const after = await repo.update(tx, row.id, {}, now);
    await record(tx, row, after, {
      action: 'declaration.request_made',
      actor: caller.actor,
      requestId: caller.requestId,
      reason,
      details: { request: request.id, kind, ...(preview ?? {}) },
    });
    return after;
  }

  /**
   * An amendment after registration keeps what the PRN and the release hang on: the importer,
   * the transport document, the office, the regime and the exchange rate fixed at acceptance;
   * the goods and figures may change. Checked like a lodgement, on the same rules.
   */
  async function checkAmendmentRequest(tx: Tx, caller: Caller, row: DeclarationRow, body: DeclarationBody): Promise<Lodged> {
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
    const verification = await deps.verificationOf?.(tx, row.id);
    if (verification && !verification.amendable) {
      throw conflict(`Declaration ${row.reference ?? row.id} is under verification (task ${verification.task}): it cannot be amended until the check is done; the officer records any corrections`, {
        state: row.status,
        action: 'amend',
        task: verification.task,
      });
    }
    const now = clock.now();
    return checkLodgement(tx, deps, {
      declarationId: row.id,
      knownDocumentId: row.transport_document_id,
      body: { ...body, regime: row.regime },
      declarant: { organisationId: row.declarant_org_id, organisationKind: caller.principal.organisationKind },
      today: localDate(now),
      acceptanceDate: row.lodged_at ? localDate(row.lodged_at) : localDate(now),
    });
  }

  /** An officer's approval of an amendment: the new goods and figures, the difference asked or refunded, selection run again (never lower). */
  async function approveAmendment(tx: Tx, caller: Caller, row: DeclarationRow, request: DeclarationRequestRow, decision: string) {
    if (row.status !== 'registered' && row.status !== 'paid') {
      throw conflict(`The declaration is ${row.status}: an amendment is approved only while it is registered or paid (after release it is a post-clearance matter)`, { state: row.status });
    }
    const body = request.body as DeclarationBody;
    const lodged = await checkAmendmentRequest(tx, caller, row, body);
    await repo.replaceData(tx, row.id, { ...body, regime: row.regime });
    const context = { actor: caller.actor, requestId: caller.requestId, why: 'the approved amendment' };
    const due = await differenceDue(tx, row, lodged.assessment, context);
    // The amended goods are selected again; the channel never falls.
    const reference = row.reference as string;
    const { channel, reasons, selected, prior } = await select(tx, row, body, lodged, reference);
    const raised = channel !== row.channel;
    const patch: DeclarationPatch = {
      ...assessedFields(lodged, { channel, reasons, selected }),
      ...(raised && needsControl(channel) && row.control_status === 'none' ? { control_status: 'pending' as const } : {}),
      ...due.patch,
    };
    let after = await repo.update(tx, row.id, patch, clock.now());
    await drawLetters(tx, after, lodged.assessment, { actor: caller.actor, requestId: caller.requestId, reason: 'amendment approved' });
    await record(tx, row, after, {
      action: 'declaration.amended_on_request',
      actor: caller.actor,
      requestId: caller.requestId,
      reason: `${request.reason} (approved: ${decision})`,
      details: { assessmentDate: lodged.assessment.date, basis: lodged.basis, total: lodged.assessment.total, totals: lodged.assessment.totals, totalBefore: money(row.assessed_total ?? '0'), totalAfter: lodged.assessment.total, difference: money(due.difference), channel, risk: { reasons, score: selected.score, version: selected.version }, ...due.effect },
      subjects: [row.prn],
    });
    await openCheck(tx, row, lodged, { reference, channel, reasons, prior, requestId: caller.requestId });
    if (due.paidByCarryOver) {
      after = await markPaid(tx, after, after.prn === null ? 'nothing to pay after the approved amendment' : 'payments already received cover the amended amount', caller.requestId);
    }
    return { after, effect: { difference: money(due.difference), totalBefore: money(row.assessed_total ?? '0'), totalAfter: lodged.assessment.total, ...due.effect } };
  }

  function effectOf(row: DeclarationRow, c: { old: StoredAssessment; changes: CorrectionEffect['changes']; assessment: StoredAssessment }, status: string): CorrectionEffect {
    return {
      changes: c.changes,
      totalBefore: money(row.assessed_total ?? c.old.total),
      totalAfter: c.assessment.total,
      difference: money(new Dec(c.assessment.total).minus(row.assessed_total ?? c.old.total)),
      totalsBefore: c.old.totals,
      totalsAfter: c.assessment.totals,
      assessmentDate: c.assessment.date,
      declarationStatus: status,
    };
  }

  interface Consignment {
    documentId: string;
    document: TransportDocumentRef | undefined;
    declarations: DeclarationRow[];
    audience: 'customs' | 'trade' | 'carrier';
    asked?: DeclarationRow;
  }

  /** The consignment of a declaration, for a viewer who may follow it. */
  async function consignmentOfDeclaration(viewer: Principal, reference: string, bl: string | undefined): Promise<Consignment> {
    const asked = await repo.findByReference(db, reference);
    const sameNumber = (a: string, b: string) => a.trim().toUpperCase() === b.trim().toUpperCase();
    if (!asked?.transport_document_id || (bl !== undefined && !sameNumber(bl, asked.transport_document_number))) {
      throw notFound(`Consignment ${reference}`);
    }
    const documentId = asked.transport_document_id;
    const document = await deps.manifest.findTransportDocumentById(db, documentId);
    const declarations = await declarationsOn(documentId);
    const audience = await mayFollow(viewer, document, declarations);
    if (!audience) {
      throw notFound(`Consignment ${reference}`);
    }
    return { documentId, document, declarations, audience: followerAudience(audience), asked };
  }

  /** The consignment of a transport document number (with its carrier or manifest when the number is not unique). */
  async function consignmentOfDocument(viewer: Principal, query: TimelineQuery): Promise<Consignment> {
    const number = query.bl as string;
    let carrierOrgId: string | undefined;
    if (query.carrier !== undefined) {
      const carrier = await deps.parties.organisationByCode(db, query.carrier);
      if (carrier?.kind !== 'carrier') {
        throw notFound(`Consignment ${number} of carrier ${query.carrier}`);
      }
      carrierOrgId = carrier.id;
    }
    const candidates = await deps.manifest.findTransportDocuments(db, number, {
      ...(carrierOrgId === undefined ? {} : { carrierOrgId }),
      ...(query.manifest === undefined ? {} : { manifestReference: query.manifest }),
    });
    // Only documents this viewer may follow count: another carrier's B/L of the same number is
    // neither shown nor mentioned.
    const followable: Consignment[] = [];
    for (const document of candidates) {
      const declarations = await declarationsOn(document.id);
      const audience = await mayFollow(viewer, document, declarations);
      if (audience) {
        followable.push({ documentId: document.id, document, declarations, audience: followerAudience(audience) });
      }
    }
    const only = followable[0];
    if (!only) {
      throw notFound(`Consignment ${number}`);
    }
    if (followable.length > 1) {
      throw invalid([
        {
          pointer: '/querystring/bl',
          code: 'ambiguous_transport_document',
          message: `${number} is on ${followable.length} manifests you may follow (${followable.map((c) => c.document?.manifestReference ?? '?').join(', ')}); add carrier=CODE or manifest=REFERENCE`,
        },
      ]);
    }
    return only;
  }

  async function declarationsOn(documentId: string): Promise<DeclarationRow[]> {
    return (await repo.onDocument(db, { id: documentId }, declarationStatusesExceptDraft)).filter((d) => d.reference !== null);
  }

  const followerAudience = (follower: 'customs' | 'party' | 'carrier'): Consignment['audience'] => (follower === 'party' ? 'trade' : follower);

  const service = {
    tryRelease,

    /** Loads what is cached (reference sets) outside any transaction; call before opening one. */
    async ready(): Promise<void> {
      await deps.reference.sets();
    },

    async create(tx: Tx, caller: Caller, body: CreateBody): Promise<DeclarationView> {
      const { lodge, ...declared } = body;
      const refs = await deps.reference.sets();
      const regime = declared.regime ?? refs.procedureCodes.get(declared.cpc)?.regime ?? '';
      const normalised: DeclarationBody = { ...declared, ...(regime === '' ? {} : { regime }) };
      const importer = await deps.parties.organisationByPin(tx, declared.importerPin);
      const id = newId();
      const now = clock.now();
      const inserted = await repo.insert(tx, { id, declarantOrgId: caller.principal.organisationId, declarantUserId: caller.principal.id, importerOrgId: importer?.id ?? null, now }, normalised);
      let row = inserted.row;
      await recordAudit(tx, {
        actor: caller.actor,
        action: 'declaration.created',
        entityType: 'declaration',
        entityId: id,
        subjects: [row.transport_document_number],
        after: { status: row.status, version: row.version, items: declared.items.length },
        requestId: caller.requestId,
        at: now,
      });
      if (lodge) {
        row = await lodgeAndAssess(tx, caller, row, normalised, 'lodge');
      }
      // Just created: its items are those inserted, and no request can be pending on it.
      return view(tx, row, caller.principal, { items: inserted.items, pending: null });
    },

    async lodge(tx: Tx, caller: Caller, id: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'declarant');
      declarationLifecycle.next(row.status, 'lodge');
      const lodged = await lodgeAndAssess(tx, caller, row, bodyOf(row, await repo.items(tx, id)), 'lodge');
      return view(tx, lodged, caller.principal);
    },

    /**
     * Changes the goods or figures. A draft stays a draft; a lodged, assessed or queried
     * declaration is validated, assessed and selected again (answering a query). From
     * registration on the PRN's figures stand: cancel and lodge again instead.
     */
    async amend(tx: Tx, caller: Caller, id: string, body: AmendBody): Promise<{ view: DeclarationView; requested: boolean }> {
      const row = await lockFor(tx, caller, id, 'declarant');
      if (row.status === 'registered' || row.status === 'paid') {
        const { reason, ...declared } = body;
        if (reason === undefined || reason.trim().length < 3) {
          throw invalid([{ pointer: '/reason', code: 'required', message: 'an amendment after registration is a request to an officer: say why (at least 3 characters)' }]);
        }
        const asked = await requestChange(tx, caller, row, 'amend', reason.trim(), declared);
        return { view: await view(tx, asked, caller.principal), requested: true };
      }
      if (!amendableStatuses.includes(row.status)) {
        throw conflict(
          `The declaration is ${row.status}; it can be amended only while ${amendableStatuses.join(', ')} (before registration): once a PRN is issued its figures stand, so cancel it and lodge a new declaration`,
          { state: row.status, action: 'amend', allowedActions: declarationLifecycle.allowed(row.status) },
        );
      }
      const verification = await deps.verificationOf?.(tx, id);
      if (verification && !verification.amendable) {
        throw conflict(`Declaration ${row.reference ?? id} is under verification (task ${verification.task}): it cannot be amended until the check is done; the officer records any corrections`, {
          state: row.status,
          action: 'amend',
          task: verification.task,
        });
      }
      const { reason, ...declared } = body;
      const refs = await deps.reference.sets();
      const regime = declared.regime ?? refs.procedureCodes.get(declared.cpc)?.regime ?? '';
      const normalised: DeclarationBody = { ...declared, ...(regime === '' ? {} : { regime }) };
      await repo.replaceData(tx, id, normalised);
      if (row.status === 'draft') {
        const action: DeclarationAction = 'edit';
        const importer = await deps.parties.organisationByPin(tx, declared.importerPin);
        const edited = await repo.update(tx, id, { status: declarationLifecycle.next(row.status, action), importer_org_id: importer?.id ?? null }, clock.now());
        await record(tx, row, edited, { action: 'declaration.edited', actor: caller.actor, requestId: caller.requestId, reason: reason ?? null, details: { items: declared.items.length } });
        return { view: await view(tx, edited, caller.principal), requested: false };
      }
      const amended = await lodgeAndAssess(tx, caller, row, normalised, 'amend', reason ?? (row.status === 'queried' ? 'answer to the query' : undefined));
      return { view: await view(tx, amended, caller.principal), requested: false };
    },

    /** Registers the assessed declaration: a PRN to pay, or straight to paid when nothing is due. */
    async register(tx: Tx, caller: Caller, id: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'declarant');
      const status = declarationLifecycle.next(row.status, 'register');
      const total = new Dec(row.assessed_total ?? 0);
      const now = clock.now();
      if (total.isZero()) {
        const registered = await repo.update(tx, id, { status, registered_at: now }, now);
        await record(tx, row, registered, { action: 'declaration.registered', actor: caller.actor, requestId: caller.requestId, details: { total: money(total) } });
        const paid = await markPaid(tx, registered, 'nothing to pay: no PRN is needed', caller.requestId);
        await tryRelease(tx, id, caller.requestId);
        return view(tx, (await repo.find(tx, id)) ?? paid, caller.principal);
      }
      if (!row.reference || !row.importer_org_id) {
        throw conflict(`Declaration ${id} has no reference or importer; lodge it first`, { state: row.status });
      }
      const issued = await deps.payment.issuePrn(tx, {
        declarationId: id,
        declarationReference: row.reference,
        declarantOrgId: row.declarant_org_id,
        importerOrgId: row.importer_org_id,
        amount: money(total),
        slip: await slip(tx, row, row.assessment as StoredAssessment),
        actor: caller.actor,
        requestId: caller.requestId,
      });
      const registered = await repo.update(tx, id, { status, prn: issued.prn, registered_at: now }, now);
      await record(tx, row, registered, {
        action: 'declaration.registered',
        actor: caller.actor,
        requestId: caller.requestId,
        details: { prn: issued.prn, amount: issued.amount, validUntil: issued.validUntil.toISOString() },
      });
      return view(tx, registered, caller.principal);
    },

    /**
     * Cancels before registration at once; from registration (a PRN issued) to release it is a
     * request an officer approves or refuses. A paid cancellation records the refund due; an open
     * PRN is cancelled; an open verification stays open (it follows the goods).
     */
    async cancel(tx: Tx, caller: Caller, id: string, reason: string): Promise<{ view: DeclarationView; requested: boolean }> {
      const row = await lockFor(tx, caller, id, 'declarant');
      declarationLifecycle.next(row.status, 'cancel');
      if (row.status === 'registered' || row.status === 'paid') {
        const asked = await requestChange(tx, caller, row, 'cancel', reason);
        return { view: await view(tx, asked, caller.principal), requested: true };
      }
      const cancelled = await cancelNow(tx, row, { actor: caller.actor, requestId: caller.requestId, reason });
      return { view: await view(tx, cancelled, caller.principal), requested: false };
    },

    /** An officer approves or refuses the declarant's request to amend or cancel a registered declaration. */
    async decideRequest(tx: Tx, caller: Caller, id: string, requestId: string, body: RequestDecisionBody): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'customs');
      const request = await repo.pendingRequest(tx, id, { forUpdate: true });
      if (request?.id !== requestId) {
        const known = (await repo.requests(tx, id)).find((r) => r.id === requestId);
        if (!known) {
          throw notFound(`Request ${requestId} of declaration ${row.reference ?? id}`);
        }
        throw conflict(`Request ${requestId} was already ${known.status}`, { state: known.status });
      }
      const now = clock.now();
      let after = row;
      let effect: Record<string, unknown> | null = null;
      if (body.approve && request.kind === 'cancel') {
        declarationLifecycle.next(row.status, 'cancel');
        after = await cancelNow(tx, row, { actor: caller.actor, requestId: caller.requestId, reason: `${request.reason} (cancellation approved: ${body.reason})` });
        effect = { refundDue: after.refund_due };
      } else if (body.approve) {
        const approved = await approveAmendment(tx, caller, row, request, body.reason);
        after = approved.after;
        effect = approved.effect;
      }
      const decided = await repo.decideRequest(tx, request.id, { status: body.approve ? 'approved' : 'refused', by: { id: caller.actor.id, name: caller.actor.name }, at: now, reason: body.reason, effect });
      const latest = after === row ? await repo.update(tx, id, {}, now) : after;
      await record(tx, after, latest, {
        action: body.approve ? 'declaration.request_approved' : 'declaration.request_refused',
        actor: caller.actor,
        requestId: caller.requestId,
        reason: body.reason,
        details: { request: decided.id, kind: decided.kind, ...(effect ?? {}) },
      });
      return view(tx, latest, caller.principal);
    },

    /** The declarant takes back its pending request. */
    async withdrawRequest(tx: Tx, caller: Caller, id: string, requestId: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'declarant');
      const request = await repo.pendingRequest(tx, id, { forUpdate: true });
      if (request?.id !== requestId) {
        throw notFound(`Pending request ${requestId} of declaration ${row.reference ?? id}`);
      }
      const now = clock.now();
      await repo.decideRequest(tx, request.id, { status: 'withdrawn', by: { id: caller.actor.id, name: caller.actor.name }, at: now, reason: 'withdrawn by the declarant', effect: null });
      const after = await repo.update(tx, id, {}, now);
      await record(tx, row, after, { action: 'declaration.request_withdrawn', actor: caller.actor, requestId: caller.requestId, details: { request: request.id, kind: request.kind } });
      return view(tx, after, caller.principal);
    },

    /** Every request made on a declaration, newest first. */
    async requests(viewer: Principal, id: string) {
      const row = await repo.find(db, id);
      if (!row || !maySee(viewer, row)) {
        throw notFound(`Declaration ${id}`);
      }
      return { items: (await repo.requests(db, id)).map((r) => requestView(r, isCustoms(viewer))) };
    },

    /** An officer's query: the declaration waits in "queried" until the declarant amends it. */
    async query(tx: Tx, caller: Caller, id: string, reason: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'customs');
      const status = declarationLifecycle.next(row.status, 'query');
      const queried = await repo.update(tx, id, { status, query: JSON.stringify({ reason, by: caller.actor.name, at: clock.now().toISOString() }) }, clock.now());
      await record(tx, row, queried, { action: 'declaration.queried', actor: caller.actor, requestId: caller.requestId, reason });
      return view(tx, queried, caller.principal);
    },

    async reject(tx: Tx, caller: Caller, id: string, reason: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'customs');
      const status = declarationLifecycle.next(row.status, 'reject');
      const rejected = await repo.update(tx, id, { status, status_reason: reason }, clock.now());
      await drawLetters(tx, rejected, null, { actor: caller.actor, requestId: caller.requestId, reason: 'declaration rejected' });
      await record(tx, row, rejected, { action: 'declaration.rejected', actor: caller.actor, requestId: caller.requestId, reason });
      return view(tx, rejected, caller.principal);
    },

    /** Records the officer's control of a yellow or red declaration; passed may complete the release. */
    async recordControl(tx: Tx, caller: Caller, id: string, body: ControlBody): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'customs');
      const verification = await deps.verificationOf?.(tx, id);
      if (verification) {
        throw conflict(`Declaration ${row.reference ?? id} is under verification (task ${verification.task}): the officer the task was drawn for records the findings on it`, {
          state: row.status,
          task: verification.task,
        });
      }
      if (!controllableStatuses.includes(row.status)) {
        throw conflict(`The declaration is ${row.status}; a control result is recorded only while it is ${controllableStatuses.join(', ')}`, { state: row.status });
      }
      const controlStatus = controlLifecycle.next(row.control_status, body.result === 'passed' ? 'pass' : 'fail');
      const now = clock.now();
      const controlled = await repo.update(
        tx,
        id,
        { control_status: controlStatus, control: JSON.stringify({ result: body.result, findings: body.findings, officer: caller.actor.name, at: now.toISOString() }) },
        now,
      );
      await record(tx, row, controlled, {
        action: `declaration.control_${body.result}`,
        actor: caller.actor,
        requestId: caller.requestId,
        reason: body.findings,
        details: { controlStatus },
      });
      if (controlStatus === 'passed') {
        await tryRelease(tx, id, caller.requestId);
      }
      return view(tx, (await repo.find(tx, id)) ?? controlled, caller.principal);
    },

    async get(viewer: Principal, id: string): Promise<DeclarationView> {
      const row = await repo.find(db, id);
      if (!row || !maySee(viewer, row)) {
        throw notFound(`Declaration ${id}`);
      }
      return view(db, row, viewer);
    },

    async getByReference(viewer: Principal, reference: string): Promise<DeclarationView> {
      const row = await repo.findByReference(db, reference);
      if (!row || !maySee(viewer, row)) {
        throw notFound(`Declaration ${reference}`);
      }
      return view(db, row, viewer);
    },

    async list(viewer: Principal, query: ListQuery) {
      const limit = query.limit ?? 50;
      let after: { createdAt: Date; id: string } | undefined;
      if (query.cursor !== undefined) {
        after = decodeCursor(query.cursor);
      }
      const rows = await repo.list(db, {
        ...(isCustoms(viewer) ? {} : { organisationId: viewer.organisationId }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.pendingRequest === undefined ? {} : { pendingRequest: query.pendingRequest }),
        ...(query.from === undefined ? {} : { createdFrom: nairobiMidnight(query.from, 0) }),
        ...(query.to === undefined ? {} : { createdBefore: nairobiMidnight(query.to, 1) }),
        ...(after ? { after } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const pending = await repo.pendingRequestsOf(
        db,
        page.map((r) => r.id),
      );
      return {
        items: page.map((r) => {
          const request = pending.get(r.id);
          return summaryView(r, viewer, request ? requestView(request, isCustoms(viewer)) : null);
        }),
        nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
      };
    },

    /**
     * Every audited step of a consignment, for those who may follow it (404 for anyone else), as
     * their audience may read it (declaration.timeline.ts). A consignment is one transport
     * document, found by its number and, when two carriers use the number, its carrier or
     * manifest; or by a declaration's reference.
     */
    async timeline(viewer: Principal, query: TimelineQuery) {
      if (query.bl === undefined && query.declaration === undefined) {
        throw invalid([{ pointer: '/querystring/bl', code: 'required', message: 'give bl (a transport document number) or declaration (a declaration reference)' }]);
      }
      const followed = query.declaration !== undefined ? await consignmentOfDeclaration(viewer, query.declaration, query.bl) : await consignmentOfDocument(viewer, query);
      const { documentId, document, declarations, audience, asked } = followed;
      // Each declaration's own references: the entity ids its audit records carry.
      const owner = new Map<string, DeclarationRow>();
      for (const d of declarations) {
        for (const id of [d.id, d.reference, d.prn, d.release_order_number]) {
          if (id) {
            owner.set(id, d);
          }
        }
      }
      const shown = asked ? [asked] : declarations;
      const subjects = [documentSubject(documentId), ...shown.flatMap((d) => [d.reference, d.prn, d.release_order_number])].filter((s): s is string => !!s);
      let events = await auditTimeline(db, [...new Set(subjects)]);
      if (asked) {
        // One declaration asked for: the B/L's own steps and this declaration's, not its siblings'.
        events = events.filter((e) => {
          const of = owner.get(e.entityId);
          return of === undefined || of.id === asked.id;
        });
      }
      const organisationNames = new Map<string, string>();
      for (const orgId of new Set(events.map((e) => e.actor.organisationId).filter((o): o is string => o !== null && o !== viewer.organisationId))) {
        const org = await deps.parties.organisation(db, orgId);
        if (org) {
          organisationNames.set(orgId, org.name);
        }
      }
      const context = { audience, viewerOrgId: viewer.organisationId, organisationNames, documentId, declarationOf: (entityId: string) => owner.get(entityId)?.reference ?? null };
      const entries = events.map((e) => timelineEntry(e, context)).filter((e): e is TimelineEntry => e !== undefined);
      return {
        transportDocument: {
          id: documentId,
          number: document?.number ?? asked?.transport_document_number ?? query.bl ?? null,
          manifestReference: document?.manifestReference ?? null,
          expectedArrival: document?.expectedArrival.toISOString() ?? null,
          actualArrival: document?.actualArrival?.toISOString() ?? null,
        },
        declarations: declarations.map((d) => ({
          reference: d.reference,
          status: d.status,
          // The carrier learns the goods may leave, not what was paid.
          ...(audience === 'carrier' ? {} : { prn: d.prn }),
          releaseOrderNumber: d.release_order_number,
        })),
        events: entries,
      };
    },

    // --- What verification (the inspection module) asks of a declaration -----------------------

    async forVerification(q: Kysely<DB>, declarationId: string): Promise<VerificationSubject | undefined> {
      const row = await repo.find(q, declarationId);
      if (!row?.reference || !row.importer_org_id) {
        return undefined;
      }
      const items = await repo.items(q, row.id);
      return {
        id: row.id,
        reference: row.reference,
        status: row.status,
        officeCode: row.office_code,
        transportDocumentNumber: row.transport_document_number,
        declarantOrgId: row.declarant_org_id,
        importerOrgId: row.importer_org_id,
        channel: row.channel,
        controlStatus: row.control_status,
        assessedTotal: row.assessed_total ?? '0.00',
        invoiceCurrency: row.invoice_currency,
        items: items.map((i) => ({ itemNo: i.item_no, hsCode: i.hs_code, description: i.description, originCountry: i.origin_country, quantity: i.quantity, unit: i.unit, itemPrice: i.item_price })),
      };
    },

    /** What the corrections would change, stored nowhere; a 422 points at /items/k/... */
    async previewCorrection(q: Kysely<DB>, declarationId: string, corrections: Correction[]): Promise<CorrectionEffect> {
      const row = await repo.find(q, declarationId);
      if (!row) {
        throw notFound(`Declaration ${declarationId}`);
      }
      return effectOf(row, await correctedAssessment(q, row, corrections), row.status);
    },

    /**
     * Stores the corrections and the new assessment, and asks for the difference: before payment
     * a replacement PRN (the old one superseded), after payment a supplementary PRN for what is
     * more, or a refund due for what is less. The declaration keeps its status; release still
     * waits for the control, which verification passes once the difference is paid.
     */
    async applyCorrection(tx: Tx, declarationId: string, corrections: Correction[], context: { actor: Actor; requestId: string | null; reason: string }): Promise<CorrectionEffect> {
      const row = await repo.find(tx, declarationId, { forUpdate: true });
      if (!row) {
        throw notFound(`Declaration ${declarationId}`);
      }
      if (!['lodged', 'assessed', 'queried', 'registered', 'paid', 'released', 'exited'].includes(row.status)) {
        throw conflict(`The declaration is ${row.status}; it cannot be corrected`, { state: row.status });
      }
      const c = await correctedAssessment(tx, row, corrections);
      const effect = effectOf(row, c, row.status);
      await repo.replaceData(tx, row.id, c.body);
      const due = await differenceDue(tx, row, c.assessment, { ...context, why: 'verification' });
      Object.assign(effect, due.effect);
      const patch: DeclarationPatch = { assessment: JSON.stringify(c.assessment), assessed_total: c.assessment.total, ...due.patch };
      const paidByCarryOver = due.paidByCarryOver;
      let after = await repo.update(tx, row.id, patch, clock.now());
      await drawLetters(tx, after, c.assessment, { actor: context.actor, requestId: context.requestId, reason: 'corrected on verification' });
      await record(tx, row, after, {
        action: 'declaration.corrected',
        actor: context.actor,
        requestId: context.requestId,
        reason: context.reason,
        details: { changes: c.changes, totalBefore: effect.totalBefore, totalAfter: effect.totalAfter, difference: effect.difference, ...(effect.prn ? { prn: effect.prn } : {}), ...(effect.refundDue ? { refundDue: effect.refundDue } : {}) },
        subjects: [row.prn],
      });
      if (paidByCarryOver) {
        after = await markPaid(tx, after, patch.prn === null ? 'nothing to pay after verification' : 'payments already received cover the corrected amount', context.requestId);
        effect.declarationStatus = after.status;
      }
      return effect;
    },

    /** Refuses (403) an agent that may no longer act for the declaration's importer. */
    async checkAuthority(q: Kysely<DB>, organisationId: string, declarationId: string): Promise<void> {
      const row = await repo.find(q, declarationId);
      if (row) {
        await checkAuthority(q, organisationId, row);
      }
    },

    /** Verification passed the control: release follows if the declaration is paid and arrived. */
    async passControl(tx: Tx, declarationId: string, context: { findings: string; actor: Actor; requestId: string | null }): Promise<void> {
      const row = await repo.find(tx, declarationId, { forUpdate: true });
      if (row?.control_status !== 'pending') {
        return;
      }
      const now = clock.now();
      const passed = await repo.update(
        tx,
        row.id,
        { control_status: controlLifecycle.next(row.control_status, 'pass'), control: JSON.stringify({ result: 'passed', findings: context.findings, officer: context.actor.name, at: now.toISOString() }) },
        now,
      );
      await record(tx, row, passed, { action: 'declaration.control_passed', actor: context.actor, requestId: context.requestId, reason: context.findings, details: { controlStatus: 'passed' } });
      await tryRelease(tx, row.id, context.requestId);
    },

    /** Payment module callback, inside the bank's confirmation transaction. */
    async onSettled(tx: Tx, settlement: Settlement): Promise<void> {
      const row = await repo.find(tx, settlement.declarationId, { forUpdate: true });
      if (!row) {
        throw new Error(`payment settled PRN ${settlement.prn} of unknown declaration ${settlement.declarationId}`);
      }
      if (row.status === 'registered' && row.prn === settlement.prn && new Dec(settlement.paidTotal).gte(settlement.amount)) {
        await markPaid(tx, row, `PRN ${settlement.prn} paid: KES ${money(settlement.paidTotal)}`, null, [settlement.prn]);
        await tryRelease(tx, row.id);
      } else if (row.status === 'cancelled') {
        // Money that reached a cancelled declaration goes back to the payer.
        const after = await repo.update(tx, row.id, { refund_due: money(new Dec(row.refund_due ?? 0).plus(settlement.paidTotal)) }, clock.now());
        await record(tx, row, after, { action: 'declaration.refund_due', actor: systemActor, reason: `PRN ${settlement.prn} paid after cancellation: KES ${money(settlement.paidTotal)} is refundable`, subjects: [settlement.prn] });
      }
    },

    /** Release module callback, inside the gate-out transaction. */
    async onExited(tx: Tx, exit: GateOut): Promise<void> {
      const row = await repo.find(tx, exit.declarationId, { forUpdate: true });
      if (!row || row.status === 'exited') {
        return;
      }
      const exited = await repo.update(tx, row.id, { status: declarationLifecycle.next(row.status, 'exit'), exited_at: exit.at }, clock.now());
      await record(tx, row, exited, { action: 'declaration.exited', actor: systemActor, reason: 'gate-out reported by the terminal', subjects: [row.release_order_number] });
    },

    /**
     * Outbox subscriber for `manifest.arrived`: re-assesses pre-arrival declarations on the
     * arrival date's rates and releases what was waiting only for the goods. Each declaration
     * is its own transaction; the work is idempotent, so a redelivered event changes nothing.
     */
    async onArrival(event: OutboxEvent, database: Kysely<DB>): Promise<void> {
      const arrived = event.payload as ManifestArrived;
      const arrivedAt = new Date(arrived.actualArrival);
      const failures: unknown[] = [];
      await service.ready();
      for (const document of arrived.documents) {
        for (const row of await repo.onDocument(database, { id: document.id }, awaitingArrival)) {
          try {
            await inTransaction(database, async (tx) => {
              await reassessOnArrival(tx, row.id, arrivedAt);
              await tryRelease(tx, row.id);
            });
          } catch (err) {
            failures.push(err);
          }
        }
      }
      if (failures.length > 0) {
        // Redelivery retries them all; those already done are no-ops.
        throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
      }
    },
  };
  return service;
}

export type DeclarationService = ReturnType<typeof declarationService>;

const declarationStatusesExceptDraft: readonly DeclarationStatus[] = ['lodged', 'assessed', 'queried', 'registered', 'paid', 'released', 'exited', 'cancelled', 'rejected'];

/** Which national settings, charge rates and tariff lines changed between two assessments, in words. */
function describeChanges(old: StoredAssessment, fresh: StoredAssessment): string {
  const byKey = (a: StoredAssessment) => new Map(a.rulesUsed.filter((r) => r.kind !== 'exchange-rate').map((r) => [`${r.kind}:${r.key}`, r]));
  const before = byKey(old);
  const changes: string[] = [];
  for (const [key, rule] of byKey(fresh)) {
    const was = before.get(key);
    if (was && was.id !== rule.id) {
      const show = (v: unknown) => (v === undefined ? `version from ${rule.validFrom}` : typeof v === 'string' ? v : JSON.stringify(v));
      changes.push(
        rule.kind === 'setting' || rule.kind === 'charge-rate'
          ? `${rule.key} ${show(was.value)} -> ${show(rule.value)} (from ${rule.validFrom})`
          : `${rule.kind === 'tariff-line' ? 'tariff line' : rule.kind} ${rule.key} changed on ${rule.validFrom}`,
      );
    }
  }
  return changes.join(', ');
}

function encodeCursor(row: DeclarationRow): string {
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw invalid([{ pointer: '/querystring/cursor', code: 'invalid_cursor', message: 'is not a cursor this API gave; use nextCursor from the previous page' }]);
  }
  return { createdAt, id };
}

/** Start of a Nairobi day (UTC+3 all year), `plusDays` later. */
function nairobiMidnight(date: string, plusDays: number): Date {
  const d = new Date(`${date}T00:00:00+03:00`);
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d;
}
