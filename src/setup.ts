// Bringing a database up to date: migrations, reference data, national settings and, in demo
// mode, the sample tariff. Used by `npm start`, the CLI and the tests alike.
import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';
import { migrateToLatest } from '#platform/db/migrate.ts';
import { loadReferenceData } from '#modules/reference/index.ts';
import { loadNationalSettings, loadSampleTariff } from '#modules/tariff/index.ts';
import { demoCredentialsInUse, seedDemoParties } from '#modules/parties/index.ts';
import { ConfigError, isLoopback } from './config.ts';

export interface PrepareResult {
  migrations: string[];
  reference: Record<string, number>;
  settingsAdded: number;
  demo: string[];
}

export async function prepareDatabase(db: Kysely<DB>, options: { demo: boolean }): Promise<PrepareResult> {
  const migrations = await migrateToLatest(db);
  const reference = await loadReferenceData(db);
  const settingsAdded = await loadNationalSettings(db);
  const demo: string[] = [];
  if (options.demo) {
    for (const report of await loadSampleTariff(db)) {
      demo.push(`${report.file}: ${report.loaded} rows`);
    }
    const parties = await seedDemoParties(db);
    demo.push(`parties: ${parties.organisations} organisations, ${parties.users} users, ${parties.apiKeys} API keys, ${parties.authorisations} agent authorisations added`);
  }
  return { migrations, reference, settingsAdded, demo };
}

/**
 * The demo password and keys are published: a server that other machines can reach must not
 * start while any of them still works (say ./data after a demo run), whatever DEMO says.
 */
export async function refuseExposedDemo(db: Kysely<DB>, host: string, now: Date): Promise<void> {
  if (isLoopback(host)) {
    return;
  }
  const inUse = await demoCredentialsInUse(db, now);
  if (inUse.length > 0) {
    throw new ConfigError(
      `refusing to listen on HOST=${host}: this database still accepts the public demo credentials (${inUse.slice(0, 3).join('; ')}${inUse.length > 3 ? `; and ${inUse.length - 3} more` : ''}). ` +
        'Turn them off first with `npm run cli -- demo disable` (it revokes the demo API keys and deactivates the demo users still on the demo password, audited), ' +
        'or listen on HOST=127.0.0.1.',
    );
  }
}
