// Bringing a database up to date: migrations, reference data, national settings and, in demo
// mode, the sample tariff. Used by `npm start`, the CLI and the tests alike.
import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';
import { migrateToLatest } from '#platform/db/migrate.ts';
import { loadReferenceData } from '#modules/reference/index.ts';
import { loadNationalSettings, loadSampleTariff } from '#modules/tariff/index.ts';
import { seedDemoParties } from '#modules/parties/index.ts';

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
