// The preference agreements shipped with Forodha, loaded into an empty database on start (they
// replace the old `origin.eac_partner_states` national setting, so every installation has them).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { systemActor } from '#modules/audit/index.ts';
import { importOrigin, type OriginImportReport } from './origin.import.ts';
import { originRepository } from './origin.repository.ts';

export const sampleAgreementsFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data', 'preference-agreements.json');

export async function loadSampleAgreements(db: Kysely<DB>, file = sampleAgreementsFile): Promise<OriginImportReport | undefined> {
  if (!(await originRepository(db).isEmpty())) {
    return undefined;
  }
  const report = await importOrigin(db, file, { importedBy: 'seed', actor: systemActor, audited: false });
  if (!report.ok) {
    throw new Error(`${report.file} did not load: ${report.errors.slice(0, 5).map((e) => `${e.pointer} ${e.message}`).join('; ')}`);
  }
  return report;
}
