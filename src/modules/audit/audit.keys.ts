// The Ed25519 key that signs audit checkpoints. It lives in a file outside the database: whoever
// administers the database must not be able to sign, or a rewritten trail could be re-checkpointed.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class AuditKeyError extends Error {}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Short fingerprint of the public key, written on every checkpoint line. */
  keyId: string;
}

/** SHA-256 of the public key (SPKI, DER), first 16 hex digits: enough to tell keys apart in a message. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function readKeyFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (create one with `forodha audit keygen FILE`)' : (err as Error).message;
    throw new AuditKeyError(`${what} ${file}: ${reason}`);
  }
}

function ed25519(key: KeyObject, file: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AuditKeyError(`${file} holds a ${key.asymmetricKeyType ?? 'symmetric'} key, not an Ed25519 key`);
  }
  return key;
}

export function loadSigningKey(file: string): SigningKey {
  const pem = readKeyFile(file, 'audit signing key');
  let privateKey: KeyObject;
  try {
    privateKey = ed25519(createPrivateKey(pem), file);
  } catch (err) {
    throw err instanceof AuditKeyError ? err : new AuditKeyError(`${file} is not a PEM private key: ${(err as Error).message}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyId(publicKey) };
}

/** A public key file, or a private key file (its public half is derived). */
export function loadPublicKey(file: string): KeyObject {
  const pem = readKeyFile(file, 'audit public key');
  try {
    return ed25519(createPublicKey(pem), file);
  } catch (err) {
    throw err instanceof AuditKeyError ? err : new AuditKeyError(`${file} is not a PEM key: ${(err as Error).message}`);
  }
}

export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: keyId(publicKey) };
}

/**
 * Writes a new key pair: FILE (private, mode 0600) and FILE.pub. Never overwrites: losing the key
 * that signed a checkpoint file would leave that file unverifiable.
 */
export function writeKeyPair(file: string): SigningKey {
  const key = generateSigningKey();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const privatePem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  try {
    fs.writeFileSync(file, privatePem, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new AuditKeyError(`${file} already exists: not overwritten`);
    }
    throw err;
  }
  fs.writeFileSync(`${file}.pub`, publicPem, { mode: 0o644 });
  return key;
}

/** The key at file; created first when allowed (the embedded database's default key). */
export function signingKey(file: string, createIfMissing: boolean): SigningKey {
  if (createIfMissing && !fs.existsSync(file)) {
    return writeKeyPair(file);
  }
  return loadSigningKey(file);
}

/** Group- or world-readable private key: a warning worth logging at start. */
export function keyFileTooOpen(file: string): boolean {
  return process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0;
}

export const signText = (key: KeyObject, text: string): string => sign(null, Buffer.from(text), key).toString('base64');

export const verifyText = (key: KeyObject, text: string, signature: string): boolean => {
  try {
    return verify(null, Buffer.from(text), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
};
