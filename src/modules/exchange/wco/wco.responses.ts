// WCO responses (DMS RES 2.x, the shape of WCO_RES_2_DMS.xsd): accepted (DMSACC), received and
// waiting for an officer (DMSRCV), rejected with error pointers (DMSREJ), under control (DMSCTL),
// cleared (DMSCLE), cancelled (DMSINV) and the tax calculation (DMSTAX). One MetaData may carry
// several Response elements (an acceptance and its tax calculation, say), in that order.
import { randomUUID } from 'node:crypto';
import { el, type XmlNode } from '../xml.ts';

export type ResponseKind = 'DMSACC' | 'DMSRCV' | 'DMSREJ' | 'DMSCTL' | 'DMSCLE' | 'DMSINV' | 'DMSTAX';

/** Response FunctionCode (WCO 4/?, as CDS uses them). */
export const functionCodes: Record<ResponseKind, string> = { DMSACC: '01', DMSRCV: '02', DMSREJ: '03', DMSCTL: '05', DMSCLE: '09', DMSINV: '10', DMSTAX: '13' };

export interface ResponseError {
  /** XPath of the element in the partner's document. */
  xpath: string;
  /** Forodha's reason code (e.g. unknown_hs_code). */
  code: string;
  message: string;
}

export interface TaxLine {
  /** Our tax code (import_duty, excise, vat, idf, rdl...), written as a 3-character WCO type code. */
  code: string;
  base: string;
  rate: string | null;
  amount: string;
}

export interface ResponseInput {
  kind: ResponseKind;
  at: Date;
  /** The trader's reference (DE 2/5 LRN), echoed. */
  lrn: string | null;
  /** Forodha's reference: the MRN. */
  reference: string | null;
  version?: number | null;
  errors?: ResponseError[];
  /** DMSTAX: taxes per item, in KES, and the total due with its payment reference (PRN) once registered. */
  tax?: { currency: string; items: { itemNo: number; lines: TaxLine[] }[]; total: string; prn: string | null };
  /** A statement for the declarant (DMSRCV: why it waits; DMSINV: the reason). */
  statement?: string;
}

export const namespaces = {
  md: 'urn:wco:datamodel:WCO:DocumentMetaData-DMS:2',
  res: 'urn:wco:datamodel:WCO:RES-DMS:2',
  p1: 'urn:wco:datamodel:WCO:Response_DS:DMS:2',
};

