// Hostile request generation for test/fuzz.test.ts. Routes are discovered from the app's own
// OpenAPI description (every route with a schema, whoever added it), values are derived from each
// route's JSON schemas with fast-check and then mutated: wrong types, values at and past every
// bound, long digit strings, exponents, "Infinity", control characters, lone surrogates, bidi
// marks, emoji, very long strings, huge arrays, deep nesting, extra, duplicated and poisoned keys,
// malformed JSON and wrong content types.
import fc from 'fast-check';

/** The parts of a (swagger-converted) JSON schema the generator reads. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  nullable?: boolean;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

export interface Parameter {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path, e.g. /api/v1/declarations/{id}. */
  path: string;
  pathParams: Parameter[];
  query: Parameter[];
  body?: JsonSchema;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: (Parameter & { in: string })[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
}

/** Every operation the app describes, with its parameters and body schema. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = op.parameters ?? [];
      const body = op.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        pathParams: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        ...(body ? { body } : {}),
      });
    }
  }
  return operations;
}

/** Words of the trade, so that generated values pass format checks and reach the rules behind them. */
export const tradeWords = [
  'USD', 'KES', 'EUR', 'CN', 'KE', 'JP', 'BD', 'MBA', 'NBO', 'CNSHA', 'KEMBA', '4000000', '4000430', 'IM4', '8471.30.00', '8517.13.00',
  '8703.23.90', '6109.10.00', '87032390', 'NAR', 'KGM', 'LTR', 'CT', 'N380', 'N705', 'FOB', 'CIF', 'EXW', 'P051234567A', 'P051234568B',
  'SIGINON', 'MAERSK', 'BOLLORE', 'sea', 'air', 'petrol', 'diesel', 'BL', 'me', 'carrier', 'agent', 'officer', 'random.rate',
];

const controlAndUnicode = [
  '\u0000', 'a\u0000b', '\u0001', '\u0008', '\u000b', '\u001b[31mred', '\u007f', '\u0085', '\u009f', '\ud800', '\udc00', 'x\ud83d', '\ude00y',
  '\u202e\u202dabc', '\u200f\u200e', '\u2066isolate\u2069', '😀', '👨‍👩‍👧', 'e\u0301', '\ufeff', '\uffff', '\ufffe', 'line\nbreak', 'tab\there',
  '\r\n', 'عربى', '中文', 'Ω≈ç√', "'; drop table declaration; --", '%s%n', '${jndi:x}', '<script>alert(1)</script>', '../../etc/passwd',
];

const numericText = [
  'Infinity', '-Infinity', 'NaN', '-0', '+1', '1e400', '1E-400', '1e5', '12.5e3', '0x10', '0b1', ' 5', '5 ', '', '.5', '5.', '1,5', '1_000',
  '１２３', '٣', '00000000000000000001', '-1', '0.0000001', '1234567890123456.00', '12345678901234.000', '999999999999999.99', '0.000000001',
];

const dateText = [
  '0000-01-01', '0001-01-01', '1899-12-31', '9999-12-31', '2026-02-30', '2026-06-15T25:00:00Z', '0000-01-01T00:00:00Z', '2024-12-31T23:59:60Z',
  '275760-09-13T00:00:00Z', '+275760-09-13T00:00:00Z', '2026-06-15T10:00:00+99:99', '2026-06-15', '2026-06-15T10:00:00',
];

/**
 * Strings and numbers that break careless code: digits, exponents, dates out of range, control
 * characters, surrogates. Weighted towards the cheap ones that reach deepest; huge values are rarer.
 */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...numericText), weight: 4 },
  { arbitrary: fc.constantFrom(...dateText), weight: 3 },
  { arbitrary: fc.constantFrom(...controlAndUnicode), weight: 6 },
  { arbitrary: fc.constantFrom(0, -0, -1, 0.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324), weight: 4 },
  { arbitrary: fc.constantFrom(true, false, null, [], {}), weight: 2 },
  { arbitrary: fc.integer({ min: 16, max: 60 }).map((n) => '9'.repeat(n)), weight: 2 },
  { arbitrary: fc.integer({ min: 3, max: 40 }).map((n) => `1${'0'.repeat(n)}.5`), weight: 2 },
  { arbitrary: fc.integer({ min: 3, max: 12 }).map((n) => `0.${'0'.repeat(n)}1`), weight: 1 },
  { arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }), weight: 3 },
  { arbitrary: fc.constantFrom(`1.${'0'.repeat(80_000)}1`, '9'.repeat(150_000), `1e${'9'.repeat(20)}`), weight: 1 },
  { arbitrary: fc.integer({ min: 2, max: 5 }).map((k) => 'x'.repeat(10 ** k)), weight: 1 },
  { arbitrary: fc.constantFrom(100, 10_000, 100_000).map((n) => new Array<number>(n).fill(0)), weight: 1 },
  { arbitrary: fc.integer({ min: 10, max: 40 }).map((n) => nest(n)), weight: 1 },
  { arbitrary: fc.constant({ __proto__: null, constructor: { prototype: { polluted: true } } }), weight: 1 },
);

