// Select at lodgement: the declaration module's lodgement (and an amendment's re-selection) asks
// the risk engine for a channel through its Selectivity port, inside the lodgement's transaction:
//
//   decide                  the engine's steps (engine.ts): consignment, prohibited goods, rules,
//                           watchlists, valuation, model, random draw; reads through the transaction
//   record the decision     risk_selection, with every hit, the model's version and score, the
//                           draw and the facts seen; the declaration's earlier decision superseded
//   answer                  channel, score, reasons and the version of what decided
// Without a transaction (a preview) it decides on the engine's caches and records nothing.
import type { Clock } from '#platform/clock.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { newId } from '#platform/ids.ts';
import type { Decision, RiskEngine } from '../engine.ts';
import type { AssignOptions, DeclarationForRisk, SelectivityResult } from '../selectivity.ts';
import { riskRepository as repo } from '../risk.repository.ts';

export async function selectAtLodgement(deps: { clock: Clock; engine: Pick<RiskEngine, 'evaluate'> }, d: DeclarationForRisk, tx?: Tx, options?: AssignOptions): Promise<SelectivityResult> {
  const decision = await deps.engine.evaluate(d, tx);
  if (tx) {
    await recordDecision(deps.clock, tx, d, decision, { supersedes: options?.firstDecision !== true });
  }
  return {
    channel: decision.channel,
    score: decision.score,
    reasons: decision.reasons,
    version: decision.version,
  };
}

/** Stores the decision; an earlier decision on the same declaration (before an amendment) is superseded. */
export async function recordDecision(clock: Clock, tx: Tx, d: DeclarationForRisk, decision: Decision, options: { supersedes: boolean } = { supersedes: true }): Promise<string> {
  const id = newId();
  await repo.recordSelection(tx, {
    id,
    declaration_id: d.declarationId,
    reference: d.reference,
    decided_at: clock.now(),
    decision_date: d.date,
    office_code: d.officeCode,
    channel: decision.channel,
    score: decision.score,
    model_id: decision.model?.id ?? null,
    model_version: decision.model?.version ?? null,
    rules: JSON.stringify(decision.rules),
    watchlists: JSON.stringify(decision.watchlists),
    prohibited: JSON.stringify(decision.prohibited),
    valuation: JSON.stringify(decision.valuation),
    random: decision.random,
    random_draw: decision.draw ? JSON.stringify(decision.draw) : null,
    consignment: JSON.stringify(decision.consignment),
    aeo: decision.aeo,
    selected_by: decision.selectedBy,
    reasons: JSON.stringify(decision.reasons),
    input: JSON.stringify(d),
  }, options);
  return id;
}
