// CPU time spent by groups of processes over a stretch of a benchmark, read from /proc (Linux).
// Throughput on this machine is shared out between the server, PostgreSQL and the load generator
// on the same 2 cores, so a rate alone moves with whatever else runs; CPU milliseconds per unit of
// work (per lodgement, per pgbench transaction) is what the code costs, and the same-run ratio of
// the database's share to pgbench's is the ceiling's comparison that noise moves least.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Which processes make up each group, by their command line. */
export type Groups = Record<string, (cmdline: string) => boolean>;

export type CpuSnapshot = Map<string, { ticks: number; cmdline: string }>;

/** Clock ticks per second of /proc's times (CLK_TCK, 100 on Linux). */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Every process's user + system CPU ticks so far (empty where there is no /proc). */
export function snapshot(): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) in parentheses: utime is the 12th, stime the 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.set(pid, { ticks: Number(fields[11]) + Number(fields[12]), cmdline });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
}

/** CPU milliseconds each group spent between two snapshots (processes started meanwhile count from zero). */
export function spent(before: CpuSnapshot, after: CpuSnapshot, groups: Groups): Record<string, number> {
  const ms: Record<string, number> = Object.fromEntries(Object.keys(groups).map((g) => [g, 0]));
  for (const [pid, now] of after) {
    const group = Object.keys(groups).find((g) => groups[g]!(now.cmdline));
    if (group !== undefined) {
      ms[group]! += ((now.ticks - (before.get(pid)?.ticks ?? 0)) * 1000) / ticksPerSecond;
    }
  }
  return ms;
}

/** Rounded to a hundredth of a millisecond per unit of work. */
export const perUnit = (ms: number, units: number): number => (units > 0 ? Math.round((ms / units) * 100) / 100 : 0);
