// What a database error means for the caller: the server went away (restart, crash, failover),
// the transaction lost a race and may simply run again, or something else (a bug or a rule).
// The driver speaks in SQLSTATE codes, socket errno codes and a few bare messages; this file is
// the one place that knows them.

/** SQLSTATEs of a server that is stopping, starting or gone: admin/crash shutdown, cannot connect now. */
const serverGoneCodes = new Set(['57P01', '57P02', '57P03']);
/** Socket errors of a connection that broke or could not be made. */
const socketCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'EAI_AGAIN']);
/** pg's own words for a connection it lost or never got (these errors carry no code). */
const lostConnectionMessages = /Connection terminated|not queryable|timeout exceeded when trying to connect|connection has been discarded/i;
/** Serialization failure, deadlock, read-only transaction (a standby after failover): run it again. */
const raceCodes = new Set(['40001', '40P01', '25006']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the error says the database connection is lost or cannot be made (not what the query did). */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 3) {
    return false;
  }
  const code = codeOf(err);
  if (code !== undefined && (code.startsWith('08') || serverGoneCodes.has(code) || socketCodes.has(code))) {
    return true;
  }
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && lostConnectionMessages.test(message)) {
    return true;
  }
  // pg wraps a connect timeout's socket error as its cause.
  return isConnectionError((err as { cause?: unknown }).cause, depth + 1);
}

/** True when running the whole transaction again is safe and may succeed. */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err);
  return (code !== undefined && raceCodes.has(code)) || isConnectionError(err) || isStalePlan(err);
}

/**
 * A prepared statement whose result columns a migration changed under it (see prepared.ts): the
 * statement is prepared afresh under a new name, so running the transaction again succeeds.
 */
export function isStalePlan(err: unknown): boolean {
  return codeOf(err) === '0A000' && /cached plan must not change result type/.test(String((err as { message?: unknown }).message));
}

/** True when the server is read-only (SQLSTATE 25006): a standby, reached after a failover. */
export function isReadOnly(err: unknown): boolean {
  return codeOf(err) === '25006';
}

/** True for a transaction that lost a race with another (serialization failure or deadlock). */
export function isCollision(err: unknown): boolean {
  const code = codeOf(err);
  return code === '40001' || code === '40P01';
}

/**
 * The database could not do the work in the time we allow for it: it is away (restart,
 * failover), or the change kept colliding with others. Nothing was changed, unless
 * `outcomeUnknown` says the connection was lost while committing.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly reason: 'unavailable' | 'collision' | 'outcome-unknown',
    override readonly cause: unknown,
  ) {
    super(
      reason === 'collision'
        ? 'the change kept colliding with concurrent changes'
        : reason === 'outcome-unknown'
          ? 'the database connection was lost while committing'
          : 'the database is unavailable',
    );
    this.name = 'DatabaseUnavailableError';
  }
}