/** YYYYMMDDHHMMSSZ (format code 304). */
export function dateTime304(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

const stamp = (at: Date): XmlNode[] => [el('p1:DateTimeString', dateTime304(at), { formatCode: '304' })];

/** Our tax codes as WCO DutyTaxFee type codes (an..3). */
const taxTypeCodes: Record<string, string> = { import_duty: 'IMD', excise_duty: 'EXC', excise: 'EXC', vat: 'VAT', idf: 'IDF', rdl: 'RDL' };
export const taxTypeCode = (code: string): string => taxTypeCodes[code] ?? code.replace(/[^A-Za-z0-9]/g, '').slice(0, 3).toUpperCase();

/** Reason codes (Error ValidationCode, an..8): ours, shortened to the WCO's width where needed. */
const validationCodes: Record<string, string> = {
  unknown_party: 'FRD-PTY',
  not_the_caller: 'FRD-DCL',
  no_pin: 'FRD-PIN',
  unknown_office: 'FRD-OFF',
  unknown_procedure: 'FRD-CPC',
  unknown_hs_code: 'FRD-HS',
  required: 'FRD-REQ',
  unsupported: 'FRD-FUN',
  conflict: 'FRD-STA',
  'not-found': 'FRD-NF',
};
export const validationCode = (code: string): string => validationCodes[code] ?? `FRD-${code.replace(/[^A-Za-z0-9]/g, '').slice(0, 4).toUpperCase()}`;

/** WCO document section codes (DE 375) of the classes a pointer can cross. */
const sectionCodes: Record<string, string> = { Declaration: '42A', GoodsShipment: '67A', GovernmentAgencyGoodsItem: '68A', Commodity: '23A', AuthorisationHolder: '17C' };

/** The XPath as WCO pointers: one per class with a known section code, with its position. */
function pointers(xpath: string): XmlNode[] {
  const steps = xpath.split('/').filter((s) => s !== '');
  const out: XmlNode[] = [];
  for (const step of steps) {
    const m = /^(?:[\w-]+:)?([\w-]+)(?:\[(\d+)\])?$/.exec(step);
    const section = m?.[1] ? sectionCodes[m[1]] : undefined;
    if (m && section) {
      out.push(el('Pointer', [m[2] && m[1] !== 'Declaration' ? el('SequenceNumeric', m[2]) : undefined, el('DocumentSectionCode', section)]));
    }
  }
  return out;
}

function response(r: ResponseInput): string {
  const errors = (r.errors ?? []).slice(0, 99).map((e) =>
    el('Error', [el('Description', `${e.xpath}: ${e.message} [${e.code}]`.slice(0, 512)), el('ValidationCode', validationCode(e.code)), ...pointers(e.xpath)]),
  );
  const declaration = el('Declaration', [
    r.kind === 'DMSACC' ? el('AcceptanceDateTime', stamp(r.at)) : undefined,
    r.kind === 'DMSINV' ? el('CancellationDateTime', stamp(r.at)) : undefined,
    r.lrn ? el('FunctionalReferenceID', r.lrn.slice(0, 35)) : undefined,
    r.reference ? el('ID', r.reference) : undefined,
    r.kind === 'DMSREJ' ? el('RejectionDateTime', stamp(r.at)) : undefined,
    r.version !== undefined && r.version !== null ? el('VersionID', String(r.version)) : undefined,
    r.tax
      ? el('DutyTaxFee', [
          el('Payment', [
            r.tax.prn ? el('ReferenceID', r.tax.prn) : undefined,
            withCurrency('TaxAssessedAmount', r.tax.total, r.tax.currency),
            withCurrency('PaymentAmount', r.tax.total, r.tax.currency),
          ]),
        ])
      : undefined,
    r.tax
      ? el(
          'GoodsShipment',
          r.tax.items.map((item) =>
            el('GovernmentAgencyGoodsItem', [
              el('SequenceNumeric', String(item.itemNo)),
              el(
                'Commodity',
                item.lines.map((line) =>
                  el('DutyTaxFee', [
                    withCurrency('AdValoremTaxBaseAmount', line.base, r.tax?.currency ?? 'KES'),
                    line.rate !== null ? el('TaxRateNumeric', line.rate) : undefined,
                    el('TypeCode', taxTypeCode(line.code)),
                    el('Payment', [withCurrency('TaxAssessedAmount', line.amount, r.tax?.currency ?? 'KES'), withCurrency('PaymentAmount', line.amount, r.tax?.currency ?? 'KES')]),
                  ]),
                ),
              ),
            ]),
          ),
        )
      : undefined,
  ]);
  return el('Response', [
    el('FunctionCode', functionCodes[r.kind]),
    el('FunctionalReferenceID', randomUUID().replace(/-/g, '')),
    el('IssueDateTime', stamp(r.at)),
    r.statement ? el('AdditionalInformation', [el('StatementDescription', r.statement.slice(0, 512)), el('StatementTypeCode', 'AES')]) : undefined,
    ...errors,
    declaration,
  ]);
}

function withCurrency(name: string, amount: string, currency: string): string {
  return el(name, amount, { currencyID: currency });
}

/** A WCO RES document holding these responses, in order. */
export function renderResponses(responses: ResponseInput[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    el(
      'md:MetaData',
      [el('md:WCODataModelVersionCode', '3.6'), el('md:WCOTypeName', 'RES'), el('md:ResponsibleCountryCode', 'KE'), el('md:ResponsibleAgencyName', 'Forodha'), ...responses.map(response)],
      { 'xmlns:md': namespaces.md, xmlns: namespaces.res, 'xmlns:p1': namespaces.p1 },
    ) +
    '\n'
  );
}
