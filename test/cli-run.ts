// Runs `forodha ...` (src/cli.ts through tsx) against the embedded database in dataDir, as the
// command-line tests do.
import path from 'node:path';
import { spawnSync } from 'node:child_process';

export const root = path.resolve(import.meta.dirname, '..');

export function cli(dataDir: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' };
  const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'src/cli.ts'), ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
