// Request validation in two passes. Fastify's ajv stops at the first error (allErrors: false):
// with allErrors, one body of four million wrong array items makes four million error objects
// (19 s and 1.6 GB measured). Yet a client deserves every invalid field of an ordinary request at
// once. So when validation fails and the input is of ordinary size, a second ajv instance, the
// same in every option but allErrors, lists all the errors; a huge input gets the first one.
import { installFormats, type FormatRegistry } from './formats.ts';

export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

interface ValidateFunction {
  (value: unknown): boolean;
  errors?: AjvError[] | null;
}

/** The parts of an ajv instance used here; its constructor builds the all-errors twin. */
interface AjvLike extends FormatRegistry {
  opts: object;
  formats: object;
  compile(schema: object): ValidateFunction;
}

/** Inputs with more values than this get only their first error listed. */
export const DETAILED_VALIDATION_MAX_VALUES = 5000;
/** Errors listed at most in one answer. */
export const MAX_LISTED_ERRORS = 100;

let detailed: AjvLike | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * ajv's onCreate hook for the instance that compiles request schemas: the dated formats, and the
 * all-errors twin built from the same class and options.
 */
export function onAjvCreate(ajv: AjvLike): void {
  installFormats(ajv);
  const Ajv = ajv.constructor as new (opts: object) => AjvLike;
  const twin = new Ajv({ ...ajv.opts, allErrors: true });
  for (const [name, format] of Object.entries(ajv.formats)) {
    twin.addFormat(name, format as Parameters<FormatRegistry['addFormat']>[1]);
  }
  detailed = twin;
}

/** Counts the values in `value`, stopping as soon as there are more than `limit`. */
function valuesUpTo(value: unknown, limit: number): number {
  let count = 1;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v !== null && typeof v === 'object') {
      const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
      count += children.length;
      if (count > limit) {
        return count;
      }
      for (const child of children) {
        stack.push(child);
      }
    }
  }
  return count;
}

/**
 * Every error of `value` against `schema` (at most MAX_LISTED_ERRORS), or undefined when the input
 * is too large to list them all (the first error, from the first pass, then stands alone).
 */
export function allErrors(schema: unknown, value: unknown): AjvError[] | undefined {
  if (!detailed || typeof schema !== 'object' || schema === null || valuesUpTo(value, DETAILED_VALIDATION_MAX_VALUES) > DETAILED_VALIDATION_MAX_VALUES) {
    return undefined;
  }
  let validate = compiled.get(schema);
  if (!validate) {
    validate = detailed.compile(schema);
    compiled.set(schema, validate);
  }
  validate(value);
  return validate.errors?.slice(0, MAX_LISTED_ERRORS) ?? undefined;
}
