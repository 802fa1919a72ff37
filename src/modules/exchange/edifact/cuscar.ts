// A CUSCAR cargo report (D:03B) read into a manifest lodgement: the conveyance (TDT), the arrival
// place and time (LOC+60, DTM+132), the carrier (NAD+CA, who must be the sender), and per
// consignment (CNI) the transport document (DOC), consignee (NAD+CN), consignor (NAD+CZ/OS),
// packages (PAC, CNT), mass (MEA) and description (FTX+AAA). Every field remembers the segment
// it came from, so a refusal names the segment and the element in the CONTRL.
import type { Message, Segment } from './edifact.ts';
import { el } from './edifact.ts';
import type { CodeKind } from '../exchange.tables.ts';

export interface Source {
  segment: Segment;
  element: number;
  component?: number;
}

export interface CuscarProblem {
  source?: Source;
  code: string;
  message: string;
}

const modes: Record<string, 'sea' | 'rail' | 'road' | 'air'> = { '1': 'sea', '2': 'rail', '3': 'road', '03': 'road', '01': 'sea', '02': 'rail', '4': 'air', '04': 'air' };
const documentKinds: Record<string, 'BL' | 'AWB' | 'RCN'> = { sea: 'BL', air: 'AWB', road: 'RCN', rail: 'RCN' };

/** EDIFACT dates: 102 CCYYMMDD, 203 CCYYMMDDHHMM, 204 CCYYMMDDHHMMSS (taken as UTC). */
function isoOf(value: string, format: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?$/.exec(value);
  if (!m || !['102', '203', '204'].includes(format)) {
    return undefined;
  }
  return `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}Z`;
}

export interface CuscarContext {
  map: (kind: CodeKind, external: string) => Promise<string | undefined>;
  organisation: (code: string) => Promise<{ id: string; pin: string | null } | undefined>;
  callerOrganisationId: string;
}

export interface MappedCuscar {
  input: Record<string, unknown> & { documents: Record<string, unknown>[] };
  /** JSON pointer of the manifest input -> the EDIFACT source. */
  sources: Map<string, Source>;
  problems: CuscarProblem[];
}

