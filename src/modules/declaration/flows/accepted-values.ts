// Accepted unit values: the outbox consumer that keeps declaration_unit_value, the history the
// risk engine's valuation reference reads (declaration.reads.ts). A declaration's values are
// customs' accepted values once it is registered (a PRN issued on them) and stay so through
// payment, release and exit; they leave the reference when it is cancelled. They are replaced when they change
// while accepted: an approved amendment, an officer's corrections at verification, a
// re-assessment on arrival. Those keep the status, so they publish `declaration.values_changed`.
//
//   on declaration.status_changed     only when the declaration enters or leaves the accepted statuses
//   on declaration.values_changed     (published by the flows above while it is accepted)
//     lock the declaration            two deliveries of its events never interleave
//     write its values again          from its current state: idempotent, in any order
import type { Kysely } from 'kysely';
import type { DB } from '../../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { publish, type OutboxEvent } from '#platform/events/outbox.ts';
import type { DeclarationRow } from '../declaration.tables.ts';
import { isAccepted, lockForAcceptedValues, refreshAcceptedValues } from '../declaration.reads.ts';

export const valuesChangedTopic = 'declaration.values_changed';

/** In the transaction that changed an accepted declaration's goods or assessment: the consumer writes them again. */
export async function publishValuesChanged(tx: Tx, row: Pick<DeclarationRow, 'id' | 'reference' | 'status'>): Promise<void> {
  if (isAccepted(row.status)) {
    await publish(tx, valuesChangedTopic, row.id, { declarationId: row.id, reference: row.reference });
  }
}

/** Whether an event can change the declaration's accepted values. */
function concerns(event: OutboxEvent): string | undefined {
  const payload = event.payload as { declarationId?: string; from?: string; to?: string };
  if (!payload.declarationId) {
    return undefined;
  }
  if (event.topic === valuesChangedTopic) {
    return payload.declarationId;
  }
  // registered -> paid -> released -> exited leaves the values as they are.
  return isAccepted(payload.from ?? '') === isAccepted(payload.to ?? '') ? undefined : payload.declarationId;
}

/** The subscriber for `declaration.status_changed` and `declaration.values_changed`. */
export async function keepAcceptedValues(database: Kysely<DB>, event: OutboxEvent): Promise<void> {
  const declarationId = concerns(event);
  if (declarationId === undefined) {
    return;
  }
  await inTransaction(database, async (tx) => {
    if (await lockForAcceptedValues(tx, declarationId)) {
      await refreshAcceptedValues(tx, declarationId);
    }
  });
}
