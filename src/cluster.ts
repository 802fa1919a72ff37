// One server process per core (WORKERS): Node's cluster forks the workers, which share the
// listening port (the primary hands out connections in turn) and nothing else but the database.
// The primary migrates and seeds once before forking, relays cache invalidations between
// workers, restarts a worker that dies, and stops them all on SIGTERM.
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
 * worker that exits before it listens is a start-up failure (bad setting, database away): the
 * primary stops with its exit code rather than forking it again and again.
 */
export async function runPrimary(workers: number, prepare: () => Promise<void>, log: (message: string) => void = console.error): Promise<void> {
  await prepare();
  let stopping = false;
  const slots = new Map<Worker, number>();
  const listening = new Set<Worker>();
  const fork = (index: number) => {
    const worker = cluster.fork({ FORODHA_WORKER_INDEX: String(index) });
    slots.set(worker, index);
    worker.on('listening', () => listening.add(worker));
    worker.on('message', (m: unknown) => {
      if (isInvalidation(m)) {
        for (const other of slots.keys()) {
          if (other !== worker && other.isConnected()) {
            other.send(m);
          }
        }
      }
    });
  };
  cluster.on('exit', (worker, code, signal) => {
    const index = slots.get(worker) ?? 0;
    slots.delete(worker);
    if (stopping) {
      if (slots.size === 0) {
        process.exit(0);
      }
      return;
    }
    if (!listening.has(worker)) {
      log(`forodha: worker ${index} stopped before it listened (exit ${code ?? signal}); stopping`);
      stopping = true;
      for (const other of slots.keys()) {
        other.process.kill('SIGTERM');
      }
      process.exit(code || 1);
    }
    listening.delete(worker);
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
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < workers; i++) {
    fork(i);
  }
}
