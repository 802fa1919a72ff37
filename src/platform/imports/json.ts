// Reading a JSON import file with a bound on its size, checked before it is read into memory.
import fs from 'node:fs';

export const maxJsonImportBytes = 20_000_000;

/** The parsed file, or a problem in words (too large, unreadable, not JSON). */
export function readJsonFile(file: string, maxBytes = maxJsonImportBytes): { value: unknown } | { problem: string } {
  try {
    if (fs.statSync(file).size > maxBytes) {
      return { problem: `larger than ${maxBytes / 1_000_000} MB` };
    }
    return { value: JSON.parse(fs.readFileSync(file, 'utf8')) as unknown };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}
