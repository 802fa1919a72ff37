// The Kenya sample reliefs shipped with Forodha, loaded once into an empty relief table (demo).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { ImportReport } from '#modules/tariff/index.ts';
import { importReliefs } from './relief.import.ts';
import { reliefRepository } from './relief.repository.ts';

export const sampleReliefs = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data', 'kenya-sample-reliefs.csv');

export async function loadSampleReliefs(db: Kysely<DB>): Promise<ImportReport | undefined> {
  if (!(await reliefRepository.isEmpty(db))) {
    return undefined;
  }
  const report = await importReliefs(db, sampleReliefs, { importedBy: 'demo seed' });
  if (!report.ok) {
    throw new Error(`sample ${report.file} did not load: ${report.errors.slice(0, 5).map((e) => `line ${e.line} ${e.field ?? ''} ${e.message}`).join('; ')}`);
  }
  return report;
}
