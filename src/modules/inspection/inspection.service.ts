// Verification of selected declarations, from selection to the training label: the task's own
// commands (findings, the declarant's answer, a supervisor's decision, withdrawal, reassignment,
// reads) and the hooks through which the declaration and payment modules reach it. The flows
// that cross modules live in flows/, each one function of named steps that this service calls:
//
//   lodgement selects yellow/red/blue -> a task for the office, drawn among officers on duty  flows/open-on-selection.ts
//   an officer comes on or goes off duty: tasks drawn or handed back                         flows/change-duty.ts
//   the officer records findings: none -> closed, control passed, label for the risk engine  flows/close-task.ts
//                                 discrepancy -> re-assessed with the corrections -> the declarant answers
//   accept / pay under protest / upheld -> the corrections amend the declaration            flows/apply-corrections.ts
//   the difference paid -> closed, control passed                                           flows/settle-when-paid.ts
//   reject -> a supervisor decides: uphold (as accept) or overturn (the declared assessment stands)
//   a protest reviewed once paid: overturned -> the declared values come back, and a refund flows/review-protest.ts
//
// Every change is one transaction with its audit record (subjects: the declaration reference and
// the B/L number, so it shows on the consignment's timeline); every status change goes through
// the platform's transition() (inspection.steps.ts moveTask), with its outbox event.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { Dec, parseDecimal } from '#platform/money.ts';
import { conflict, FieldErrors, forbidden, invalid, notFound, ProblemError } from '#platform/http/problem.ts';
import { isCustoms, type Principal } from '#platform/http/auth.ts';
import type { OutboxEvent } from '#platform/events/outbox.ts';
import { systemActor } from '#modules/audit/index.ts';
import type { TaskRow, DutyRow } from './inspection.tables.ts';
import { taskLifecycle, type TaskAction } from './inspection.state.ts';
import { inspectionRepository as repo, type TaskPatch } from './inspection.repository.ts';
import { cryptoRandomInt, drawOfficer } from './inspection.allocation.ts';
import { taskView, type TaskView } from './inspection.view.ts';
import { correctableFields, type Correction, type CorrectionEffect, type SelectedDeclaration, type VerificationSubject } from './inspection.ports.ts';
import type { DecisionBody, DutyBody, DutyQuery, FindingsBody, ReassignBody, ResponseBody, TaskListQuery } from './inspection.schemas.ts';
import { amendmentOf, assign, describePool, effectDetails, moveTask, subjectOf, type Caller, type Findings, type InspectionServiceDeps } from './inspection.steps.ts';
import { openOnSelection } from './flows/open-on-selection.ts';
import { changeDuty } from './flows/change-duty.ts';
import { closeTask } from './flows/close-task.ts';
import { applyCorrections } from './flows/apply-corrections.ts';
import { settleIfPaid } from './flows/settle-when-paid.ts';
import { reviewProtest } from './flows/review-protest.ts';

export type { Caller, InspectionServiceDeps } from './inspection.steps.ts';

export function inspectionService(deps: InspectionServiceDeps) {
  const { db, clock } = deps;
  const random = deps.random ?? cryptoRandomInt;

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
      return openOnSelection(deps, tx, selected);
    },

    /**
     * An officer (or their supervisor for them) comes on or goes off duty at an office. Coming
     * on duty draws the tasks waiting at the office; going off (or moving office) hands back the
     * tasks still awaiting the officer's findings, which are drawn again among those on duty.
     */
    async setDuty(tx: Tx, caller: Caller, body: DutyBody) {
      const { duty, handedBack, allocated } = await changeDuty(deps, tx, caller, body);
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
      const subject = await subjectOf(deps, tx, task);
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
        const closed = await closeTask(deps, tx, task, 'clear', 'no_discrepancy', {
          actor: caller.actor,
          requestId: caller.requestId,
          reason: body.remarks ?? 'no discrepancy found',
          patch: { findings: JSON.stringify(findings), difference: '0.00' },
        });
        return taskView(closed, caller.principal);
      }
      const effect = await preview(tx, subject, corrections);
      const moved = await moveTask(deps, tx, task, 'discrepancy', {
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
        after = await moveTask(deps, tx, task, 'reject', {
          patch: { response: JSON.stringify(response) },
          actor: caller.actor,
          requestId: caller.requestId,
          reason: body.reason ?? null,
          auditAction: 'verification.rejected',
          details: { escalatedTo: 'supervisor' },
        });
      } else {
        after = await applyCorrections(deps, tx, task, action, {
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
          ? await applyCorrections(deps, tx, task, 'uphold', { actor: caller.actor, requestId: caller.requestId, reason: `rejection of verification ${task.number} decided: corrections upheld: ${body.reason}`, patch })
          : await closeTask(deps, tx, task, 'overturn', 'overturned', { actor: caller.actor, requestId: caller.requestId, reason: `corrections overturned, the declared assessment stands: ${body.reason}`, patch });
        return taskView(after, caller.principal);
      }
      if (task.review_status === 'pending') {
        if (task.status !== 'closed') {
          throw conflict(`Verification ${task.number} is ${task.status}: a payment under protest is reviewed once the difference is paid`, { state: task.status });
        }
        return taskView(await reviewProtest(deps, tx, caller, task, body, decision), caller.principal);
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
      const subject = await subjectOf(deps, tx, task);
      if (subject.status !== 'cancelled') {
        throw conflict(`Declaration ${subject.reference} is ${subject.status}: only the check of a cancelled declaration is withdrawn; otherwise the officer records findings`, {
          state: task.status,
          declarationStatus: subject.status,
        });
      }
      return taskView(await closeTask(deps, tx, task, 'withdraw', 'withdrawn', { actor: caller.actor, requestId: caller.requestId, reason }), caller.principal);
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
        after = await assign(deps, tx, task, chosen, { action: 'reassign', actor: caller.actor, requestId: caller.requestId, reason: body.reason, details: { by: 'supervisor' } });
      } else {
        const exclude = new Set(task.assigned_officer_id ? [task.assigned_officer_id] : []);
        const draw = drawOfficer(candidates, random, exclude);
        if (!draw) {
          throw conflict(`No other officer is on duty at ${task.office_code} to take ${task.number}`, { state: task.status });
        }
        after = await assign(deps, tx, task, draw.chosen, {
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
        await settleIfPaid(deps, tx, task, null);
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
          await closeTask(deps, tx, task, 'withdraw', 'withdrawn', { actor: systemActor, requestId: null, reason: `the declaration was ${payload.to}` });
        }
      });
    },
  };

  return service;
}

export type InspectionService = ReturnType<typeof inspectionService>;

function dutyView(row: DutyRow) {
  return { officer: { id: row.user_id, name: row.officer_name }, officeCode: row.office_code, onDuty: row.on_duty, since: row.since.toISOString() };
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
