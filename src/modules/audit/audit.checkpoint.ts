// Signed checkpoints of the audit trail, written outside the database.
//
// The hash chains alone cannot stop someone with write access to the database: they can delete a
// whole chain, or rewrite a record and recompute every hash after it. So at intervals the head of
// every chain that moved is written to an append-only file of JSON lines, each line signed with
// an Ed25519 key the database never sees and chained to the line before. `forodha audit verify`
// replays the file and checks each chain in the database against it.
//
// Which records a checkpoint covers: record ids are taken before commit, so "every id below N"
// could pass over a record whose transaction commits a moment later. Each record keeps its
// transaction id instead, and a checkpoint cuts at the snapshot's xmin, below which every
// transaction has finished: checkpoint k covers exactly the records with
// xmin(k-1) <= xid < xmin(k). Records after the last checkpoint are protected by the chains only.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { canonical, genesis } from './audit.service.ts';
import { keyFileTooOpen, signingKey, signText, type SigningKey } from './audit.keys.ts';

export class CheckpointError extends Error {}

/** One line of the checkpoint file, without its signature. */
export interface CheckpointBody {
  v: 1;
  /** Checkpoint number: 1, 2, 3 ... with no gaps. */
  n: number;
  at: string;
  /** The transaction cut: every record with a transaction id below it is covered. */
  xmin: string;
  /** Running total: records with a transaction id below xmin. */
  events: number;
  /** The chains that moved since the previous line: stream -> [record number, its hash]. */
  heads: Record<string, [number, string]>;
  /** Hash of the previous line's body (64 zeros for the first line). */
  prev: string;
  /** Fingerprint of the signing key. */
  key: string;
}

export interface CheckpointLine extends CheckpointBody {
  sig: string;
}

/** What the next line chains to: the hash, number, cut and total of the last line. */
interface Previous {
  n: number;
  hash: string;
  xmin: string;
  events: number;
  key: string | undefined;
}

const first: Previous = { n: 0, hash: genesis, xmin: '0', events: 0, key: undefined };

/** A big first checkpoint (an existing database) is split so no line grows without bound. */
const defaultHeadsPerLine = 1000;

/** Several processes may share one database and one file: one writes at a time. */
const writerLock = 7_310_946_114_501;

export const lineHash = (body: CheckpointBody): string => createHash('sha256').update(canonical(body)).digest('hex');

export function signLine(body: CheckpointBody, key: SigningKey): string {
  return JSON.stringify({ ...body, sig: signText(key.privateKey, canonical(body)) } satisfies CheckpointLine);
}

const isHex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A line read back from the file: any text at all, so every field is checked before use. */
export function parseLine(text: string): CheckpointLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  const l = value as Record<string, unknown>;
  const heads = l.heads;
  const headsOk =
    typeof heads === 'object' &&
    heads !== null &&
    !Array.isArray(heads) &&
    Object.values(heads).every((h) => Array.isArray(h) && h.length === 2 && isCount(h[0]) && h[0] > 0 && isHex64(h[1]));
  const ok =
    l.v === 1 &&
    isCount(l.n) &&
    l.n > 0 &&
    typeof l.at === 'string' &&
    typeof l.xmin === 'string' &&
    /^\d{1,20}$/.test(l.xmin) &&
    isCount(l.events) &&
    headsOk &&
    isHex64(l.prev) &&
    typeof l.key === 'string' &&
    typeof l.sig === 'string' &&
    Object.keys(l).length === 9;
  return ok ? (value as CheckpointLine) : undefined;
}

export function bodyOf(line: CheckpointLine): CheckpointBody {
  const { sig: _sig, ...body } = line;
  return body;
}

