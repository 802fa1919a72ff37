// Verification of selected declarations, from selection to the training label:
//
//   lodgement selects yellow/red/blue -> a task for the office (same transaction), drawn at random
//     among the officers on duty there (least loaded first); nobody on duty: it waits
//   the officer records findings: none -> control passed -> release follows (payment, arrival)
//                                 discrepancy -> re-assessed with the corrections -> the declarant answers
//   accept / pay under protest -> the corrections amend the declaration, the difference is asked
//     (replacement PRN before payment, supplementary PRN after) -> paid -> control passed
//   reject -> a supervisor decides: uphold (as accept) or overturn (the declared assessment stands)
//   every closed task gives the risk engine its label: inspected, discrepancy, extra revenue
//
// Every change is one transaction with its audit record (subjects: the declaration reference and
// the B/L number, so it shows on the consignment's timeline) and an outbox event.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { localDate, type Clock } from '#platform/clock.ts';
import { Dec, fixed, parseDecimal } from '#platform/money.ts';
import { newId, nextSerial, reference as tradeReference } from '#platform/ids.ts';
import { conflict, FieldErrors, forbidden, invalid, notFound, ProblemError } from '#platform/http/problem.ts';
import { isCustoms, type Principal } from '#platform/http/auth.ts';
import { publish, type OutboxEvent } from '#platform/events/outbox.ts';
import { recordAudit, systemActor, transition, type Actor } from '#modules/audit/index.ts';
import { documentSubject } from '#modules/manifest/index.ts';
import type { TaskKind, TaskOutcome, TaskRow, DutyRow } from './inspection.tables.ts';
import { taskLifecycle, type TaskAction } from './inspection.state.ts';
import { inspectionRepository as repo, type TaskPatch } from './inspection.repository.ts';
import { cryptoRandomInt, drawOfficer, type Candidate, type RandomInt } from './inspection.allocation.ts';
import { taskView, type TaskView } from './inspection.view.ts';
import {
  correctableFields,
  type BalancePort,
  type Correction,
  type CorrectionEffect,
  type DeclarationPort,
  type OfficerDirectory,
  type OutcomePort,
  type ReferencePort,
  type SelectedDeclaration,
  type VerificationSubject,
} from './inspection.ports.ts';
import type { DecisionBody, DutyBody, DutyQuery, FindingsBody, ReassignBody, ResponseBody, TaskListQuery } from './inspection.schemas.ts';

export interface InspectionServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** Uniform whole numbers in [0, n): crypto by default; tests pass a seeded one. */
  random?: RandomInt;
  declarations: DeclarationPort;
  payment: BalancePort;
  outcomes: OutcomePort;
  officers: OfficerDirectory;
  reference: ReferencePort;
}

/** Who asks, as the routes know it. */
export interface Caller {
  principal: Principal;
  actor: Actor;
  requestId: string | null;
}

interface HistoryEntry {
  at: string;
  action: string;
  from: string | null;
  to: string;
  by: { id: string; name: string; role: string };
  reason?: string;
  officer?: { id: string; name: string };
}

interface Findings {
  result: 'no_discrepancy' | 'discrepancy';
  corrections: Correction[];
  remarks: string | null;
  officerId: string;
  officerName: string;
  at: string;
}

/** The kind of check each channel asks for; green asks for none. */
const kindOf: Partial<Record<SelectedDeclaration['channel'], TaskKind>> = { yellow: 'documentary', red: 'physical', blue: 'post_clearance' };
/** An amendment that raises the channel raises the check; it never lowers it. */
const kindRank: Record<TaskKind, number> = { post_clearance: 0, documentary: 1, physical: 2 };
/** Declaration statuses in which the whole assessment has been paid. */
const paidStatuses = new Set(['paid', 'released', 'exited']);

const money = (d: Dec | string) => fixed(new Dec(d), 2);
const closedWord = { clear: 'cleared', overturn: 'overturned', settle: 'settled', withdraw: 'withdrawn', carry_over: 'carried_forward' } as const;

