// RFC 9457 problem details. Expected rejections (bad field, wrong state, not found) are thrown
// as ProblemError and rendered as application/problem+json; anything else is a bug (500).
export interface FieldError {
  /** JSON pointer to the field in the request, e.g. /items/2/hsCode. */
  pointer: string;
  /** Stable machine code, e.g. unknown_hs_code. */
  code: string;
  /** What is wrong and what is allowed, in words. */
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  instance?: string;
  [extension: string]: unknown;
}

const typeBase = 'https://forodha.dev/problems/';

export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.problem = { ...problem, type: problem.type.startsWith('http') ? problem.type : typeBase + problem.type };
  }
  get status(): number {
    return this.problem.status;
  }
}

export function invalid(errors: FieldError[], detail?: string): ProblemError {
  const first = errors[0];
  return new ProblemError({
    type: 'validation',
    title: 'The request is not valid',
    status: 422,
    detail: detail ?? (errors.length === 1 && first ? `${first.pointer}: ${first.message}` : `${errors.length} fields are not valid`),
    errors,
  });
}

export function badRequest(detail: string): ProblemError {
  return new ProblemError({ type: 'bad-request', title: 'Bad request', status: 400, detail });
}

export function notFound(what: string): ProblemError {
  return new ProblemError({ type: 'not-found', title: 'Not found', status: 404, detail: `${what} was not found` });
}

export function conflict(detail: string, extra: Record<string, unknown> = {}): ProblemError {
  return new ProblemError({ type: 'conflict', title: 'Conflict', status: 409, detail, ...extra });
}

export function forbidden(detail: string): ProblemError {
  return new ProblemError({ type: 'forbidden', title: 'Forbidden', status: 403, detail });
}

export function unauthorized(detail = 'Log in or present an API key'): ProblemError {
  return new ProblemError({ type: 'unauthorized', title: 'Unauthorized', status: 401, detail });
}

/** Collects field errors; throws them all at once so the client can fix everything in one go. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(pointer: string, code: string, message: string): void {
    this.list.push({ pointer, code, message });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(detail?: string): void {
    if (this.list.length > 0) {
      throw invalid(this.list, detail);
    }
  }
}
