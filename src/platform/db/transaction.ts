// Write transactions retry on serialization failures, deadlocks, a read-only server after a
// failover and a lost connection: the work is all-or-nothing, so running it again is safe.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../schema.ts';

export type Tx = Transaction<DB>;

const retryableCodes = new Set(['40001', '40P01', '25006', '57P01', '08000', '08003', '08006']);
const retryableErrno = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

export function isRetryable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e.code !== undefined && (retryableCodes.has(e.code) || retryableErrno.has(e.code))) ||
    /Connection terminated/i.test(e.message ?? '')
  );
}

export async function inTransaction<T>(db: Kysely<DB>, work: (tx: Tx) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) {
        throw err;
      }
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt + Math.random() * 20));
    }
  }
}
