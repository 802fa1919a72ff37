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
import { conflict, forbidden, invalid, notFound, ProblemError } from '#platform/http/problem.ts';
import { isCustoms, type Principal } from '#platform/http/auth.ts';
import { publish, type OutboxEvent } from '#platform/events/outbox.ts';
import { recordAudit, systemActor, timeline as auditTimeline, type Actor } from '#modules/audit/index.ts';
import { needsControl, type Channel, type DeclarationForRisk, type Selectivity } from '#modules/risk/index.ts';
import type { DeclarationRow, DeclarationStatus } from './declaration.tables.ts';
import { amendableStatuses, controllableStatuses, controlLifecycle, declarationLifecycle, type DeclarationAction } from './declaration.state.ts';
import type { AmendBody, ControlBody, CreateBody, DeclarationBody, ListQuery, TimelineQuery } from './declaration.schemas.ts';
import { bodyOf, declarationRepository as repo, type DeclarationPatch } from './declaration.repository.ts';
import { checkLodgement, goodsFrom, type LodgementDeps, type Lodged } from './declaration.validation.ts';
import { corrected } from './declaration.corrections.ts';
import type { Correction, CorrectionEffect, SelectedDeclaration, VerificationSubject } from '#modules/inspection/index.ts';
import { AssessmentErrors, assessGoods, rulesKey, slipOf, type StoredAssessment } from './declaration.assessment.ts';
import type { GateOut, ManifestArrived, PaymentPort, ReleasePort, Settlement, TransportDocumentRef } from './declaration.ports.ts';
import { declarationView, summaryView, withoutRisk, type DeclarationView } from './declaration.view.ts';

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

/** Who may see a declaration: customs, its declarant, and its importer once it is lodged. */
export function maySee(viewer: Principal, row: DeclarationRow): boolean {
  return isCustoms(viewer) || row.declarant_org_id === viewer.organisationId || (row.importer_org_id === viewer.organisationId && row.status !== 'draft');
}

