// Calls to the Forodha API. The session token lives in this module's memory only: never in
// localStorage or a cookie, so another site cannot use it and a script injected later cannot read
// it from storage; a reload logs out. Every POST carries a fresh Idempotency-Key, so a retry after
// a lost answer never lodges twice.

// The problem document is the server's own type (RFC 9457 with field errors), shared, not restated.
import type { FieldError, Problem } from '../../src/platform/http/problem.ts';

export type { FieldError, Problem };

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  /** Field errors by JSON pointer, e.g. "/items/0/hsCode". */
  get fields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) {
      out[e.pointer] = out[e.pointer] ? `${out[e.pointer]}; ${e.message}` : e.message;
    }
    return out;
  }
}

let token: string | undefined;
let onUnauthorised: () => void = () => undefined;

export function setToken(value: string | undefined): void {
  token = value;
}

export function hasToken(): boolean {
  return token !== undefined;
}

/** Called when the server says the session is no longer valid. */
export function onSessionLost(handler: () => void): void {
  onUnauthorised = handler;
}

export function newKey(): string {
  if (typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, opts: { idempotencyKey?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) {
    headers.authorization = `Bearer ${token}`;
  }
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (method === 'POST' || method === 'PUT') {
    headers['idempotency-key'] = opts.idempotencyKey ?? newKey();
  }
  const response = await fetch(`/api/v1${path}`, { method, headers, credentials: 'omit', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : safeJson(text);
  if (!response.ok) {
    const problem = asProblem(parsed, response.status, response.statusText, text);
    if (response.status === 401 && token !== undefined && !path.startsWith('/auth/')) {
      onUnauthorised();
    }
    throw new ApiError(problem);
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What an upload's progress looks like: bytes sent of the total (the body), then the server's work. */
export interface UploadProgress {
  sent: number;
  total: number;
}

/**
 * A POST whose body upload is followed (XMLHttpRequest's upload events: fetch has none), for large
 * files; the answer and its problems are read as `request` reads them.
 */
export function postWithProgress<T>(path: string, body: unknown, onProgress: (p: UploadProgress) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', 'application/json');
    xhr.setRequestHeader('idempotency-key', newKey());
    if (token !== undefined) {
      xhr.setRequestHeader('authorization', `Bearer ${token}`);
    }
    xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.lengthComputable ? e.total : 0 });
    xhr.onerror = () => reject(new ApiError({ type: 'about:blank', title: 'Network error', status: 0, detail: 'The server could not be reached' }));
    xhr.onload = () => {
      const parsed = xhr.responseText === '' ? undefined : safeJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(parsed as T);
        return;
      }
      if (xhr.status === 401 && token !== undefined) {
        onUnauthorised();
      }
      reject(new ApiError(asProblem(parsed, xhr.status, xhr.statusText, xhr.responseText)));
    };
    xhr.send(JSON.stringify(body));
  });
}

function asProblem(parsed: unknown, status: number, statusText: string, text: string): Problem {
  return parsed && typeof parsed === 'object' && 'status' in parsed ? (parsed as Problem) : { type: 'about:blank', title: statusText, status, detail: text.slice(0, 300) };
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown, opts?: { idempotencyKey?: string }) => request<T>('POST', path, body, opts),
};

/** Query string from the defined values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') {
      p.set(k, String(v));
    }
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
