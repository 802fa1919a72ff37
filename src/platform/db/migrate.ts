// One migrator for every module: each module (and the platform) keeps its own migrations/ folder, and files are
// applied in the order of their names (timestamp first), so modules can depend on each other.
//
// Online schema changes (docs/continuity.md): every migration runs with a lock_timeout (a
// migration that cannot get its lock soon fails and is retried later, instead of queueing every
// request behind it) and a statement_timeout. A migration that exports `transactional = false`
// (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT on a big table) runs outside a transaction;
// the others run, as before, together in one transaction.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, sql, type Migration, type MigrationProvider, type Kysely } from 'kysely';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const roots = [path.join(srcDir, 'platform'), path.join(srcDir, 'modules')];

/** MIGRATION_LOCK_TIMEOUT / MIGRATION_STATEMENT_TIMEOUT: PostgreSQL durations ('5s', '10min'); 0 = none. */
function timeout(name: string, fallback: string): string {
  const value = process.env[name] || fallback;
  if (!/^\d+\s*(ms|s|min|h)?$/.test(value)) {
    throw new Error(`${name}="${value}" is not valid: expected a duration such as 5s or 10min`);
  }
  return value;
}

type Module = Migration & { transactional?: boolean };

/** The migration with its timeouts set first: for its transaction, or for its session and reset after. */
function guarded(migration: Module): Module {
  const lockTimeout = timeout('MIGRATION_LOCK_TIMEOUT', '5s');
  const statementTimeout = timeout('MIGRATION_STATEMENT_TIMEOUT', '10min');
  const inTransaction = migration.transactional !== false;
  const scope = sql.raw(inTransaction ? 'local ' : '');
  /* eslint-disable @typescript-eslint/no-explicit-any -- migrations work on any schema */
  return {
    transactional: inTransaction,
    up: async (db: Kysely<any>) => {
      await sql`set ${scope}lock_timeout = ${sql.lit(lockTimeout)}`.execute(db);
      await sql`set ${scope}statement_timeout = ${sql.lit(statementTimeout)}`.execute(db);
      try {
        await migration.up(db);
      } finally {
        if (!inTransaction) {
          await sql`reset lock_timeout`.execute(db);
          await sql`reset statement_timeout`.execute(db);
        }
      }
    },
    ...(migration.down ? { down: (db: Kysely<any>) => migration.down!(db) } : {}),
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

class ModuleMigrations implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Module>> {
    const migrations: Record<string, Module> = {};
    const dirs = roots.flatMap((root) => fs.readdirSync(root).map((name) => path.join(root, name, 'migrations')));
    for (const dir of dirs) {
      if (!fs.existsSync(dir)) {
        continue;
      }
      for (const file of fs.readdirSync(dir).sort()) {
        if (!/\.(ts|js)$/.test(file) || file.endsWith('.d.ts') || file.includes('.test.')) {
          continue;
        }
        const name = file.replace(/\.(ts|js)$/, '');
        migrations[name] = guarded((await import(pathToFileURL(path.join(dir, file)).href)) as Module);
      }
    }
    return migrations;
  }
}

/**
 * Applies the pending migrations in order: consecutive transactional ones together in one
 * transaction, each non-transactional one on its own.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations work on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const provider = new ModuleMigrations();
  const modules = await provider.getMigrations();
  const executed = new Set((await new Migrator({ db, provider }).getMigrations()).filter((m) => m.executedAt !== undefined).map((m) => m.name));
  const pending = Object.keys(modules)
    .sort()
    .filter((name) => !executed.has(name));
  const applied: string[] = [];
  for (let i = 0; i < pending.length; ) {
    const transactional = modules[pending[i]!]!.transactional !== false;
    let last = i;
    while (transactional && last + 1 < pending.length && modules[pending[last + 1]!]!.transactional !== false) {
      last++;
    }
    const migrator = new Migrator({ db, provider, disableTransactions: !transactional });
    const { error, results } = await migrator.migrateTo(pending[last]!);
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`Migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, { cause: error });
    }
    applied.push(...(results ?? []).map((r) => r.migrationName));
    i = last + 1;
  }
  return applied;
}
