// Import declarations from draft to exit: the declaration's own commands (create, lodge, amend,
// register, cancel, query, reject, control, requests, reads and the consignment's timeline), and
// the callbacks through which other modules move it on. The flows that cross modules live in
// flows/, each one function of named steps that this service calls:
//
//   lodge -> validate, assess (rates in force on arrival), select a channel  flows/lodge-and-assess.ts
//   register -> PRN (payment module)                                          -> registered
//   the bank pays -> payment calls onSettled in its transaction               -> paid
//   paid AND (green/blue OR control passed) AND conveyance arrived            flows/release.ts
//   the conveyance arrives: pre-arrival declarations re-assessed              flows/reassess-on-arrival.ts
//   verification corrects the goods: the difference asked or refunded        flows/corrections.ts
//   after registration, amend or cancel is a request an officer decides       flows/change-requests.ts, flows/change-decisions.ts
//   the terminal reports gate-out -> release calls onExited                   -> exited
//
// Every change is one transaction with its audit record; every status change goes through the
// platform's transition() (declaration.steps.ts moveDeclaration), which also publishes it on the
// outbox (`declaration.status_changed`) for whoever must hear of it.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { localDate } from '#platform/clock.ts';
import { Dec } from '#platform/money.ts';
import { newId } from '#platform/ids.ts';
import { conflict, forbidden, invalid, notFound, ProblemError } from '#platform/http/problem.ts';
import { isCustoms, type Principal } from '#platform/http/auth.ts';
import type { OutboxEvent } from '#platform/events/outbox.ts';
import { recordAudit, systemActor, timeline as auditTimeline, type Actor } from '#modules/audit/index.ts';
import { documentSubject } from '#modules/manifest/index.ts';
import type { Correction, CorrectionEffect, VerificationSubject } from '#modules/inspection/index.ts';
import type { DeclarationItemRow, DeclarationRow, DeclarationStatus } from './declaration.tables.ts';
import { amendableStatuses, controllableStatuses, controlLifecycle, declarationLifecycle } from './declaration.state.ts';
import type { AmendBody, ControlBody, CreateBody, DeclarationBody, ListQuery, RequestDecisionBody, TimelineQuery } from './declaration.schemas.ts';
import { bodyOf, declarationRepository as repo, mayBeReExported, type DeclarationRead, type NewDeclaration } from './declaration.repository.ts';
import { checkNotUnderVerification } from './declaration.validation.ts';
import type { StoredAssessment } from './declaration.assessment.ts';
import type { GateOut, Settlement, TransportDocumentRef } from './declaration.ports.ts';
import { declarationView, requestView, summaryView, type DeclarationView } from './declaration.view.ts';
import { timelineEntry, type TimelineEntry } from './declaration.timeline.ts';
import { cancelNow, checkAuthority, drawLetters, markPaid, money, moveDeclaration, paymentSlip, recordChange, type Caller, type DeclarationServiceDeps } from './declaration.steps.ts';
import { lodgeAndAssess } from './flows/lodge-and-assess.ts';
import { tryRelease } from './flows/release.ts';
import { reassessOnArrival } from './flows/reassess-on-arrival.ts';
import { correctAssessment } from './flows/corrections.ts';
import { requestChange } from './flows/change-requests.ts';
import { decideChangeRequest } from './flows/change-decisions.ts';
import { confirmExit, lodgeExport } from './flows/export.ts';
import { isExport } from './declaration.export.ts';
import type { ExitBody, ExportBody } from './declaration.export.schemas.ts';
import { renderProofOfExit } from './declaration.proof.ts';

export type { Caller, DeclarationServiceDeps } from './declaration.steps.ts';

/** Who may see a declaration: customs, its declarant, and its importer once it is lodged. */
export function maySee(viewer: Principal, row: DeclarationRow): boolean {
  return isCustoms(viewer) || row.declarant_org_id === viewer.organisationId || (row.importer_org_id === viewer.organisationId && row.status !== 'draft');
}

