// One way to move a row through its lifecycle, so no module hand-writes a status string:
//   1. the lifecycle says whether the action is allowed from the status the caller read
//      (a 409 naming that status if not, before anything is written);
//   2. UPDATE ... WHERE <key> = $id AND status = <from>: a concurrent change that got there first
//      leaves 0 rows, and the caller gets a 409 naming the status it moved the row to;
//   3. the audit record and, where others must hear of it, the outbox event are written in the
//      caller's transaction, so the change, its record and its event commit or vanish together.
// The platform holds no business rules and imports no module: the audit trail's writer is bound
// once by the audit module (`lifecycleTransition(recordAudit)`), which exports the result.
import type { Kysely, RawBuilder, Selectable, Updateable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '../db/transaction.ts';
import { publish } from '../events/outbox.ts';
import { conflict, notFound } from '../http/problem.ts';
import type { StateMachine } from '../state-machine.ts';

/** Tables whose rows carry a lifecycle status. */
export type TableWithStatus = { [T in keyof DB]: DB[T] extends { status: unknown } ? T : never }[keyof DB];

export interface OutboxMessage {
  topic: string;
  key: string;
  payload: unknown;
}

/** Columns that change with the status: values, or expressions such as `version + 1`. */
export type Changes<T extends TableWithStatus> = { [K in Exclude<keyof Updateable<DB[T]>, 'status'>]?: Updateable<DB[T]>[K] | RawBuilder<unknown> };

export interface Move<T extends TableWithStatus, S extends string, A extends string, E> {
  lifecycle: StateMachine<S, A>;
  table: T;
  /** The row's key column when it is not `id` (a PRN is keyed by its number). */
  keyColumn?: string & keyof DB[T];
  id: string;
  /** The status the caller read the row in (locked or not: the update checks it again). */
  from: S;
  action: A;
  /** Columns that change with the status (times, amounts, who). */
  set?: Changes<T>;
  /** The audit record, or how to make it from the updated row (when it names a new version). */
  audit: E | ((row: Selectable<DB[T]>) => E);
  event?: OutboxMessage;
  /**
   * A row not written yet (a draft created and lodged in one request): written here, in the status
   * the lifecycle moves it to, instead of inserted as it was and then updated. `from` is the status
   * it was made in; nobody else can have moved it. `set` is not used then: the insert writes all.
   */
  insert?: (to: S) => Promise<Selectable<DB[T]>>;
}

export type AuditWriter<E> = (tx: Tx, entry: E) => Promise<void>;

export type Transition<E> = <T extends TableWithStatus, S extends string, A extends string>(tx: Tx, move: Move<T, S, A, E>) => Promise<Selectable<DB[T]>>;

export function lifecycleTransition<E>(writeAudit: AuditWriter<E>): Transition<E> {
  return async (tx, move) => {
    const to = move.lifecycle.next(move.from, move.action);
    const row = move.insert ? await move.insert(to) : await updateFrom(tx, move, to);
    await writeAudit(tx, typeof move.audit === 'function' ? (move.audit as (updated: typeof row) => E)(row) : move.audit);
    if (move.event) {
      await publish(tx, move.event.topic, move.event.key, move.event.payload);
    }
    return row;
  };
}

// Kysely cannot type an update over a table chosen at run time; Move's generics keep the
// caller's columns typed, and this one place works untyped.
type Untyped = Kysely<Record<string, Record<string, unknown>>>;

async function updateFrom<T extends TableWithStatus, S extends string, A extends string, E>(tx: Tx, move: Move<T, S, A, E>, to: S): Promise<Selectable<DB[T]>> {
  const q = tx as unknown as Untyped;
  const key = move.keyColumn ?? 'id';
  const row = await q
    .updateTable(move.table as string)
    .set({ ...(move.set as Record<string, unknown> | undefined), status: to })
    .where(key, '=', move.id)
    .where('status', '=', move.from)
    .returningAll()
    .executeTakeFirst();
  if (row) {
    return row as Selectable<DB[T]>;
  }
  const now = await q
    .selectFrom(move.table as string)
    .select('status')
    .where(key, '=', move.id)
    .executeTakeFirst();
  if (!now) {
    throw notFound(`The ${move.lifecycle.name} ${move.id}`);
  }
  const current = String(now.status);
  throw conflict(`The ${move.lifecycle.name} is ${current} now, no longer ${move.from}: another change got there first; "${String(move.action)}" was not applied`, {
    state: current,
    action: move.action,
    allowedActions: move.lifecycle.allowed(current as S),
  });
}
