// `forodha audit verify`: recompute every hash chain, then hold the database to the signed
// checkpoints. The chains catch a changed, inserted or removed record that was not covered up;
// the checkpoints catch what the chains cannot: a deleted chain, a truncated table, a tail cut
// off with its head fixed, or a rewrite that recomputed every hash consistently.
import fs from 'node:fs';
import readline from 'node:readline';
import type { KeyObject } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { canonical, eventHash, genesis } from './audit.service.ts';
import { bodyOf, lineHash, parseLine } from './audit.checkpoint.ts';
import { keyId, verifyText } from './audit.keys.ts';

export interface Problem {
  /** The chain concerned (entityType:entityId), and its record number when one record is at fault. */
  stream?: string;
  seq?: number;
  /** The checkpoint file's line at fault. */
  line?: number;
  problem: string;
}

export interface VerifyOptions {
  /** The checkpoint file and the public key its lines must be signed with; omitted = chains only. */
  checkpoints?: { file: string; publicKey: KeyObject | undefined };
  /** Records newer than the last checkpoint are a problem once it is older than this. */
  maxAgeSeconds?: number;
  now?: Date;
}

export interface CheckpointSummary {
  file: string;
  lines: number;
  keyId: string | undefined;
  last: { n: number; at: string; events: number } | undefined;
  /** Records the checkpoints vouch for, and records newer than them (protected by the chains only). */
  covered: number;
  uncovered: number;
}

export interface VerifyReport {
  ok: boolean;
  streams: number;
  events: number;
  checkpoints: CheckpointSummary | undefined;
  /** What was not checked, and why. */
  notes: string[];
  problems: Problem[];
}

/** A chain's head as the checkpoints saw it. */
interface Checkpointed {
  seq: number;
  hash: string;
  n: number;
}

interface Replay {
  lines: number;
  heads: Map<string, Checkpointed>;
  lineHashes: Map<number, string>;
  last: { n: number; at: string; xmin: string; events: number } | undefined;
  problems: Problem[];
}

async function* fileLines(file: string): AsyncGenerator<string> {
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  try {
    yield* readline.createInterface({ input, crlfDelay: Infinity });
  } finally {
    input.destroy();
  }
}

/**
 * Reads the checkpoint file: each line must be signed by the key, numbered one after the other and
 * chained to the line before. Only signed lines are believed; their heads are replayed so that
 * every chain's last checkpointed record (number and hash) is known.
 */