/** The last line of a file, read from its end: the file grows for years, the line is small. */
export function readLastLine(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
  try {
    let position = fs.fstatSync(fd).size;
    let tail = Buffer.alloc(0);
    while (position > 0) {
      const length = Math.min(64 * 1024, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      fs.readSync(fd, chunk, 0, length, position);
      tail = Buffer.concat([chunk, tail]);
      let end = tail.length;
      while (end > 0 && (tail[end - 1] === 0x0a || tail[end - 1] === 0x0d)) {
        end--;
      }
      const start = tail.lastIndexOf(0x0a, end - 1);
      if (start >= 0 && end > 0) {
        return tail.subarray(start + 1, end).toString('utf8');
      }
    }
    const all = tail.toString('utf8').trim();
    return all === '' ? undefined : all;
  } finally {
    fs.closeSync(fd);
  }
}

function previousLine(file: string): Previous {
  const text = readLastLine(file);
  if (text === undefined) {
    return first;
  }
  const line = parseLine(text);
  if (!line) {
    throw new CheckpointError(`${file} ends in a damaged line: no checkpoint can chain to it (run \`forodha audit verify\` and repair the file by hand)`);
  }
  return { n: line.n, hash: lineHash(bodyOf(line)), xmin: line.xmin, events: line.events, key: line.key };
}

/** Appends and forces the lines to disk before the database records them. */
function appendLines(file: string, lines: string[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a', 0o644);
  try {
    fs.writeSync(fd, lines.map((l) => `${l}\n`).join(''));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface CheckpointOptions {
  file: string;
  key: SigningKey;
  /** Write a line even when no chain moved (the command line does: it shows the writer is alive). */
  force?: boolean;
  /** Most chain heads on one line (default 1000): a big first checkpoint is split over several. */
  headsPerLine?: number;
  now?: () => Date;
}

export type CheckpointOutcome =
  | { taken: true; first: number; last: number; at: string; moved: number; events: number }
  | { taken: false; reason: 'busy' }
  | { taken: false; reason: 'nothing new'; last: number };

/**
 * Takes one checkpoint: one short transaction that reads the heads that moved since the previous
 * checkpoint (by transaction id, through an index), appends the signed lines to the file and
 * records their hashes in audit_checkpoint. Skips when another process holds the writer's lock.
 */
export async function takeCheckpoint(db: Kysely<DB>, options: CheckpointOptions): Promise<CheckpointOutcome> {
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ locked: boolean; xmin: string }>`
      select pg_try_advisory_xact_lock(${sql.lit(writerLock)}) as locked, pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(tx);
    const cut = rows[0];
    if (!cut?.locked) {
      return { taken: false, reason: 'busy' };
    }
    // Read only once the lock is ours: the previous writer's line is then in the file.
    const previous = previousLine(options.file);
    await checkContinuation(tx, options, previous, cut.xmin);
    const moved = await headsBetween(tx, previous.xmin, cut.xmin);
    if (moved.length === 0 && !options.force) {
      return { taken: false, reason: 'nothing new', last: previous.n };
    }
    const { count } = await tx
      .selectFrom('audit_event')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where(sql<boolean>`xid >= ${previous.xmin}::xid8 and xid < ${cut.xmin}::xid8`)
      .executeTakeFirstOrThrow();
    const at = (options.now?.() ?? new Date()).toISOString();
    const events = previous.events + Number(count);
    const bodies: CheckpointBody[] = [];
    let prev = previous;
    const headsPerLine = options.headsPerLine ?? defaultHeadsPerLine;
    for (let i = 0; i === 0 || i < moved.length; i += headsPerLine) {
      const heads = Object.fromEntries(moved.slice(i, i + headsPerLine).map((h) => [h.stream, [h.stream_seq, h.hash]])) as CheckpointBody['heads'];
      const body: CheckpointBody = { v: 1, n: prev.n + 1, at, xmin: cut.xmin, events, heads, prev: prev.hash, key: options.key.keyId };
      bodies.push(body);
      prev = { n: body.n, hash: lineHash(body), xmin: body.xmin, events, key: body.key };
    }
    appendLines(
      options.file,
      bodies.map((b) => signLine(b, options.key)),
    );
    await tx
      .insertInto('audit_checkpoint')
      .values(bodies.map((b) => ({ n: b.n, at: b.at, cut: b.xmin, events: b.events, line_hash: lineHash(b) })))
      .execute();
    return { taken: true, first: previous.n + 1, last: prev.n, at, moved: moved.length, events };
  });
}

/** Refuses to continue a file that is not this database's, or that another key signed. */
async function checkContinuation(tx: Tx, options: CheckpointOptions, previous: Previous, xmin: string): Promise<void> {
  if (previous.key !== undefined && previous.key !== options.key.keyId) {
    throw new CheckpointError(
      `${options.file} was signed with key ${previous.key}, not with this key (${options.key.keyId}): a new key starts a new checkpoint file`,
    );
  }
  const recorded = await tx.selectFrom('audit_checkpoint').select((eb) => eb.fn.max('n').as('n')).executeTakeFirst();
  if (recorded?.n !== undefined && recorded.n !== null && recorded.n > previous.n) {
    throw new CheckpointError(
      `the database records checkpoint #${recorded.n} but ${options.file} ends at #${previous.n}: the file was cut short or belongs to another database`,
    );
  }
  if (BigInt(xmin) < BigInt(previous.xmin)) {
    throw new CheckpointError(
      `the database's transaction ids (${xmin}) are below the last checkpoint's cut (${previous.xmin}): was it restored into another cluster? Start a new checkpoint file`,
    );
  }
}

function headsBetween(tx: Tx, from: string, to: string) {
  return tx
    .selectFrom('audit_event')
    .select(['stream', 'stream_seq', 'hash'])
    .distinctOn('stream')
    .where(sql<boolean>`xid >= ${from}::xid8 and xid < ${to}::xid8`)
    .orderBy('stream')
    .orderBy('stream_seq', 'desc')
    .execute();
}

export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The server's checkpoint timer: unref'd (it never keeps the process alive), one checkpoint at a
 * time, and a last one on stop so a clean shutdown leaves nothing uncovered.
 */
export class AuditCheckpointer {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly options: CheckpointOptions & { intervalSeconds: number; log: Log },
  ) {}

  start(): void {
    if (this.options.intervalSeconds > 0) {
      this.#timer = setInterval(() => void this.tick(), this.options.intervalSeconds * 1000);
      this.#timer.unref();
    }
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.tick();
  }

  tick(): Promise<void> {
    this.#running ??= takeCheckpoint(this.db, this.options)
      .then((outcome) => {
        if (outcome.taken) {
          this.options.log.info({ checkpoint: outcome.last, moved: outcome.moved, events: outcome.events }, 'audit checkpoint written');
        }
      })
      .catch((err: unknown) => this.options.log.error({ err, file: this.options.file }, 'audit checkpoint failed'))
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }
}

