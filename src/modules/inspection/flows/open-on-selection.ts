// Open on selection: the declaration's lodgement hook, inside the lodgement's (or approved
// amendment's) transaction. A yellow, red or blue declaration becomes a verification task for its
// office, drawn at once if an officer is on duty:
//
//   a live task already?   lodged again after an amendment: it stays with its officer, a higher
//                          channel raises the check
//   carry over             the open check of a cancelled earlier declaration of the same goods
//                          goes on under this one, with its officer (closed there as carried over)
//   open a task            for the office, with the channel's kind of check
//   draw an officer        at random among those on duty (least loaded first); nobody: it waits
import type { Tx } from '#platform/db/transaction.ts';
import { newId } from '#platform/ids.ts';
import { publish } from '#platform/events/outbox.ts';
import { recordAudit, systemActor } from '#modules/audit/index.ts';
import type { TaskKind, TaskRow } from '../inspection.tables.ts';
import { inspectionRepository as repo } from '../inspection.repository.ts';
import type { SelectedDeclaration } from '../inspection.ports.ts';
import { allocate, newNumber, step, subjectsOf, type InspectionServiceDeps } from '../inspection.steps.ts';
import { closeTask, type CloseDeps } from './close-task.ts';

export type OpenDeps = CloseDeps & Pick<InspectionServiceDeps, 'random'>;

/** The kind of check each channel asks for; green asks for none. */
const kindOf: Partial<Record<SelectedDeclaration['channel'], TaskKind>> = {
  yellow: 'documentary',
  red: 'physical',
  blue: 'post_clearance',
};
/** An amendment that raises the channel raises the check; it never lowers it. */
const kindRank: Record<TaskKind, number> = {
  post_clearance: 0,
  documentary: 1,
  physical: 2,
};

/** A declaration selected for a check: any channel but green. */
type Checked = SelectedDeclaration & {
  channel: Exclude<SelectedDeclaration['channel'], 'green'>;
};

/** The task of a selected declaration (raised, carried over or new); none for green. */
export async function openOnSelection(deps: OpenDeps, tx: Tx, selected: SelectedDeclaration): Promise<TaskRow | undefined> {
  const kind = kindOf[selected.channel];
  if (!kind || selected.channel === 'green') {
    return undefined;
  }
  const checked: Checked = { ...selected, channel: selected.channel };
  const live = await repo.liveTaskOf(tx, selected.declarationId, {
    forUpdate: true,
  });
  if (live) {
    return reselect(deps, tx, live, checked, kind);
  }
  const carried = await carryOver(deps, tx, checked, kind);
  if (carried) {
    return carried;
  }
  const task = await openTask(deps, tx, checked, kind);
  return allocate(deps, tx, task, {
    actor: systemActor,
    requestId: selected.requestId ?? null,
  });
}

/** Lodged again after an amendment: the live task stays with its officer; a higher channel raises the check. */
async function reselect(deps: OpenDeps, tx: Tx, live: TaskRow, selected: Checked, kind: TaskKind): Promise<TaskRow> {
  const raised = kindRank[kind] > kindRank[live.kind];
  const now = deps.clock.now();
  const after = await repo.updateTask(
    tx,
    live.id,
    {
      ...(raised ? { kind, channel: selected.channel } : {}),
      risk_reasons: JSON.stringify(selected.reasons),
      history: step(deps, live, {
        action: 'reselected',
        to: live.status,
        actor: systemActor,
        reason: `declaration lodged again (amendment): ${raised ? `check raised to ${kind}` : `the task stays ${live.kind}`}`,
      }),
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
    requestId: selected.requestId ?? null,
    at: now,
  });
  return after;
}

/** A new task for the office, waiting for an officer. */
async function openTask(deps: OpenDeps, tx: Tx, selected: Checked, kind: TaskKind): Promise<TaskRow> {
  const now = deps.clock.now();
  const task = await insertTask(tx, selected, {
    number: await newNumber(deps, tx, selected.officeCode),
    kind,
    channel: selected.channel,
    status: 'open',
    assigned_officer_id: null,
    assigned_officer_name: null,
    history: JSON.stringify([
      {
        at: now.toISOString(),
        action: 'created',
        from: null,
        to: 'open',
        by: {
          id: systemActor.id,
          name: systemActor.name,
          role: systemActor.role,
        },
        reason: `channel ${selected.channel}`,
      },
    ]),
    now,
  });
  await recordAudit(tx, {
    actor: systemActor,
    action: 'verification.task_created',
    entityType: 'verification_task',
    entityId: task.id,
    subjects: subjectsOf(task),
    after: {
      number: task.number,
      kind,
      status: task.status,
      officeCode: task.office_code,
    },
    reason: `${selected.channel} channel: ${kind === 'post_clearance' ? 'post-clearance audit, release is not held' : `${kind} check before release`}`,
    requestId: selected.requestId ?? null,
    at: now,
  });
  await announceTaskCreated(tx, task);
  return task;
}

/**
 * The check of a cancelled declaration carries over to the declaration that declares the same
 * goods again: its task closes as carried over and the new declaration's task goes straight to
 * the officer it was drawn for (or is drawn again if that officer is off duty), at the more
 * demanding of the two checks. Cancelling and lodging again neither ends a check nor draws
 * another officer.
 */
async function carryOver(deps: OpenDeps, tx: Tx, selected: SelectedDeclaration, kind: TaskKind): Promise<TaskRow | undefined> {
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
  const now = deps.clock.now();
  const carriedKind = kindRank[earlier.kind] > kindRank[kind] ? earlier.kind : kind;
  const number = await newNumber(deps, tx, selected.officeCode);
  await closeTask(deps, tx, earlier, 'carry_over', 'carried_over', {
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
        by: {
          id: systemActor.id,
          name: systemActor.name,
          role: systemActor.role,
        },
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
    after: {
      number: task.number,
      kind: task.kind,
      status: task.status,
      carriedFrom: earlier.number,
      ...(officer
        ? {
            assignedOfficer: {
              id: officer.officerId,
              name: officer.officerName,
            },
          }
        : {}),
    },
    reason: `the check of cancelled declaration ${earlier.declaration_reference} (${earlier.number}) goes on under ${selected.reference}`,
    requestId,
    at: now,
  });
  await announceTaskCreated(tx, task);
  return officer
    ? task
    : allocate(deps, tx, task, {
        actor: systemActor,
        requestId,
        reason: `${earlier.assigned_officer_name ?? 'the officer'} of ${earlier.number} is not on duty at ${selected.officeCode}`,
      });
}

/** A new task for a selected declaration: its own fields, and the declaration's as it was selected. */
function insertTask(
  tx: Tx,
  selected: SelectedDeclaration,
  task: Pick<TaskRow, 'number' | 'kind' | 'channel' | 'status' | 'assigned_officer_id' | 'assigned_officer_name'> & {
    assigned_at?: Date | null;
    carried_from?: string;
    history: string;
    now: Date;
  },
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

/** Tells whoever follows verification that a task exists (a new one, or one carried over). */
async function announceTaskCreated(tx: Tx, task: TaskRow): Promise<void> {
  await publish(tx, 'verification.task_created', task.id, {
    taskId: task.id,
    number: task.number,
    declarationId: task.declaration_id,
    reference: task.declaration_reference,
    officeCode: task.office_code,
    kind: task.kind,
  });
}
