// The demo's CRSP schedule, loaded once into an empty table like the sample tariff.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { ImportReport } from '#modules/tariff/index.ts';
import { importCrsp } from './vehicle.import.ts';
import { vehicleRepository } from './vehicle.repository.ts';

export const sampleCrspFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data', 'kenya-sample-crsp.csv');

export async function loadSampleCrsp(db: Kysely<DB>): Promise<ImportReport | undefined> {
  if (!(await vehicleRepository(db).isEmpty())) {
    return undefined;
  }
  const report = await importCrsp(db, sampleCrspFile, { importedBy: 'demo seed' });
  if (!report.ok) {
    throw new Error(`sample ${report.file} did not load: ${report.errors.slice(0, 5).map((e) => `line ${e.line} ${e.field ?? ''} ${e.message}`).join('; ')}`);
  }
  return report;
}
