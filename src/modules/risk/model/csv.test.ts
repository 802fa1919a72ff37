import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kcsRecordsToRows, loadKcsCsv, parseCsv } from './csv.ts';

describe('CSV parsing', () => {
  it('handles quotes, escaped quotes, embedded separators and newlines, CRLF and empty fields', () => {
    const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n,,\n"multi\nline",2,\n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['', '', ''],
      ['multi\nline', '2', ''],
    ]);
  });

  it('keeps a last line without newline and skips a byte-order mark', () => {
    expect(parseCsv('\ufeffa,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('rejects an unterminated quote', () => {
    expect(() => parseCsv('a,"b\n')).toThrow(/unterminated/);
  });
});

const HEADER =
  'Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud';

describe('KCS mapping', () => {
  it('maps the KCS columns to trade vocabulary; empty values become null', () => {
    const rows = kcsRecordsToRows(
      parseCsv(
        `${HEADER}\n97061800,2020-01-01,30,B,11,21,11,10,ZZR1LT6,QLRUBN9,,,40890,BE,BE,0.0,FEU1,G,108.0,372254.4,1,2\n`,
      ),
    );
    expect(rows).toEqual([
      {
        declarationId: '97061800',
        date: '2020-01-01',
        officeId: '30',
        processType: 'B',
        importType: '11',
        importUse: '21',
        paymentType: '11',
        transportMode: '10',
        declarantId: 'ZZR1LT6',
        importerId: 'QLRUBN9',
        sellerId: null,
        courierId: null,
        hsCode: '040890', // leading zero restored
        departureCountry: 'BE',
        originCountry: 'BE',
        taxRate: 0,
        taxType: 'FEU1',
        originIndicator: 'G',
        netMassKg: 108,
        itemPrice: 372254.4,
        fraud: 1,
        criticalFraud: 2,
      },
    ]);
  });

  it('accepts headers with units and rejects missing columns or bad labels', () => {
    const withUnits = HEADER.replace('Tax Rate', 'Tax Rate (%)')
      .replace('Net Mass', 'Net Mass (kg)')
      .replace('Item Price', 'Item Price (KRW)');
    expect(
      kcsRecordsToRows(parseCsv(`${withUnits}\n1,2020-01-01,30,B,11,21,11,10,D,I,S,C,392690,CN,CN,8,A,Y,1,2,0,0`))[0],
    ).toMatchObject({
      taxRate: 8,
      netMassKg: 1,
      itemPrice: 2,
      fraud: 0,
    });
    expect(() => kcsRecordsToRows(parseCsv('Date,Fraud\n2020-01-01,1'))).toThrow(/missing column/);
    expect(() =>
      kcsRecordsToRows(parseCsv(`${HEADER}\n1,2020-01-01,30,B,11,21,11,10,D,I,S,C,392690,CN,CN,8,A,Y,1,2,x,0`)),
    ).toThrow(/Fraud/);
  });

  const file = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../../../../shared/data/kcs/df_syn_valid_eng.csv',
  );
  it.skipIf(!existsSync(file))('loads the KCS validation file', () => {
    const rows = loadKcsCsv(file);
    expect(rows).toHaveLength(8134);
    const frauds = rows.reduce((n, r) => n + r.fraud, 0);
    expect(frauds / rows.length).toBeCloseTo(0.209, 3);
    expect(rows.every((r) => r.hsCode?.length === 6)).toBe(true);
  });
});
