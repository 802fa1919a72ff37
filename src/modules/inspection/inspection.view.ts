// How a verification task is shown. Customs see everything: why the declaration was selected,
// who holds the task, every step. The declarant and the importer see the status of their
// declaration's verification, the findings and corrections, the difference and what to pay,
// never the risk reasons (that would teach how to avoid a check) nor which officer holds it.
import { isCustoms, type Principal } from '#platform/http/auth.ts';
import type { TaskRow } from './inspection.tables.ts';
import { taskLifecycle } from './inspection.state.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function taskView(row: TaskRow, viewer: Principal) {
  const common = {
    id: row.id,
    number: row.number,
    declaration: { id: row.declaration_id, reference: row.declaration_reference, transportDocumentNumber: row.transport_document_number },
    officeCode: row.office_code,
    kind: row.kind,
    channel: row.channel,
    status: row.status,
    findings: partyFindings(row.findings),
    amendment: row.amendment,
    difference: row.difference,
    response: row.response,
    decision: partyDecision(row.decision),
    reviewStatus: row.review_status,
    payment: row.prn ? { prn: row.prn, amount: row.prn_amount } : null,
    outcome: row.outcome,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    closedAt: iso(row.closed_at),
  };
  if (!isCustoms(viewer)) {
    return common;
  }
  return {
    ...common,
    findings: row.findings,
    decision: row.decision,
    riskReasons: row.risk_reasons,
    assignedOfficer: row.assigned_officer_id ? { id: row.assigned_officer_id, name: row.assigned_officer_name } : null,
    assignedAt: iso(row.assigned_at),
    history: row.history,
    allowedActions: taskLifecycle.allowed(row.status).filter((a) => a !== 'allocate' && a !== 'unassign' && a !== 'withdraw' && a !== 'settle'),
  };
}

export type TaskView = ReturnType<typeof taskView>;

/** The findings without who recorded them. */
function partyFindings(findings: unknown): unknown {
  if (findings === null || typeof findings !== 'object') {
    return findings;
  }
  const { result, corrections, remarks, at } = findings as Record<string, unknown>;
  return { result, corrections, remarks, at };
}

function partyDecision(decision: unknown): unknown {
  if (decision === null || typeof decision !== 'object') {
    return decision;
  }
  const { uphold, reason, at, on } = decision as Record<string, unknown>;
  return { uphold, reason, at, on };
}
