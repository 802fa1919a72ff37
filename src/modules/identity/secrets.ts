// Secrets are never stored: passwords as argon2id hashes, session tokens and API keys (random
// 32 bytes, high entropy) as SHA-256, which is enough for a value nobody can guess or brute-force.
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new session token or API key: 32 random bytes, base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

// Verifying against this hash when the username is unknown makes a failed login take the same
// time whether or not the user exists, so timing does not reveal usernames.
let decoy: Promise<string> | undefined;

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
