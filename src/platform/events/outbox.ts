// The outbox: events are written in the same transaction as the change that caused them, then
// delivered by a worker to their subscribers. Delivery is at-least-once and survives restarts;
// subscribers must be idempotent. Several workers (or processes) can drain one outbox without
// delivering a row twice at the same time, and a worker that dies holds nothing up (deliverBatch).
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../../schema.ts';
import { isConnectionError } from '../db/errors.ts';
import { perDatabase, traitsOf } from '../db/registry.ts';
import { deferOrWrite, type DeferredWrite, type Tx } from '../db/transaction.ts';

export interface OutboxEvent<T = unknown> {
  id: string;
  topic: string;
  key: string;
  payload: T;
  createdAt: Date;
  attempts: number;
}

export type Subscriber = (event: OutboxEvent, db: Kysely<DB>) => Promise<void>;

/** Publishes in the caller's transaction; under inTransaction all of its events go in one insert, with the transaction's other deferred writes, just before COMMIT. */
export async function publish(tx: Tx, topic: string, key: string, payload: unknown): Promise<void> {
  await deferOrWrite(tx, 'outbox', eventWrites, { topic, key, payload: JSON.stringify(payload) });
}

function eventWrites(tx: Tx, events: { topic: string; key: string; payload: string }[]): DeferredWrite[] {
  return [tx.insertInto('outbox').values(events)];
}