export function inspectionService(deps: InspectionServiceDeps) {
  const { db, clock } = deps;
  const random = deps.random ?? cryptoRandomInt;

  /** A task's steps belong to the declaration, its transport document (by id) and the task number. */
  function subjectsOf(task: TaskRow): string[] {
    return [task.declaration_reference, task.transport_document_id ? documentSubject(task.transport_document_id) : task.transport_document_number, task.number];
  }

  function historyOf(task: TaskRow): HistoryEntry[] {
    return Array.isArray(task.history) ? (task.history as HistoryEntry[]) : [];
  }

  function step(task: TaskRow, entry: Omit<HistoryEntry, 'at' | 'from' | 'by'> & { actor: Actor }): string {
    const { actor, ...rest } = entry;
    const item: HistoryEntry = { at: clock.now().toISOString(), from: task.status, by: { id: actor.id, name: actor.name, role: actor.role }, ...rest };
    return JSON.stringify([...historyOf(task), item]);
  }

  /** Moves the task on: one update, its history step, its audit record and its outbox event. */
  async function move(
    tx: Tx,
    task: TaskRow,
    action: TaskAction,
    change: { patch?: TaskPatch; actor: Actor; requestId: string | null; reason?: string | null; details?: Record<string, unknown>; officer?: { id: string; name: string }; auditAction?: string },
  ): Promise<TaskRow> {
    const status = taskLifecycle.next(task.status, action);
    const now = clock.now();
    const event = {
      topic: 'verification.status_changed',
      key: task.id,
      payload: { taskId: task.id, number: task.number, declarationId: task.declaration_id, reference: task.declaration_reference, officeCode: task.office_code, from: task.status, to: status, at: now.toISOString() },
    };
    return transition(tx, {
      lifecycle: taskLifecycle,
      table: 'verification_task',
      id: task.id,
      from: task.status,
      action,
      set: {
        ...change.patch,
        history: step(task, {
          action,
          to: status,
          actor: change.actor,
          ...(change.reason ? { reason: change.reason } : {}),
          ...(change.officer ? { officer: change.officer } : {}),
        }),
        updated_at: now,
        version: repo.nextVersion,
      },
      audit: (after) => ({
        actor: change.actor,
        action: change.auditAction ?? `verification.${action}`,
        entityType: 'verification_task',
        entityId: task.id,
        subjects: subjectsOf(task),
        before: { status: task.status, version: task.version },
        after: { status, version: after.version, number: task.number, kind: after.kind, ...change.details },
        reason: change.reason ?? null,
        requestId: change.requestId,
        at: now,
      }),
      // A reassignment keeps the status: nobody outside the task needs to hear of it.
      ...(task.status === status ? {} : { event }),
    });
  }

  /** 2026MBAVT000123. */
  async function newNumber(tx: Tx, officeCode: string): Promise<string> {
    const year = localDate(clock.now()).slice(0, 4);
    const serial = await nextSerial(tx, `vt_${year}_${officeCode}`);
    return tradeReference({ year, office: officeCode, kind: 'VT', serial });
  }

  /**
   * Draws an officer for a task waiting at its office (or, reassigning, another one). Leaves the
   * task waiting when nobody eligible is on duty.
   */
  async function allocate(tx: Tx, task: TaskRow, context: { actor: Actor; requestId: string | null; exclude?: ReadonlySet<string>; reason?: string }): Promise<TaskRow> {
    const candidates = await repo.onDutyWithLoad(tx, task.office_code);
    const draw = drawOfficer(candidates, random, context.exclude);
    if (!draw) {
      return task;
    }
    return assign(tx, task, draw.chosen, {
      action: task.status === 'open' ? 'allocate' : 'reassign',
      actor: context.actor,
      requestId: context.requestId,
      reason: `${context.reason ? `${context.reason}; ` : ''}drawn at random among ${describePool(draw.pool, draw.eligible, task.office_code)}`,
      details: { drawnAmong: draw.pool.length, onDuty: draw.eligible, load: draw.chosen.load },
    });
  }

  async function assign(
    tx: Tx,
    task: TaskRow,
    officer: Candidate,
    context: { action: 'allocate' | 'reassign'; actor: Actor; requestId: string | null; reason: string; details?: Record<string, unknown> },
  ): Promise<TaskRow> {
    const officerRef = { id: officer.officerId, name: officer.officerName };
    return move(tx, task, context.action, {
      patch: { assigned_officer_id: officer.officerId, assigned_officer_name: officer.officerName, assigned_at: clock.now() },
      actor: context.actor,
      requestId: context.requestId,
      reason: context.reason,
      officer: officerRef,
      details: { assignedOfficer: officerRef, previousOfficer: task.assigned_officer_id ? { id: task.assigned_officer_id, name: task.assigned_officer_name } : null, ...context.details },
      auditAction: context.action === 'allocate' ? 'verification.allocated' : 'verification.reassigned',
    });
  }

  /** Closes the task: control passed (unless withdrawn) and the label for the risk engine. */
  async function close(
    tx: Tx,
    task: TaskRow,
    action: 'clear' | 'overturn' | 'settle' | 'withdraw' | 'carry_over',
    outcome: TaskOutcome,
    context: { actor: Actor; requestId: string | null; reason: string; patch?: TaskPatch; details?: Record<string, unknown> },
  ): Promise<TaskRow> {
    const closed = await move(tx, task, action, {
      patch: { ...context.patch, outcome, closed_at: clock.now() },
      actor: context.actor,
      requestId: context.requestId,
      reason: context.reason,
      details: { outcome, ...context.details },
      auditAction: `verification.${closedWord[action]}`,
    });
    // A check carried over goes on under the next declaration: no label, no control passed yet.
    if (outcome === 'carried_over') {
      return closed;
    }
    const findings = closed.findings as Findings | null;
    if (findings) {
      const discrepancy = outcome === 'discrepancy_settled' || (outcome === 'withdrawn' && findings.result === 'discrepancy');
      await deps.outcomes.recordOutcome(tx, {
        declarationId: closed.declaration_id,
        inspected: true,
        discrepancy,
        // Extra revenue is what the verification assessed and the declarant had to pay.
        extraRevenue: outcome === 'discrepancy_settled' ? money(Dec.max(new Dec(closed.difference ?? 0), 0)) : '0.00',
        findings: labelFindings(closed),
        officerId: findings.officerId,
      });
    }
    if (outcome !== 'withdrawn') {
      await deps.declarations.passControl(tx, closed.declaration_id, {
        findings: `verification ${closed.number}: ${context.reason}`,
        actor: context.actor,
        requestId: context.requestId,
      });
    }
    return closed;
  }

  /** Closes a task awaiting payment once the declaration's whole (corrected) assessment is paid. */
  async function settleIfPaid(tx: Tx, task: TaskRow, requestId: string | null): Promise<TaskRow> {
    const declaration = await subjectOf(tx, task);
    const balance = await deps.payment.balance(tx, task.declaration_id);
    if (!paidStatuses.has(declaration.status) || new Dec(balance.balance).gt(0)) {
      return task;
    }
    return close(tx, task, 'settle', 'discrepancy_settled', {
      actor: systemActor,
      requestId,
      reason: `the corrected assessment is paid (KES ${money(balance.paid)} received): control passed`,
      details: { difference: task.difference, paid: balance.paid },
    });
  }

  async function subjectOf(q: Kysely<DB>, task: TaskRow): Promise<VerificationSubject> {
    const subject = await deps.declarations.forVerification(q, task.declaration_id);
    if (!subject) {
      throw new Error(`verification task ${task.number} belongs to unknown declaration ${task.declaration_id}`);
    }
    return subject;
  }

  /** Applies the officer's corrections to the declaration and records what is now to pay. */
  async function applyCorrections(tx: Tx, task: TaskRow, action: 'accept' | 'protest' | 'uphold', context: { actor: Actor; requestId: string | null; reason: string; patch: TaskPatch; details?: Record<string, unknown> }) {
    const findings = task.findings as Findings;
    const effect = await deps.declarations.applyCorrection(tx, task.declaration_id, findings.corrections, { actor: context.actor, requestId: context.requestId, reason: context.reason });
    const moved = await move(tx, task, action, {
      patch: {
        ...context.patch,
        amendment: JSON.stringify(amendmentOf(effect, 'applied', clock.now())),
        difference: effect.difference,
        prn: effect.prn?.prn ?? null,
        prn_amount: effect.prn?.amount ?? null,
      },
      actor: context.actor,
      requestId: context.requestId,
      reason: context.reason,
      details: { ...context.details, ...effectDetails(effect) },
      auditAction: `verification.${action === 'accept' ? 'accepted' : action === 'protest' ? 'paid_under_protest' : 'upheld'}`,
    });
    return settleIfPaid(tx, moved, context.requestId);
  }

  async function lockTask(tx: Tx, id: string): Promise<TaskRow> {
    const task = await repo.findTask(tx, id, { forUpdate: true });
    if (!task) {
      throw notFound(`Verification task ${id}`);
    }
    return task;
  }

  /** Checks the officer's corrections against the declaration; every problem at once, with pointers. */
  async function checkCorrections(subject: VerificationSubject, body: FindingsBody): Promise<Correction[]> {
    const errors = new FieldErrors();
    const corrections = body.corrections ?? [];
    if (body.result === 'no_discrepancy') {
      if (corrections.length > 0) {
        errors.add('/corrections', 'not_allowed', 'with no_discrepancy there is nothing to correct; send result discrepancy to correct the declaration');
      }
      errors.throwIfAny();
      return [];
    }
    if (corrections.length === 0) {
      errors.add('/corrections', 'required', 'a discrepancy needs at least one correction: { itemNo, and hsCode, quantity, itemPrice or originCountry }');
    }
    if (body.remarks === undefined) {
      errors.add('/remarks', 'required', 'say what was found (at least 3 characters)');
    }
    const { countries } = await deps.reference.sets();
    const items = new Map(subject.items.map((i) => [i.itemNo, i]));
    const seen = new Set<number>();
    const normalised: Correction[] = [];
    corrections.forEach((c, j) => {
      const p = `/corrections/${j}`;
      const item = items.get(c.itemNo);
      if (!item) {
        errors.add(`${p}/itemNo`, 'unknown_item', `declaration ${subject.reference} has items 1 to ${subject.items.length}`);
        return;
      }
      if (seen.has(c.itemNo)) {
        errors.add(`${p}/itemNo`, 'duplicate_item', `item ${c.itemNo} is corrected twice; put all its corrected fields in one correction`);
        return;
      }
      seen.add(c.itemNo);
      const given = correctableFields.filter((f) => c[f] !== undefined);
      if (given.length === 0) {
        errors.add(p, 'nothing_corrected', `give at least one of ${correctableFields.join(', ')}`);
        return;
      }
      const out: Correction = { itemNo: c.itemNo };
      if (c.hsCode !== undefined) {
        if (c.hsCode === item.hsCode) {
          errors.add(`${p}/hsCode`, 'same_as_declared', `item ${c.itemNo} is already declared under ${item.hsCode}`);
        }
        out.hsCode = c.hsCode;
      }
      if (c.originCountry !== undefined) {
        const country = c.originCountry.toUpperCase();
        if (!countries.has(country)) {
          errors.add(`${p}/originCountry`, 'unknown_country', `"${c.originCountry}" is not an ISO 3166 alpha-2 country code (e.g. CN, JP, UG)`);
        } else if (country === item.originCountry) {
          errors.add(`${p}/originCountry`, 'same_as_declared', `item ${c.itemNo} is already declared of origin ${item.originCountry}`);
        }
        out.originCountry = country;
      }
      for (const field of ['quantity', 'itemPrice'] as const) {
        const text = c[field];
        if (text === undefined) {
          continue;
        }
        const value = parseDecimal(text);
        if (!value || value.lte(0)) {
          errors.add(`${p}/${field}`, 'not_positive', `must be more than zero`);
        } else if (value.eq(new Dec(item[field]))) {
          errors.add(`${p}/${field}`, 'same_as_declared', `item ${c.itemNo} already declares ${field} ${item[field]}`);
        }
        out[field] = text;
      }
      normalised.push(out);
    });
    errors.throwIfAny();
    return normalised;
  }

  /** Re-assesses with the corrections; the calculator's pointers (/items/k/...) point back at the corrections. */
  async function preview(tx: Tx, subject: VerificationSubject, corrections: Correction[]): Promise<CorrectionEffect> {
    try {
      return await deps.declarations.previewCorrection(tx, subject.id, corrections);
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status !== 422) {
        throw err;
      }
      const index = new Map(corrections.map((c, j) => [c.itemNo - 1, j]));
      const errors = (err.problem.errors ?? []).map((e) => {
        const m = /^\/items\/(\d+)(\/.*)?$/.exec(e.pointer);
        const j = m ? index.get(Number(m[1])) : undefined;
        return { ...e, pointer: j === undefined ? '/corrections' : `/corrections/${j}${m?.[2] ?? ''}` };
      });
      throw invalid(errors.length > 0 ? errors : [{ pointer: '/corrections', code: 'not_assessable', message: err.message }], `the corrected goods cannot be assessed: ${err.message}`);
    }
  }

  function isParty(principal: Principal, task: TaskRow): boolean {
    return task.declarant_org_id === principal.organisationId || task.importer_org_id === principal.organisationId;
  }

  function mayRead(principal: Principal, task: TaskRow): boolean {
    return isCustoms(principal) || isParty(principal, task);
  }

  /** A new task for a selected declaration: its own fields, and the declaration's as it was selected. */
  function insertTask(
    tx: Tx,
    selected: SelectedDeclaration,
    task: Pick<TaskRow, 'number' | 'kind' | 'channel' | 'status' | 'assigned_officer_id' | 'assigned_officer_name'> & { assigned_at?: Date | null; carried_from?: string; history: string; now: Date },
  ): Promise<TaskRow> {
    const { now, ...own } = task;
    return repo.insertTask(tx, {
      id: newId(),
      declaration_id: selected.declarationId,
      declaration_reference: selected.reference,
      transport_document_number: selected.transportDocumentNumber,
      transport_document_id: selected.transportDocumentId,
      declarant_org_id: selected.declarantOrgId,
      importer_org_id: selected.importerOrgId,
      office_code: selected.officeCode,
      risk_reasons: JSON.stringify(selected.reasons),
      ...own,
      created_at: now,
      updated_at: now,
    });
  }

  /**
   * The check of a cancelled declaration carries over to the declaration that declares the same
   * goods again: its task closes as carried over and the new declaration's task goes straight to
   * the officer it was drawn for (or is drawn again if that officer is off duty), at the more
   * demanding of the two checks. Cancelling and lodging again neither ends a check nor draws
   * another officer.
   */
  async function carryOver(tx: Tx, selected: SelectedDeclaration, kind: TaskKind): Promise<TaskRow | undefined> {
    let earlier: TaskRow | undefined;
    for (const declarationId of selected.priorDeclarationIds ?? []) {
      const task = await repo.liveTaskOf(tx, declarationId, { forUpdate: true });
      const status = task ? (await deps.declarations.forVerification(tx, declarationId))?.status : undefined;
      if (task && status === 'cancelled' && (!earlier || kindRank[task.kind] > kindRank[earlier.kind])) {
        earlier = task;
      }
    }
    if (!earlier) {
      return undefined;
    }
    const requestId = selected.requestId ?? null;
    const now = clock.now();
    const carriedKind = kindRank[earlier.kind] > kindRank[kind] ? earlier.kind : kind;
    const number = await newNumber(tx, selected.officeCode);
    await close(tx, earlier, 'carry_over', 'carried_over', {
      actor: systemActor,
      requestId,
      reason: `the goods were declared again as ${selected.reference}: the check goes on as ${number}`,
      details: { carriedTo: number },
    });
    const officer = earlier.assigned_officer_id ? (await repo.onDutyWithLoad(tx, selected.officeCode)).find((c) => c.officerId === earlier.assigned_officer_id) : undefined;
    const task = await insertTask(tx, selected, {
      number,
      kind: carriedKind,
      channel: carriedKind === 'physical' ? 'red' : carriedKind === 'documentary' ? 'yellow' : 'blue',
      status: officer ? 'assigned' : 'open',
      assigned_officer_id: officer?.officerId ?? null,
      assigned_officer_name: officer?.officerName ?? null,
      assigned_at: officer ? now : null,
      carried_from: earlier.number,
      history: JSON.stringify([
        {
          at: now.toISOString(),
          action: 'carried_over',
          from: null,
          to: officer ? 'assigned' : 'open',
          by: { id: systemActor.id, name: systemActor.name, role: systemActor.role },
          reason: `continues ${earlier.number} of cancelled declaration ${earlier.declaration_reference}`,
          ...(officer ? { officer: { id: officer.officerId, name: officer.officerName } } : {}),
        },
      ]),
      now,
    });
    await recordAudit(tx, {
      actor: systemActor,
      action: 'verification.carried_over',
      entityType: 'verification_task',
      entityId: task.id,
      subjects: subjectsOf(task),
      after: { number: task.number, kind: task.kind, status: task.status, carriedFrom: earlier.number, ...(officer ? { assignedOfficer: { id: officer.officerId, name: officer.officerName } } : {}) },
      reason: `the check of cancelled declaration ${earlier.declaration_reference} (${earlier.number}) goes on under ${selected.reference}`,
      requestId,
      at: now,
    });
    await publish(tx, 'verification.task_created', task.id, { taskId: task.id, number: task.number, declarationId: task.declaration_id, reference: task.declaration_reference, officeCode: task.office_code, kind: task.kind });
    return officer ? task : allocate(tx, task, { actor: systemActor, requestId, reason: `${earlier.assigned_officer_name ?? 'the officer'} of ${earlier.number} is not on duty at ${selected.officeCode}` });
  }

  const service = {
    /** Loads what is cached (reference sets) outside any transaction; call before opening one. */
    async ready(): Promise<void> {
      await deps.reference.sets();
    },

    /**
     * The declaration's lodgement hook (inside its transaction): a yellow, red or blue declaration
     * becomes a task for its office, drawn at once if an officer is on duty. Lodged again after an
     * amendment, a live task stays with its officer; a higher channel raises the check.
     */
    async onSelected(tx: Tx, selected: SelectedDeclaration): Promise<TaskRow | undefined> {
      const kind = kindOf[selected.channel];
      if (!kind || selected.channel === 'green') {
        return undefined;
      }
      const requestId = selected.requestId ?? null;
      const live = await repo.liveTaskOf(tx, selected.declarationId, { forUpdate: true });
      if (live) {
        const raised = kindRank[kind] > kindRank[live.kind];
        const now = clock.now();
        const after = await repo.updateTask(
          tx,
          live.id,
          {
            ...(raised ? { kind, channel: selected.channel } : {}),
            risk_reasons: JSON.stringify(selected.reasons),
            history: step(live, { action: 'reselected', to: live.status, actor: systemActor, reason: `declaration lodged again (amendment): ${raised ? `check raised to ${kind}` : `the task stays ${live.kind}`}` }),
          },
          now,
        );
        await recordAudit(tx, {
          actor: systemActor,
          action: 'verification.reselected',
          entityType: 'verification_task',
          entityId: live.id,
          subjects: subjectsOf(live),
          before: { kind: live.kind, status: live.status },
          after: { kind: after.kind, status: after.status, number: live.number },
          reason: 'the declaration was amended while under verification',
          requestId,
          at: now,
        });
        return after;
      }
      const carried = await carryOver(tx, selected, kind);
      if (carried) {
        return carried;
      }
      const now = clock.now();
      const task = await insertTask(tx, selected, {
        number: await newNumber(tx, selected.officeCode),
        kind,
        channel: selected.channel,
        status: 'open',
        assigned_officer_id: null,
        assigned_officer_name: null,
        history: JSON.stringify([{ at: now.toISOString(), action: 'created', from: null, to: 'open', by: { id: systemActor.id, name: systemActor.name, role: systemActor.role }, reason: `channel ${selected.channel}` }]),
        now,
      });
      await recordAudit(tx, {
        actor: systemActor,
        action: 'verification.task_created',
        entityType: 'verification_task',
        entityId: task.id,
        subjects: subjectsOf(task),
        after: { number: task.number, kind, status: task.status, officeCode: task.office_code },
        reason: `${selected.channel} channel: ${kind === 'post_clearance' ? 'post-clearance audit, release is not held' : `${kind} check before release`}`,
        requestId,
        at: now,
      });
      await publish(tx, 'verification.task_created', task.id, { taskId: task.id, number: task.number, declarationId: task.declaration_id, reference: task.declaration_reference, officeCode: task.office_code, kind });
      return allocate(tx, task, { actor: systemActor, requestId });
    },

    /**
     * An officer (or their supervisor for them) comes on or goes off duty at an office. Coming
     * on duty draws the tasks waiting at the office; going off (or moving office) hands back the
     * tasks still awaiting the officer's findings, which are drawn again among those on duty.
     */
    async setDuty(tx: Tx, caller: Caller, body: DutyBody) {
      const officeCode = body.officeCode.toUpperCase();
      const refs = await deps.reference.sets();
      const officerId = body.officerId ?? caller.principal.id;
      const self = officerId === caller.principal.id;
      if (caller.principal.kind !== 'user') {
        throw forbidden('Duty is for officers who log in, not for API keys');
      }
      // Whoever chose their own office would choose which waiting tasks they are drawn for.
      if (self && body.onDuty) {
        throw forbidden('Nobody puts themselves on duty: a supervisor rosters officers to offices (officerId); you may only go off duty yourself');
      }
      if (!self && !caller.principal.roles.includes('supervisor')) {
        throw forbidden("Only a supervisor may set another officer's duty; leave officerId out to go off duty yourself");
      }
      const errors = new FieldErrors();
      if (!refs.offices.has(officeCode)) {
        errors.add('/officeCode', 'unknown_office', `"${body.officeCode}" is not a customs office code; see GET /api/v1/reference/offices (e.g. MBA Mombasa port)`);
      }
      const officer = self ? { id: caller.principal.id, displayName: caller.principal.name, roles: caller.principal.roles as string[], active: true, organisation: { kind: caller.principal.organisationKind } } : await deps.officers.user(tx, officerId);
      const isOfficer = officer?.active === true && officer.organisation.kind === 'customs' && officer.roles.includes('officer');
      if (!isOfficer) {
        if (self) {
          throw forbidden('Only customs officers go on duty to verify declarations; you do not hold the officer role');
        }
        errors.add('/officerId', 'not_an_officer', 'must be an active customs user with the officer role');
      }
      errors.throwIfAny();
      const name = officer?.displayName ?? '';
      // Allocation at these offices waits for this change (and sees it). Rows are locked in one
      // ordered statement, so two officers changing duty at once cannot deadlock.
      const seen = await repo.findDuty(tx, officerId);
      await repo.lockDuty(tx, [officeCode, ...(seen ? [seen.office_code] : [])], officerId);
      const before = await repo.findDuty(tx, officerId);
      const now = clock.now();
      const unchanged = before?.on_duty === body.onDuty && before.office_code === officeCode;
      const duty = await repo.upsertDuty(tx, {
        user_id: officerId,
        officer_name: name,
        office_code: officeCode,
        on_duty: body.onDuty,
        since: unchanged ? before.since : now,
        updated_by: caller.actor.name,
      });
      if (!unchanged) {
        await recordAudit(tx, {
          actor: caller.actor,
          action: body.onDuty ? 'officer.on_duty' : 'officer.off_duty',
          entityType: 'officer_duty',
          entityId: officerId,
          subjects: [`duty:${officeCode}`],
          before: before ? { officeCode: before.office_code, onDuty: before.on_duty } : null,
          after: { officeCode, onDuty: body.onDuty, officer: { id: officerId, name } },
          reason: self ? null : `set by supervisor ${caller.actor.name}`,
          requestId: caller.requestId,
          at: now,
        });
      }
      const handedBack: string[] = [];
      if (before?.on_duty && (!body.onDuty || before.office_code !== officeCode)) {
        for (const task of await repo.workingTasksOf(tx, officerId)) {
          const open = await move(tx, task, 'unassign', {
            patch: { assigned_officer_id: null, assigned_officer_name: null, assigned_at: null },
            actor: caller.actor,
            requestId: caller.requestId,
            reason: `${name} went off duty at ${before.office_code} before recording findings`,
            details: { previousOfficer: { id: officerId, name } },
            auditAction: 'verification.handed_back',
          });
          handedBack.push(task.number);
          await allocate(tx, open, { actor: systemActor, requestId: caller.requestId, exclude: new Set([officerId]), reason: 'handed back' });
        }
      }
      const allocated: string[] = [];
      if (body.onDuty) {
        for (const task of await repo.waitingTasks(tx, officeCode)) {
          const drawn = await allocate(tx, task, { actor: systemActor, requestId: caller.requestId, reason: `${name} came on duty at ${officeCode}` });
          if (drawn.status === 'assigned') {
            allocated.push(drawn.number);
          }
        }
      }
      return { duty: dutyView(duty), handedBack, allocated };
    },

    async dutyRoster(query: DutyQuery) {
      const rows = await repo.dutyAt(db, query.officeCode?.toUpperCase());
      const loads = await repo.loadsOf(
        db,
        rows.map((r) => r.user_id),
      );
      return { officers: rows.map((r) => ({ ...dutyView(r), tasksAwaitingFindings: loads.get(r.user_id) ?? 0 })) };
    },

    /** The assigned officer's findings: none (control passed) or a discrepancy with corrections. */
    async recordFindings(tx: Tx, caller: Caller, id: string, body: FindingsBody): Promise<TaskView> {
      const task = await lockTask(tx, id);
      if (task.assigned_officer_id !== caller.principal.id) {
        throw forbidden(`Verification task ${task.number} is not assigned to you: findings are recorded by the officer it was drawn for`);
      }
      taskLifecycle.next(task.status, body.result === 'no_discrepancy' ? 'clear' : 'discrepancy');
      const subject = await subjectOf(tx, task);
      if (subject.status === 'cancelled') {
        throw conflict(`Declaration ${subject.reference} was cancelled: task ${task.number} waits for the goods to be declared again (it carries over), or a supervisor withdraws it`, {
          state: task.status,
          declarationStatus: subject.status,
        });
      }
      const corrections = await checkCorrections(subject, body);
      const findings: Findings = {
        result: body.result,
        corrections,
        remarks: body.remarks ?? null,
        officerId: caller.principal.id,
        officerName: caller.principal.name,
        at: clock.now().toISOString(),
      };
      if (body.result === 'no_discrepancy') {
        const closed = await close(tx, task, 'clear', 'no_discrepancy', {
          actor: caller.actor,
          requestId: caller.requestId,
          reason: body.remarks ?? 'no discrepancy found',
          patch: { findings: JSON.stringify(findings), difference: '0.00' },
        });
        return taskView(closed, caller.principal);
      }
      const effect = await preview(tx, subject, corrections);
      const moved = await move(tx, task, 'discrepancy', {
        patch: { findings: JSON.stringify(findings), amendment: JSON.stringify(amendmentOf(effect, 'proposed', clock.now())), difference: effect.difference },
        actor: caller.actor,
        requestId: caller.requestId,
        reason: body.remarks ?? null,
        details: effectDetails(effect),
        auditAction: 'verification.discrepancy_found',
      });
      return taskView(moved, caller.principal);
    },

    /** The declarant's (or importer's) answer to a discrepancy. */
    async respond(tx: Tx, caller: Caller, declarationId: string, body: ResponseBody): Promise<TaskView> {
      const task = await repo.liveTaskOf(tx, declarationId, { forUpdate: true });
      if (!task || !isParty(caller.principal, task)) {
        throw notFound(`Verification of declaration ${declarationId}`);
      }
      await deps.declarations.checkAuthority(tx, caller.principal.organisationId, declarationId);
      const action: TaskAction = body.response === 'accept' ? 'accept' : body.response === 'reject' ? 'reject' : 'protest';
      taskLifecycle.next(task.status, action);
      if (action !== 'accept' && body.reason === undefined) {
        throw invalid([{ pointer: '/reason', code: 'required', message: `say why you ${action === 'reject' ? 'reject the corrections' : 'pay under protest'} (at least 3 characters)` }]);
      }
      const response = { response: body.response, reason: body.reason ?? null, by: { name: caller.actor.name, organisationId: caller.principal.organisationId }, at: clock.now().toISOString() };
      let after: TaskRow;
      if (action === 'reject') {
        after = await move(tx, task, 'reject', {
          patch: { response: JSON.stringify(response) },
          actor: caller.actor,
          requestId: caller.requestId,
          reason: body.reason ?? null,
          auditAction: 'verification.rejected',
          details: { escalatedTo: 'supervisor' },
        });
      } else {
        after = await applyCorrections(tx, task, action, {
          actor: caller.actor,
          requestId: caller.requestId,
          reason: action === 'accept' ? `corrections of verification ${task.number} accepted by the declarant` : `paid under protest (verification ${task.number}): ${body.reason ?? ''}`,
          patch: { response: JSON.stringify(response), ...(action === 'protest' ? { review_status: 'pending' } : {}) },
        });
      }
      return taskView(after, caller.principal);
    },

    /**
     * A supervisor decides a rejected discrepancy (uphold: the corrections stand and the
     * difference is due; overturn: the declared assessment stands, control passed) or reviews a
     * payment under protest once paid (overturn: the corrections are undone and the difference
     * is refundable). Nobody decides on their own findings.
     */
    async decide(tx: Tx, caller: Caller, id: string, body: DecisionBody): Promise<TaskView> {
      const task = await lockTask(tx, id);
      const findings = task.findings as Findings | null;
      if (findings?.officerId === caller.principal.id) {
        throw forbidden(`You recorded the findings of ${task.number}; another supervisor decides on them`);
      }
      const decision = { uphold: body.uphold, reason: body.reason, by: { id: caller.principal.id, name: caller.actor.name }, at: clock.now().toISOString() };
      if (task.status === 'escalated') {
        const patch: TaskPatch = { decision: JSON.stringify({ ...decision, on: 'rejection' }) };
        const after = body.uphold
          ? await applyCorrections(tx, task, 'uphold', { actor: caller.actor, requestId: caller.requestId, reason: `rejection of verification ${task.number} decided: corrections upheld: ${body.reason}`, patch })
          : await close(tx, task, 'overturn', 'overturned', { actor: caller.actor, requestId: caller.requestId, reason: `corrections overturned, the declared assessment stands: ${body.reason}`, patch });
        return taskView(after, caller.principal);
      }
      if (task.review_status === 'pending') {
        if (task.status !== 'closed') {
          throw conflict(`Verification ${task.number} is ${task.status}: a payment under protest is reviewed once the difference is paid`, { state: task.status });
        }
        return taskView(await reviewProtest(tx, caller, task, body, decision), caller.principal);
      }
      throw conflict(`Verification ${task.number} is ${task.status}: a supervisor decides only a rejected discrepancy (escalated) or a payment under protest`, {
        state: task.status,
        reviewStatus: task.review_status,
      });
    },

    /** A supervisor ends the check of a cancelled declaration whose goods will not be declared again (re-exported, abandoned...). */
    async withdraw(tx: Tx, caller: Caller, id: string, reason: string): Promise<TaskView> {
      const task = await lockTask(tx, id);
      taskLifecycle.next(task.status, 'withdraw');
      const subject = await subjectOf(tx, task);
      if (subject.status !== 'cancelled') {
        throw conflict(`Declaration ${subject.reference} is ${subject.status}: only the check of a cancelled declaration is withdrawn; otherwise the officer records findings`, {
          state: task.status,
          declarationStatus: subject.status,
        });
      }
      return taskView(await close(tx, task, 'withdraw', 'withdrawn', { actor: caller.actor, requestId: caller.requestId, reason }), caller.principal);
    },

    /** A supervisor moves a task to a named officer on duty, or draws another at random. */
    async reassign(tx: Tx, caller: Caller, id: string, body: ReassignBody): Promise<TaskView> {
      const task = await lockTask(tx, id);
      taskLifecycle.next(task.status, 'reassign');
      if (body.officerId === caller.principal.id) {
        throw forbidden('Nobody assigns a task to themselves: name another officer, or leave officerId out to draw one at random');
      }
      const candidates = await repo.onDutyWithLoad(tx, task.office_code);
      let after: TaskRow;
      if (body.officerId !== undefined) {
        const chosen = candidates.find((c) => c.officerId === body.officerId);
        if (body.officerId === task.assigned_officer_id) {
          throw invalid([{ pointer: '/officerId', code: 'already_assigned', message: `task ${task.number} is already with ${task.assigned_officer_name ?? 'this officer'}` }]);
        }
        if (!chosen) {
          throw invalid([
            {
              pointer: '/officerId',
              code: 'not_on_duty',
              message: `is not an officer on duty at ${task.office_code}; on duty: ${candidates.map((c) => `${c.officerName} (${c.officerId})`).join(', ') || 'nobody'}`,
            },
          ]);
        }
        after = await assign(tx, task, chosen, { action: 'reassign', actor: caller.actor, requestId: caller.requestId, reason: body.reason, details: { by: 'supervisor' } });
      } else {
        const exclude = new Set(task.assigned_officer_id ? [task.assigned_officer_id] : []);
        const draw = drawOfficer(candidates, random, exclude);
        if (!draw) {
          throw conflict(`No other officer is on duty at ${task.office_code} to take ${task.number}`, { state: task.status });
        }
        after = await assign(tx, task, draw.chosen, {
          action: 'reassign',
          actor: caller.actor,
          requestId: caller.requestId,
          reason: `${body.reason}; drawn at random among ${describePool(draw.pool, draw.eligible, task.office_code)}`,
          details: { by: 'random', drawnAmong: draw.pool.length, onDuty: draw.eligible },
        });
      }
      return taskView(after, caller.principal);
    },

    async list(viewer: Principal, query: TaskListQuery) {
      const limit = query.limit ?? 50;
      const rows = await repo.listTasks(db, {
        ...(query.officeCode === undefined ? {} : { officeCode: query.officeCode.toUpperCase() }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.assignedTo === undefined ? {} : { assignedOfficerId: query.assignedTo === 'me' ? viewer.id : query.assignedTo }),
        ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { items: page.map((r) => taskView(r, viewer)), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    },

    async get(viewer: Principal, id: string): Promise<TaskView> {
      const task = await repo.findTask(db, id);
      if (!task || !mayRead(viewer, task)) {
        throw notFound(`Verification task ${id}`);
      }
      return taskView(task, viewer);
    },

    /** The verification of a declaration (its live task, else the last one); 404 when none or not the caller's. */
    async ofDeclaration(viewer: Principal, declarationId: string): Promise<TaskView> {
      const task = await repo.latestTaskOf(db, declarationId);
      if (!task || !mayRead(viewer, task)) {
        throw notFound(`Verification of declaration ${declarationId}`);
      }
      return taskView(task, viewer);
    },

    /**
     * The declaration's task not yet closed, if any, and whether the declarant may still amend:
     * not once selected for a documentary or physical check (else the declarant could undo the
     * officer's corrections, or tidy the declaration up before the officer looks), only while a
     * post-clearance audit has not started its findings.
     */
    async hold(q: Kysely<DB>, declarationId: string): Promise<{ task: string; amendable: boolean } | undefined> {
      const task = await repo.liveTaskOf(q, declarationId);
      return task && { task: task.number, amendable: task.kind === 'post_clearance' && (task.status === 'open' || task.status === 'assigned') };
    },

    /** The office the officer is on duty at now (the roster), if any: where the officer may act for customs. */
    async officeOnDuty(q: Kysely<DB>, userId: string): Promise<string | undefined> {
      const duty = await repo.findDuty(q, userId);
      return duty?.on_duty ? duty.office_code : undefined;
    },

    /** Payment module callback (after the declaration's), inside the bank's transaction. */
    async onSettled(tx: Tx, settlement: { declarationId: string; prn: string }): Promise<void> {
      const task = await repo.taskAwaitingPayment(tx, settlement.declarationId);
      if (task) {
        await settleIfPaid(tx, task, null);
      }
    },

    /**
     * Outbox subscriber for `declaration.status_changed`: a declaration rejected by customs while
     * under verification closes its task (withdrawn). A cancelled one keeps its check open: the
     * goods are still there and follow the next declaration (carry-over), or a supervisor
     * withdraws the check. Idempotent: a closed task is left alone.
     */
    async onDeclarationStatusChanged(event: OutboxEvent, database: Kysely<DB>): Promise<void> {
      const payload = event.payload as { declarationId?: string; to?: string };
      if (!payload.declarationId || payload.to !== 'rejected') {
        return;
      }
      const declarationId = payload.declarationId;
      await inTransaction(database, async (tx) => {
        const task = await repo.liveTaskOf(tx, declarationId, { forUpdate: true });
        if (task) {
          await close(tx, task, 'withdraw', 'withdrawn', { actor: systemActor, requestId: null, reason: `the declaration was ${payload.to}` });
        }
      });
    },
  };

  async function reviewProtest(tx: Tx, caller: Caller, task: TaskRow, body: DecisionBody, decision: Record<string, unknown>): Promise<TaskRow> {
    const now = clock.now();
    let details: Record<string, unknown> = {};
    if (!body.uphold) {
      // The declared values come back; the re-assessment records the refund of what was paid.
      const amendment = task.amendment as { changes?: { itemNo: number; field: (typeof correctableFields)[number]; before: string }[] } | null;
      const undo = new Map<number, Correction>();
      for (const change of amendment?.changes ?? []) {
        undo.set(change.itemNo, { ...undo.get(change.itemNo), itemNo: change.itemNo, [change.field]: change.before });
      }
      const effect = await deps.declarations.applyCorrection(tx, task.declaration_id, [...undo.values()], {
        actor: caller.actor,
        requestId: caller.requestId,
        reason: `protest against verification ${task.number} upheld: the declared values stand: ${body.reason}`,
      });
      details = { refundDue: effect.refundDue ?? null, ...effectDetails(effect) };
      const findings = task.findings as Findings | null;
      await deps.outcomes.recordOutcome(tx, {
        declarationId: task.declaration_id,
        inspected: true,
        discrepancy: false,
        extraRevenue: '0.00',
        findings: { ...labelFindings(task), overturnedOnReview: body.reason },
        officerId: findings?.officerId ?? null,
      });
    }
    const reviewStatus = body.uphold ? 'upheld' : 'overturned';
    const after = await repo.updateTask(
      tx,
      task.id,
      {
        review_status: reviewStatus,
        decision: JSON.stringify({ ...decision, on: 'protest' }),
        history: step(task, { action: `protest_${reviewStatus}`, to: task.status, actor: caller.actor, reason: body.reason }),
      },
      now,
    );
    await recordAudit(tx, {
      actor: caller.actor,
      action: `verification.protest_${reviewStatus}`,
      entityType: 'verification_task',
      entityId: task.id,
      subjects: subjectsOf(task),
      before: { reviewStatus: task.review_status },
      after: { reviewStatus, number: task.number, ...details },
      reason: body.reason,
      requestId: caller.requestId,
      at: now,
    });
    return after;
  }

  return service;
}

export type InspectionService = ReturnType<typeof inspectionService>;

function dutyView(row: DutyRow) {
  return { officer: { id: row.user_id, name: row.officer_name }, officeCode: row.office_code, onDuty: row.on_duty, since: row.since.toISOString() };
}

function describePool(pool: Candidate[], eligible: number, officeCode: string): string {
  const load = pool[0]?.load ?? 0;
  return `${pool.length} of ${eligible} officers on duty at ${officeCode} (those with the fewest tasks awaiting findings: ${load})`;
}

/** What the amendment keeps: every corrected field before and after, and the totals. */
function amendmentOf(effect: CorrectionEffect, state: 'proposed' | 'applied', at: Date) {
  return {
    state,
    at: at.toISOString(),
    assessmentDate: effect.assessmentDate,
    changes: effect.changes,
    totalBefore: effect.totalBefore,
    totalAfter: effect.totalAfter,
    difference: effect.difference,
    totalsBefore: effect.totalsBefore,
    totalsAfter: effect.totalsAfter,
    ...(effect.prn ? { prn: effect.prn } : {}),
    ...(effect.refundDue ? { refundDue: effect.refundDue } : {}),
  };
}

function effectDetails(effect: CorrectionEffect) {
  return {
    changes: effect.changes,
    totalBefore: effect.totalBefore,
    totalAfter: effect.totalAfter,
    difference: effect.difference,
    ...(effect.prn ? { prn: effect.prn.prn, prnAmount: effect.prn.amount, prnKind: effect.prn.kind } : {}),
  };
}

/** The findings as the risk engine keeps them with the label. */
function labelFindings(task: TaskRow) {
  const findings = task.findings as Findings | null;
  const amendment = task.amendment as { changes?: unknown } | null;
  return {
    task: task.number,
    kind: task.kind,
    result: findings?.result ?? null,
    remarks: findings?.remarks ?? null,
    changes: amendment?.changes ?? [],
    difference: task.difference,
    outcome: task.outcome,
  };
}

function encodeCursor(row: TaskRow): string {
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
