// Statements sent again and again are prepared once per connection, so PostgreSQL parses and plans
// them once rather than on every request: on the lodgement path planning was a third of the
// database's time per statement (pg_stat_statements, bench:lodge), and the text of the longer
// statements (the deferred writes of a transaction) crossed the socket every time.
//
// Kysely sends every query as text with parameters; a pg Client class of ours turns a text seen
// before into a named prepared statement. Bounded, because each name costs memory in every server
// connection that prepares it, and the trade shapes some texts (a declaration of n items is an
// insert of n rows): a client must not be able to fill the database's memory with plans.
// - a text is named only once it has been seen `namedAfter` times (one-off statements are not);
// - only texts of at most `maxParameters` parameters (a big declaration's insert is planned each
//   time, as before: its planning is small beside its writing);
// - at most `maxNames` texts are named per process, and at most `maxCounted` are counted.
// A migration that changes a table's columns under a running server makes PostgreSQL refuse a
// prepared `select *` of it ("cached plan must not change result type", 0A000): the text then gets
// a new name, so the next use prepares it afresh. A statement sent outside a transaction is sent
// again at once under the new name; a transaction that met it fails like any other refused
// statement, and a write transaction runs again (errors.ts: isStalePlan).
import { sql, type RawBuilder } from 'kysely';
import type pg from 'pg';
import { isStalePlan } from './errors.ts';

/**
 * A constant written into the statement's text instead of sent as a parameter. After five runs
 * PostgreSQL may plan a prepared statement once for all its parameters (a generic plan), and a
 * generic plan cannot use a partial index whose predicate the query meets only through a
 * parameter: `status = $1` does not prove `where status = 'pending'`. At a million declarations
 * that made a lodgement walk a big importer's 59,000 declarations instead of its refusals' index.
 * So a constant that picks a partial index (a status, mostly) is a literal;
 * test/lodge-round-trips.test.ts holds the lodgement's and the status reads' generic plans to it.
 */
export function literal<T extends string>(value: T): RawBuilder<T> {
  return sql.lit(value);
}

export interface StatementNaming {
  namedAfter: number;
  maxParameters: number;
  maxNames: number;
  maxCounted: number;
}

const defaults: StatementNaming = { namedAfter: 2, maxParameters: 256, maxNames: 200, maxCounted: 4000 };

/** Which texts have a name, and how often the others have been seen. */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private readonly seen = new Map<string, number>();
  private next = 0;

  constructor(private readonly naming: StatementNaming = defaults) {}

  /** The name to prepare this text (sent with `parameters` values) under, or undefined to send it unnamed. */
  nameOf(text: string, parameters = 0): string | undefined {
    const name = this.names.get(text);
    if (name !== undefined || parameters > this.naming.maxParameters || !preparable(text)) {
      return name;
    }
    const count = (this.seen.get(text) ?? 0) + 1;
    if (count < this.naming.namedAfter) {
      if (this.seen.size < this.naming.maxCounted || this.seen.has(text)) {
        this.seen.set(text, count);
      }
      return undefined;
    }
    if (this.names.size >= this.naming.maxNames) {
      return undefined;
    }
    this.seen.delete(text);
    return this.fresh(text);
  }

  /**
   * The text's name once the server refused `stale` (see above): a fresh one, unless a statement
   * refused at the same time on another connection has already renamed it.
   */
  renamed(text: string, stale: string): string {
    const current = this.names.get(text);
    return current !== undefined && current !== stale ? current : this.fresh(text);
  }

  private fresh(text: string): string {
    const name = `forodha_${(this.next++).toString(36)}`;
    this.names.set(text, name);
    return name;
  }

  get size(): number {
    return this.names.size;
  }
}

/** Only plannable statements: transaction control and settings gain nothing from a name. */
function preparable(text: string): boolean {
  return /^\s*(select|insert|update|delete|with)\b/i.test(text);
}

/** A pg Client class that prepares the texts `names` has named. */
export function preparingClient(Base: typeof pg.Client, names: StatementNames): typeof pg.Client {
  class PreparingClient extends Base {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's overloads (config or text, promise or callback) in one body
    override query(config: any, values?: any, callback?: any): any {
      const name = typeof config === 'string' && Array.isArray(values) && callback === undefined ? names.nameOf(config, values.length) : undefined;
      if (name === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- passed through as given
        return super.query(config, values, callback);
      }
      const text = config as string;
      // Outside a transaction nothing was undone by the refusal: the statement is sent again at once.
      const alone = (this as unknown as { _txStatus?: string | null })._txStatus === 'I';
      return (super.query({ name, text, values: values as unknown[] }) as Promise<pg.QueryResult>).catch((err: unknown) => {
        if (!isStalePlan(err)) {
          throw err;
        }
        const renamed = names.renamed(text, name);
        if (!alone) {
          throw err;
        }
        return super.query({ name: renamed, text, values: values as unknown[] }) as Promise<pg.QueryResult>;
      });
    }
  }
  return PreparingClient;
}
