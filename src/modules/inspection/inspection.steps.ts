// A verification task's own steps, shared by the inspection service (the task's commands) and its
// flows (flows/: open on selection, close, apply corrections, settle when paid, review a protest,
// change of duty):
//
//   moveTask   a status change: transition() checks the lifecycle, updates WHERE status = <from>,
//              writes the history step, the audit record and the `verification.status_changed` event
//   allocate   the random draw of an officer on duty for a waiting task (or another, reassigning)
//   assign     the task given to a named officer
//   newNumber  2026MBAVT000123
//
// Each runs in the caller's transaction; none opens one.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { localDate, type Clock } from '#platform/clock.ts';
import { Dec, fixed } from '#platform/money.ts';
import { nextSerial, reference as tradeReference } from '#platform/ids.ts';
import type { Principal } from '#platform/http/auth.ts';
import { transition, type Actor } from '#modules/audit/index.ts';
import { documentSubject } from '#modules/manifest/index.ts';
import type { TaskRow } from './inspection.tables.ts';
import { taskLifecycle, type TaskAction } from './inspection.state.ts';
import { inspectionRepository as repo, type TaskPatch } from './inspection.repository.ts';
import { cryptoRandomInt, drawOfficer, type Candidate, type RandomInt } from './inspection.allocation.ts';
import type { BalancePort, Correction, CorrectionEffect, DeclarationPort, OfficerDirectory, OutcomePort, ReferencePort, VerificationSubject } from './inspection.ports.ts';

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

export interface HistoryEntry {
  at: string;
  action: string;
  from: string | null;
  to: string;
  by: { id: string; name: string; role: string };
  reason?: string;
  officer?: { id: string; name: string };
}

export interface Findings {
  result: 'no_discrepancy' | 'discrepancy';
  corrections: Correction[];
  remarks: string | null;
  officerId: string;
  officerName: string;
  at: string;
}

/** Declaration statuses in which the whole assessment has been paid. */
export const paidStatuses = new Set(['paid', 'released', 'exited']);

export const money = (d: Dec | string) => fixed(new Dec(d), 2);

type ClockDeps = Pick<InspectionServiceDeps, 'clock'>;

/** A task's steps belong to the declaration, its transport document (by id) and the task number. */
export function subjectsOf(task: TaskRow): string[] {
  return [task.declaration_reference, task.transport_document_id ? documentSubject(task.transport_document_id) : task.transport_document_number, task.number];
}

function historyOf(task: TaskRow): HistoryEntry[] {
  return Array.isArray(task.history) ? (task.history as HistoryEntry[]) : [];
}

/** The task's history with one more step. */
export function step(deps: ClockDeps, task: TaskRow, entry: Omit<HistoryEntry, 'at' | 'from' | 'by'> & { actor: Actor }): string {
  const { actor, ...rest } = entry;
  const item: HistoryEntry = {
    at: deps.clock.now().toISOString(),
    from: task.status,
    by: { id: actor.id, name: actor.name, role: actor.role },
    ...rest,
  };
  return JSON.stringify([...historyOf(task), item]);
}

