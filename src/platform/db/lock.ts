// The embedded database is a folder that only one process may open at a time: PGlite has no
// server to arbitrate, so two writers would corrupt it. A lock file names the holder.
import fs from 'node:fs';
import path from 'node:path';

export interface DataLock {
  release(): void;
}

export class DataLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: { pid: number; holder: string; since: string },
  ) {
    super(
      `The embedded database in ${dataDir} is in use by ${holder.holder} (process ${holder.pid}, since ${holder.since}). ` +
        'Stop that process first, or set DATABASE_URL to use a PostgreSQL server that both can share.',
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireDataLock(dataDir: string, holder: string): DataLock {
  const file = path.join(dataDir, 'forodha.lock');
  const content = JSON.stringify({ pid: process.pid, holder, since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, content, { flag: 'wx' });
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          fs.rmSync(file, { force: true });
        }
      };
      process.once('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
      const existing = readLock(file);
      if (existing && existing.pid !== process.pid && alive(existing.pid)) {
        throw new DataLockedError(dataDir, existing);
      }
      // A stale lock from a process that died: take it over.
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${file}`);
}

function readLock(file: string): { pid: number; holder: string; since: string } | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; holder: string; since: string };
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
