// Reading CSV files with the line number of every record, so an importer can say exactly which
// line is wrong. Lines starting with # are comments; blank lines are skipped.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parse } from 'csv-parse';
import { importLimits } from './imports/limits.ts';

export interface CsvRecord {
  line: number;
  values: Record<string, string>;
}

export interface CsvReadOptions {
  /** Called every `every` records with the count so far, to show progress on big files. */
  onProgress?: (records: number) => void;
  every?: number;
  /** Most records read (default importLimits.maxRows); past it reading stops and `tooManyRows` is set. */
  maxRows?: number;
}

/** The header, the records, and whether the file had more records than maxRows (only that many are kept). */
export async function readCsv(file: string, options: CsvReadOptions = {}): Promise<{ header: string[]; records: CsvRecord[]; tooManyRows: boolean }> {
  const maxRows = options.maxRows ?? importLimits.maxRows;
  const stream = fs.createReadStream(file);
  const parser = stream.pipe(
    parse({ comment: '#', skip_empty_lines: true, trim: true, relax_column_count: true, info: true, bom: true }),
  );
  let header: string[] | undefined;
  const records: CsvRecord[] = [];
  const every = options.every ?? 10_000;
  let tooManyRows = false;
  for await (const row of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = row.record.map((h) => h.trim().toLowerCase());
      continue;
    }
    if (records.length >= maxRows) {
      tooManyRows = true;
      break; // leaving the loop destroys the parser; the file stream is closed below
    }
    const values: Record<string, string> = {};
    header.forEach((name, i) => {
      values[name] = row.record[i] ?? '';
    });
    if (row.record.length > header.length) {
      values.__extra = row.record.slice(header.length).join(',');
    }
    records.push({ line: row.info.lines, values });
    if (options.onProgress && records.length % every === 0) {
      options.onProgress(records.length);
    }
  }
  stream.destroy();
  return { header: header ?? [], records, tooManyRows };
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
