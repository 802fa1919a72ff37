import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, parseJsonBody } from './json-body.ts';
import { ProblemError } from './problem.ts';

/** The problem parseJsonBody throws for `text`, or undefined when it parses. */
function refusal(text: string) {
  try {
    parseJsonBody(text);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    const { status, errors } = (err as ProblemError).problem;
    return { status, ...errors?.[0] };
  }
}

const refusedKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** True when no object anywhere in `value` has a key the parser refuses (tested on its own below). */
function withoutRefusedKeys(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.every(withoutRefusedKeys);
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([key, v]) => !refusedKeys.has(key) && withoutRefusedKeys(v));
  }
  return true;
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('parseJsonBody', () => {
  it('reads every JSON value JSON.parse reads, within the depth limit and without a refused key', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }).filter(withoutRefusedKeys), (value) => {
        const text = JSON.stringify(value);
        expect(parseJsonBody(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('is not fooled by brackets, quotes and escapes inside strings', () => {
    const text = '{"a":"}{][\\"","b":"\\\\","c":{"a":"\\u0022[[[["},"d":["{\\"a\\":1,\\"a\\":2}"]}';
    expect(parseJsonBody(text)).toEqual(JSON.parse(text));
    expect(parseJsonBody(`{"deep":"${'['.repeat(1000)}"}`)).toEqual({ deep: '['.repeat(1000) });
  });

  it('refuses nesting deeper than the limit, at once, with the pointer of where it goes too deep', () => {
    expect(parseJsonBody(nested(MAX_JSON_DEPTH))).toBeDefined();
    expect(refusal(nested(MAX_JSON_DEPTH + 1))).toMatchObject({ status: 422, code: 'too_deep' });
    expect(refusal(nested(100_000))).toMatchObject({ status: 422, code: 'too_deep' });
    expect(refusal(`{"items":[{"x":${nested(40)}}]}`)).toMatchObject({ status: 422, code: 'too_deep', pointer: `/items/0/x${'/0'.repeat(MAX_JSON_DEPTH - 3)}` });
  });

  it('refuses a key given twice in one object, also when escaped differently', () => {
    expect(refusal('{"currency":"USD","currency":"KES"}')).toMatchObject({ status: 422, code: 'duplicate_key', pointer: '/currency' });
    expect(refusal('{"items":[{"fob":"1"},{"fob":"1","fob":"2"}]}')).toMatchObject({ code: 'duplicate_key', pointer: '/items/1/fob' });
    expect(refusal('{"a":1,"\\u0061":2}')).toMatchObject({ code: 'duplicate_key', pointer: '/a' });
    // The same key in two different objects is fine.
    expect(parseJsonBody('{"a":{"a":1},"b":{"a":2}}')).toEqual({ a: { a: 1 }, b: { a: 2 } });
  });

  it('refuses __proto__, constructor and prototype keys', () => {
    expect(refusal('{"__proto__":{"isAdmin":true}}')).toMatchObject({ status: 400, code: 'forbidden_key', pointer: '/__proto__' });
    expect(refusal('{"value":{"constructor":{"prototype":{}}}}')).toMatchObject({ status: 400, code: 'forbidden_key', pointer: '/value/constructor' });
    expect(refusal('{"a/b~c":{"\\u005f_proto__":1}}')).toMatchObject({ code: 'forbidden_key', pointer: '/a~1b~0c/__proto__' });
  });

  it('answers malformed and empty bodies with a 400', () => {
    for (const text of ['{"a":', '{a:1}', "{'a':1}", '{"a":01}', '[1,]', 'NaN', '"unterminated', '{"a":"\\x"}']) {
      expect(refusal(text), text).toMatchObject({ status: 400, code: 'malformed_json', pointer: '/' });
    }
    expect(refusal('')).toMatchObject({ status: 400, code: 'empty_body' });
    expect(refusal('  \n ')).toMatchObject({ status: 400, code: 'empty_body' });
  });
});