function nest(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) {
    v = [v];
  }
  return v;
}

/** Values at and just past the bounds a schema declares. */
function boundaryValues(schema: JsonSchema): unknown[] {
  const values: unknown[] = [];
  if (schema.maxLength !== undefined) {
    values.push('9'.repeat(schema.maxLength), '9'.repeat(schema.maxLength + 1), 'é'.repeat(schema.maxLength + 1));
  }
  if (schema.minLength !== undefined && schema.minLength > 0) {
    values.push('x'.repeat(schema.minLength - 1));
  }
  if (schema.maximum !== undefined) {
    values.push(schema.maximum, schema.maximum + 1, String(schema.maximum + 1), schema.maximum + 0.5);
  }
  if (schema.minimum !== undefined) {
    values.push(schema.minimum, schema.minimum - 1);
  }
  if (schema.maxItems !== undefined) {
    values.push(new Array<number>(schema.maxItems + 1).fill(0));
  }
  if (schema.format === 'date') {
    values.push('0000-01-01', '1899-12-31', '2201-01-01', '2026-02-29', '2024-02-29', '9999-12-31', '2026-13-01', '2026-06-15T00:00:00Z');
  }
  if (schema.format === 'date-time') {
    values.push('0000-01-01T00:00:00Z', '2024-12-31T23:59:60Z', '2026-06-15T24:00:00Z', '2026-06-15T10:00:00', '275760-09-13T00:00:00Z', '2026-06-15t10:00:00z');
  }
  if (schema.format === 'uuid') {
    values.push(`urn:uuid:${'0'.repeat(8)}-0000-0000-0000-000000000000`, '{00000000-0000-0000-0000-000000000000}', '00000000000000000000000000000000', '------------------------------------');
  }
  if (schema.pattern !== undefined) {
    values.push('9'.repeat(200), `${'1'.repeat(16)}.00`, `${'1'.repeat(12)}.0000`);
  }
  return values;
}

export interface GeneratorContext {
  /** Real values of this database (ids, references, numbers), tried wherever they fit. */
  pool: string[];
}

function types(schema: JsonSchema): string[] {
  return schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
}

function fits(value: string, schema: JsonSchema): boolean {
  if ((schema.maxLength !== undefined && value.length > schema.maxLength) || (schema.minLength !== undefined && value.length < schema.minLength)) {
    return false;
  }
  if (schema.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    return false;
  }
  if (schema.format === 'date' || schema.format === 'date-time') {
    return false;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    return false;
  }
  return schema.pattern === undefined || new RegExp(schema.pattern).test(value);
}

function stringArb(schema: JsonSchema, ctx: GeneratorContext): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 64;
  if (schema.format === 'date') {
    return fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  }
  if (schema.format === 'date-time') {
    return fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  const known = [...ctx.pool, ...tradeWords].filter((v) => fits(v, schema));
  if (schema.format === 'uuid') {
    return known.length > 0 ? fc.oneof(fc.constantFrom(...known), fc.uuid()) : fc.uuid();
  }
  const free =
    schema.pattern !== undefined
      ? fc.stringMatching(new RegExp(schema.pattern), { size: 'small' }).map((s) => s.slice(0, max))
      : fc.string({ minLength: min, maxLength: Math.min(max, 40) });
  const padded = free.map((s) => (s.length >= min ? s : s + 'A'.repeat(min - s.length)));
  return known.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 2 }, { arbitrary: padded, weight: 1 }) : padded;
}

/**
 * Values for a schema. With `hostile`, any node may be swapped for a hostile scalar or a boundary
 * value (about one node in twenty), so most of a body stays well-formed and the bad value travels
 * past the shape checks as far as it can.
 */