async function replayCheckpoints(file: string, publicKey: KeyObject): Promise<Replay> {
  const replay: Replay = { lines: 0, heads: new Map(), lineHashes: new Map(), last: undefined, problems: [] };
  const expectedKey = keyId(publicKey);
  let previous = { n: 0, hash: genesis, xmin: 0n, events: 0 };
  let lineNo = 0;
  for await (const text of fileLines(file)) {
    lineNo++;
    if (text.trim() === '') {
      continue;
    }
    replay.lines++;
    const line = parseLine(text);
    if (!line) {
      replay.problems.push({ line: lineNo, problem: 'is not a checkpoint: the line is damaged or was edited by hand' });
      continue;
    }
    const body = bodyOf(line);
    const problem = (p: string) => replay.problems.push({ line: lineNo, problem: `checkpoint #${line.n} ${p}` });
    if (line.n !== previous.n + 1) {
      problem(`comes after #${previous.n}: ${line.n <= previous.n ? 'checkpoints were reordered or repeated' : `checkpoint(s) #${previous.n + 1}${line.n - 1 > previous.n + 1 ? `-#${line.n - 1}` : ''} were removed`}`);
    } else if (line.prev !== previous.hash) {
      problem(`does not chain to the line before it: that line was changed or replaced`);
    }
    if (line.key !== expectedKey) {
      problem(`is signed by key ${line.key}, not by the verifying key ${expectedKey}: forged, or verified with the wrong key`);
    } else if (!verifyText(publicKey, canonical(body), line.sig)) {
      problem('does not match its signature: the line was changed');
    } else {
      if (BigInt(line.xmin) < previous.xmin || line.events < previous.events) {
        problem('goes back in time (its transaction cut or record count is below the previous one)');
      }
      replayHeads(replay, line.n, line.heads);
      replay.last = { n: line.n, at: line.at, xmin: line.xmin, events: line.events };
    }
    replay.lineHashes.set(line.n, lineHash(body));
    previous = { n: line.n, hash: lineHash(body), xmin: BigInt(line.xmin), events: line.events };
  }
  return replay;
}

function replayHeads(replay: Replay, n: number, heads: Record<string, [number, string]>): void {
  for (const [stream, [seq, hash]] of Object.entries(heads)) {
    const known = replay.heads.get(stream);
    // A later checkpoint may name an earlier record of a chain (its transaction committed late);
    // the highest record seen vouches for every record before it through the chain.
    if (!known || seq > known.seq) {
      replay.heads.set(stream, { seq, hash, n });
    } else if (seq === known.seq && hash !== known.hash) {
      replay.problems.push({ stream, seq, problem: `checkpoints #${known.n} and #${n} disagree on this record's hash` });
    }
  }
}

interface ChainState {
  seq: number;
  hash: string;
  /** The checkpointed record was found (with whatever hash). */
  sawCheckpointed: boolean;
}

/** Recomputes every chain, and compares each checkpointed record with the database's. */
async function verifyChains(db: Kysely<DB>, checkpointed: Map<string, Checkpointed>, report: VerifyReport): Promise<{ uncovered: number; chains: Map<string, ChainState> }> {
  const chains = new Map<string, ChainState>();
  let uncovered = 0;
  let lastId = '0';
  for (;;) {
    const batch = await db
      .selectFrom('audit_event')
      .select(['id', 'hash', 'stream', 'stream_seq', 'at', 'actor_id', 'actor_name', 'actor_org', 'role', 'action', 'entity_type', 'entity_id', 'subject_refs', 'before', 'after', 'reason', 'request_id', 'prev_hash'])
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(5000)
      .execute();
    if (batch.length === 0) {
      break;
    }
    for (const e of batch) {
      report.events++;
      const chain = chains.get(e.stream) ?? { seq: 0, hash: genesis, sawCheckpointed: false };
      const { id: _id, hash, ...fields } = e;
      if (e.stream_seq !== chain.seq + 1) {
        report.problems.push({ stream: e.stream, seq: e.stream_seq, problem: `expected record ${chain.seq + 1}, found ${e.stream_seq}: a record is missing` });
      }
      if (e.prev_hash !== chain.hash) {
        report.problems.push({ stream: e.stream, seq: e.stream_seq, problem: 'does not link to the record before it' });
      }
      if (eventHash(fields) !== hash) {
        report.problems.push({ stream: e.stream, seq: e.stream_seq, problem: 'content does not match its hash: the record was changed' });
      }
      const cp = checkpointed.get(e.stream);
      if (cp && cp.seq === e.stream_seq) {
        chain.sawCheckpointed = true;
        if (cp.hash !== hash) {
          report.problems.push({ stream: e.stream, seq: e.stream_seq, problem: `differs from the record signed in checkpoint #${cp.n}: the chain was rewritten` });
        }
      }
      if (!cp || e.stream_seq > cp.seq) {
        uncovered++;
      }
      chains.set(e.stream, { ...chain, seq: e.stream_seq, hash });
    }
    lastId = batch.at(-1)?.id ?? lastId;
  }
  const heads = await db.selectFrom('audit_stream').selectAll().execute();
  for (const head of heads) {
    const last = chains.get(head.stream);
    if (!last || last.seq !== head.seq || last.hash !== head.head_hash) {
      report.problems.push({ stream: head.stream, problem: `the chain ends at record ${last?.seq ?? 0} but its head says ${head.seq}: records were removed` });
    }
  }
  report.streams = heads.length;
  return { uncovered, chains };
}

/** Every chain a checkpoint signed must still reach the signed record. */
function checkCheckpointedChains(checkpointed: Map<string, Checkpointed>, chains: Map<string, ChainState>, report: VerifyReport): void {
  for (const [stream, cp] of checkpointed) {
    const chain = chains.get(stream);
    if (!chain) {
      report.problems.push({ stream, problem: `checkpoint #${cp.n} signed ${cp.seq} record(s) of this chain; the database has none: the chain was deleted` });
    } else if (chain.seq < cp.seq) {
      report.problems.push({ stream, problem: `checkpoint #${cp.n} signed records up to ${cp.seq}; the database's chain ends at ${chain.seq}: records were removed` });
    } else if (!chain.sawCheckpointed) {
      report.problems.push({ stream, seq: cp.seq, problem: `record signed in checkpoint #${cp.n} is missing from the database` });
    }
  }
}

/** The records below the last cut were counted when it was taken: the same number must be there. */
async function checkCount(db: Kysely<DB>, last: NonNullable<Replay['last']>, report: VerifyReport): Promise<void> {
  const { count } = await db
    .selectFrom('audit_event')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where(sql<boolean>`xid < ${last.xmin}::xid8`)
    .executeTakeFirstOrThrow();
  const held = Number(count);
  if (held < last.events) {
    report.problems.push({ problem: `checkpoint #${last.n} counted ${last.events} records; the database holds ${held} of them: ${last.events - held} were removed` });
  } else if (held > last.events) {
    report.problems.push({ problem: `the database holds ${held} records from before checkpoint #${last.n}, which counted ${last.events}: ${held - last.events} were inserted afterwards` });
  }
}

/** The database remembers each checkpoint line's hash: a file cut short or replaced shows up. */
async function checkRecordedCheckpoints(db: Kysely<DB>, replay: Replay, report: VerifyReport): Promise<void> {
  const recorded = await db.selectFrom('audit_checkpoint').select(['n', 'line_hash']).orderBy('n').execute();
  const missing = recorded.filter((r) => !replay.lineHashes.has(r.n));
  if (missing.length > 0) {
    const span = missing.length === 1 ? `#${missing[0]?.n}` : `#${missing[0]?.n} to #${missing.at(-1)?.n}`;
    report.problems.push({ problem: `the database records ${missing.length} checkpoint(s) (${span}) that the checkpoint file lacks: the file was cut short or replaced` });
  }
  for (const r of recorded) {
    const hash = replay.lineHashes.get(r.n);
    if (hash !== undefined && hash !== r.line_hash) {
      report.problems.push({ problem: `checkpoint #${r.n} in the file is not the one the database recorded when it was written: the file was changed` });
    }
  }
}

export async function verifyAudit(db: Kysely<DB>, options: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, streams: 0, events: 0, checkpoints: undefined, notes: [], problems: [] };
  const cp = options.checkpoints;
  let replay: Replay | undefined;
  if (!cp) {
    report.notes.push('no checkpoint file configured: only the hash chains were checked, which a consistent rewrite of the database would pass');
  } else if (!fs.existsSync(cp.file)) {
    report.notes.push(`no checkpoint has been taken yet (${cp.file} does not exist)`);
    replay = { lines: 0, heads: new Map(), lineHashes: new Map(), last: undefined, problems: [] };
  } else if (!cp.publicKey) {
    report.problems.push({ problem: `${cp.file} cannot be checked without the public key of the key that signs it` });
  } else {
    replay = await replayCheckpoints(cp.file, cp.publicKey);
    report.problems.push(...replay.problems);
  }
  const { uncovered, chains } = await verifyChains(db, replay?.heads ?? new Map<string, Checkpointed>(), report);
  if (cp && replay) {
    checkCheckpointedChains(replay.heads, chains, report);
    if (replay.last) {
      await checkCount(db, replay.last, report);
    }
    await checkRecordedCheckpoints(db, replay, report);
    const last = replay.last;
    report.checkpoints = {
      file: cp.file,
      lines: replay.lines,
      keyId: cp.publicKey ? keyId(cp.publicKey) : undefined,
      last: last && { n: last.n, at: last.at, events: last.events },
      covered: [...replay.heads.values()].reduce((sum, h) => sum + h.seq, 0),
      uncovered,
    };
    const maxAge = options.maxAgeSeconds;
    const now = options.now ?? new Date();
    if (maxAge !== undefined && uncovered > 0 && (!last || now.getTime() - Date.parse(last.at) > maxAge * 1000)) {
      report.problems.push({
        problem: `${uncovered} record(s) are not covered by a checkpoint and ${last ? `the last one is from ${last.at}` : 'none was ever taken'}, more than ${maxAge} seconds ago: is the checkpoint writer running?`,
      });
    }
  }
  report.ok = report.problems.length === 0;
  return report;
}