export function declarationService(deps: DeclarationServiceDeps) {
  const { db, clock } = deps;

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
      await checkAuthority(deps, tx, caller.principal.organisationId, row);
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


  /** What the view shows beside the row, when the caller has it already: a new declaration's items and no request, or all of a status read. */
  type Known = { items: DeclarationItemRow[]; pending: null } | Omit<DeclarationRead, 'row'>;

  /** The declaration as the viewer may see it; `known` spares reading back what the caller has just written or read. */
  async function view(q: Kysely<DB>, row: DeclarationRow, viewer: Principal, known?: Known): Promise<DeclarationView> {
    // A released import may have been re-exported in part: each item shows what is reserved and
    // written off. Everything here depends only on the row, so it is read at once, not in turn.
    const [items, declarant, importer, pending, reExports] = await Promise.all([
      known?.items ?? repo.items(q, row.id),
      deps.parties.organisation(q, row.declarant_org_id),
      row.importer_org_id ? deps.parties.organisation(q, row.importer_org_id) : undefined,
      known ? known.pending : repo.pendingRequest(q, row.id),
      known && 'reExports' in known ? known.reExports : mayBeReExported(row) ? repo.reExportsOf(q, row.id) : undefined,
    ]);
    return declarationView(row, items, viewer, { declarant, importer }, pending ? requestView(pending, isCustoms(viewer)) : null, reExports);
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


  interface Consignment {
    /** Undefined for an export, lodged before any transport document. */
    documentId: string | undefined;
    document: TransportDocumentRef | undefined;
    declarations: DeclarationRow[];
    audience: 'customs' | 'trade' | 'carrier';
    asked?: DeclarationRow;
  }

  /** The consignment of a declaration, for a viewer who may follow it. */
  async function consignmentOfDeclaration(viewer: Principal, reference: string, bl: string | undefined): Promise<Consignment> {
    const asked = await repo.findByReference(db, reference);
    if (asked && isExport(asked) && !asked.transport_document_id && bl === undefined) {
      // An export is lodged before any transport document: its consignment is the declaration itself,
      // followed by customs, its exporter and its declarant (a carrier or anyone else: not found).
      const org = viewer.organisationId;
      const follower = isCustoms(viewer) ? 'customs' : asked.importer_org_id === org || asked.declarant_org_id === org ? 'trade' : undefined;
      if (!follower || asked.status === 'draft') {
        throw notFound(`Consignment ${reference}`);
      }
      return { documentId: undefined, document: undefined, declarations: [asked], audience: follower, asked };
    }
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
    /** The release flow, for a caller already in a transaction (e.g. a test or a late trigger). */
    tryRelease: (tx: Tx, declarationId: string, requestId: string | null = null) => tryRelease(deps, tx, declarationId, requestId),

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
      const created: NewDeclaration = { id, declarantOrgId: caller.principal.organisationId, declarantUserId: caller.principal.id, importerOrgId: importer?.id ?? null, now };
      // Created and lodged at once: the draft stays in memory and is written once, lodged and
      // assessed, instead of inserted and then updated (the write a lodgement costs most).
      let { row, items } = lodge ? { row: repo.draft(created, normalised), items: [] as DeclarationItemRow[] } : await repo.insert(tx, created, normalised);
      await recordAudit(tx, {
        actor: caller.actor,
        action: 'declaration.created',
        entityType: 'declaration',
        entityId: id,
        subjects: [row.transport_document_number],
        after: { status: row.status, version: row.version, items: declared.items.length },
        requestId: caller.requestId,
        at: now,
        opensStream: true,
      });
      if (lodge) {
        row = await lodgeAndAssess(deps, tx, caller, row, normalised, 'lodge', undefined, async (status, columns) => {
          const stored = await repo.insert(tx, created, normalised, { ...columns, status });
          items = stored.items;
          return stored.row;
        });
      }
      // Just created: its items are those inserted, and no request can be pending on it.
      return view(tx, row, caller.principal, { items, pending: null });
    },

    /** Lodges an export declaration (EX1, EX3) at once: validated, assessed, selected (flows/export.ts). */
    async lodgeExport(tx: Tx, caller: Caller, body: ExportBody): Promise<DeclarationView> {
      const { row, items } = await lodgeExport(deps, tx, caller, body);
      return view(tx, row, caller.principal, { items, pending: null });
    },

    /**
     * The office of exit confirms an export left: the terminal there (offices it serves, read by
     * the caller before the transaction) or an officer on duty there. A terminal asking about an
     * export leaving elsewhere learns nothing of it (404), as with another office's release order.
     */
    async confirmExit(tx: Tx, caller: Caller, id: string, body: ExitBody, terminalOffices: readonly string[]): Promise<DeclarationView> {
      const row = await repo.find(tx, id, { forUpdate: true });
      const byTerminal = caller.principal.roles.includes('terminal');
      if (!row || (byTerminal && (!isExport(row) || !terminalOffices.includes(row.exit_office_code ?? ''))) || (!byTerminal && !isCustoms(caller.principal))) {
        throw notFound(`Declaration ${id}`);
      }
      let offices = terminalOffices;
      if (!byTerminal) {
        const at = caller.principal.kind === 'user' ? await deps.officeOnDuty?.(tx, caller.principal.id) : undefined;
        offices = at === undefined ? [] : [at];
      }
      const exited = await confirmExit(deps, tx, row, { caller, offices }, body);
      // A terminal reads no declaration: it learns that the exit is recorded, nothing more.
      return byTerminal ? { id: exited.id, version: exited.version, status: exited.status } : view(tx, exited, caller.principal);
    },

    /** The printable proof of exit (HTML), once exited, for the exporter, its declarant and customs. */
    async proofOfExit(viewer: Principal, id: string): Promise<string> {
      const row = await repo.find(db, id);
      if (!row || !maySee(viewer, row) || !isExport(row)) {
        throw notFound(`Proof of exit of declaration ${id}`);
      }
      if (row.status !== 'exited' || !row.exited_at) {
        throw conflict(`${row.reference ?? id} is ${row.status}: a proof of exit is issued once the office of exit has confirmed the goods left`, { state: row.status });
      }
      const [items, exporter, declarant] = await Promise.all([repo.items(db, row.id), row.importer_org_id ? deps.parties.organisation(db, row.importer_org_id) : undefined, deps.parties.organisation(db, row.declarant_org_id)]);
      return renderProofOfExit({ row, items, exporterName: exporter?.name ?? row.importer_pin, declarantName: declarant?.name ?? '' });
    },

    async lodge(tx: Tx, caller: Caller, id: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'declarant');
      declarationLifecycle.next(row.status, 'lodge');
      const lodged = await lodgeAndAssess(deps, tx, caller, row, bodyOf(row, await repo.items(tx, id)), 'lodge');
      return view(tx, lodged, caller.principal);
    },

    /**
     * Changes the goods or figures. A draft stays a draft; a lodged, assessed or queried
     * declaration is validated, assessed and selected again (answering a query). From
     * registration on it is a request to an officer (flows/change-requests.ts).
     */
    async amend(tx: Tx, caller: Caller, id: string, body: AmendBody): Promise<{ view: DeclarationView; requested: boolean }> {
      const row = await lockFor(tx, caller, id, 'declarant');
      if (isExport(row)) {
        // An export's figures stand as lodged (its re-export reservations with them): cancel it and lodge again.
        throw conflict(`${row.reference ?? 'This declaration'} is an export (${row.regime}); it is not amended: cancel it and lodge a new one at POST /api/v1/exports`, {
          state: row.status,
          action: 'amend',
          allowedActions: declarationLifecycle.allowed(row.status).filter((a) => a === 'cancel' || a === 'register'),
        });
      }
      if (row.status === 'registered' || row.status === 'paid') {
        const { reason, ...declared } = body;
        if (reason === undefined || reason.trim().length < 3) {
          throw invalid([{ pointer: '/reason', code: 'required', message: 'an amendment after registration is a request to an officer: say why (at least 3 characters)' }]);
        }
        const asked = await requestChange(deps, tx, caller, row, 'amend', reason.trim(), declared);
        return { view: await view(tx, asked, caller.principal), requested: true };
      }
      if (!amendableStatuses.includes(row.status)) {
        throw conflict(
          `The declaration is ${row.status}; it can be amended only while ${amendableStatuses.join(', ')} (before registration): once a PRN is issued its figures stand, so cancel it and lodge a new declaration`,
          { state: row.status, action: 'amend', allowedActions: declarationLifecycle.allowed(row.status) },
        );
      }
      await checkNotUnderVerification(deps, tx, row);
      const { reason, ...declared } = body;
      const refs = await deps.reference.sets();
      const regime = declared.regime ?? refs.procedureCodes.get(declared.cpc)?.regime ?? '';
      const normalised: DeclarationBody = { ...declared, ...(regime === '' ? {} : { regime }) };
      await repo.replaceData(tx, id, normalised);
      if (row.status === 'draft') {
        const importer = await deps.parties.organisationByPin(tx, declared.importerPin);
        const edited = await moveDeclaration(deps, tx, row, 'edit', {
          set: { importer_org_id: importer?.id ?? null },
          action: 'declaration.edited',
          actor: caller.actor,
          requestId: caller.requestId,
          reason: reason ?? null,
          details: { items: declared.items.length },
        });
        return { view: await view(tx, edited, caller.principal), requested: false };
      }
      const amended = await lodgeAndAssess(deps, tx, caller, row, normalised, 'amend', reason ?? (row.status === 'queried' ? 'answer to the query' : undefined));
      return { view: await view(tx, amended, caller.principal), requested: false };
    },

    /** Registers the assessed declaration: a PRN to pay, or straight to paid when nothing is due. */
    async register(tx: Tx, caller: Caller, id: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'declarant');
      declarationLifecycle.next(row.status, 'register');
      const total = new Dec(row.assessed_total ?? 0);
      const now = clock.now();
      if (total.isZero()) {
        const registered = await moveDeclaration(deps, tx, row, 'register', { set: { registered_at: now }, action: 'declaration.registered', actor: caller.actor, requestId: caller.requestId, details: { total: money(total) } });
        const paid = await markPaid(deps, tx, registered, 'nothing to pay: no PRN is needed', caller.requestId);
        await tryRelease(deps, tx, id, caller.requestId);
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
        slip: await paymentSlip(deps, tx, row, row.assessment as StoredAssessment),
        actor: caller.actor,
        requestId: caller.requestId,
      });
      const registered = await moveDeclaration(deps, tx, row, 'register', {
        set: { prn: issued.prn, registered_at: now },
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
        const asked = await requestChange(deps, tx, caller, row, 'cancel', reason);
        return { view: await view(tx, asked, caller.principal), requested: true };
      }
      const cancelled = await cancelNow(deps, tx, row, { actor: caller.actor, requestId: caller.requestId, reason });
      return { view: await view(tx, cancelled, caller.principal), requested: false };
    },

    /** An officer approves or refuses the declarant's request to amend or cancel a registered declaration. */
    async decideRequest(tx: Tx, caller: Caller, id: string, requestId: string, body: RequestDecisionBody): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'customs');
      return view(tx, await decideChangeRequest(deps, tx, caller, row, requestId, body), caller.principal);
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
      await recordChange(deps, tx, row, after, { action: 'declaration.request_withdrawn', actor: caller.actor, requestId: caller.requestId, details: { request: request.id, kind: request.kind } });
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
      const queried = await moveDeclaration(deps, tx, row, 'query', {
        set: { query: JSON.stringify({ reason, by: caller.actor.name, at: clock.now().toISOString() }) },
        action: 'declaration.queried',
        actor: caller.actor,
        requestId: caller.requestId,
        reason,
      });
      return view(tx, queried, caller.principal);
    },

    async reject(tx: Tx, caller: Caller, id: string, reason: string): Promise<DeclarationView> {
      const row = await lockFor(tx, caller, id, 'customs');
      declarationLifecycle.next(row.status, 'reject');
      await drawLetters(deps, tx, row, null, { actor: caller.actor, requestId: caller.requestId, reason: 'declaration rejected' });
      const rejected = await moveDeclaration(deps, tx, row, 'reject', { set: { status_reason: reason }, action: 'declaration.rejected', actor: caller.actor, requestId: caller.requestId, reason });
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
      await recordChange(deps, tx, row, controlled, {
        action: `declaration.control_${body.result}`,
        actor: caller.actor,
        requestId: caller.requestId,
        reason: body.findings,
        details: { controlStatus },
      });
      if (controlStatus === 'passed') {
        await tryRelease(deps, tx, id, caller.requestId);
      }
      return view(tx, (await repo.find(tx, id)) ?? controlled, caller.principal);
    },

    async get(viewer: Principal, id: string): Promise<DeclarationView> {
      const read = await repo.read(db, { id });
      if (!read || !maySee(viewer, read.row)) {
        throw notFound(`Declaration ${id}`);
      }
      return view(db, read.row, viewer, read);
    },

    async getByReference(viewer: Principal, reference: string): Promise<DeclarationView> {
      const read = await repo.read(db, { reference });
      if (!read || !maySee(viewer, read.row)) {
        throw notFound(`Declaration ${reference}`);
      }
      return view(db, read.row, viewer, read);
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
      const subjects = [documentId === undefined ? null : documentSubject(documentId), ...shown.flatMap((d) => [d.reference, d.prn, d.release_order_number])].filter((s): s is string => !!s);
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
          id: documentId ?? null,
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
      return correctAssessment(deps, q, declarationId, corrections);
    },

    /** Stores the corrections and the new assessment, and asks for the difference (flows/corrections.ts). */
    async applyCorrection(tx: Tx, declarationId: string, corrections: Correction[], context: { actor: Actor; requestId: string | null; reason: string }): Promise<CorrectionEffect> {
      return correctAssessment(deps, tx, declarationId, corrections, { tx, ...context });
    },

    /** Refuses (403) an agent that may no longer act for the declaration's importer. */
    async checkAuthority(q: Kysely<DB>, organisationId: string, declarationId: string): Promise<void> {
      const row = await repo.find(q, declarationId);
      if (row) {
        await checkAuthority(deps, q, organisationId, row);
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
      await recordChange(deps, tx, row, passed, { action: 'declaration.control_passed', actor: context.actor, requestId: context.requestId, reason: context.findings, details: { controlStatus: 'passed' } });
      await tryRelease(deps, tx, row.id, context.requestId);
    },

    /** Payment module callback, inside the bank's confirmation transaction: paid, then released if everything else is there. */
    async onSettled(tx: Tx, settlement: Settlement): Promise<void> {
      const row = await repo.find(tx, settlement.declarationId, { forUpdate: true });
      if (!row) {
        throw new Error(`payment settled PRN ${settlement.prn} of unknown declaration ${settlement.declarationId}`);
      }
      if (row.status === 'registered' && row.prn === settlement.prn && new Dec(settlement.paidTotal).gte(settlement.amount)) {
        await markPaid(deps, tx, row, `PRN ${settlement.prn} paid: KES ${money(settlement.paidTotal)}`, null, [settlement.prn]);
        await tryRelease(deps, tx, row.id);
      } else if (row.status === 'cancelled') {
        // Money that reached a cancelled declaration goes back to the payer.
        const after = await repo.update(tx, row.id, { refund_due: money(new Dec(row.refund_due ?? 0).plus(settlement.paidTotal)) }, clock.now());
        await recordChange(deps, tx, row, after, { action: 'declaration.refund_due', actor: systemActor, reason: `PRN ${settlement.prn} paid after cancellation: KES ${money(settlement.paidTotal)} is refundable`, subjects: [settlement.prn] });
      }
    },

    /** Release module callback, inside the gate-out transaction. */
    async onExited(tx: Tx, exit: GateOut): Promise<void> {
      const row = await repo.find(tx, exit.declarationId, { forUpdate: true });
      if (!row || row.status === 'exited') {
        return;
      }
      await moveDeclaration(deps, tx, row, 'exit', { set: { exited_at: exit.at }, action: 'declaration.exited', actor: systemActor, reason: 'gate-out reported by the terminal', subjects: [row.release_order_number] });
    },

    /** Outbox subscriber for `manifest.arrived` (flows/reassess-on-arrival.ts). */
    async onArrival(event: OutboxEvent, database: Kysely<DB>): Promise<void> {
      await reassessOnArrival(deps, database, event);
    },
  };
  return service;
}

export type DeclarationService = ReturnType<typeof declarationService>;

const declarationStatusesExceptDraft: readonly DeclarationStatus[] = ['lodged', 'assessed', 'queried', 'registered', 'paid', 'released', 'exited', 'cancelled', 'rejected'];


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
