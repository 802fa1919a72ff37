// What the platform needs to know about a database given only a query handle (the root Kysely
// or one of its transactions): which engine it is, how long to wait for it, and how to create a
// sequence outside the caller's transaction. A Kysely instance and every transaction opened from
// it share one dialect adapter object, so the adapter is the key; openDatabase registers it.
import type { Kysely } from 'kysely';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseTraits {
  kind: DatabaseKind;
  /** How long a write transaction keeps retrying while the database is away, in milliseconds. */
  waitMs: number;
  /**
   * Creates a sequence if missing and returns once it is committed and visible to every
   * session (PostgreSQL: its own autocommit statement on its own connection). Absent on PGlite,
   * whose single connection is held by the caller's transaction.
   */
  createSequence?: (name: string) => Promise<void>;
  /**
   * The same database on connections of its own (PostgreSQL only), for a transaction held open
   * while other work runs on the main pool: the outbox worker's row locks during delivery.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema, as AnyKysely below
  lockHolder?: Kysely<any>;
  /**
   * Several hosts (hosts.ts): the primary is to be found again, after a lost connection or a
   * read-only error (then the connections to the standby are closed too).
   */
  relocate?: (readOnly: boolean) => void;
}

export const defaultWaitMs = 5_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: the registry only looks at the executor
type AnyKysely = Kysely<any>;

const traitsByAdapter = new WeakMap<object, DatabaseTraits>();

function adapterOf(q: AnyKysely): object {
  return q.getExecutor().adapter;
}

export function registerDatabase(db: AnyKysely, traits: DatabaseTraits): void {
  traitsByAdapter.set(adapterOf(db), traits);
}

/** The traits of the database behind `q`; undefined for a Kysely that openDatabase did not open. */
export function traitsOf(q: AnyKysely): DatabaseTraits | undefined {
  return traitsByAdapter.get(adapterOf(q));
}

/** Per-database memory (e.g. the sequences known to exist), dropped with the database. */
export function perDatabase<T>(make: () => T): (q: AnyKysely) => T {
  const values = new WeakMap<object, T>();
  return (q) => {
    const adapter = adapterOf(q);
    let value = values.get(adapter);
    if (value === undefined) {
      value = make();
      values.set(adapter, value);
    }
    return value;
  };
}