/** Moves the task on: one update, its history step, its audit record and its outbox event. */
export async function moveTask(
  deps: ClockDeps,
  tx: Tx,
  task: TaskRow,
  action: TaskAction,
  change: {
    patch?: TaskPatch;
    actor: Actor;
    requestId: string | null;
    reason?: string | null;
    details?: Record<string, unknown>;
    officer?: { id: string; name: string };
    auditAction?: string;
  },
): Promise<TaskRow> {
  const status = taskLifecycle.next(task.status, action);
  const now = deps.clock.now();
  const event = {
    topic: 'verification.status_changed',
    key: task.id,
    payload: {
      taskId: task.id,
      number: task.number,
      declarationId: task.declaration_id,
      reference: task.declaration_reference,
      officeCode: task.office_code,
      from: task.status,
      to: status,
      at: now.toISOString(),
    },
  };
  return transition(tx, {
    lifecycle: taskLifecycle,
    table: 'verification_task',
    id: task.id,
    from: task.status,
    action,
    set: {
      ...change.patch,
      history: step(deps, task, {
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
      after: {
        status,
        version: after.version,
        number: task.number,
        kind: after.kind,
        ...change.details,
      },
      reason: change.reason ?? null,
      requestId: change.requestId,
      at: now,
    }),
    // A reassignment keeps the status: nobody outside the task needs to hear of it.
    ...(task.status === status ? {} : { event }),
  });
}

/** 2026MBAVT000123. */
export async function newNumber(deps: ClockDeps, tx: Tx, officeCode: string): Promise<string> {
  const year = localDate(deps.clock.now()).slice(0, 4);
  const serial = await nextSerial(tx, `vt_${year}_${officeCode}`);
  return tradeReference({ year, office: officeCode, kind: 'VT', serial });
}

/**
 * Draws an officer for a task waiting at its office (or, reassigning, another one). Leaves the
 * task waiting when nobody eligible is on duty.
 */
export async function allocate(
  deps: Pick<InspectionServiceDeps, 'clock' | 'random'>,
  tx: Tx,
  task: TaskRow,
  context: {
    actor: Actor;
    requestId: string | null;
    exclude?: ReadonlySet<string>;
    reason?: string;
  },
): Promise<TaskRow> {
  const candidates = await repo.onDutyWithLoad(tx, task.office_code);
  const draw = drawOfficer(candidates, deps.random ?? cryptoRandomInt, context.exclude);
  if (!draw) {
    return task;
  }
  return assign(deps, tx, task, draw.chosen, {
    action: task.status === 'open' ? 'allocate' : 'reassign',
    actor: context.actor,
    requestId: context.requestId,
    reason: `${context.reason ? `${context.reason}; ` : ''}drawn at random among ${describePool(draw.pool, draw.eligible, task.office_code)}`,
    details: {
      drawnAmong: draw.pool.length,
      onDuty: draw.eligible,
      load: draw.chosen.load,
    },
  });
}

/** The task given to `officer` (drawn, or named by a supervisor). */
export async function assign(
  deps: ClockDeps,
  tx: Tx,
  task: TaskRow,
  officer: Candidate,
  context: {
    action: 'allocate' | 'reassign';
    actor: Actor;
    requestId: string | null;
    reason: string;
    details?: Record<string, unknown>;
  },
): Promise<TaskRow> {
  const officerRef = { id: officer.officerId, name: officer.officerName };
  return moveTask(deps, tx, task, context.action, {
    patch: {
      assigned_officer_id: officer.officerId,
      assigned_officer_name: officer.officerName,
      assigned_at: deps.clock.now(),
    },
    actor: context.actor,
    requestId: context.requestId,
    reason: context.reason,
    officer: officerRef,
    details: {
      assignedOfficer: officerRef,
      previousOfficer: task.assigned_officer_id ? { id: task.assigned_officer_id, name: task.assigned_officer_name } : null,
      ...context.details,
    },
    auditAction: context.action === 'allocate' ? 'verification.allocated' : 'verification.reassigned',
  });
}

export function describePool(pool: Candidate[], eligible: number, officeCode: string): string {
  const load = pool[0]?.load ?? 0;
  return `${pool.length} of ${eligible} officers on duty at ${officeCode} (those with the fewest tasks awaiting findings: ${load})`;
}

/** The declaration the task verifies, as verification sees it. */
export async function subjectOf(deps: Pick<InspectionServiceDeps, 'declarations'>, q: Kysely<DB>, task: TaskRow): Promise<VerificationSubject> {
  const subject = await deps.declarations.forVerification(q, task.declaration_id);
  if (!subject) {
    throw new Error(`verification task ${task.number} belongs to unknown declaration ${task.declaration_id}`);
  }
  return subject;
}

/** What the amendment keeps: every corrected field before and after, and the totals. */
export function amendmentOf(effect: CorrectionEffect, state: 'proposed' | 'applied', at: Date) {
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

export function effectDetails(effect: CorrectionEffect) {
  return {
    changes: effect.changes,
    totalBefore: effect.totalBefore,
    totalAfter: effect.totalAfter,
    difference: effect.difference,
    ...(effect.prn
      ? {
          prn: effect.prn.prn,
          prnAmount: effect.prn.amount,
          prnKind: effect.prn.kind,
        }
      : {}),
  };
}

/** The findings as the risk engine keeps them with the label. */
export function labelFindings(task: TaskRow) {
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
