// The national settings and the Kenya sample tariff and exchange rates shipped with Forodha.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { isIsoDate } from '#platform/clock.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { tariffWrites } from './tariff.repository.ts';
import { isSettingKey, parseSetting } from './national-settings.ts';
import { importRates, importTariff, type ImportReport } from './tariff.import.ts';
import { tariffRepository } from './tariff.repository.ts';
import { importCharges } from './charges.ts';

const dataDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');
export const sampleFiles = {
  tariff: path.join(dataDir, 'kenya-sample-tariff.csv'),
  rates: path.join(dataDir, 'kenya-sample-exchange-rates.csv'),
  settings: path.join(dataDir, 'kenya-national-settings.json'),
  charges: path.join(dataDir, 'kenya-charges.json'),
};

interface SettingEntry {
  key: string;
  value: unknown;
  validFrom: string;
  validTo?: string;
  note?: string;
}

/** Loads national settings from a JSON file; every entry is checked before anything is written. */
export async function loadNationalSettings(db: Kysely<DB>, file = sampleFiles.settings): Promise<number> {
  const { settings } = JSON.parse(fs.readFileSync(file, 'utf8')) as { settings: SettingEntry[] };
  const problems: string[] = [];
  settings.forEach((s, i) => {
    if (!isSettingKey(s.key)) {
      problems.push(`entry ${i + 1}: unknown setting "${s.key}"`);
      return;
    }
    try {
      parseSetting(s.key, s.value);
    } catch (err) {
      problems.push(`entry ${i + 1} (${s.key}): ${(err as Error).message}`);
    }
    if (!isIsoDate(s.validFrom) || (s.validTo !== undefined && (!isIsoDate(s.validTo) || s.validTo < s.validFrom))) {
      problems.push(`entry ${i + 1} (${s.key}): validFrom/validTo must be dates YYYY-MM-DD, validTo on or after validFrom`);
    }
  });
  if (problems.length > 0) {
    throw new Error(`${path.basename(file)} is not valid:\n  ${problems.join('\n  ')}`);
  }
  return inTransaction(db, (tx) =>
    tariffWrites.insertSettings(
      tx,
      settings.map((s) => ({ key: s.key, value: s.value, valid_from: s.validFrom, valid_to: s.validTo ?? null, note: s.note ?? null })),
    ),
  );
}

/** The demo's tariff and rates, loaded once into an empty database. */
export async function loadSampleTariff(db: Kysely<DB>): Promise<ImportReport[]> {
  if (!(await tariffRepository(db).isEmpty())) {
    return [];
  }
  const reports = [
    await importTariff(db, sampleFiles.tariff, { importedBy: 'demo seed' }),
    await importRates(db, sampleFiles.rates, { importedBy: 'demo seed' }),
  ];
  const failed = reports.find((r) => !r.ok);
  if (failed) {
    throw new Error(`sample ${failed.file} did not load: ${failed.errors.slice(0, 5).map((e) => `line ${e.line} ${e.field ?? ''} ${e.message}`).join('; ')}`);
  }
  return reports;
}

/** The shipped tax heads and rates: entries not yet stored are added (an administration's own later versions stay). */
export async function loadShippedCharges(db: Kysely<DB>, file = sampleFiles.charges): Promise<number> {
  const report = await importCharges(db, file, { strict: false, importedBy: 'shipped schedule' });
  if (!report.ok) {
    throw new Error(`${report.file} is not valid:\n  ${report.errors.slice(0, 20).join('\n  ')}`);
  }
  return report.loaded;
}
