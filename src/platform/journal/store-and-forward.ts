// Store-and-forward for lodgements (manifests, declarations, bank confirmations) when the
// database stays away longer than the hold (DB_HOLD_SECONDS): the route's handler is wrapped so
// that, once the database is found away, the lodgement goes to the journal (journal.ts) and the
// caller gets 202 with a receipt; a replayer applies the journal in order when the database is
// back (and at start-up), through the same route (app.inject) with the same principal and the
// same Idempotency-Key, so a crash between applying and recording is harmless: the replay of a
// replay answers from the idempotency record. GET /api/v1/receipts/:receipt tells the lodger
// where its lodgement stands: journalled, applied (with the route's answer) or rejected (with
// the problem).
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import type { Clock } from '../clock.ts';
import { DatabaseUnavailableError, isConnectionError } from '../db/errors.ts';
import { roles, type Principal } from '../http/auth.ts';
import { requestHash } from '../http/idempotency.ts';
import { notFound, ProblemError } from '../http/problem.ts';
import { Journal, JournalFullError, newReceipt, type JournalEntry, type JournalOutcome } from './journal.ts';

/** The lodgements that may be journalled: method and route pattern. */
export const journalledRoutes = new Set(['POST /api/v1/manifests', 'POST /api/v1/declarations', 'POST /api/v1/declarations/:id/lodge', 'POST /api/v1/payments']);

const replayHeader = 'forodha-replay';
/** Principals of replays in progress, by the one-time token the replay's inject carries. */
const replaying = new Map<string, Principal>();

/** The principal of a replayed lodgement (the auth hook asks); undefined for any other request. */
export function replayPrincipal(request: FastifyRequest): Principal | undefined {
  const token = request.headers[replayHeader];
  return typeof token === 'string' ? replaying.get(token) : undefined;
}

/** The database is away (not: the change collided, or a rule refused it). */
function databaseAway(err: unknown): boolean {
  return err instanceof DatabaseUnavailableError ? err.reason !== 'collision' : isConnectionError(err);
}

const scopeOf = (p: Principal) => `${p.organisationId}:${p.id}`;
const receiptPath = (receipt: string) => `/api/v1/receipts/${receipt}`;

function unavailable(detail: string, type = 'database-unavailable'): ProblemError {
  return new ProblemError({ type, title: 'Service unavailable', status: 503, detail, retryAfterSeconds: 5 });
}

/** What the receipt says, from the journal entry and the answer its replay got. */
function receiptView(entry: Pick<JournalEntry, 'receipt' | 'route' | 'receivedAt'>, outcome: JournalOutcome | undefined) {
  const base = { receipt: entry.receipt, route: entry.route, receivedAt: entry.receivedAt };
  if (!outcome) {
    return { ...base, status: 'journalled' as const, detail: 'Taken while the database was away; it will be applied in order when the database is back' };
  }
  const body = outcome.body as Record<string, unknown> | null;
  const applied = outcome.status < 400;
  const ref = body && typeof body === 'object' ? { ...(typeof body.id === 'string' ? { id: body.id } : {}), ...(typeof body.reference === 'string' ? { reference: body.reference } : {}) } : {};
  return applied
    ? { ...base, status: 'applied' as const, appliedAt: outcome.appliedAt, httpStatus: outcome.status, ...ref, result: outcome.body }
    : { ...base, status: 'rejected' as const, appliedAt: outcome.appliedAt, httpStatus: outcome.status, problem: outcome.body };
}

export interface StoreAndForwardOptions {
  db: Kysely<DB>;
  journal: Journal | undefined;
  clock: Clock;
  log: FastifyBaseLogger;
}

/**
 * Wraps the journalled routes' handlers (call before the routes are registered), adds
 * GET /api/v1/receipts/:receipt, and runs the replayer while the app is up.
 */
