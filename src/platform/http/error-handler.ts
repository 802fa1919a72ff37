import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError, isCollision, isConnectionError } from '../db/errors.ts';
import { DecimalRangeError } from '../money.ts';
import { ProblemError, type FieldError, type Problem } from './problem.ts';
import { MAX_YEAR, MIN_YEAR, patternMessages } from './schemas.ts';
import { allErrors, type AjvError } from './validation.ts';

/** Seconds a client is told to wait before repeating a request the database could not serve. */
const retryAfterSeconds = 2;

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
    // The shared schema helpers' patterns have a sentence and a code of their own.
    const known = patternMessages.get(e.params.pattern);
    if (known) {
      return { pointer: prefixOf(part) + (pointer || '/'), ...known };
    }
    message = `does not have the expected format (${e.params.pattern})`;
  } else if (e.keyword === 'format' && typeof e.params.format === 'string') {
    message = formatMessages[e.params.format] ?? message;
  }
  return { pointer: prefixOf(part) + (pointer || '/'), code: e.keyword, message };
}

const prefixOf = (part: string): string => (part === 'body' ? '' : `/${part}`);

const formatMessages: Record<string, string> = {
  date: `must be a calendar date written YYYY-MM-DD, between ${MIN_YEAR} and ${MAX_YEAR}`,
  'date-time': `must be a date and time with its offset, e.g. 2026-06-15T10:30:00+03:00, between ${MIN_YEAR} and ${MAX_YEAR}`,
  uuid: 'must be an id: 36 characters, hexadecimal digits and dashes',
};

/** Fastify's own refusals of a body (content type, size, JSON), as problems about the body. */
const bodyRefusals: Record<string, { type: string; title: string; code: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { type: 'unsupported-media-type', title: 'Unsupported media type', code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { type: 'malformed-body', title: 'Bad request', code: 'invalid_content_length' },
  FST_ERR_CTP_BODY_TOO_LARGE: { type: 'payload-too-large', title: 'Payload too large', code: 'too_large' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { type: 'malformed-body', title: 'The body is empty', code: 'empty_body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { type: 'malformed-body', title: 'The body is not valid JSON', code: 'malformed_json' },
};

/** Which schema of the route validates each part of the request. */
const partSchemas: Record<string, 'body' | 'querystring' | 'params' | 'headers'> = { body: 'body', querystring: 'querystring', params: 'params', headers: 'headers' };

function inputOf(request: FastifyRequest, part: string): unknown {
  return part === 'querystring' ? request.query : part === 'params' ? request.params : part === 'headers' ? request.headers : request.body;
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
    unavailable: 'The database is unavailable for a moment (a restart or a failover): the answer is delayed, not refused, and nothing was changed. Retry the request after Retry-After seconds',
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
      const part = error.validationContext ?? 'body';
      const found = allErrors(request.routeOptions.schema?.[partSchemas[part] ?? 'body'], inputOf(request, part)) ?? error.validation;
      const errors = found.map((e) => fieldFromAjv(e, part));
      return send(reply, {
        type: 'https://forodha.dev/problems/validation',
        title: 'The request is not valid',
        status: 422,
        detail: errors.map((e) => `${e.pointer} ${e.message}`).join('; '),
        errors,
        instance: request.url,
      });
    }
    if (error instanceof DecimalRangeError) {
      // The schemas bound every decimal first; this answers for one that slipped past them.
      return send(reply, {
        type: 'https://forodha.dev/problems/validation',
        title: 'The request is not valid',
        status: 422,
        detail: error.message,
        errors: [{ pointer: '/', code: 'decimal_out_of_range', message: error.message }],
        instance: request.url,
      });
    }
    const refusal = bodyRefusals[error.code];
    if (refusal && (error.statusCode ?? 500) < 500) {
      const status = error.statusCode ?? 400;
      return send(reply, {
        type: `https://forodha.dev/problems/${refusal.type}`,
        title: refusal.title,
        status,
        detail: error.message,
        errors: [{ pointer: '/', code: refusal.code, message: error.message }],
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
