// What stands between a password guesser and argon2: the username as login reads it (so padding
// or case cannot make a fresh rate-limit bucket), a lock-out per username across all addresses,
// and a ceiling on login attempts per second for the whole process.
//
// The counts live in this process's memory: with several server processes each keeps its own, so
// the effective limits are the settings times the number of processes.
import type { Clock } from '#platform/clock.ts';
import { ProblemError } from '#platform/http/problem.ts';

/** The one spelling of a username: what login looks up and what every limit counts. */
export function normaliseUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

/** A refusal that tells the caller when to come back (sent as Retry-After). */
export class RetryLater extends ProblemError {
  constructor(
    readonly retryAfterSeconds: number,
    detail: string,
  ) {
    super({ type: 'too-many-requests', title: 'Too many requests', status: 429, detail });
  }
}

export interface LockoutPolicy {
  /** Failures within the window that lock the username. */
  failures: number;
  windowMinutes: number;
  lockoutMinutes: number;
}

interface Failures {
  count: number;
  windowStart: number;
  lockedUntil: number;
}

const MAX_TRACKED = 100_000;

/**
 * Failed logins per username, whoever sends them. Unknown usernames are counted exactly like
 * known ones and get the same answer, so a lock-out says nothing about which usernames exist.
 */
export class AccountLockout {
  private readonly byUsername = new Map<string, Failures>();

  constructor(
    private readonly policy: LockoutPolicy,
    private readonly clock: Clock,
  ) {}

  /** Throws RetryLater while the username is locked. */
  check(username: string): void {
    const entry = this.byUsername.get(username);
    const now = this.clock.now().getTime();
    if (entry && entry.lockedUntil > now) {
      const seconds = Math.ceil((entry.lockedUntil - now) / 1000);
      throw new RetryLater(seconds, `Too many failed logins for this username; try again in ${Math.ceil(seconds / 60)} minute(s)`);
    }
  }

  failed(username: string): void {
    const now = this.clock.now().getTime();
    let entry = this.byUsername.get(username);
    if (!entry || now - entry.windowStart > this.policy.windowMinutes * 60_000) {
      entry = { count: 0, windowStart: now, lockedUntil: 0 };
    }
    entry.count++;
    if (entry.count >= this.policy.failures) {
      entry.lockedUntil = now + this.policy.lockoutMinutes * 60_000;
      entry.count = 0;
      entry.windowStart = now;
    }
    // Re-inserted so the Map's order is oldest activity first: a flood of made-up usernames
    // evicts the stalest entries, never grows memory without bound.
    this.byUsername.delete(username);
    if (this.byUsername.size >= MAX_TRACKED) {
      const oldest = this.byUsername.keys().next();
      if (!oldest.done) {
        this.byUsername.delete(oldest.value);
      }
    }
    this.byUsername.set(username, entry);
  }

  succeeded(username: string): void {
    this.byUsername.delete(username);
  }
}

/** A token bucket: at most `perSecond` login attempts a second (bursts up to that many). */
export class LoginRate {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** Throws RetryLater when the process has taken its share of login attempts this second. */
  take(): void {
    const now = performance.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) {
      throw new RetryLater(1, 'Too many login attempts right now; try again in a second');
    }
    this.tokens--;
  }
}
