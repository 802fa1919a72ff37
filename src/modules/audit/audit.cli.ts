// `forodha audit verify | checkpoint | keygen`: the audit trail from the shell.
import fs from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { AuditKeyError, loadPublicKey, signingKey, writeKeyPair } from './audit.keys.ts';
import { CheckpointError, takeCheckpoint, type CheckpointSettings } from './audit.checkpoint.ts';
import { verifyAudit, type Problem, type VerifyReport } from './audit.verify.ts';

export interface AuditCommandContext {
  config: CheckpointSettings;
  withDatabase<T>(work: (db: Kysely<DB>) => Promise<T>): Promise<T>;
}

const usage = {
  verify: 'forodha audit verify [--public-key FILE] [--checkpoints FILE] [--max-age SECONDS]',
  checkpoint: 'forodha audit checkpoint',
  keygen: 'forodha audit keygen FILE',
};

interface VerifyArgs {
  publicKey: string | undefined;
  checkpoints: string | undefined;
  maxAgeSeconds: number | undefined;
}

/** Parses the arguments after `audit verify`; a string is the error to print. */
export function parseVerifyArgs(argv: string[]): VerifyArgs | string {
  const out: VerifyArgs = { publicKey: undefined, checkpoints: undefined, maxAgeSeconds: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined || value.startsWith('--')) {
      return `${name} needs a value`;
    }
    if (name === '--public-key') {
      out.publicKey = path.resolve(value);
    } else if (name === '--checkpoints') {
      out.checkpoints = path.resolve(value);
    } else if (name === '--max-age') {
      const seconds = Number(value);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 31_536_000) {
        return `--max-age "${value}" is not valid: expected whole seconds from 1 to 31536000`;
      }
      out.maxAgeSeconds = seconds;
    } else {
      return `unknown option ${name}`;
    }
  }
  return out;
}

/** The key verify checks signatures with: --public-key, else the public half of the signing key. */
function verifyingKey(args: VerifyArgs, config: CheckpointSettings): KeyObject | undefined {
  if (args.publicKey !== undefined) {
    return loadPublicKey(args.publicKey);
  }
  const keyFile = config.auditSigningKey;
  // The embedded database's default key exists once the server has taken a checkpoint.
  if (keyFile === undefined || (config.auditCreateKey && !fs.existsSync(keyFile))) {
    return undefined;
  }
  return loadPublicKey(keyFile);
}

const where = (p: Problem): string =>
  p.stream !== undefined ? `${p.stream}${p.seq === undefined ? '' : ` record ${p.seq}`}` : p.line !== undefined ? `checkpoint file line ${p.line}` : 'database';

/** At most this many problems are listed: a truncated table would otherwise print one per chain. */
const listed = 100;

function printReport(report: VerifyReport): void {
  console.log(`audit trail: ${report.events} records in ${report.streams} chains; ${report.ok ? 'every chain verifies' : `${report.problems.length} problem(s)`}`);
  const cp = report.checkpoints;
  if (cp) {
    const last = cp.last ? `the last, #${cp.last.n} at ${cp.last.at}, covers ${cp.covered} records; ${cp.uncovered} record(s) since, protected by the chains only` : 'none signed';
    console.log(`checkpoints: ${cp.lines} line(s) in ${cp.file}${cp.keyId ? ` checked with key ${cp.keyId}` : ''}; ${last}`);
  }
  for (const note of report.notes) {
    console.log(`note: ${note}`);
  }
  for (const p of report.problems.slice(0, listed)) {
    console.error(`  ${where(p)}: ${p.problem}`);
  }
  if (report.problems.length > listed) {
    console.error(`  ... and ${report.problems.length - listed} more`);
  }
}

async function verify(argv: string[], context: AuditCommandContext): Promise<number> {
  const args = parseVerifyArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n\nusage: ${usage.verify}`);
    return 2;
  }
  const file = args.checkpoints ?? context.config.auditCheckpointFile;
  const publicKey = file === undefined ? undefined : verifyingKey(args, context.config);
  const report = await context.withDatabase((db) =>
    verifyAudit(db, { ...(file === undefined ? {} : { checkpoints: { file, publicKey } }), ...(args.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: args.maxAgeSeconds }) }),
  );
  printReport(report);
  return report.ok ? 0 : 1;
}

async function checkpoint(context: AuditCommandContext): Promise<number> {
  const { auditSigningKey: keyFile, auditCheckpointFile: file } = context.config;
  if (keyFile === undefined || file === undefined) {
    console.error('forodha audit checkpoint: set AUDIT_SIGNING_KEY and AUDIT_CHECKPOINT_FILE');
    return 2;
  }
  const key = signingKey(keyFile, context.config.auditCreateKey);
  const outcome = await context.withDatabase((db) => takeCheckpoint(db, { file, key, force: true }));
  if (!outcome.taken) {
    console.log('another process is writing a checkpoint right now: nothing done');
    return 0;
  }
  const numbers = outcome.first === outcome.last ? `#${outcome.first}` : `#${outcome.first} to #${outcome.last}`;
  console.log(`checkpoint ${numbers} written to ${file}: ${outcome.moved} chain(s) moved, ${outcome.events} records covered, signed with key ${key.keyId}`);
  return 0;
}

function keygen(argv: string[]): number {
  const file = argv[0];
  if (file === undefined || argv.length > 1) {
    console.error(`usage: ${usage.keygen}`);
    return 2;
  }
  const key = writeKeyPair(path.resolve(file));
  console.log(`wrote ${path.resolve(file)} (private, mode 0600) and ${path.resolve(file)}.pub; key ${key.keyId}`);
  console.log('Keep the private key off the database server and away from its administrators; verify needs only the .pub file.');
  return 0;
}

export async function auditCommand(sub: string, argv: string[], context: AuditCommandContext): Promise<number> {
  try {
    if (sub === 'verify') {
      return await verify(argv, context);
    }
    if (sub === 'checkpoint') {
      return await checkpoint(context);
    }
    if (sub === 'keygen') {
      return keygen(argv);
    }
    console.error(`usage: ${Object.values(usage).join('\n       ')}`);
    return 2;
  } catch (err) {
    if (err instanceof AuditKeyError || err instanceof CheckpointError) {
      console.error(`forodha audit ${sub}: ${err.message}`);
      return err instanceof AuditKeyError ? 2 : 1;
    }
    throw err;
  }
}