export function declarationService(deps: DeclarationServiceDeps) {
  const { db, clock } = deps;

  function subjectsOf(row: DeclarationRow, ...more: (string | null | undefined)[]): string[] {
    return [row.reference, row.transport_document_number, row.prn, ...more].filter((s): s is string => typeof s === 'string' && s !== '');
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

  function riskInput(row: DeclarationRow, body: DeclarationBody, lodged: Lodged, reference: string, aeo: boolean, today: string): DeclarationForRisk {
    return {
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
      body,
      declarant: { organisationId: row.declarant_org_id, organisationKind: caller.principal.organisationKind },
      today,
      acceptanceDate,
    });
    const reference = row.reference ?? (await newReference(tx, today.slice(0, 4), body.officeCode.toUpperCase(), lodged.regime));
    const aeo = await deps.parties.isAeo(tx, lodged.importer.id);
    // In the lodgement's transaction: the engine's decision commits or rolls back with it.
    const selected = await deps.selectivity.assign(riskInput(row, body, lodged, reference, aeo, today), tx);
    let channel = selected.channel;
    const reasons = [...selected.reasons];
    if (row.channel && channelRank[row.channel] > channelRank[channel]) {
      reasons.push(`channel kept at ${row.channel} from the earlier lodgement: an amendment does not lower the channel (selected now: ${channel})`);
      channel = row.channel;
    }
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
        lodged_at: row.lodged_at ?? now,
        query: null,
        assessment: JSON.stringify(lodged.assessment),
        assessment_date: lodged.assessment.date,
        assessment_basis: lodged.basis,
        assessed_total: lodged.assessment.total,
        channel,
        channel_reasons: JSON.stringify(reasons),
        risk_score: selected.score,
        selectivity_version: selected.version,
        control_status: needsControl(channel) ? 'pending' : 'none',
        control: null,
        assessed_at: now,
      },
      now,
      2,
    );
    const lodgedRow: DeclarationRow = { ...row, status: lodgedStatus, reference, version: row.version + 1, updated_at: now };
    await record(tx, row, lodgedRow, {
      action: action === 'lodge' ? 'declaration.lodged' : 'declaration.amended',
      actor: caller.actor,
      requestId: caller.requestId,
      reason: reason ?? null,
      details: { reference, importerPin: lodged.importer.pin, packages: lodged.packages, grossMassKg: lodged.grossMassKg.toString(), items: body.items.length },
    });
    if (deps.onSelected && channel !== 'green') {
      await deps.onSelected(tx, {
        declarationId: row.id,
        reference,
        transportDocumentNumber: lodged.document.number,
        declarantOrgId: row.declarant_org_id,
        importerOrgId: lodged.importer.id,
        officeCode: body.officeCode.toUpperCase(),
        channel,
        reasons,
        requestId: caller.requestId,
      });
    }
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

  async function view(q: Kysely<DB>, row: DeclarationRow, viewer: Principal): Promise<DeclarationView> {
    const [items, declarant, importer] = await Promise.all([
      repo.items(q, row.id),
      deps.parties.organisation(q, row.declarant_org_id),
      row.importer_org_id ? deps.parties.organisation(q, row.importer_org_id) : undefined,
    ]);
    return declarationView(row, items, viewer, { declarant, importer });
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
      let row = await repo.insert(tx, { id, declarantOrgId: caller.principal.organisationId, declarantUserId: caller.principal.id, importerOrgId: importer?.id ?? null, now }, normalised);
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
      return view(tx, row, caller.principal);
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
    async amend(tx: Tx, caller: Caller, id: string, body: AmendBody): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'declarant');
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
        return view(tx, edited, caller.principal);
      }
      const amended = await lodgeAndAssess(tx, caller, row, normalised, 'amend', reason ?? (row.status === 'queried' ? 'answer to the query' : undefined));
      return view(tx, amended, caller.principal);
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

    /** Cancels before release. A paid cancellation records the refund due; an open PRN is cancelled. */
    async cancel(tx: Tx, caller: Caller, id: string, reason: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'declarant');
      const status = declarationLifecycle.next(row.status, 'cancel');
      const patch: DeclarationPatch = { status, cancelled_at: clock.now(), status_reason: reason };
      let refund: string | undefined;
      if (row.status === 'registered') {
        await deps.payment.cancelPrn(tx, { declarationId: id, reason: `declaration cancelled: ${reason}`, actor: caller.actor, requestId: caller.requestId });
      }
      if (row.status === 'paid' || row.status === 'registered') {
        const balance = await deps.payment.balance(tx, id);
        const paid = new Dec(balance.paid);
        if (paid.isPositive()) {
          refund = money(paid);
          patch.refund_due = refund;
        }
      }
      const cancelled = await repo.update(tx, id, patch, clock.now());
      await record(tx, row, cancelled, {
        action: 'declaration.cancelled',
        actor: caller.actor,
        requestId: caller.requestId,
        reason: refund ? `${reason} (KES ${refund} paid is refundable)` : reason,
        details: refund ? { refundDue: refund } : {},
      });
      return view(tx, cancelled, caller.principal);
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
        ...(query.from === undefined ? {} : { createdFrom: nairobiMidnight(query.from, 0) }),
        ...(query.to === undefined ? {} : { createdBefore: nairobiMidnight(query.to, 1) }),
        ...(after ? { after } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => summaryView(r, viewer)),
        nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
      };
    },

    /** Every audited step of a consignment, for those who may follow it; 404 for anyone else. */
    async timeline(viewer: Principal, query: TimelineQuery) {
      if (query.bl === undefined && query.declaration === undefined) {
        throw invalid([{ pointer: '/querystring/bl', code: 'required', message: 'give bl (a transport document number) or declaration (a declaration reference)' }]);
      }
      let number = query.bl;
      if (query.declaration !== undefined) {
        const declaration = await repo.findByReference(db, query.declaration);
        if (!declaration || (number !== undefined && number !== declaration.transport_document_number)) {
          throw notFound(`Consignment ${query.declaration}`);
        }
        number = declaration.transport_document_number;
      }
      const blNumber = number as string;
      let document: TransportDocumentRef | undefined;
      try {
        document = await deps.manifest.findTransportDocument(db, blNumber);
      } catch (err) {
        // The same number on two carriers' manifests: follow the declarations alone.
        if (!(err instanceof ProblemError) || err.status !== 409) {
          throw err;
        }
      }
      const declarations = (await repo.onDocument(db, { number: document?.number ?? blNumber }, declarationStatusesExceptDraft)).filter((d) => d.reference !== null);
      const audience = document || declarations.length > 0 ? await mayFollow(viewer, document, declarations) : undefined;
      if (!audience) {
        throw notFound(`Consignment ${query.bl ?? query.declaration ?? ''}`);
      }
      // Each declaration's own references: the entity ids its audit records carry.
      const owner = new Map<string, DeclarationRow>();
      for (const d of declarations) {
        for (const id of [d.id, d.reference, d.prn, d.release_order_number]) {
          if (id) {
            owner.set(id, d);
          }
        }
      }
      const asked = query.declaration === undefined ? undefined : declarations.find((d) => d.reference === query.declaration?.toUpperCase());
      const followed = asked ? [asked] : declarations;
      const subjects = [document?.number ?? blNumber, ...followed.flatMap((d) => [d.reference, d.prn, d.release_order_number])].filter((s): s is string => !!s);
      let events = await auditTimeline(db, [...new Set(subjects)]);
      if (asked) {
        // One declaration asked for: the B/L's own steps and this declaration's, not its siblings'.
        events = events.filter((e) => {
          const of = owner.get(e.entityId);
          return of === undefined || of.id === asked.id;
        });
      }
      return {
        transportDocument: document
          ? { number: document.number, manifestReference: document.manifestReference, expectedArrival: document.expectedArrival.toISOString(), actualArrival: document.actualArrival?.toISOString() ?? null }
          : { number: blNumber },
        declarations: declarations.map((d) => ({ reference: d.reference, status: d.status, prn: d.prn, releaseOrderNumber: d.release_order_number })),
        events: events.map((e) => ({
          at: e.at.toISOString(),
          action: e.action,
          entityType: e.entityType,
          declaration: owner.get(e.entityId)?.reference ?? null,
          actor: { name: e.actor.name, role: e.actor.role },
          reason: e.reason,
          details: detailsFor(audience, e.entityType, e.after, document?.number ?? blNumber),
        })),
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
      const difference = new Dec(effect.difference);
      await repo.replaceData(tx, row.id, c.body);
      const patch: DeclarationPatch = { assessment: JSON.stringify(c.assessment), assessed_total: c.assessment.total };
      let paidByCarryOver = false;
      if (!difference.isZero() && row.reference && row.importer_org_id) {
        const prnFor = async (amount: string) =>
          deps.payment.issuePrn(tx, {
            declarationId: row.id,
            declarationReference: row.reference as string,
            declarantOrgId: row.declarant_org_id,
            importerOrgId: row.importer_org_id as string,
            amount,
            slip: await slip(tx, row, c.assessment),
            actor: context.actor,
            requestId: context.requestId,
          });
        if (row.status === 'registered' && new Dec(c.assessment.total).isZero()) {
          await deps.payment.cancelPrn(tx, { declarationId: row.id, reason: 'nothing to pay after verification', actor: context.actor, requestId: context.requestId });
          patch.prn = null;
          paidByCarryOver = true;
        } else if (row.status === 'registered') {
          const issued = await prnFor(c.assessment.total);
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
      }
      let after = await repo.update(tx, row.id, patch, clock.now());
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

/** Which national settings and tariff lines changed between two assessments, in words. */
function describeChanges(old: StoredAssessment, fresh: StoredAssessment): string {
  const byKey = (a: StoredAssessment) => new Map(a.rulesUsed.filter((r) => r.kind !== 'exchange-rate').map((r) => [`${r.kind}:${r.key}`, r]));
  const before = byKey(old);
  const changes: string[] = [];
  for (const [key, rule] of byKey(fresh)) {
    const was = before.get(key);
    if (was && was.id !== rule.id) {
      const show = (v: unknown) => (v === undefined ? `version from ${rule.validFrom}` : typeof v === 'string' ? v : JSON.stringify(v));
      changes.push(rule.kind === 'setting' ? `${rule.key} ${show(was.value)} -> ${show(rule.value)} (from ${rule.validFrom})` : `tariff line ${rule.key} changed on ${rule.validFrom}`);
    }
  }
  return changes.join(', ');
}

/**
 * What a follower of the consignment may read of an audit record: customs everything; the
 * importer and its agents no risk reasons and, of a manifest, only their own B/L; the carrier
 * the steps of the declaration and payment but not their figures.
 */
function detailsFor(audience: 'customs' | 'party' | 'carrier', entityType: string, after: unknown, bl: string): unknown {
  if (audience === 'customs') {
    return after;
  }
  if (audience === 'carrier' && ['declaration', 'payment_reference', 'payment'].includes(entityType)) {
    return null;
  }
  const details = withoutRisk(after);
  if (details !== null && typeof details === 'object' && Array.isArray((details as { documents?: unknown }).documents)) {
    const documents = (details as { documents: { number?: unknown }[] }).documents.filter((d) => d.number === bl);
    return { ...details, documents };
  }
  return details;
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
