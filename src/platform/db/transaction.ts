// Write transactions retry on serialization failures, deadlocks, a read-only server after a
// failover and a lost connection: the work is all-or-nothing, so running the whole of it again
// is safe. They retry with back-off for as long as the database's wait allows (DB_WAIT_SECONDS),
// then give up with a DatabaseUnavailableError, which the HTTP layer answers with a 503.
//
// One case is not safe to retry blindly: the connection lost while COMMIT was on its way. The
// change may have been saved. A caller that can tell (a request with an Idempotency-Key, whose
// record commits with the change) says so with `retryUnknownCommit`; anyone else gets an
// 'outcome-unknown' error instead of a second copy of the change.
import { sql, type Compilable, type Kysely, type OperationNodeSource, type Transaction } from 'kysely';
import type { DB } from '../../schema.ts';
import { DatabaseUnavailableError, isCollision, isConnectionError, isReadOnly, isRetryable } from './errors.ts';
import { defaultWaitMs, traitsOf } from './registry.ts';

export type Tx = Transaction<DB>;

export { isRetryable } from './errors.ts';

export interface TransactionOptions {
  /** Run the work again even after a connection lost during COMMIT: the work detects its own replay. */
  retryUnknownCommit?: boolean;
}

const firstDelayMs = 50;
const maxDelayMs = 1_000;

/** Back-off before attempt n+1: 50, 100, 200 ... ms up to a second, with jitter so retries spread. */
function delayAfter(attempt: number): number {
  const base = Math.min(firstDelayMs * 2 ** (attempt - 1), maxDelayMs);
  return base / 2 + Math.random() * (base / 2);
}

/**
 * Writes a module defers to the end of a transaction, to send them in one statement instead of
 * one per call (the audit records, outbox events, risk decision and idempotency record of a
 * lodgement): a batch per kind. Just before COMMIT, inside the transaction, each kind's flush
 * turns its items into writes (reading first if it must, as the audit trail locks the stream
 * heads it extends), and the writes of every kind go together as one statement of writable CTEs,
 * so they commit or roll back with the change exactly as if written at once. Only transactions
 * run by inTransaction defer; on any other transaction deferredBatch answers undefined and the
 * caller writes at once. Nothing in the same transaction may read a deferred write back, and no
 * two deferred writes may change the same row (one statement's CTEs all see the same snapshot).
 */
export type DeferredWrite = OperationNodeSource & Compilable;
export type DeferredFlush<T> = (tx: Tx, items: T[]) => DeferredWrite[] | Promise<DeferredWrite[]>;
interface Batch {
  items: unknown[];
  flush: DeferredFlush<unknown>;
}
const deferring = new WeakMap<Tx, Map<string, Batch>>();
/** What runs once the transaction has ended, committed or rolled back (cache invalidation). */
const whenEnded = new WeakMap<Tx, (() => void)[]>();

/** Runs `fn` when the transaction ends (commit or rollback); at once for a transaction not run by inTransaction. */
export function afterTransaction(tx: Tx, fn: () => void): void {
  const pending = whenEnded.get(tx);
  if (pending) {
    pending.push(fn);
  } else {
    fn();
  }
}

/** The transaction's pending batch of this kind (created on first use), or undefined when it does not defer. */
export function deferredBatch<T>(tx: Tx, kind: string, flush: DeferredFlush<T>): T[] | undefined {
  const batches = deferring.get(tx);
  if (!batches) {
    return undefined;
  }
  let batch = batches.get(kind);
  if (!batch) {
    batch = { items: [], flush: flush as DeferredFlush<unknown> };
    batches.set(kind, batch);
  }
  return batch.items as T[];
}

/**
 * Defers `item` to the transaction's batch of this kind, written by `writesOf` just before COMMIT;
 * in a transaction that does not defer, writes it at once.
 */
export async function deferOrWrite<T>(tx: Tx, kind: string, writesOf: DeferredFlush<T>, item: T): Promise<void> {
  const batch = deferredBatch(tx, kind, writesOf);
  if (batch) {
    batch.push(item);
  } else {
    await sendWrites(tx, await writesOf(tx, [item]));
  }
}

/** Sends writes at once: one as it is, several as one statement. */
export async function sendWrites(tx: Tx, writes: DeferredWrite[]): Promise<void> {
  const [only, ...more] = writes;
  if (!only) {
    return;
  }
  if (more.length === 0) {
    await tx.executeQuery(only.compile());
    return;
  }
  // Every writable CTE runs whether or not the final select reads it.
  const ctes = sql.join(
    writes.map((w, i) => sql`${sql.raw(`w${i}`)} as (${w})`),
    sql`, `,
  );
  await sql`with ${ctes} select 1`.execute(tx);
}

async function flushDeferred(tx: Tx): Promise<void> {
  const batches = deferring.get(tx);
  if (!batches) {
    return;
  }
  const writes: DeferredWrite[] = [];
  for (const batch of batches.values()) {
    if (batch.items.length > 0) {
      writes.push(...(await batch.flush(tx, batch.items.splice(0))));
    }
  }
  if ([...batches.values()].some((b) => b.items.length > 0)) {
    // A flush that deferred more would need a second statement that might read the first's rows.
    throw new Error('a deferred flush deferred another write');
  }
  await sendWrites(tx, writes);
}

export async function inTransaction<T>(db: Kysely<DB>, work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const deadline = Date.now() + (traitsOf(db)?.waitMs ?? defaultWaitMs);
  for (let attempt = 1; ; attempt++) {
    let committing = false;
    const ended: (() => void)[] = [];
    try {
      const result = await db.transaction().execute(async (tx) => {
        deferring.set(tx, new Map());
        whenEnded.set(tx, ended);
        const done = await work(tx);
        await flushDeferred(tx);
        committing = true;
        return done;
      });
      ended.forEach((fn) => fn());
      return result;
    } catch (err) {
      ended.forEach((fn) => fn());
      if (!isRetryable(err)) {
        throw err;
      }
      if (isConnectionError(err) || isReadOnly(err)) {
        traitsOf(db)?.relocate?.(isReadOnly(err));
      }
      if (committing && isConnectionError(err) && !options.retryUnknownCommit) {
        throw new DatabaseUnavailableError('outcome-unknown', err);
      }
      const delay = delayAfter(attempt);
      if (Date.now() + delay > deadline) {
        throw new DatabaseUnavailableError(isCollision(err) ? 'collision' : 'unavailable', err);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
