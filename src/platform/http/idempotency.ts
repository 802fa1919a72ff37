// Idempotency-Key: the first answer to a keyed request is stored in the same transaction as the
// change it made, so a retry (after a timeout, a crash, a lost response) gets that answer again
// and never makes a second change. The same key with a different body is a 422.
// A second request racing the first with the same key waits on the key's row lock, then replays.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { deferOrWrite, inTransaction, type DeferredWrite, type Tx } from '../db/transaction.ts';
import { ProblemError } from './problem.ts';

export interface Outcome<T> {
  status: number;
  body: T;
}

const keyPattern = /^[\w.:-]{1,200}$/;

export function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.routeOptions.url ?? request.url} ${JSON.stringify(request.params ?? {})} ${JSON.stringify(request.body ?? null)}`)
    .digest('hex');
}

/**
 * Runs `work` in one transaction. With an Idempotency-Key header the outcome is recorded with the
 * change; a repeat of the key returns the recorded outcome (status and body) without running it.
 */
export async function idempotent<T>(db: Kysely<DB>, request: FastifyRequest, reply: FastifyReply, work: (tx: Tx) => Promise<Outcome<T>>): Promise<T> {
  const key = request.headers['idempotency-key'];
  if (key === undefined) {
    const outcome = await inTransaction(db, work);
    void reply.status(outcome.status);
    return outcome.body;
  }
  if (typeof key !== 'string' || !keyPattern.test(key)) {
    throw new ProblemError({
      type: 'validation',
      title: 'The request is not valid',
      status: 422,
      detail: 'Idempotency-Key must be 1 to 200 letters, digits or . _ : -',
      errors: [{ pointer: '/headers/idempotency-key', code: 'pattern', message: 'must be 1 to 200 letters, digits or . _ : -' }],
    });
  }
  const scope = request.principal ? `${request.principal.organisationId}:${request.principal.id}` : `anonymous:${request.ip}`;
  const hash = requestHash(request);
  // The key's record commits with the change, so running again after a commit whose answer was
  // lost with the connection finds the record and replays it: safe to retry even then.
  const result = await inTransaction(db, async (tx) => {
    const inserted = await tx
      .insertInto('idempotency_record')
      .values({ scope, key, request_hash: hash, status: null, response: null })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!inserted) {
      const previous = await tx.selectFrom('idempotency_record').selectAll().where('scope', '=', scope).where('key', '=', key).forUpdate().executeTakeFirstOrThrow();
      if (previous.request_hash !== hash) {
        throw new ProblemError({
          type: 'idempotency-key-reused',
          title: 'Idempotency-Key reused',
          status: 422,
          detail: `Idempotency-Key "${key}" was already used for a different request; use a new key for a new request`,
        });
      }
      return { replayed: true, status: previous.status ?? 200, body: previous.response as T };
    }
    const outcome = await work(tx);
    await recordOutcome(tx, { scope, key, status: outcome.status, response: JSON.stringify(outcome.body) });
    return { replayed: false, ...outcome };
  }, { retryUnknownCommit: true });
  void reply.status(result.status);
  if (result.replayed) {
    void reply.header('idempotent-replayed', 'true');
  }
  return result.body;
}

interface Completion {
  scope: string;
  key: string;
  status: number;
  response: string;
}

/** The key's outcome, written with the transaction's other deferred writes just before COMMIT (the claim row is ours, locked since the claim). */
function recordOutcome(tx: Tx, completion: Completion): Promise<void> {
  return deferOrWrite(tx, 'idempotency', completionWrites, completion);
}

function completionWrites(tx: Tx, completions: Completion[]): DeferredWrite[] {
  return completions.map((c) => tx.updateTable('idempotency_record').set({ status: c.status, response: c.response }).where('scope', '=', c.scope).where('key', '=', c.key));
}
