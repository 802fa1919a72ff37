// Record an inspection outcome: the verification flow (inspection module) calls it in the
// transaction that closes its task. The outcome is the label the next model learns from and the
// figure monitoring counts hits and revenue with. One outcome per declaration; a repeat with the
// same facts changes nothing, a later, different one (after an escalation, say) replaces it.
//
//   check the outcome          revenue a non-negative KES amount; no discrepancy without inspection
//   lock the earlier one       the declaration's outcome so far, if any
//   same facts: stop           a redelivered close changes nothing and writes no audit record
//   store it                   insert, or replace the earlier one (recorded_at stays the first)
//   record it                  risk.outcome_recorded or risk.outcome_changed, on the declaration's reference
import type { Tx } from '#platform/db/transaction.ts';
import { Dec, parseDecimal, fixed } from '#platform/money.ts';
import { invalid } from '#platform/http/problem.ts';
import { recordAudit, systemActor, type Actor } from '#modules/audit/index.ts';
import { riskRepository as repo } from '../risk.repository.ts';
import type { OutcomeRow } from '../risk.tables.ts';

export interface OutcomeInput {
  declarationId: string;
  /** An officer actually checked the goods or documents. */
  inspected: boolean;
  /** The check found a discrepancy (wrong HS code, value, quantity, origin...). */
  discrepancy: boolean;
  /** Duties and taxes recovered by the check, KES decimal string. */
  extraRevenue: string;
  findings: unknown;
  officerId: string | null;
  actor?: Actor;
  requestId?: string | null;
  at?: Date;
}

export interface OutcomeResult {
  declarationId: string;
  changed: boolean;
}

export async function recordOutcome(tx: Tx, input: OutcomeInput): Promise<OutcomeResult> {
  const checked = checkOutcome(input);
  const before = await repo.outcomeOf(tx, input.declarationId, { forUpdate: true });
  if (before && sameFacts(before, input, checked.extra)) {
    return { declarationId: input.declarationId, changed: false };
  }
  await storeOutcome(tx, input, checked);
  await auditOutcome(tx, input, before, checked);
  return { declarationId: input.declarationId, changed: true };
}

interface Checked {
  /** Extra revenue, KES with 2 decimals. */
  extra: string;
  findings: string | null;
  at: Date;
}

/** The outcome's figures, or a 422 naming the field. */
function checkOutcome(input: OutcomeInput): Checked {
  const revenue = parseDecimal(input.extraRevenue);
  if (!revenue || revenue.isNegative()) {
    throw invalid([
      {
        pointer: '/extraRevenue',
        code: 'invalid_amount',
        message: 'must be a non-negative decimal amount in KES, e.g. "12500.00"',
      },
    ]);
  }
  if (input.discrepancy && !input.inspected) {
    throw invalid([
      {
        pointer: '/discrepancy',
        code: 'not_inspected',
        message: 'a discrepancy can only be found by an inspection: set inspected to true',
      },
    ]);
  }
  return {
    extra: fixed(revenue.toDecimalPlaces(2), 2),
    findings: input.findings === undefined ? null : JSON.stringify(input.findings),
    at: input.at ?? new Date(),
  };
}

/** The earlier outcome says the same: inspected, discrepancy, revenue, findings and officer. */
function sameFacts(before: OutcomeRow, input: OutcomeInput, extra: string): boolean {
  return (
    before.inspected === input.inspected &&
    before.discrepancy === input.discrepancy &&
    new Dec(before.extra_revenue).equals(extra) &&
    canonical(before.findings ?? null) === canonical(input.findings ?? null) &&
    before.officer_id === input.officerId
  );
}

async function storeOutcome(tx: Tx, input: OutcomeInput, checked: Checked): Promise<void> {
  await repo.upsertOutcome(tx, {
    declaration_id: input.declarationId,
    inspected: input.inspected,
    discrepancy: input.discrepancy,
    extra_revenue: checked.extra,
    findings: checked.findings,
    officer_id: input.officerId,
    recorded_at: checked.at,
    updated_at: checked.at,
  });
}

/** Its audit record, on the declaration's reference (from the current selection) when there is one. */
async function auditOutcome(tx: Tx, input: OutcomeInput, before: OutcomeRow | undefined, checked: Checked): Promise<void> {
  const reference = await repo.currentSelectionReference(tx, input.declarationId);
  await recordAudit(tx, {
    actor: input.actor ?? systemActor,
    action: before ? 'risk.outcome_changed' : 'risk.outcome_recorded',
    entityType: 'risk_outcome',
    entityId: input.declarationId,
    subjects: reference === undefined ? [] : [reference],
    before: before
      ? {
          inspected: before.inspected,
          discrepancy: before.discrepancy,
          extraRevenue: before.extra_revenue,
        }
      : null,
    after: {
      inspected: input.inspected,
      discrepancy: input.discrepancy,
      extraRevenue: checked.extra,
      officerId: input.officerId,
    },
    requestId: input.requestId ?? null,
    at: checked.at,
  });
}

/** JSON with keys sorted: jsonb does not keep the order in which keys were written. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
