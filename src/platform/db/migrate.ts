// One migrator for every module: each module (and the platform) keeps its own migrations/ folder, and files are
// applied in the order of their names (timestamp first), so modules can depend on each other.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Migration, type MigrationProvider, type Kysely } from 'kysely';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const roots = [path.join(srcDir, 'platform'), path.join(srcDir, 'modules')];

class ModuleMigrations implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
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
        migrations[name] = (await import(pathToFileURL(path.join(dir, file)).href)) as Migration;
      }
    }
    return migrations;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations work on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new ModuleMigrations() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}