export interface OutboxWorkerOptions {
  pollMs: number;
  batchSize?: number;
  maxAttempts?: number;
  log?: { error(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
}

type OutboxRow = Selectable<DB['outbox']>;

/** One batch: how many due events it claimed, and how many of them were delivered. */
interface Batch {
  claimed: number;
  delivered: number;
}

interface Outcome {
  delivered: string[];
  failed: { row: OutboxRow; error: string }[];
}

/** Events being delivered by this process's workers, per database (PGlite: see deliverBatch). */
const claimedInMemory = perDatabase(() => new Set<string>());

export class OutboxWorker {
  private readonly subscribers = new Map<string, Subscriber[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly options: OutboxWorkerOptions,
  ) {}

  subscribe(topic: string, subscriber: Subscriber): void {
    this.subscribers.set(topic, [...(this.subscribers.get(topic) ?? []), subscriber]);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Ask for a drain now (after a commit that published something), instead of waiting for the poll. */
  kick(): void {
    if (this.stopped) {
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.drain()
        .then(() => undefined)
        .catch((err: unknown) =>
          // A database away for a moment (restart, failover) is not a fault of the outbox: the next poll tries again.
          isConnectionError(err) ? this.options.log?.warn({ err }, 'outbox drain: database unavailable') : this.options.log?.error({ err }, 'outbox drain failed'),
        )
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) {
            this.schedule(this.again ? 0 : this.options.pollMs);
            this.again = false;
          }
        });
    }, ms);
  }

  /** Delivers everything due; returns the number of events delivered. */
  async drain(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const batch = await this.deliverBatch();
      delivered += batch.delivered;
      // A batch short of full was all that was due: no second query to find nothing. What
      // commits meanwhile kicks another drain (or waits for the poll, if published elsewhere).
      if (batch.claimed < this.batchSize || this.stopped) {
        return delivered;
      }
    }
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 50;
  }

  /**
   * Delivers one batch of due events. How a batch is claimed depends on the engine:
   * - PostgreSQL: the rows are locked (FOR UPDATE SKIP LOCKED) in a transaction held open on a
   *   connection of the worker's own while the subscribers run on the main pool, and marked
   *   delivered (or backed off) in that same transaction. Other workers skip locked rows, so no
   *   event is delivered twice at the same time; if this process dies, its connection closes,
   *   PostgreSQL drops the locks, and any worker, a restarted one included, takes the rows at
   *   once. No lease, so no dead time after a crash.
   * - PGlite: one process holds the database (a lock file makes it exclusive) and it has one
   *   connection, which a held transaction would take from the subscribers. Claims are kept in
   *   this process's memory instead: they vanish with the process, so a restart delivers at once.
   * Either way a crash between a subscriber's commit and the mark only means the event comes
   * again: at-least-once, and subscribers are idempotent.
   */
  private async deliverBatch(): Promise<Batch> {
    const lockHolder = traitsOf(this.db)?.lockHolder as Kysely<DB> | undefined;
    return lockHolder ? this.deliverLocked(lockHolder) : this.deliverClaimedInMemory();
  }

  private async deliverLocked(lockHolder: Kysely<DB>): Promise<Batch> {
    return lockHolder.transaction().execute(async (tx) => {
      // Delivered rows leave dead entries in the partial index of due rows until VACUUM. A plain
      // index scan marks them dead as it passes, so the next drain skips them; the bitmap scan the
      // planner prefers does not, and every drain walked thousands of them (2.5 ms at 10,000).
      await sql`set local enable_bitmapscan = off`.execute(tx);
      const rows = await this.due(tx).forUpdate().skipLocked().execute();
      const outcome = await this.deliver(rows);
      await this.record(tx, outcome);
      return { claimed: rows.length, delivered: outcome.delivered.length };
    });
  }

  private async deliverClaimedInMemory(): Promise<Batch> {
    const claims = claimedInMemory(this.db);
    const found = await this.due(this.db, [...claims]).execute();
    // Filter and claim in one synchronous step: another worker's query may have found the same rows.
    const rows = found.filter((r) => !claims.has(r.id));
    rows.forEach((r) => claims.add(r.id));
    try {
      const outcome = await this.deliver(rows);
      await this.record(this.db, outcome);
      return { claimed: rows.length, delivered: outcome.delivered.length };
    } finally {
      rows.forEach((r) => claims.delete(r.id));
    }
  }

  /** The oldest due, undelivered events (not those claimed by this process's other workers). */
  private due(q: Kysely<DB>, skip: string[] = []) {
    let query = q
      .selectFrom('outbox')
      .selectAll()
      .where('delivered_at', 'is', null)
      .where('available_at', '<=', sql<Date>`now()`)
      .where('attempts', '<', this.options.maxAttempts ?? 20);
    if (skip.length > 0) {
      query = query.where('id', 'not in', skip);
    }
    return query.orderBy('id').limit(this.batchSize);
  }

  /** Hands each event to its subscribers, in order; one failing does not stop the others. */
  private async deliver(rows: OutboxRow[]): Promise<Outcome> {
    const outcome: Outcome = { delivered: [], failed: [] };
    for (const row of rows) {
      const event: OutboxEvent = { id: row.id, topic: row.topic, key: row.key, payload: row.payload, createdAt: row.created_at, attempts: row.attempts + 1 };
      try {
        for (const subscriber of this.subscribers.get(row.topic) ?? []) {
          await subscriber(event, this.db);
        }
        outcome.delivered.push(row.id);
      } catch (err) {
        this.options.log?.warn({ err, event: row.id, topic: row.topic }, 'outbox delivery failed; will retry');
        outcome.failed.push({ row, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return outcome;
  }

  private async record(q: Kysely<DB>, outcome: Outcome): Promise<void> {
    // One statement marks the whole batch delivered.
    if (outcome.delivered.length > 0) {
      await q
        .updateTable('outbox')
        .set({ delivered_at: sql<Date>`now()`, last_error: null, attempts: sql<number>`attempts + 1` })
        .where('id', 'in', outcome.delivered)
        .execute();
    }
    // A failed event backs off exponentially and stays in the outbox until its subscribers take it.
    for (const { row, error } of outcome.failed) {
      const delaySeconds = Math.min(2 ** row.attempts, 3600);
      await q
        .updateTable('outbox')
        .set({ last_error: error, attempts: sql<number>`attempts + 1`, available_at: sql<Date>`now() + make_interval(secs => ${delaySeconds})` })
        .where('id', '=', row.id)
        .execute();
    }
  }
}