export function valueFor(schema: JsonSchema, ctx: GeneratorContext, hostile: boolean, depth = 0): fc.Arbitrary<unknown> {
  const valid = validFor(schema, ctx, hostile, depth);
  if (!hostile) {
    return valid;
  }
  const boundary = boundaryValues(schema);
  return fc.oneof(
    { arbitrary: valid, weight: 20 },
    { arbitrary: hostileScalar, weight: 1 },
    ...(boundary.length > 0 ? [{ arbitrary: fc.constantFrom(...boundary), weight: 1 }] : []),
  );
}

function validFor(schema: JsonSchema, ctx: GeneratorContext, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
  const base = baseFor(schema, ctx, hostile, depth);
  return schema.nullable ? fc.oneof(base, fc.constant(null)) : base;
}

function baseFor(schema: JsonSchema, ctx: GeneratorContext, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) {
    return fc.constant(schema.const);
  }
  if (schema.enum) {
    return fc.constantFrom(...schema.enum);
  }
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    return fc.oneof(...branches.map((b) => validFor(b, ctx, hostile, depth)));
  }
  const t = types(schema);
  if (t.includes('object') || schema.properties) {
    return objectFor(schema, ctx, hostile, depth);
  }
  if (t.includes('array')) {
    const items = schema.items ?? {};
    return fc.array(valueFor(items, ctx, hostile, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, Math.max(schema.minItems ?? 0, 4)) });
  }
  if (t.includes('integer')) {
    const min = schema.minimum ?? -1000;
    const max = schema.maximum ?? 1_000_000;
    return fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) });
  }
  if (t.includes('number')) {
    return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
  }
  if (t.includes('boolean')) {
    return fc.boolean();
  }
  if (t.includes('string')) {
    return stringArb(schema, ctx);
  }
  if (t.includes('null')) {
    return fc.constant(null);
  }
  // No type: any JSON value (a setting's value, say).
  return depth > 3 ? fc.constant(null) : fc.jsonValue({ maxDepth: 3 });
}

function objectFor(schema: JsonSchema, ctx: GeneratorContext, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const record = fc.record(
    Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valueFor(s, ctx, hostile, depth + 1)])),
    { requiredKeys: [...required].filter((k) => k in properties) },
  );
  if (!hostile) {
    return record;
  }
  // Now and then an unknown key, or a required one missing.
  return fc.tuple(record, fc.nat({ max: 30 }), fc.constantFrom('extra', 'lodge', 'id', 'status', 'role', 'isAdmin')).map(([value, roll, key]) => {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    if (roll === 0) {
      copy[key] = 'x';
    } else if (roll === 1 && required.size > 0) {
      delete copy[[...required][0] as string];
    }
    return copy;
  });
}

/** How the body travels: as JSON, or damaged on the wire. */
export type BodyMode = 'json' | 'none' | 'duplicate-key' | 'proto-key' | 'malformed' | 'empty' | 'wrong-type' | 'deep';

export const bodyMode: fc.Arbitrary<BodyMode> = fc.oneof(
  { arbitrary: fc.constant<BodyMode>('json'), weight: 40 },
  { arbitrary: fc.constantFrom<BodyMode>('none', 'duplicate-key', 'proto-key', 'malformed', 'empty', 'wrong-type', 'deep'), weight: 4 },
);

export const wrongContentTypes = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json-patch+json',
  'application/json; charset=utf-16',
  '*/*',
];

/** Body text and content type for a value sent in `mode`. */
export function encodeBody(value: unknown, mode: BodyMode, roll: number): { body?: string; contentType?: string } {
  const json = JSON.stringify(value) ?? 'null';
  switch (mode) {
    case 'none':
      return {};
    case 'json':
      return { body: json, contentType: 'application/json' };
    case 'duplicate-key': {
      const key = value !== null && typeof value === 'object' && !Array.isArray(value) ? (Object.keys(value)[0] ?? 'k') : 'k';
      return { body: `{${JSON.stringify(key)}:"first",${json.startsWith('{') && json !== '{}' ? json.slice(1) : `${JSON.stringify(key)}:1}`}`, contentType: 'application/json' };
    }
    case 'proto-key':
      return { body: `{"__proto__":{"isAdmin":true},${json.startsWith('{') && json !== '{}' ? json.slice(1) : '"a":1}'}`, contentType: 'application/json' };
    case 'malformed':
      return { body: [json.slice(0, Math.max(1, roll % json.length)), `${json},`, `${json}}`, `{'single':'quotes'}`, '{"a":01}', '{"a":NaN}', '\ufeff{}'][roll % 7] as string, contentType: 'application/json' };
    case 'empty':
      return { body: '', contentType: 'application/json' };
    case 'wrong-type':
      return { body: json, contentType: wrongContentTypes[roll % wrongContentTypes.length] as string };
    case 'deep':
      return { body: '['.repeat(100_000) + ']'.repeat(100_000), contentType: 'application/json' };
  }
}