export function installStoreAndForward(app: FastifyInstance, options: StoreAndForwardOptions): void {
  const { db, journal, clock } = options;

  async function take(request: FastifyRequest, reply: FastifyReply) {
    if (!journal) {
      throw unavailable('The database is unavailable: the lodgement is delayed, not refused, and nothing was changed. Retry after Retry-After seconds');
    }
    const principal = request.principal;
    if (!principal) {
      throw unavailable('The database is unavailable');
    }
    const scope = scopeOf(principal);
    const key = request.headers['idempotency-key'] as string;
    const hash = requestHash(request);
    const known = journal.findByKey(scope, key);
    if (known) {
      if (known.hash !== hash) {
        throw new ProblemError({ type: 'idempotency-key-reused', title: 'Idempotency-Key reused', status: 422, detail: `Idempotency-Key "${key}" was already used for a different request; use a new key for a new request` });
      }
      void reply.status(202).header('location', receiptPath(known.receipt)).header('idempotent-replayed', 'true');
      return receiptView(known, journal.find(known.receipt)?.outcome);
    }
    const entry: JournalEntry = {
      receipt: newReceipt(clock.now()),
      scope,
      principal,
      method: request.method,
      url: request.url,
      route: request.routeOptions.url ?? request.url,
      body: request.body ?? null,
      key,
      hash,
      receivedAt: clock.now().toISOString(),
    };
    try {
      await journal.append(entry);
    } catch (err) {
      if (err instanceof JournalFullError) {
        throw unavailable('The database is unavailable and this server cannot hold more lodgements; nothing was recorded. Retry after Retry-After seconds', 'journal-full');
      }
      throw err;
    }
    request.log.warn({ receipt: entry.receipt, route: entry.route }, 'database away: lodgement journalled');
    void reply.status(202).header('location', receiptPath(entry.receipt));
    return receiptView(entry, undefined);
  }

  // The gate around each journalled route's handler.
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!journal || typeof route.method !== 'string' || !journalledRoutes.has(`${route.method} ${route.url}`)) {
      return;
    }
    const handler = route.handler;
    route.handler = async function gate(this: FastifyInstance, request, reply) {
      if (replayPrincipal(request)) {
        return handler.call(this, request, reply);
      }
      // A key made for a caller who sent none: the live attempt and a replay are then one change.
      if (request.headers['idempotency-key'] === undefined) {
        request.headers['idempotency-key'] = `journal-${randomUUID()}`;
      }
      // While the database is known to be away, or earlier lodgements wait, new ones queue behind.
      if (journal.databaseAway || journal.pendingCount > 0) {
        return take(request, reply);
      }
      try {
        return await handler.call(this, request, reply);
      } catch (err) {
        if (databaseAway(err) && !reply.sent) {
          journal.databaseAway = true;
          wake();
          return take(request, reply);
        }
        throw err;
      }
    };
  });

  app.get(
    '/api/v1/receipts/:receipt',
    {
      schema: {
        tags: ['platform'],
        summary: 'Where a lodgement taken while the database was away stands: journalled, applied or rejected',
        description: 'Only the caller who lodged may read its receipt.',
        params: Type.Object({ receipt: Type.String({ pattern: '^R\\d{8}[A-Z2-9]{12}$', maxLength: 21 }) }),
      },
      config: { access: roles },
    },
    async (request) => {
      const scope = scopeOf(request.principal!);
      const { receipt } = request.params as { receipt: string };
      const local = journal?.find(receipt);
      if (local) {
        if (local.entry.scope !== scope) {
          throw notFound(`Receipt ${receipt}`);
        }
        return receiptView(local.entry, local.outcome);
      }
      try {
        const row = await db.selectFrom('journal_receipt').selectAll().where('receipt', '=', receipt).executeTakeFirst();
        if (row) {
          if (row.scope !== scope) {
            throw notFound(`Receipt ${receipt}`);
          }
          return receiptView({ receipt, route: row.route, receivedAt: row.received_at.toISOString() }, { status: row.status, body: row.response, appliedAt: row.applied_at.toISOString() });
        }
      } catch (err) {
        if (!databaseAway(err)) {
          throw err;
        }
      }
      // Taken by another process of this node and not yet applied: its journal file says.
      const onDisk = journal?.findOnDisk(receipt);
      if (onDisk && onDisk.entry.scope === scope) {
        return receiptView(onDisk.entry, onDisk.outcome);
      }
      throw notFound(`Receipt ${receipt}`);
    },
  );

  if (!journal) {
    return;
  }

  /** Applies one entry through its route; undefined when the database is away again. */
  async function apply(entry: JournalEntry): Promise<JournalOutcome | undefined> {
    const token = randomBytes(24).toString('hex');
    replaying.set(token, entry.principal);
    try {
      const res = await app.inject({
        method: entry.method as 'POST',
        url: entry.url,
        headers: { [replayHeader]: token, 'idempotency-key': entry.key, ...(entry.body === null ? {} : { 'content-type': 'application/json' }) },
        ...(entry.body === null ? {} : { payload: JSON.stringify(entry.body) }),
      });
      if (res.statusCode === 503) {
        return undefined;
      }
      let body: unknown = res.body;
      try {
        body = JSON.parse(res.body) as unknown;
      } catch {
        // not JSON: kept as text
      }
      return { status: res.statusCode, body, appliedAt: clock.now().toISOString() };
    } finally {
      replaying.delete(token);
    }
  }

  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** Drains the journal in order while the database answers; stops at the first sign it is away. */
  async function drain(): Promise<void> {
    if (journal!.pendingCount === 0) {
      journal!.databaseAway = false;
      return;
    }
    try {
      await sql`select 1`.execute(db);
    } catch {
      return;
    }
    for (const entry of journal!.pending()) {
      if (stopped) {
        return;
      }
      const outcome = await apply(entry);
      if (!outcome) {
        return;
      }
      try {
        await db
          .insertInto('journal_receipt')
          .values({ receipt: entry.receipt, scope: entry.scope, route: entry.route, idempotency_key: entry.key, received_at: new Date(entry.receivedAt), status: outcome.status, response: JSON.stringify(outcome.body) })
          .onConflict((oc) => oc.column('receipt').doNothing())
          .execute();
      } catch (err) {
        options.log.warn({ err, receipt: entry.receipt }, 'journal replay: receipt not stored; will apply again (idempotent)');
        return;
      }
      await journal!.markDone(entry.receipt, outcome);
      options.log.info({ receipt: entry.receipt, status: outcome.status }, 'journal replay: lodgement applied');
    }
    journal!.databaseAway = false;
    await journal!.compact();
  }

  function wake(ms = 1_000): void {
    if (stopped) {
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      running ??= drain()
        .catch((err: unknown) => options.log.error({ err }, 'journal replay failed'))
        .finally(() => {
          running = undefined;
          wake(journal!.pendingCount > 0 || journal!.databaseAway ? 1_000 : 5_000);
        });
    }, ms);
  }

  app.addHook('onReady', async () => wake(0));
  app.addHook('onClose', async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
    await journal.close();
  });
}
