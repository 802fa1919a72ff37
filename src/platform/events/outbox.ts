// The outbox: events are written in the same transaction as the change that caused them, then
// delivered by a worker to their subscribers. Delivery is at-least-once and survives restarts;
// subscribers must be idempotent. Rows are claimed with FOR UPDATE SKIP LOCKED so several
// workers (or processes) can drain one outbox without delivering a row twice at the same time.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '../db/transaction.ts';

export interface OutboxEvent<T = unknown> {
  id: string;
  topic: string;
  key: string;
  payload: T;
  createdAt: Date;
  attempts: number;
}

export type Subscriber = (event: OutboxEvent, db: Kysely<DB>) => Promise<void>;

export async function publish(tx: Tx, topic: string, key: string, payload: unknown): Promise<void> {
  await tx.insertInto('outbox').values({ topic, key, payload: JSON.stringify(payload) }).execute();
}

export interface OutboxWorkerOptions {
  pollMs: number;
  batchSize?: number;
  maxAttempts?: number;
  /** Seconds a claimed event stays hidden from other workers while it is being delivered. */
  leaseSeconds?: number;
  log?: { error(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
}

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
        .catch((err: unknown) => this.options.log?.error({ err }, 'outbox drain failed'))
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
      const n = await this.deliverBatch();
      delivered += n;
      if (n === 0 || this.stopped) {
        return delivered;
      }
    }
  }

  /**
   * Claims due rows under a lease in a short transaction, then delivers them with no transaction
   * held: a subscriber may open its own (and on the embedded database, which has one connection,
   * holding one here would deadlock it). A worker that dies mid-delivery leaves the lease to
   * expire, and the rows are delivered again: at-least-once.
   */
  private async deliverBatch(): Promise<number> {
    const batchSize = this.options.batchSize ?? 50;
    const maxAttempts = this.options.maxAttempts ?? 20;
    const leaseSeconds = this.options.leaseSeconds ?? 60;
    const claimed = await this.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('outbox')
        .selectAll()
        .where('delivered_at', 'is', null)
        .where('available_at', '<=', sql<Date>`now()`)
        .where('attempts', '<', maxAttempts)
        .orderBy('id')
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length > 0) {
        await tx
          .updateTable('outbox')
          .set({ available_at: sql<Date>`now() + make_interval(secs => ${leaseSeconds})`, attempts: sql<number>`attempts + 1` })
          .where('id', 'in', rows.map((r) => r.id))
          .execute();
      }
      return rows;
    });
    const delivered: string[] = [];
    for (const row of claimed) {
      const event: OutboxEvent = { id: row.id, topic: row.topic, key: row.key, payload: row.payload, createdAt: row.created_at, attempts: row.attempts + 1 };
      try {
        for (const subscriber of this.subscribers.get(row.topic) ?? []) {
          await subscriber(event, this.db);
        }
        delivered.push(row.id);
      } catch (err) {
        // Back off exponentially; the event stays in the outbox until its subscribers take it.
        const delaySeconds = Math.min(2 ** row.attempts, 3600);
        this.options.log?.warn({ err, event: row.id, topic: row.topic }, 'outbox delivery failed; will retry');
        await this.db
          .updateTable('outbox')
          .set({ last_error: err instanceof Error ? err.message : String(err), available_at: sql<Date>`now() + make_interval(secs => ${delaySeconds})` })
          .where('id', '=', row.id)
          .execute();
      }
    }
    // One statement marks the whole batch; a crash before it only means those events come again.
    if (delivered.length > 0) {
      await this.db.updateTable('outbox').set({ delivered_at: sql<Date>`now()`, last_error: null }).where('id', 'in', delivered).execute();
    }
    return delivered.length;
  }
}
