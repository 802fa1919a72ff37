import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError, isCollision, isConnectionError } from '../db/errors.ts';
import { ProblemError, type FieldError, type Problem } from './problem.ts';

/** Seconds a client is told to wait before repeating a request the database could not serve. */
const retryAfterSeconds = 2;

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns an ajv error into a pointer at the offending field and a sentence a person can act on. */
function fieldFromAjv(e: AjvError, part: string): FieldError {
  let pointer = e.instancePath || '';
  let message = e.message ?? 'is not valid';
  if (e.keyword === 'required') {
    pointer += `/${String(e.params.missingProperty)}`;
    message = 'is required';
  } else if (e.keyword === 'additionalProperties') {
    pointer += `/${String(e.params.additionalProperty)}`;
    message = 'is not a known field';
  } else if (e.keyword === 'enum') {
    message = `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
  } else if (e.keyword === 'pattern' && typeof e.params.pattern === 'string') {
    message = `does not have the expected format (${e.params.pattern})`;
  }
  const prefix = part === 'body' ? '' : `/${part}`;
  return { pointer: prefix + (pointer || '/'), code: e.keyword, message };
}

function send(reply: FastifyReply, problem: Problem) {
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

/**
 * A 503 with Retry-After when the database is away (restart, failover), the change kept
 * colliding with others, or the connection broke while committing; undefined for any other
 * error. The driver's own text is logged, never sent: it names hosts and internals.
 */
function databaseUnavailable(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const reason = error instanceof DatabaseUnavailableError ? error.reason : isConnectionError(error) ? 'unavailable' : isCollision(error) ? 'collision' : undefined;
  if (reason === undefined) {
    return undefined;
  }
  request.log.warn({ err: error, reason }, 'database unavailable');
  void reply.header('retry-after', String(retryAfterSeconds));
  const detail = {
    unavailable: 'The database is unavailable for a moment; nothing was changed. Retry the request',
    collision: 'The change collided with another; nothing was changed. Retry the request',
    'outcome-unknown':
      'The connection to the database was lost while saving, so the change may have been saved. Check before repeating the request; a request sent with an Idempotency-Key is never applied twice',
  }[reason];
  return send(reply, {
    type: reason === 'collision' ? 'https://forodha.dev/problems/retry' : 'https://forodha.dev/problems/database-unavailable',
    title: reason === 'collision' ? 'Try again' : 'Service unavailable',
    status: 503,
    detail,
    instance: request.url,
    retryAfterSeconds,
  });
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ProblemError) {
      return send(reply, { ...error.problem, instance: request.url });
    }
    if (error.validation) {
      const errors = (error.validation as AjvError[]).map((e) => fieldFromAjv(e, error.validationContext ?? 'body'));
      return send(reply, {
        type: 'https://forodha.dev/problems/validation',
        title: 'The request is not valid',
        status: 422,
        detail: errors.map((e) => `${e.pointer} ${e.message}`).join('; '),
        errors,
        instance: request.url,
      });
    }
    const unavailable = databaseUnavailable(error, request, reply);
    if (unavailable !== undefined) {
      return unavailable;
    }
    const pgCode = (error as { code?: string }).code;
    if (pgCode === '23505') {
      return send(reply, { type: 'https://forodha.dev/problems/conflict', title: 'Conflict', status: 409, detail: 'A record with the same identity already exists' });
    }
    if (pgCode === '23503') {
      return send(reply, { type: 'https://forodha.dev/problems/not-found', title: 'Not found', status: 404, detail: 'A referenced record does not exist' });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      return send(reply, {
        type: `https://forodha.dev/problems/http-${status}`,
        title: error.name,
        status,
        detail: error.message,
        instance: request.url,
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, {
      type: 'https://forodha.dev/problems/internal',
      title: 'Internal error',
      status: 500,
      detail: `Something went wrong on our side; quote request id ${request.id} when reporting it`,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, { type: 'https://forodha.dev/problems/not-found', title: 'Not found', status: 404, detail: `No route ${request.method} ${request.url}` }),
  );
}
