// What the benchmarks share: starting the real server in its own process, waiting for it to
// answer, and driving it with the load generator (bench/load.ts) in another process.
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a script under tsx; `nodeFlags` go to node itself (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
export function tsx(script: string, args: string[], env: NodeJS.ProcessEnv, stdout: 'pipe' | 'ignore', nodeFlags: string[] = []): ChildProcess {
  return spawn(path.join(root, 'node_modules/.bin/tsx'), [...nodeFlags, path.join(root, script), ...args], { env, stdio: ['ignore', stdout, 'inherit'] });
}

/** Node flags for the server under test, from BENCH_SERVER_NODE_FLAGS: say, `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const serverNodeFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');

export interface Server {
  url: string;
  stop(): Promise<void>;
}

/** Whether nothing listens on this port now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A port from portBase to portBase + 39 that nothing listens on: on a machine shared with other
 * benchmarks, a taken port would let /health answer from someone else's server.
 */
async function freePort(portBase: number): Promise<number> {
  const offsets = Array.from({ length: 40 }, (_, i) => i).sort(() => Math.random() - 0.5);
  for (const offset of offsets) {
    if (await isFree(portBase + offset)) {
      return portBase + offset;
    }
  }
  throw new Error(`no free port from ${portBase} to ${portBase + 39}`);
}

/** Starts `npm start`'s entry point with these settings on a free port and waits for /health. */
export async function startServer(env: NodeJS.ProcessEnv, portBase: number): Promise<Server> {
  const port = await freePort(portBase);
  const child = tsx('src/main.ts', [], { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, 'ignore', serverNodeFlags);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) {
      throw new Error('server exited before answering');
    }
    // Answered by our server only if it is still running (it exits when it cannot listen).
    if ((await fetch(`${url}/health`).then((r) => r.ok, () => false)) && child.exitCode === null) {
      return { url, stop };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error('server did not start');
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  statuses: Record<string, number>;
}

/** Runs bench/load.ts with these options (--url, --body or --bodies-file, --seconds, --connections or --rate ...). */
export function runLoad(options: Record<string, string | number>): Promise<LoadResult> {
  const child = tsx('bench/load.ts', Object.entries(options).flatMap(([k, v]) => [`--${k}`, String(v)]), process.env, 'pipe');
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult) : reject(new Error(`load generator exited ${code}`)))),
  );
}
