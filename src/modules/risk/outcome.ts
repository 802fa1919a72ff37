// The inspection outcome of a declaration: the label the next model learns from and the figure
// monitoring counts hits and revenue with. Verification calls recordOutcome in the transaction
// that closes its task; one outcome per declaration, and a repeat with the same facts changes
// nothing (a later, different outcome, e.g. after an escalation, replaces it and is audited).
import type { Tx } from '#platform/db/transaction.ts';
import { Dec, parseDecimal, fixed } from '#platform/money.ts';
import { invalid } from '#platform/http/problem.ts';
import { recordAudit, systemActor, type Actor } from '#modules/audit/index.ts';
import { riskRepository as repo } from './risk.repository.ts';

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
  const extra = fixed(revenue.toDecimalPlaces(2), 2);
  const findings = input.findings === undefined ? null : JSON.stringify(input.findings);
  const at = input.at ?? new Date();
  const before = await repo.outcomeOf(tx, input.declarationId, {
    forUpdate: true,
  });
  if (
    before &&
    before.inspected === input.inspected &&
    before.discrepancy === input.discrepancy &&
    new Dec(before.extra_revenue).equals(extra) &&
    canonical(before.findings ?? null) === canonical(input.findings ?? null) &&
    before.officer_id === input.officerId
  ) {
    return { declarationId: input.declarationId, changed: false };
  }
  await repo.upsertOutcome(tx, {
    declaration_id: input.declarationId,
    inspected: input.inspected,
    discrepancy: input.discrepancy,
    extra_revenue: extra,
    findings,
    officer_id: input.officerId,
    recorded_at: at,
    updated_at: at,
  });
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
      extraRevenue: extra,
      officerId: input.officerId,
    },
    requestId: input.requestId ?? null,
    at,
  });
  return { declarationId: input.declarationId, changed: true };
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
