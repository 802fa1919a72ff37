// A small read-through cache for what rarely changes and is read on every lodgement (parties,
// authorisations). Each entry lives `ttlMs`; a change made through this process clears the cache
// at once (and again when its transaction ends, so a read made meanwhile through the changing
// transaction, or of the old committed state, does not outlive it); the other processes of a
// cluster are told to clear theirs (see cluster.ts), and the TTL bounds what any other writer
// (a CLI, another server) can leave stale.

export interface Cache<V> {
  /** The cached value for the key, or what `load` gives (concurrent misses share one load). */
  get(key: string, load: () => Promise<V>): Promise<V>;
  clear(): void;
}

/** Every named cache of this process, so a message from another process can clear one. */
const caches = new Map<string, Set<Cache<unknown>>>();
/** Where a process tells the others of the cluster that a named cache must be cleared (cluster.ts sets it). */
let broadcast: (name: string) => void = () => undefined;

export function ttlCache<V>(name: string, ttlMs: number, now: () => number = Date.now): Cache<V> {
  const entries = new Map<string, { value: Promise<V>; until: number }>();
  const cache: Cache<V> = {
    get(key, load) {
      const at = now();
      const hit = entries.get(key);
      if (hit && hit.until > at) {
        return hit.value;
      }
      if (ttlMs <= 0) {
        return load();
      }
      const value = load();
      entries.set(key, { value, until: at + ttlMs });
      // A failed load (database away) is not remembered.
      value.catch(() => entries.get(key)?.value === value && entries.delete(key));
      return value;
    },
    clear() {
      entries.clear();
    },
  };
  const named = caches.get(name) ?? new Set();
  named.add(cache);
  caches.set(name, named);
  return cache;
}

/** Clears this process's caches of that name, and asks the cluster's other processes to clear theirs. */
export function invalidate(name: string): void {
  clearLocal(name);
  broadcast(name);
}

/** Clears this process's caches of that name only (a message from another process). */
export function clearLocal(name: string): void {
  for (const cache of caches.get(name) ?? []) {
    cache.clear();
  }
}

export function setInvalidationBroadcast(send: (name: string) => void): void {
  broadcast = send;
}
