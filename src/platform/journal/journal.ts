// The store-and-forward journal: lodgements taken while the database is away, kept in a local
// file until they can be applied. One append-only file of JSON lines per process
// (journal-<host>-<pid>.jsonl in JOURNAL_DIR): an `entry` line when a lodgement is taken, a `done`
// line with the answer once it is applied. Every line is written and fsync'ed before the caller
// is answered, so a crash of the node (even SIGKILL) loses nothing that was acknowledged.
// A process that starts adopts the files of processes of this host that are gone (renamed to its
// own name, so two adopters cannot both take one) and replays them first.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Principal } from '../http/auth.ts';

export interface JournalEntry {
  receipt: string;
  /** The caller's idempotency scope (organisation:principal): only it may read the receipt. */
  scope: string;
  principal: Principal;
  method: string;
  /** The request URL as received (path and query) and the route's pattern. */
  url: string;
  route: string;
  body: unknown;
  /** The Idempotency-Key the lodgement is applied with (the client's, or one made for it). */
  key: string;
  /** The request's hash (idempotency.ts requestHash): the same key with another body is refused. */
  hash: string;
  receivedAt: string;
}

export interface JournalOutcome {
  status: number;
  body: unknown;
  appliedAt: string;
}

type Line = ({ t: 'entry' } & JournalEntry) | ({ t: 'done'; receipt: string } & JournalOutcome);

export interface JournalLimits {
  maxEntries: number;
  maxBytes: number;
}

export class JournalFullError extends Error {
  constructor() {
    super('the lodgement journal is full');
  }
}

/** R, the date, and 12 random base-32 characters: unique across processes and nodes. */
export function newReceipt(now: Date): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(12);
  let tail = '';
  for (const b of bytes) {
    tail += alphabet[b % alphabet.length];
  }
  return `R${now.toISOString().slice(0, 10).replaceAll('-', '')}${tail}`;
}

const host = os.hostname().replace(/[^\w.-]/g, '_');
const fileName = (pid: number) => `journal-${host}-${pid}.jsonl`;
const ownedPattern = new RegExp(`^journal-${host.replace(/[.]/g, '\\.')}-(\\d+)(?:-.*)?\\.jsonl$`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLines(file: string): Line[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') {
      continue;
    }
    try {
      lines.push(JSON.parse(raw) as Line);
    } catch {
      // A line cut by a crash before its fsync was never acknowledged: it is skipped.
    }
  }
  return lines;
}

export class Journal {
  private readonly entries = new Map<string, JournalEntry>();
  private readonly outcomes = new Map<string, JournalOutcome>();
  private readonly byKey = new Map<string, string>();
  private readonly adopted: string[] = [];
  private handle: fs.promises.FileHandle | undefined;
  private bytes = 0;
  private writing: Promise<void> = Promise.resolve();
  /** Set when a lodgement found the database away; cleared once the journal has drained. */
  databaseAway = false;

  private constructor(
    readonly dir: string,
    readonly file: string,
    private readonly limits: JournalLimits,
  ) {}

  /** Opens this process's journal in `dir`, adopting the files of this host's processes that are gone. */
  static async open(dir: string, limits: JournalLimits): Promise<Journal> {
    fs.mkdirSync(dir, { recursive: true });
    const journal = new Journal(dir, path.join(dir, fileName(process.pid)), limits);
    for (const name of fs.readdirSync(dir).sort()) {
      const m = ownedPattern.exec(name);
      const pid = Number(m?.[1]);
      if (!m || pid === process.pid || alive(pid)) {
        continue;
      }
      const target = path.join(dir, `journal-${host}-${process.pid}-adopted-${pid}-${journal.adopted.length}.jsonl`);
      try {
        fs.renameSync(path.join(dir, name), target);
      } catch {
        continue; // another process adopted it first
      }
      journal.adopted.push(target);
      journal.load(readLines(target));
    }
    journal.handle = await fs.promises.open(journal.file, 'a');
    return journal;
  }