export async function readCuscar(message: Message, ctx: CuscarContext): Promise<MappedCuscar> {
  const sources = new Map<string, Source>();
  const problems: CuscarProblem[] = [];
  const body = message.segments.slice(1, -1);
  const firstCni = body.findIndex((s) => s.tag === 'CNI');
  const header = firstCni < 0 ? body : body.slice(0, firstCni);
  const consignments: Segment[][] = [];
  for (const s of firstCni < 0 ? [] : body.slice(firstCni)) {
    if (s.tag === 'CNI') {
      consignments.push([s]);
    } else {
      consignments[consignments.length - 1]?.push(s);
    }
  }
  const input: MappedCuscar['input'] = { documents: [] };
  const set = (pointer: string, value: unknown, source: Source | undefined) => {
    if (value !== undefined && value !== '') {
      const key = pointer.slice(1);
      input[key] = value;
    }
    if (source) {
      sources.set(pointer, source);
    }
  };
  const bgm = header.find((s) => s.tag === 'BGM');
  const tdt = header.find((s) => s.tag === 'TDT');
  if (!tdt) {
    problems.push({ code: '13', message: 'TDT (the conveyance) is missing' });
  }
  const mode = tdt ? modes[el(tdt, 3)] : undefined;
  if (tdt && !mode) {
    problems.push({ source: { segment: tdt, element: 3 }, code: '12', message: `mode of transport ${el(tdt, 3) || '(none)'} is not one of 1 sea, 2 rail, 3 road, 4 air` });
  }
  set('/mode', mode, tdt && { segment: tdt, element: 3 });
  const conveyance = tdt ? el(tdt, 8, 1) || el(tdt, 8, 4) : '';
  set('/conveyanceId', conveyance, tdt && { segment: tdt, element: 8 });
  if (tdt && el(tdt, 8, 4)) {
    set('/conveyanceName', el(tdt, 8, 4), { segment: tdt, element: 8, component: 4 });
  }
  const voyage = (tdt && el(tdt, 2)) || (bgm && el(bgm, 2)) || '';
  set('/voyageNumber', voyage.slice(0, 17), tdt && el(tdt, 2) ? { segment: tdt, element: 2 } : bgm && { segment: bgm, element: 2 });
  const arrivalLoc = header.find((s) => s.tag === 'LOC' && el(s, 1) === '60');
  if (!arrivalLoc) {
    problems.push({ code: '13', message: 'LOC+60 (place of arrival: the customs office) is missing' });
  } else {
    const office = await ctx.map('office', el(arrivalLoc, 2));
    const port = /^[A-Z]{5}$/.test(el(arrivalLoc, 2)) ? el(arrivalLoc, 2) : await ctx.map('port', el(arrivalLoc, 2));
    if (!office || !port) {
      problems.push({ source: { segment: arrivalLoc, element: 2 }, code: '12', message: `place of arrival ${el(arrivalLoc, 2)} is not a customs office of this administration (no mapping)` });
    }
    set('/officeCode', office, { segment: arrivalLoc, element: 2 });
    set('/portOfDischarge', port, { segment: arrivalLoc, element: 2 });
  }
  const dtm = header.find((s) => s.tag === 'DTM' && el(s, 1, 1) === '132');
  if (dtm) {
    const at = isoOf(el(dtm, 1, 2), el(dtm, 1, 3));
    if (!at) {
      problems.push({ source: { segment: dtm, element: 1, component: 2 }, code: '12', message: `arrival date ${el(dtm, 1, 2)} is not a date of format ${el(dtm, 1, 3)} (102, 203 or 204)` });
    }
    set('/expectedArrival', at, { segment: dtm, element: 1, component: 2 });
  }
  const carrier = header.find((s) => s.tag === 'NAD' && el(s, 1) === 'CA');
  if (carrier) {
    const code = await ctx.map('party', el(carrier, 2));
    const org = code ? await ctx.organisation(code) : undefined;
    if (!org) {
      problems.push({ source: { segment: carrier, element: 2 }, code: '12', message: `carrier ${el(carrier, 2)} is not registered with this administration (no mapping)` });
    } else if (org.id !== ctx.callerOrganisationId) {
      problems.push({ source: { segment: carrier, element: 2 }, code: '12', message: `carrier ${el(carrier, 2)} is not the organisation sending this cargo report` });
    }
  }
  let loading: string | undefined;
  for (const [index, c] of consignments.entries()) {
    const at = `/documents/${index}`;
    const doc: Record<string, unknown> = {};
    const put = (field: string, value: unknown, source: Source | undefined) => {
      if (value !== undefined && value !== '') {
        doc[field] = value;
      }
      if (source) {
        sources.set(`${at}/${field}`, source);
      }
    };
    sources.set(at, { segment: c[0] as Segment, element: 1 });
    const docSeg = c.find((s) => s.tag === 'DOC');
    put('number', docSeg ? el(docSeg, 2) : undefined, docSeg ? { segment: docSeg, element: 2 } : { segment: c[0] as Segment, element: 1 });
    put('kind', mode ? documentKinds[mode] : undefined, docSeg && { segment: docSeg, element: 1 });
    const nameOf = (s: Segment) => el(s, 4) || el(s, 3);
    const consignee = c.find((s) => s.tag === 'NAD' && el(s, 1) === 'CN');
    put('consigneeName', consignee ? nameOf(consignee) : undefined, consignee ? { segment: consignee, element: 4 } : { segment: c[0] as Segment, element: 1 });
    if (consignee && el(consignee, 2)) {
      const code = await ctx.map('party', el(consignee, 2));
      const org = code ? await ctx.organisation(code) : undefined;
      if (org?.pin) {
        put('consigneePin', org.pin, { segment: consignee, element: 2 });
      }
    }
    const shipper = c.find((s) => s.tag === 'NAD' && (el(s, 1) === 'CZ' || el(s, 1) === 'OS')) ?? carrier;
    put('shipperName', shipper ? nameOf(shipper) : undefined, shipper ? { segment: shipper, element: 4 } : { segment: c[0] as Segment, element: 1 });
    const notify = c.find((s) => s.tag === 'NAD' && el(s, 1) === 'NI');
    if (notify) {
      put('notifyParty', nameOf(notify), { segment: notify, element: 4 });
    }
    const pacs = c.filter((s) => s.tag === 'PAC');
    const packages = pacs.reduce((sum, p) => sum + Number(el(p, 1)), 0);
    put('packages', pacs.length > 0 && Number.isInteger(packages) ? packages : undefined, pacs[0] ? { segment: pacs[0], element: 1 } : { segment: c[0] as Segment, element: 1 });
    const kind = pacs[0] ? el(pacs[0], 3) : '';
    put('packageKind', kind ? ((await ctx.map('package', kind)) ?? kind) : undefined, pacs[0] && { segment: pacs[0], element: 3 });
    const mea = c.find((s) => s.tag === 'MEA' && ['AAI', 'WT', 'AAE'].includes(el(s, 1)));
    const unit = mea ? el(mea, 3, 1) : '';
    put('grossMassKg', mea && (unit === 'K' || unit === 'KGM') ? el(mea, 3, 2) : undefined, mea ? { segment: mea, element: 3, component: 2 } : { segment: c[0] as Segment, element: 1 });
    if (mea && unit !== 'K' && unit !== 'KGM') {
      problems.push({ source: { segment: mea, element: 3, component: 1 }, code: '12', message: `mass unit ${unit || '(none)'} is not K or KGM (kilograms)` });
    }
    const descriptions = c.filter((s) => s.tag === 'FTX' && el(s, 1) === 'AAA');
    const description = descriptions.map((s) => (s.elements[3] ?? []).filter((x) => x !== '').join(' ')).join(' ').trim();
    put('description', description.slice(0, 512), descriptions[0] ? { segment: descriptions[0], element: 4 } : { segment: c[0] as Segment, element: 1 });
    put('cargoCategory', 'home_use', undefined);
    const containers = c.filter((s) => s.tag === 'EQD' && el(s, 1) === 'CN').map((s) => ({ number: el(s, 2) }));
    if (containers.length > 0) {
      put('containers', containers, undefined);
    }
    const loadingLoc = c.find((s) => s.tag === 'LOC' && el(s, 1) === '9') ?? header.find((s) => s.tag === 'LOC' && el(s, 1) === '9');
    if (loadingLoc && loading === undefined) {
      const code = el(loadingLoc, 2);
      loading = /^[A-Z]{5}$/.test(code) ? code : await ctx.map('port', code);
      if (!loading) {
        problems.push({ source: { segment: loadingLoc, element: 2 }, code: '12', message: `place of loading ${code} is not a UN/LOCODE and has no mapping` });
      }
      set('/portOfLoading', loading, { segment: loadingLoc, element: 2 });
    }
    input.documents.push(doc);
  }
  if (consignments.length === 0) {
    problems.push({ code: '13', message: 'the cargo report has no consignment (CNI)' });
  }
  if (!input.portOfLoading) {
    problems.push({ code: '13', message: 'LOC+9 (place of loading) is missing' });
  }
  return { input, sources, problems };
}
