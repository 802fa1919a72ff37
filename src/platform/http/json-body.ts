// The one JSON body parser. Before JSON.parse builds anything, one linear pass over the text
// refuses what JSON.parse would accept but the rest of the server must not see: nesting deeper
// than any request needs (100,000 nested arrays parse fine, then overflow the stack of whatever
// walks them, JSON.stringify included), a key given twice in one object (JSON.parse keeps the last
// silently, so two readers of the same body could disagree) and __proto__ / constructor keys
// (prototype poisoning once the object is spread or merged).
import { ProblemError, type FieldError } from './problem.ts';

/** Deepest nesting any request needs (a manifest's seals are 6 levels down), with room to spare. */
export const MAX_JSON_DEPTH = 32;

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

function refused(status: 400 | 422, error: FieldError, title: string): ProblemError {
  return new ProblemError({ type: status === 400 ? 'malformed-body' : 'validation', title, status, detail: `${error.pointer}: ${error.message}`, errors: [error] });
}

function malformed(message: string): ProblemError {
  return refused(400, { pointer: '/', code: 'malformed_json', message }, 'The body is not valid JSON');
}

/** JSON pointer escaping (RFC 6901) of one segment. */
export function pointerSegment(key: string | number): string {
  return String(key).replaceAll('~', '~0').replaceAll('/', '~1');
}

interface Level {
  /** Keys seen so far (objects only). */
  keys?: Set<string>;
  /** The next string in this object is a key. */
  expectKey: boolean;
  /** Pointer segment of the value being read: its key, or its index in the array. */
  at: string | number;
}

function pointerOf(stack: Level[]): string {
  return stack.map((l) => `/${pointerSegment(l.at)}`).join('');
}

/** Index of the quote closing the string that opens at `start`, or -1 when it never closes. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) {
      return -1;
    }
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 92) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return quote;
    }
    from = quote + 1;
  }
}

/** Checks depth, duplicate and forbidden keys in one pass; JSON.parse reports any other malformation. */
function checkStructure(text: string): void {
  const stack: Level[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack.at(-1);
    if (c === 34 /* " */) {
      const end = stringEnd(text, i);
      if (end < 0) {
        return; // unterminated: JSON.parse says so
      }
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, end);
        let key = raw;
        if (raw.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            throw malformed(`bad escape in the key at character ${i}`);
          }
        }
        top.expectKey = false;
        top.at = key;
        if (forbiddenKeys.has(key)) {
          throw refused(400, { pointer: pointerOf(stack), code: 'forbidden_key', message: `"${key}" is not accepted as a key` }, 'The body is not valid JSON');
        }
        if (top.keys.has(key)) {
          throw refused(422, { pointer: pointerOf(stack), code: 'duplicate_key', message: 'is given twice in the same object' }, 'The request is not valid');
        }
        top.keys.add(key);
      }
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (stack.length >= MAX_JSON_DEPTH) {
        throw refused(422, { pointer: pointerOf(stack) || '/', code: 'too_deep', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }, 'The request is not valid');
      }
      stack.push(c === 123 ? { keys: new Set(), expectKey: true, at: '' } : { expectKey: false, at: 0 });
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
    } else if (c === 44 /* , */ && top) {
      if (top.keys) {
        top.expectKey = true;
      } else {
        top.at = (top.at as number) + 1;
      }
    }
  }
}

/** Parses a JSON request body, refusing (4xx, with a pointer) anything the server must not read. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw refused(400, { pointer: '/', code: 'empty_body', message: 'the content type says JSON but the body is empty; send a JSON value or no content type' }, 'The body is empty');
  }
  checkStructure(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformed((err as Error).message);
  }
}
