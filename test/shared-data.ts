// Where the public sample data (../shared/data: WCO, EDIFACT, KCS) is on this machine. Tests may
// read it; the product never does. Looked for, in order: FORODHA_SHARED_DATA, ../shared/data
// beside the project (the development checkout), /work/shared/data (the machine's copy, for a
// clean clone made elsewhere, as CI makes). Undefined when none is there: the tests built on the
// samples are then skipped, and say so.
import { existsSync } from 'node:fs';
import path from 'node:path';

const projectRoot = path.resolve(import.meta.dirname, '..');

export function sharedDataDir(): string | undefined {
  const candidates = [process.env.FORODHA_SHARED_DATA, path.resolve(projectRoot, '../shared/data'), '/work/shared/data'];
  return candidates.find((dir): dir is string => dir !== undefined && dir !== '' && existsSync(path.join(dir, 'README.md')));
}
