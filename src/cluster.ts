// One server process per core (WORKERS): Node's cluster forks the workers, which share the
// listening port (the primary hands out connections in turn) and nothing else but the database.
// The primary migrates and seeds once before forking, relays cache invalidations between
// workers, restarts a worker that dies, and stops them all on SIGTERM (each worker shuts down
// gracefully: see main.ts). SIGUSR2 or SIGHUP rolls the workers: one at a time, a new worker is
// forked and must be listening before the old one in its slot is asked to stop, so the port never
// goes unserved (a new release's code is loaded by the new workers).
//
// What runs on a timer is safe with several processes: each worker's outbox worker claims rows
// with FOR UPDATE SKIP LOCKED (outbox.ts); audit checkpoints are taken by the leader (worker 0)
// only, and an advisory lock would keep a second writer out anyway (audit.checkpoint.ts).
import cluster, { type Worker } from 'node:cluster';
import { clearLocal, setInvalidationBroadcast } from '#platform/cache.ts';

interface Invalidation {
  forodha: 'invalidate';
  name: string;
}

const isInvalidation = (m: unknown): m is Invalidation => typeof m === 'object' && m !== null && (m as Invalidation).forodha === 'invalidate';

/** This worker's slot (0 is the leader); 0 in a process that is not a cluster worker. */
export function workerIndex(): number {
  return cluster.isWorker ? Number(process.env.FORODHA_WORKER_INDEX ?? 0) : 0;
}

/** In a worker: caches cleared here are cleared in the other workers too, and theirs here. */
export function joinCluster(): void {
  if (!cluster.isWorker) {
    return;
  }
  setInvalidationBroadcast((name) => process.send?.({ forodha: 'invalidate', name } satisfies Invalidation));
  process.on('message', (m: unknown) => {
    if (isInvalidation(m)) {
      clearLocal(m.name);
    }
  });
}

/**
 * The primary: prepares the database once, forks `workers` servers and keeps them running. A
 * worker that exits before it listens while no other worker serves is a start-up failure (bad
 * setting, database away): the primary stops with its exit code rather than forking it again and
 * again. While others serve, it is forked again with a growing delay (1 s to 30 s).
 */
export async function runPrimary(workers: number, prepare: () => Promise<void>, log: (message: string) => void = console.error): Promise<void> {
  await prepare();
  let stopping = false;
  const slots = new Map<Worker, number>();
  const listening = new Set<Worker>();
  /** Workers asked to stop by a rolling restart: their exit is expected, their slot is taken. */
  const retiring = new Set<Worker>();
  /** New workers of a rolling restart not yet listening: failing to start stops the roll, not the service. */
  const trial = new Set<Worker>();
  /** Start-ups that failed in a row, per slot, while other workers served: the back-off. */
  const failedStarts = new Map<number, number>();
  const fork = (index: number): Worker => {
    const worker = cluster.fork({ FORODHA_WORKER_INDEX: String(index) });
    slots.set(worker, index);
    worker.on('listening', () => {
      listening.add(worker);
      failedStarts.delete(index);
    });
    worker.on('message', (m: unknown) => {
      if (isInvalidation(m)) {
        for (const other of slots.keys()) {
          if (other !== worker && other.isConnected()) {
            other.send(m);
          }
        }
      }
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    const index = slots.get(worker) ?? 0;
    slots.delete(worker);
    const wasListening = listening.delete(worker);
    if (stopping) {
      if (slots.size === 0) {
        process.exit(0);
      }
      return;
    }
    if (retiring.delete(worker) || trial.delete(worker)) {
      return;
    }
    if (!wasListening && listening.size > 0) {
      // The service is up on the other workers: this one failed to start (the database away for a
      // moment, say). It is tried again, more slowly each time, instead of taking the service down.
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(5, (failedStarts.get(index) ?? 0)));
      failedStarts.set(index, (failedStarts.get(index) ?? 0) + 1);
      log(`forodha: worker ${index} stopped before it listened (exit ${code ?? signal}); the others serve; starting it again in ${delay / 1000} s`);
      setTimeout(() => {
        if (!stopping) {
          fork(index);
        }
      }, delay);
      return;
    }
    if (!wasListening) {
      log(`forodha: worker ${index} stopped before it listened (exit ${code ?? signal}); stopping`);
      stopping = true;
      for (const other of slots.keys()) {
        other.process.kill('SIGTERM');
      }
      process.exit(code || 1);
    }
    log(`forodha: worker ${index} exited (${code ?? signal}); starting it again`);
    setTimeout(() => fork(index), 500);
  });
  const stop = () => {
    if (stopping) {
      return;
    }
    stopping = true;
    for (const worker of slots.keys()) {
      worker.process.kill('SIGTERM');
    }
  };
  let rolling = false;
  /** Replaces every worker in turn: the new one listening before the old one stops. */
  const roll = async () => {
    if (rolling || stopping) {
      return;
    }
    rolling = true;
    log('forodha: rolling restart of the workers');
    try {
      for (const [old, index] of [...slots.entries()]) {
        if (stopping) {
          return;
        }
        if (!slots.has(old)) {
          continue;
        }
        const next = fork(index);
        trial.add(next);
        const started = await new Promise<boolean>((resolve) => {
          next.once('listening', () => resolve(true));
          next.once('exit', () => resolve(false));
        });
        trial.delete(next);
        if (!started) {
          log(`forodha: rolling restart: the new worker ${index} did not start; the old workers keep serving`);
          return;
        }
        retiring.add(old);
        const exited = new Promise((r) => old.once('exit', r));
        old.process.kill('SIGTERM');
        await exited;
      }
      log('forodha: rolling restart done');
    } finally {
      rolling = false;
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGUSR2', () => void roll());
  process.on('SIGHUP', () => void roll());
  for (let i = 0; i < workers; i++) {
    fork(i);
  }
}
