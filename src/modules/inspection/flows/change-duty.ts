// Change of duty: an officer (or their supervisor for them) comes on or goes off duty at an
// office, in that request's transaction. Allocation at the offices concerned waits for it:
//
//   check who may      nobody rosters themselves on; only supervisors set another's duty
//   lock the rosters   of the old and new office, in one ordered statement (no deadlock)
//   record the duty    its audit record when it changed
//   hand back          tasks still awaiting the officer's findings go back (transition()) and
//                      are drawn again among those on duty
//   draw waiting tasks an officer coming on duty is drawn for the tasks waiting at the office
import type { Tx } from '#platform/db/transaction.ts';
import { FieldErrors, forbidden } from '#platform/http/problem.ts';
import { recordAudit, systemActor } from '#modules/audit/index.ts';
import type { DutyRow } from '../inspection.tables.ts';
import { inspectionRepository as repo } from '../inspection.repository.ts';
import type { DutyBody } from '../inspection.schemas.ts';
import { allocate, moveTask, type Caller, type InspectionServiceDeps } from '../inspection.steps.ts';

export type DutyDeps = Pick<InspectionServiceDeps, 'clock' | 'random' | 'reference' | 'officers'>;

/** The officer's duty as it now stands, the tasks handed back and those drawn for the officer. */
export async function changeDuty(deps: DutyDeps, tx: Tx, caller: Caller, body: DutyBody): Promise<{ duty: DutyRow; handedBack: string[]; allocated: string[] }> {
  const change = await checkWhoMay(deps, tx, caller, body);
  const { duty, before } = await recordDuty(deps, tx, caller, change);
  const handedBack = before?.on_duty && (!change.onDuty || before.office_code !== change.officeCode) ? await handBack(deps, tx, caller, change, before.office_code) : [];
  const allocated = change.onDuty ? await drawWaiting(deps, tx, caller, change) : [];
  return { duty, handedBack, allocated };
}

interface DutyChange {
  officeCode: string;
  officerId: string;
  /** The officer's name as the roster shows it. */
  name: string;
  self: boolean;
  onDuty: boolean;
}

/** Nobody rosters themselves on; only supervisors set another officer's duty; only officers go on duty. */
async function checkWhoMay(deps: DutyDeps, tx: Tx, caller: Caller, body: DutyBody): Promise<DutyChange> {
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
  const officer = self
    ? {
        id: caller.principal.id,
        displayName: caller.principal.name,
        roles: caller.principal.roles as string[],
        active: true,
        organisation: { kind: caller.principal.organisationKind },
      }
    : await deps.officers.user(tx, officerId);
  const isOfficer = officer?.active === true && officer.organisation.kind === 'customs' && officer.roles.includes('officer');
  if (!isOfficer) {
    if (self) {
      throw forbidden('Only customs officers go on duty to verify declarations; you do not hold the officer role');
    }
    errors.add('/officerId', 'not_an_officer', 'must be an active customs user with the officer role');
  }
  errors.throwIfAny();
  return {
    officeCode,
    officerId,
    name: officer?.displayName ?? '',
    self,
    onDuty: body.onDuty,
  };
}

/**
 * Allocation at these offices waits for this change (and sees it): the rosters are locked in one
 * ordered statement, so two officers changing duty at once cannot deadlock. Audited when it changed.
 */
async function recordDuty(deps: DutyDeps, tx: Tx, caller: Caller, change: DutyChange): Promise<{ duty: DutyRow; before: DutyRow | undefined }> {
  const { officeCode, officerId, name } = change;
  const seen = await repo.findDuty(tx, officerId);
  await repo.lockDuty(tx, [officeCode, ...(seen ? [seen.office_code] : [])], officerId);
  const before = await repo.findDuty(tx, officerId);
  const now = deps.clock.now();
  const unchanged = before?.on_duty === change.onDuty && before.office_code === officeCode;
  const duty = await repo.upsertDuty(tx, {
    user_id: officerId,
    officer_name: name,
    office_code: officeCode,
    on_duty: change.onDuty,
    since: unchanged ? before.since : now,
    updated_by: caller.actor.name,
  });
  if (!unchanged) {
    await recordAudit(tx, {
      actor: caller.actor,
      action: change.onDuty ? 'officer.on_duty' : 'officer.off_duty',
      entityType: 'officer_duty',
      entityId: officerId,
      subjects: [`duty:${officeCode}`],
      before: before ? { officeCode: before.office_code, onDuty: before.on_duty } : null,
      after: {
        officeCode,
        onDuty: change.onDuty,
        officer: { id: officerId, name },
      },
      reason: change.self ? null : `set by supervisor ${caller.actor.name}`,
      requestId: caller.requestId,
      at: now,
    });
  }
  return { duty, before };
}

/** Tasks still awaiting the officer's findings go back and are drawn again among those on duty. */
async function handBack(deps: DutyDeps, tx: Tx, caller: Caller, change: DutyChange, previousOffice: string): Promise<string[]> {
  const handedBack: string[] = [];
  for (const task of await repo.workingTasksOf(tx, change.officerId)) {
    const open = await moveTask(deps, tx, task, 'unassign', {
      patch: {
        assigned_officer_id: null,
        assigned_officer_name: null,
        assigned_at: null,
      },
      actor: caller.actor,
      requestId: caller.requestId,
      reason: `${change.name} went off duty at ${previousOffice} before recording findings`,
      details: { previousOfficer: { id: change.officerId, name: change.name } },
      auditAction: 'verification.handed_back',
    });
    handedBack.push(task.number);
    await allocate(deps, tx, open, {
      actor: systemActor,
      requestId: caller.requestId,
      exclude: new Set([change.officerId]),
      reason: 'handed back',
    });
  }
  return handedBack;
}

/** An officer coming on duty: the tasks waiting at the office are drawn (among all on duty). */
async function drawWaiting(deps: DutyDeps, tx: Tx, caller: Caller, change: DutyChange): Promise<string[]> {
  const allocated: string[] = [];
  for (const task of await repo.waitingTasks(tx, change.officeCode)) {
    const drawn = await allocate(deps, tx, task, {
      actor: systemActor,
      requestId: caller.requestId,
      reason: `${change.name} came on duty at ${change.officeCode}`,
    });
    if (drawn.status === 'assigned') {
      allocated.push(drawn.number);
    }
  }
  return allocated;
}
