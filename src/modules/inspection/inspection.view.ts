// How a verification task is shown, written once per audience as a whitelist of fields
// (platform/http/audience.ts). Customs see everything: why the declaration was selected, who
// holds the task, every step. The declarant and the importer see the status of their
// declaration's verification, the findings and corrections, the difference and what to pay,
// never the risk reasons (that would teach how to avoid a check) nor which officer holds it or
// decided (nobody should know whom to approach). Carriers, banks and terminals see no task.
import { audienceOf, viewFor, type Whitelist } from '#platform/http/audience.ts';
import type { Principal } from '#platform/http/auth.ts';
import type { TaskRow } from './inspection.tables.ts';
import { taskLifecycle } from './inspection.state.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const tradeFields = [
  'id',
  'number',
  'declaration',
  'officeCode',
  'kind',
  'channel',
  'status',
  'findings.result',
  'findings.corrections',
  'findings.remarks',
  'findings.at',
  'amendment',
  'difference',
  'response',
  'decision.uphold',
  'decision.reason',
  'decision.at',
  'decision.on',
  'reviewStatus',
  'payment',
  'outcome',
  'carriedFrom',
  'version',
  'createdAt',
  'updatedAt',
  'closedAt',
] as const;

export const taskWhitelist: Whitelist = {
  customs: [...tradeFields.filter((f) => !f.includes('.')), 'findings', 'decision', 'riskReasons', 'assignedOfficer', 'assignedAt', 'history', 'allowedActions'],
  trade: tradeFields,
  carrier: [],
  bank: [],
  terminal: [],
};

export type TaskView = Record<string, unknown> & { id: string; number: string; status: string };

export function taskView(row: TaskRow, viewer: Principal): TaskView {
  const full = {
    id: row.id,
    number: row.number,
    declaration: { id: row.declaration_id, reference: row.declaration_reference, transportDocumentNumber: row.transport_document_number },
    officeCode: row.office_code,
    kind: row.kind,
    channel: row.channel,
    status: row.status,
    findings: row.findings,
    amendment: row.amendment,
    difference: row.difference,
    response: row.response,
    decision: row.decision,
    reviewStatus: row.review_status,
    payment: row.prn ? { prn: row.prn, amount: row.prn_amount } : null,
    outcome: row.outcome,
    carriedFrom: row.carried_from,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    closedAt: iso(row.closed_at),
    riskReasons: row.risk_reasons,
    assignedOfficer: row.assigned_officer_id ? { id: row.assigned_officer_id, name: row.assigned_officer_name } : null,
    assignedAt: iso(row.assigned_at),
    history: row.history,
    allowedActions: taskLifecycle.allowed(row.status).filter((a) => !['allocate', 'unassign', 'withdraw', 'settle', 'carry_over'].includes(a)),
  };
  return viewFor(full, taskWhitelist, audienceOf(viewer)) as TaskView;
}
