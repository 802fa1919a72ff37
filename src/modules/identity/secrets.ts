// Secrets are never stored: passwords as argon2id hashes, session tokens and API keys (random
// 32 bytes, high entropy) as SHA-256, which is enough for a value nobody can guess or brute-force.
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { ProblemError } from '#platform/http/problem.ts';

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new session token or API key: 32 random bytes, base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Unqueued: for start-up and the command line, where nobody else is waiting. */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

// Verifying against this hash when the username is unknown makes a failed login take the same
// time whether or not the user exists, so timing does not reveal usernames.
let decoy: Promise<string> | undefined;

/** Unqueued check of a password against its stored hash (undefined: the user does not exist). */
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  decoy ??= hash(newSecret());
  const target = passwordHash ?? (await decoy);
  try {
    const ok = await verify(target, password);
    return ok && passwordHash !== undefined;
  } catch {
    // A malformed stored hash is a failed login, not a 500 that tells the caller the user exists.
    return false;
  }
}

export const MIN_PASSWORD_LENGTH = 12;

/** The demo cast's password: public, in the README, so never acceptable as a real password. */
export const DEMO_PASSWORD = 'demo-password';

export interface Weakness {
  code: 'too_short' | 'published_password' | 'contains_username' | 'too_few_characters';
  message: string;
}

/** Why a new password is too weak to accept, or undefined when it will do. */
export function passwordWeakness(password: string, username: string): Weakness | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return { code: 'too_short', message: `use at least ${MIN_PASSWORD_LENGTH} characters` };
  }
  const lower = password.toLowerCase();
  if (lower.includes(DEMO_PASSWORD)) {
    return { code: 'published_password', message: 'the demo password is published in the README; choose another' };
  }
  if (username !== '' && lower.includes(username.toLowerCase())) {
    return { code: 'contains_username', message: 'do not put the username in the password' };
  }
  if (new Set(password).size < 5) {
    return { code: 'too_few_characters', message: 'use at least 5 different characters' };
  }
  return undefined;
}

/** The hash queue is full: the caller should come back in a moment. */
export class HasherBusy extends ProblemError {
  readonly retryAfterSeconds = 1;
  constructor() {
    super({ type: 'busy', title: 'Busy', status: 503, detail: 'Too many logins are being checked right now; try again in a second' });
  }
}

/**
 * Password hashing behind a bounded queue. argon2 is slow on purpose (memory and CPU), so a login
 * flood left alone would take every core from the requests that lodge and clear goods. At most
 * `concurrency` hashes run at once (keep it below the number of cores) and at most `queue` wait;
 * beyond that `run` throws HasherBusy at once instead of piling work up.
 */
export class PasswordHasher {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most hashes that ever ran at once: what the flood test checks. */
  peak = 0;

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  hash(password: string): Promise<string> {
    return this.run(() => hash(password));
  }

  verify(passwordHash: string | undefined, password: string): Promise<boolean> {
    return this.run(() => verifyPassword(passwordHash, password));
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.queue) {
        throw new HasherBusy();
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    // Here this caller holds one of the `concurrency` slots (handed over by release()).
    this.peak = Math.max(this.peak, this.active);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Hands the slot to the next waiting caller, or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
    } else {
      this.active--;
    }
  }
}
