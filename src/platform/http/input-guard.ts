// Bounded input, once for every route, before any schema or handler sees it:
// - every route has a body limit (a route that takes no body takes almost nothing);
// - JSON bodies go through parseJsonBody (depth, duplicate and poisoned keys); no other content type;
// - a route that declares no body refuses one;
// - querystring and path parameters are turned into the numbers and booleans their schema names,
//   strictly (digits only: no "Infinity", "1e400", " 5" or "0x10"); bodies are never coerced;
// - no string, key or number anywhere in the body, the querystring or the path may hold what
//   PostgreSQL or JavaScript cannot: NUL and other control characters (tab and line breaks aside:
//   the schemas keep those out of one-line fields), unpaired UTF-16 surrogates (jsonb refuses
//   them), non-finite numbers (1e400 parses as Infinity).
// Each refusal is a 4xx problem naming the field.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { parseJsonBody, pointerSegment } from './json-body.ts';
import { invalid, type FieldError } from './problem.ts';

/** Body limits in bytes. Routes needing more than `standard` (many items) set their own bodyLimit. */
export const bodyLimits = {
  /** A route without a body schema: room for an empty object, nothing more. */
  none: 64,
  /** Login, payments, gate-out, duty: a handful of short fields. */
  small: 4 * 1024,
  /** The default for a route with a body: a reason or free text of 4000 characters, even \u-escaped. */
  standard: 32 * 1024,
  /** The most any route may take: a manifest of 10,000 transport documents with their containers. */
  max: 8 * 1024 * 1024,
} as const;

const bodyMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What a route declares of its input, as the guard reads it. */
interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
}

function hasBodySchema(route: Pick<RouteOptions, 'schema'>): boolean {
  return route.schema?.body !== undefined;
}

/** Sets a default body limit on every route that does not choose its own. */
function defaultBodyLimit(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (route.bodyLimit === undefined && methods.some((m) => bodyMethods.has(m))) {
    route.bodyLimit = hasBodySchema(route) ? bodyLimits.standard : bodyLimits.none;
  }
}

const controlCharacter = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored or shown safely, or undefined when it can. */
function stringProblem(value: string): Omit<FieldError, 'pointer'> | undefined {
  if (controlCharacter.test(value)) {
    const at = value.search(controlCharacter);
    const code = value.charCodeAt(at).toString(16).padStart(4, '0');
    return { code: 'control_character', message: `holds the control character U+${code.toUpperCase()} at position ${at}; only tab and line breaks are accepted, and only in free text` };
  }
  if (loneSurrogate.test(value)) {
    return { code: 'invalid_unicode', message: 'holds an unpaired UTF-16 surrogate: not a valid Unicode text' };
  }
  return undefined;
}

/** The first string, key or number in `value` that must not go further, with its pointer. */
export function firstBadValue(value: unknown, pointer: string, depth = 0): FieldError | undefined {
  if (typeof value === 'string') {
    const problem = stringProblem(value);
    return problem && { pointer: pointer || '/', ...problem };
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { pointer: pointer || '/', code: 'not_finite', message: 'must be a finite number' };
  }
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  if (depth > 64) {
    // parseJsonBody stops at 32 levels; anything deeper came another way and is refused all the same.
    return { pointer: pointer || '/', code: 'too_deep', message: 'nests too deep' };
  }
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    const at = `${pointer}/${pointerSegment(key)}`;
    const keyProblem = typeof key === 'string' ? stringProblem(key) : undefined;
    if (keyProblem) {
      return { pointer: at, ...keyProblem, message: `the key ${keyProblem.message}` };
    }
    const bad = firstBadValue(item, at, depth + 1);
    if (bad) {
      return bad;
    }
  }
  return undefined;
}

const integerText = /^-?\d{1,15}$/;
const numberText = /^-?\d{1,15}(\.\d{1,15})?$/;

/** Turns one querystring or path value into the type its schema names, when it is written exactly so. */
function coerce(text: unknown, schema: JsonSchemaNode | undefined): unknown {
  if (typeof text !== 'string' || schema === undefined) {
    return text;
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('string')) {
    return text;
  }
  if (types.includes('integer') && integerText.test(text)) {
    return Number(text);
  }
  if (types.includes('number') && numberText.test(text)) {
    return Number(text);
  }
  if (types.includes('boolean') && (text === 'true' || text === 'false')) {
    return text === 'true';
  }
  return text;
}

/** Coerces the top-level values of a querystring or params object in place, by its schema. */
function coerceByName(values: unknown, schema: unknown): void {
  const properties = (schema as JsonSchemaNode | undefined)?.properties;
  if (!properties || values === null || typeof values !== 'object') {
    return;
  }
  const record = values as Record<string, unknown>;
  for (const [name, value] of Object.entries(record)) {
    record[name] = coerce(value, properties[name]);
  }
}

function guard(request: FastifyRequest): void {
  const schema = request.routeOptions.schema;
  const body: unknown = request.body;
  if (body !== undefined && bodyMethods.has(request.method) && !schema?.body) {
    const empty = body !== null && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0;
    if (!empty) {
      throw invalid([{ pointer: '/', code: 'no_body_expected', message: 'this route takes no body; send none (or {})' }]);
    }
  }
  coerceByName(request.query, schema?.querystring);
  coerceByName(request.params, schema?.params);
  const bad = firstBadValue(request.params, '/params') ?? firstBadValue(request.query, '/querystring') ?? firstBadValue(body, '');
  if (bad) {
    throw invalid([bad]);
  }
}

export function installInputGuard(app: FastifyInstance): void {
  app.addHook('onRoute', defaultBodyLimit);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseJsonBody(text as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addHook('preValidation', async (request) => guard(request));
}
