// A small HTTP load generator run in its own process: keeps N connections busy (closed loop) or
// sends at a fixed rate (--rate, open loop) for --seconds, and prints latency percentiles as JSON.
import fs from 'node:fs';
import http from 'node:http';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const url = new URL(opt('url', 'http://127.0.0.1:3000/health'));
// Either one body for every request, or a JSON array of bodies taken in turn (--bodies-file).
const bodiesFile = opt('bodies-file', '');
const bodies: string[] = bodiesFile ? (JSON.parse(fs.readFileSync(bodiesFile, 'utf8')) as unknown[]).map((b) => JSON.stringify(b)) : [opt('body', '')];
let nextBody = 0;
const body = bodies[0] ?? '';
const method = opt('method', body ? 'POST' : 'GET');
const seconds = Number(opt('seconds', '10'));
const connections = Number(opt('connections', '16'));
const rate = Number(opt('rate', '0'));
const headers: Record<string, string> = { 'content-type': 'application/json', ...(JSON.parse(opt('headers', '{}')) as Record<string, string>) };

const agent = new http.Agent({ keepAlive: true, maxSockets: rate > 0 ? 512 : connections });
const latencies: number[] = [];
let errors = 0;
const statuses: Record<number, number> = {};

function once(): Promise<void> {
  const body = bodies[nextBody++ % bodies.length] ?? '';
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request(url, { method, agent, headers: body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - started);
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        if ((res.statusCode ?? 500) >= 400) {
          errors++;
        }
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    if (body) {
      req.write(body);
    }
    req.end();
  });
}

const started = performance.now();
const deadline = started + seconds * 1000;
if (rate > 0) {
  // Open loop: requests leave on schedule whether or not earlier ones have answered.
  const inflight: Promise<void>[] = [];
  const interval = 1000 / rate;
  let next = performance.now();
  while (next < deadline) {
    const wait = next - performance.now();
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
    }
    inflight.push(once());
    next += interval;
  }
  await Promise.all(inflight);
} else {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        await once();
      }
    }),
  );
}
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0) * 100) / 100;
agent.destroy();
console.log(JSON.stringify({ requests: latencies.length, seconds: Math.round(elapsed * 100) / 100, requestsPerSecond: Math.round(latencies.length / elapsed), p50Ms: pct(50), p90Ms: pct(90), p99Ms: pct(99), maxMs: pct(100), errors, statuses }));