export interface CheckpointSettings {
  auditSigningKey: string | undefined;
  auditCreateKey: boolean;
  auditCheckpointFile: string | undefined;
  auditCheckpointSeconds: number;
}

/** The server's checkpoints, as configured; undefined when it takes none (said in the log). */
export function startAuditCheckpoints(db: Kysely<DB>, settings: CheckpointSettings, log: Log): AuditCheckpointer | undefined {
  const { auditSigningKey: keyFile, auditCheckpointFile: file } = settings;
  if (keyFile === undefined || file === undefined) {
    log.warn({}, 'audit checkpoints are off (AUDIT_SIGNING_KEY and AUDIT_CHECKPOINT_FILE are not set): a consistent rewrite of the audit trail would go unnoticed');
    return undefined;
  }
  if (settings.auditCheckpointSeconds === 0) {
    log.info({ file }, 'this server takes no audit checkpoints (AUDIT_CHECKPOINT_SECONDS=0): run `forodha audit checkpoint` from cron');
    return undefined;
  }
  const key = signingKey(keyFile, settings.auditCreateKey);
  if (keyFileTooOpen(keyFile)) {
    log.warn({ keyFile }, 'the audit signing key can be read by other users: chmod 600 it');
  }
  const checkpointer = new AuditCheckpointer(db, { file, key, intervalSeconds: settings.auditCheckpointSeconds, log });
  checkpointer.start();
  log.info({ file, key: key.keyId, everySeconds: settings.auditCheckpointSeconds }, 'audit checkpoints on');
  return checkpointer;
}