  private load(lines: Line[]): void {
    for (const line of lines) {
      this.bytes += Buffer.byteLength(JSON.stringify(line)) + 1;
      if (line.t === 'entry') {
        const { t: _t, ...entry } = line;
        this.entries.set(entry.receipt, entry);
        this.byKey.set(`${entry.scope}\n${entry.key}`, entry.receipt);
      } else {
        const { t: _t, receipt, ...outcome } = line;
        this.outcomes.set(receipt, outcome);
      }
    }
  }

  /** Lodgements not yet applied, in the order they were taken. */
  pending(): JournalEntry[] {
    return [...this.entries.values()].filter((e) => !this.outcomes.has(e.receipt));
  }

  get pendingCount(): number {
    return this.entries.size - this.outcomes.size;
  }

  find(receipt: string): { entry: JournalEntry; outcome: JournalOutcome | undefined } | undefined {
    const entry = this.entries.get(receipt);
    return entry && { entry, outcome: this.outcomes.get(receipt) };
  }

  findByKey(scope: string, key: string): JournalEntry | undefined {
    const receipt = this.byKey.get(`${scope}\n${key}`);
    return receipt === undefined ? undefined : this.entries.get(receipt);
  }

  /** Writes a line and fsyncs it, one writer at a time. */
  private async write(line: Line): Promise<void> {
    const text = `${JSON.stringify(line)}\n`;
    const run = this.writing.then(async () => {
      if (!this.handle) {
        throw new Error('the journal is closed');
      }
      await this.handle.appendFile(text);
      await this.handle.sync();
      this.bytes += Buffer.byteLength(text);
    });
    this.writing = run.catch(() => undefined);
    await run;
  }

  /** Takes a lodgement: on disk (fsync'ed) when this resolves. JournalFullError past the bounds. */
  async append(entry: JournalEntry): Promise<void> {
    const size = Buffer.byteLength(JSON.stringify(entry));
    if (this.pendingCount >= this.limits.maxEntries || this.bytes + size > this.limits.maxBytes) {
      throw new JournalFullError();
    }
    await this.write({ t: 'entry', ...entry });
    this.entries.set(entry.receipt, entry);
    this.byKey.set(`${entry.scope}\n${entry.key}`, entry.receipt);
  }

  /** Records the answer a replayed lodgement got. */
  async markDone(receipt: string, outcome: JournalOutcome): Promise<void> {
    await this.write({ t: 'done', receipt, ...outcome });
    this.outcomes.set(receipt, outcome);
  }

  /**
   * Once everything is applied and its receipt stored in the database, the files start afresh:
   * the adopted files are removed and this process's file is emptied.
   */
  async compact(): Promise<void> {
    if (this.pendingCount > 0 || !this.handle) {
      return;
    }
    const run = this.writing.then(async () => {
      await this.handle?.truncate(0);
      await this.handle?.sync();
      for (const file of this.adopted.splice(0)) {
        fs.rmSync(file, { force: true });
      }
      this.entries.clear();
      this.outcomes.clear();
      this.byKey.clear();
      this.bytes = 0;
    });
    this.writing = run.catch(() => undefined);
    await run;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }

  /**
   * A receipt taken by another process of this node (database away, so not in the table yet):
   * read from the journal files on disk.
   */
  findOnDisk(receipt: string): { entry: JournalEntry; outcome: JournalOutcome | undefined } | undefined {
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith('.jsonl')) {
        continue;
      }
      let entry: JournalEntry | undefined;
      let outcome: JournalOutcome | undefined;
      for (const line of readLines(path.join(this.dir, name))) {
        if (line.receipt !== receipt) {
          continue;
        }
        if (line.t === 'entry') {
          const { t: _t, ...rest } = line;
          entry = rest;
        } else {
          const { t: _t, receipt: _r, ...rest } = line;
          outcome = rest;
        }
      }
      if (entry) {
        return { entry, outcome };
      }
    }
    return undefined;
  }
}