/** Percent-encodes a path segment or query value; lone surrogates become the bytes a careless client sends. */
export function encodeComponent(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.replace(/[\ud800-\udfff]/g, '%ED%A0%80').replace(/[^A-Za-z0-9%._~-]/g, (c) => {
      try {
        return encodeURIComponent(c);
      } catch {
        return '%ED%B0%80';
      }
    });
  }
}

/** Raw query fragments no encoder would produce. */
export const rawQueryFragments = [
  '%', '%0', '%00', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%FF%FE', '%C0%AF', 'a=1&a=2', '&&&', '=', 'x[]=1&x[]=2', 'x[a]=1',
  '__proto__=1', '__proto__[admin]=1', 'constructor=1', 'hasOwnProperty=1', 'toString=x', 'limit=1&limit=2', 'date=0000-01-01',
];

/** Hostile values for a path parameter. */
export const hostilePathValues = [
  '..', '.', '%2e%2e', '%2F', '%00', '%ED%A0%80', 'x'.repeat(2000), '00000000-0000-0000-0000-00000000000g', 'urn:uuid:00000000-0000-0000-0000-000000000000',
  '00000000-0000-0000-0000-000000000000', '99999999999999999999', '-1', '0', '1e400', 'Infinity', 'null', 'undefined', '%F0%9F%98%80', '%E2%80%AE',
  "'%20or%201=1--", '%0d%0aX-Injected:%201',
];

type Path = (string | number)[];

/** Every node of a JSON value below its root, as paths (at most `limit` of them). */
function nodePaths(value: unknown, limit = 500): Path[] {
  const paths: Path[] = [];
  const walk = (v: unknown, at: Path) => {
    if (paths.length >= limit || v === null || typeof v !== 'object') {
      return;
    }
    for (const [k, child] of Array.isArray(v) ? v.map((c, i) => [i, c] as const) : Object.entries(v)) {
      // Leaves are where the values are; containers are replaced now and then too.
      if (child === null || typeof child !== 'object' || paths.length % 4 === 0) {
        paths.push([...at, k]);
      }
      walk(child, [...at, k]);
    }
  };
  walk(value, []);
  return paths;
}

function replaced(value: unknown, path: Path, by: unknown, remove: boolean): unknown {
  const copy = structuredClone(value);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path.at(-1) as string | number;
  if (remove && !Array.isArray(node)) {
    delete node[last];
  } else {
    node[last] = by;
  }
  return copy;
}

/**
 * A known-good body with exactly one node replaced by a hostile value (or removed): everything
 * else passes, so the bad value travels as deep as the code lets it (to the database, if nothing
 * stops it).
 */
export function mutateOnce(value: unknown): fc.Arbitrary<unknown> {
  const paths = nodePaths(value);
  if (paths.length === 0) {
    return hostileScalar;
  }
  return fc
    .tuple(fc.nat({ max: paths.length - 1 }), hostileString, hostileNumber, hostileScalar, fc.nat({ max: 15 }))
    .map(([i, text, number, anything, roll]) => {
      const path = paths[i] as Path;
      const original = valueAt(value, path);
      // Mostly a bad value of the same type, which passes the type check and goes further.
      const hostile = roll < 10 && typeof original === 'string' ? text : roll < 10 && typeof original === 'number' ? number : anything;
      return replaced(value, path, hostile, roll === 15);
    });
}

function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const key of path) {
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** A string that is well-formed JSON but not a sane value: control characters, surrogates, digits, dates. */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...controlAndUnicode), weight: 4 },
  { arbitrary: fc.constantFrom(...numericText), weight: 3 },
  { arbitrary: fc.constantFrom(...dateText), weight: 2 },
  { arbitrary: fc.integer({ min: 14, max: 40 }).map((n) => '9'.repeat(n)), weight: 2 },
  { arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 }), weight: 2 },
);

const hostileNumber: fc.Arbitrary<number> = fc.constantFrom(2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 + 2, 1e21, 1e308, -1, -0, 0.5, 1e-7, 99999999);
