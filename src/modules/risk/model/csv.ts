import { readFileSync } from 'node:fs';
import type { RiskTrainingRow } from './types.ts';

/**
 * Parse RFC 4180 CSV text: comma separated, fields optionally quoted with `"`,
 * `""` inside quotes is a literal quote, quoted fields may contain commas and
 * newlines, lines end with LF or CRLF. A trailing empty line is ignored.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) {
    i = 1;
  } // byte-order mark
  while (i < n) {
    const c = text[i];
    if (c === '"' && field === '') {
      // quoted field
      i++;
      for (;;) {
        if (i >= n) {
          throw new Error('CSV: unterminated quoted field');
        }
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          const next = text.indexOf('"', i);
          const end = next < 0 ? n : next;
          field += text.slice(i, end);
          i = end;
        }
      }
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      // unquoted run up to the next delimiter
      let j = i;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 44 || d === 10 || d === 13) {
          break;
        }
        j++;
      }
      field += text.slice(i, j);
      i = j;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const KCS_COLUMNS = {
  declarationId: 'Declaration ID',
  date: 'Date',
  officeId: 'Office ID',
  processType: 'Process Type',
  importType: 'Import Type',
  importUse: 'Import Use',
  paymentType: 'Payment Type',
  transportMode: 'Mode of Transport',
  declarantId: 'Declarant ID',
  importerId: 'Importer ID',
  sellerId: 'Seller ID',
  courierId: 'Courier ID',
  hsCode: 'HS6 Code',
  departureCountry: 'Country of Departure',
  originCountry: 'Country of Origin',
  taxRate: 'Tax Rate',
  taxType: 'Tax Type',
  originIndicator: 'Country of Origin Indicator',
  netMassKg: 'Net Mass',
  itemPrice: 'Item Price',
  fraud: 'Fraud',
  criticalFraud: 'Critical Fraud',
} as const;

type KcsField = keyof typeof KCS_COLUMNS;

function normaliseHeader(h: string): string {
  // "Tax Rate (%)", "Net Mass (kg)", "Item Price (KRW)" are accepted as well.
  return h
    .replace(/\(.*?\)/g, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ');
}

function str(v: string | undefined): string | null {
  if (v === undefined) {
    return null;
  }
  const t = v.trim();
  return t === '' ? null : t;
}

function num(v: string | undefined): number | null {
  const t = str(v);
  if (t === null) {
    return null;
  }
  const x = Number(t);
  return Number.isFinite(x) ? x : null;
}

/** Map parsed KCS CSV records (first row = header) to training rows. */
export function kcsRecordsToRows(records: string[][]): RiskTrainingRow[] {
  const header = records[0];
  if (!header) {
    return [];
  }
  const pos = new Map<string, number>();
  header.forEach((h, i) => pos.set(normaliseHeader(h), i));
  const col = {} as Record<KcsField, number>;
  for (const [field, name] of Object.entries(KCS_COLUMNS) as [KcsField, string][]) {
    const p = pos.get(normaliseHeader(name));
    if (p === undefined && field !== 'criticalFraud' && field !== 'courierId') {
      throw new Error(`KCS CSV: missing column "${name}"`);
    }
    col[field] = p ?? -1;
  }
  const out: RiskTrainingRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    if (rec.length === 1 && rec[0] === '') {
      continue;
    }
    const get = (f: KcsField): string | undefined => (col[f] < 0 ? undefined : rec[col[f]]);
    const fraudRaw = num(get('fraud'));
    if (fraudRaw !== 0 && fraudRaw !== 1) {
      throw new Error(`KCS CSV: row ${r + 1} has invalid Fraud value "${get('fraud') ?? ''}"`);
    }
    const crit = num(get('criticalFraud'));
    const hs = str(get('hsCode'));
    out.push({
      declarationId: str(get('declarationId')),
      date: str(get('date')),
      officeId: str(get('officeId')),
      processType: str(get('processType')),
      importType: str(get('importType')),
      importUse: str(get('importUse')),
      paymentType: str(get('paymentType')),
      transportMode: str(get('transportMode')),
      declarantId: str(get('declarantId')),
      importerId: str(get('importerId')),
      sellerId: str(get('sellerId')),
      courierId: str(get('courierId')),
      // HS codes lose their leading zero when a spreadsheet has been through them.
      hsCode: hs !== null && /^\d{5}$/.test(hs) ? '0' + hs : hs,
      departureCountry: str(get('departureCountry')),
      originCountry: str(get('originCountry')),
      taxRate: num(get('taxRate')),
      taxType: str(get('taxType')),
      originIndicator: str(get('originIndicator')),
      netMassKg: num(get('netMassKg')),
      itemPrice: num(get('itemPrice')),
      fraud: fraudRaw,
      criticalFraud: crit === 0 || crit === 1 || crit === 2 ? crit : null,
    });
  }
  return out;
}

/** Load a KCS "Customs Import Declaration" CSV file (synchronously). */
export function loadKcsCsv(path: string): RiskTrainingRow[] {
  return kcsRecordsToRows(parseCsv(readFileSync(path, 'utf8')));
}
