// A WCO Data Model declaration (DMS profile, the UK CDS 3.6 XML the samples follow) read into
// Forodha's declaration: what kind of message it is (an original declaration, an amendment, a
// cancellation), the declaration body, and for every Forodha field the XPath of the element it came
// from, so a rejection points into the partner's own document.
//
// Partners' codes are mapped through exchange_code_map (parties, offices, locations, procedures,
// documents); an identifier that is not mapped is a rejection naming its element, never a guess.
import { Dec, parseDecimal, fixed } from '#platform/money.ts';
import { child, childrenNamed, type XmlElement } from '../xml.ts';
import type { CodeKind } from '../exchange.tables.ts';

export const decNamespace = 'urn:wco:datamodel:WCO:DEC-DMS:2';

/** A rejection before the declaration service is asked: the element and why. */
export interface WcoError {
  xpath: string;
  code: string;
  message: string;
}

/** Looks up our code for a partner's (exchange_code_map, in force today). */
export type Mapper = (kind: CodeKind, external: string) => Promise<string | undefined>;

/** What an organisation code resolves to: enough to check the declarant and name the importer. */
export interface OrganisationRef {
  id: string;
  pin: string | null;
}

export interface MappingContext {
  map: Mapper;
  organisation: (code: string) => Promise<OrganisationRef | undefined>;
  /** The caller's organisation: the declarant named in the message must be it. */
  callerOrganisationId: string;
  /** CPCs in force (reference data): a DE 1/10 + 1/11 that is already ours needs no mapping. */
  knownCpc: (cpc: string) => boolean;
}

/** Where each Forodha field came from: JSON pointer -> XPath. */
export type Sources = Map<string, string>;

export type WcoMessage =
  | { kind: 'declaration'; lrn: string; typeCode: string; body: Record<string, unknown> & { items: Record<string, unknown>[] }; sources: Sources; errors: WcoError[]; root: XmlElement }
  | { kind: 'amendment'; lrn: string; reference: string; referencePath: string; reason: string; items: ItemChange[]; sources: Sources; errors: WcoError[] }
  | { kind: 'cancellation'; lrn: string; reference: string; referencePath: string; reason: string; errors: WcoError[] };

/** The fields of one goods item an amendment changes (DE 1/6 names the item). */
export interface ItemChange {
  itemNo: number;
  xpath: string;
  fields: Record<string, string>;
}

/** Why a well-formed document is not a WCO declaration at all (a 400, not a DMSREJ). */
export class NotADeclaration extends Error {}

/** The Declaration element of a DMS message (inside md:MetaData, or on its own). */
export function declarationElement(root: XmlElement): XmlElement {
  const declaration = root.local === 'Declaration' ? root : root.local === 'MetaData' ? childrenNamed(root, 'Declaration')[0] : undefined;
  if (!declaration || declaration.ns !== decNamespace) {
    throw new NotADeclaration(`not a WCO declaration: the document must be a Declaration in ${decNamespace} (inside a DocumentMetaData MetaData element or on its own); found <${root.name}>${root.ns ? ` in ${root.ns}` : ''}`);
  }
  const typeName = child(root, 'WCOTypeName')?.text;
  if (root.local === 'MetaData' && typeName !== undefined && typeName !== 'DEC') {
    throw new NotADeclaration(`WCOTypeName is ${typeName}: only DEC (declarations) are taken here`);
  }
  return declaration;
}

const text = (el: XmlElement | undefined): string | undefined => (el && el.text !== '' ? el.text : undefined);

/** Transport documents we can find on a manifest: DE 2/1 previous documents of these types (N705 B/L, N740 AWB, N730 road consignment note, N714 house B/L, Z355 entry summary). */
const transportDocumentTypes = ['705', '740', '730', '714', '741', '355'];

export async function readWcoDeclaration(root: XmlElement, ctx: MappingContext): Promise<WcoMessage> {
  const d = declarationElement(root);
  const errors: WcoError[] = [];
  const lrn = text(child(d, 'FunctionalReferenceID')) ?? '';
  const functionCode = text(child(d, 'FunctionCode'));
  const typeCode = text(child(d, 'TypeCode')) ?? '';
  if (lrn === '') {
    errors.push({ xpath: `${d.path}/FunctionalReferenceID`, code: 'required', message: 'DE 2/5 LRN (FunctionalReferenceID) is required' });
  }
  const reason = (fallback: string) => text(child(d, 'AdditionalInformation', 'StatementDescription')) ?? fallback;
  if (functionCode === '13' && (typeCode === 'INV' || typeCode === 'COR')) {
    const idEl = child(d, 'ID');
    const reference = text(idEl) ?? '';
    if (reference === '') {
      errors.push({ xpath: `${d.path}/ID`, code: 'required', message: 'the MRN (Declaration ID) of the declaration to change is required' });
    }
    await checkSubmitter(d, ctx, errors);
    if (typeCode === 'INV') {
      const code = text(child(d, 'Amendment', 'ChangeReasonCode'));
      return { kind: 'cancellation', lrn, reference, referencePath: `${d.path}/ID`, reason: reason(`cancellation requested by WCO message${code ? ` (reason code ${code})` : ''}`), errors };
    }
    const sources: Sources = new Map();
    const items = childrenNamed(child(d, 'GoodsShipment'), 'GovernmentAgencyGoodsItem').map((g) => itemChange(g, sources, errors));
    const code = text(child(d, 'Amendment', 'ChangeReasonCode'));
    return { kind: 'amendment', lrn, reference, referencePath: `${d.path}/ID`, reason: reason(`amendment by WCO message${code ? ` (reason code ${code})` : ''}`), items, sources, errors };
  }
  if (functionCode !== '9') {
    errors.push({ xpath: `${d.path}/FunctionCode`, code: 'unsupported', message: `FunctionCode ${functionCode ?? '(none)'} is not taken: 9 (original declaration), or 13 with TypeCode COR (amendment) or INV (cancellation)` });
  }
  const { body, sources } = await declarationBody(d, ctx, errors);
  return { kind: 'declaration', lrn, typeCode, body, sources, errors, root };
}

/** The submitter or declarant of an amendment or cancellation, when named, must be the caller. */
async function checkSubmitter(d: XmlElement, ctx: MappingContext, errors: WcoError[]): Promise<void> {
  for (const el of [child(d, 'Submitter', 'ID'), child(d, 'Declarant', 'ID')]) {
    if (el && el.text !== '') {
      const org = await party(el, ctx, errors);
      if (org && org.id !== ctx.callerOrganisationId) {
        errors.push({ xpath: el.path, code: 'not_the_caller', message: `${el.text} is not the organisation sending this message: a declarant lodges in its own name` });
      }
    }
  }
}

/** A trader identifier (an EORI or another partner's number) resolved to one of our organisations. */
async function party(idEl: XmlElement, ctx: MappingContext, errors: WcoError[]): Promise<OrganisationRef | undefined> {
  const code = await ctx.map('party', idEl.text);
  const org = code === undefined ? undefined : await ctx.organisation(code);
  if (!org) {
    errors.push({ xpath: idEl.path, code: 'unknown_party', message: `the trader identifier ${idEl.text} is not registered with this administration (no mapping to a PIN or organisation)` });
  }
  return org;
}

function itemChange(g: XmlElement, sources: Sources, errors: WcoError[]): ItemChange {
  const seqEl = child(g, 'SequenceNumeric');
  const itemNo = Number(text(seqEl) ?? 'NaN');
  if (!Number.isInteger(itemNo) || itemNo < 1 || itemNo > 999) {
    errors.push({ xpath: seqEl?.path ?? g.path, code: 'required', message: 'DE 1/6 goods item number (SequenceNumeric, 1 to 999) names the item amended' });
  }
  const fields: Record<string, string> = {};
  const set = (field: string, el: XmlElement | undefined) => {
    if (el && el.text !== '') {
      fields[field] = el.text;
      sources.set(`/items/${itemNo - 1}/${field}`, el.path);
    }
  };
  const commodity = child(g, 'Commodity');
  set('description', child(commodity, 'Description'));
  set('netMassKg', child(commodity, 'GoodsMeasure', 'NetNetWeightMeasure'));
  set('grossMassKg', child(commodity, 'GoodsMeasure', 'GrossMassMeasure'));
  set('itemPrice', child(commodity, 'InvoiceLine', 'ItemChargeAmount'));
  set('originCountry', child(g, 'Origin', 'CountryCode'));
  const classification = childrenNamed(commodity, 'Classification').find((c) => ['TSP', 'CN', 'HS', 'TRA'].includes(text(child(c, 'IdentificationTypeCode')) ?? '') && /^\d{6,10}$/.test(text(child(c, 'ID')) ?? ''));
  const hsEl = child(classification, 'ID');
  if (hsEl) {
    fields.hsCode = nationalLine(hsEl.text);
    sources.set(`/items/${itemNo - 1}/hsCode`, hsEl.path);
  }
  return { itemNo, xpath: g.path, fields };
}

/** A WCO commodity code (DE 6/14, 8 or 10 digits) as a national line: its first 8 digits, dotted. */
export function nationalLine(code: string): string {
  const digits = code.replace(/\D/g, '');
  return digits.length >= 8 ? `${digits.slice(0, 4)}.${digits.slice(4, 6)}.${digits.slice(6, 8)}` : code;
}

async function declarationBody(d: XmlElement, ctx: MappingContext, errors: WcoError[]): Promise<{ body: Record<string, unknown> & { items: Record<string, unknown>[] }; sources: Sources }> {
  const sources: Sources = new Map();
  const body: Record<string, unknown> & { items: Record<string, unknown>[] } = { items: [] };
  const put = (pointer: string, value: unknown, el: XmlElement | undefined, fallbackPath: string) => {
    if (value !== undefined) {
      body[pointer.slice(1)] = value;
    }
    sources.set(pointer, el?.path ?? fallbackPath);
  };
  const shipment = child(d, 'GoodsShipment');
  const shipmentPath = shipment?.path ?? `${d.path}/GoodsShipment`;
  const exporting = (text(child(d, 'TypeCode')) ?? '').startsWith('EX');

  // Parties: the declarant is the caller; the trader (importer, or exporter for an export) gives the PIN.
  const declarantEl = child(d, 'Declarant', 'ID');
  if (!declarantEl || declarantEl.text === '') {
    errors.push({ xpath: `${d.path}/Declarant/ID`, code: 'required', message: 'DE 3/18 declarant identification number is required' });
  } else {
    const org = await party(declarantEl, ctx, errors);
    if (org && org.id !== ctx.callerOrganisationId) {
      errors.push({ xpath: declarantEl.path, code: 'not_the_caller', message: `the declarant ${declarantEl.text} is not the organisation sending this message: a declarant lodges in its own name` });
    }
  }
  const agentEl = child(d, 'Agent', 'ID');
  if (agentEl && agentEl.text !== '') {
    await party(agentEl, ctx, errors);
  }
  for (const holder of childrenNamed(d, 'AuthorisationHolder')) {
    const idEl = child(holder, 'ID');
    if (idEl && idEl.text !== '') {
      await party(idEl, ctx, errors);
    }
  }
  const traderEl = exporting ? child(d, 'Exporter', 'ID') : child(shipment, 'Importer', 'ID');
  const traderPath = exporting ? `${d.path}/Exporter/ID` : `${shipmentPath}/Importer/ID`;
  if (!traderEl || traderEl.text === '') {
    errors.push({ xpath: traderPath, code: 'required', message: `${exporting ? 'DE 3/2 exporter' : 'DE 3/16 importer'} identification number is required` });
  } else {
    const org = await party(traderEl, ctx, errors);
    if (org && !org.pin) {
      errors.push({ xpath: traderEl.path, code: 'no_pin', message: `${traderEl.text} is registered without a PIN: it cannot be the ${exporting ? 'exporter' : 'importer'}` });
    }
    put('/importerPin', org?.pin ?? undefined, traderEl, traderPath);
  }

  // Office: the office named (presentation, supervising, exit), else the goods location (DE 5/23).
  const officeEl = child(d, 'PresentationOffice', 'ID') ?? child(d, 'SupervisingOffice', 'ID') ?? child(d, 'ExitOffice', 'ID');
  const locationEl = child(shipment, 'Consignment', 'GoodsLocation', 'Name');
  const officeSource = officeEl ?? locationEl;
  if (!officeSource || officeSource.text === '') {
    errors.push({ xpath: `${shipmentPath}/Consignment/GoodsLocation/Name`, code: 'required', message: 'the customs office (PresentationOffice, SupervisingOffice or ExitOffice ID) or the goods location (DE 5/23) is required' });
  } else {
    const office = await ctx.map(officeEl ? 'office' : 'location', officeSource.text);
    if (office === undefined) {
      errors.push({ xpath: officeSource.path, code: 'unknown_office', message: `${officeSource.text} is not a customs office or goods location of this administration (no mapping to an office code)` });
    }
    put('/officeCode', office, officeSource, officeSource.path);
  }

  // Transport document: a previous document (DE 2/1) that names the bill of lading, air waybill, consignment note or entry summary.
  const previous = childrenNamed(shipment, 'PreviousDocument').find((p) => transportDocumentTypes.includes(text(child(p, 'TypeCode')) ?? ''));
  const contract = child(shipment, 'Consignment', 'TransportContractDocument', 'ID');
  const documentEl = contract ?? child(previous, 'ID');
  if (!documentEl || documentEl.text === '') {
    errors.push({ xpath: `${shipmentPath}/PreviousDocument`, code: 'required', message: `the transport document is required: a PreviousDocument (DE 2/1) of type ${transportDocumentTypes.join(', ')} naming the bill of lading, air waybill or consignment note on the manifest` });
  }
  put('/transportDocumentNumber', documentEl?.text, documentEl, `${shipmentPath}/PreviousDocument`);

  // Value: invoice currency and total (DE 4/10, 4/11), else the items' prices (DE 4/14).
  const goodsItems = childrenNamed(shipment, 'GovernmentAgencyGoodsItem');
  const invoiceEl = child(d, 'InvoiceAmount');
  const firstPrice = goodsItems.map((g) => child(g, 'Commodity', 'InvoiceLine', 'ItemChargeAmount')).find((e) => e !== undefined);
  const currencyEl = invoiceEl ?? firstPrice;
  put('/invoiceCurrency', currencyEl?.attrs.currencyID, currencyEl, `${d.path}/InvoiceAmount`);
  if (invoiceEl) {
    put('/invoiceAmount', invoiceEl.text, invoiceEl, invoiceEl.path);
  } else {
    let sum: Dec | undefined = new Dec(0);
    for (const g of goodsItems) {
      const price = parseDecimal(text(child(g, 'Commodity', 'InvoiceLine', 'ItemChargeAmount')) ?? '');
      sum = price && sum ? sum.plus(price) : undefined;
    }
    put('/invoiceAmount', sum ? fixed(sum, 2) : undefined, firstPrice, `${d.path}/InvoiceAmount`);
  }
  const termsEl = child(shipment, 'TradeTerms', 'ConditionCode');
  put('/incoterm', text(termsEl), termsEl, `${shipmentPath}/TradeTerms/ConditionCode`);
  const exporterName = child(d, 'Exporter', 'Name');
  if (!exporting && exporterName) {
    put('/sellerName', exporterName.text, exporterName, exporterName.path);
    const country = child(d, 'Exporter', 'Address', 'CountryCode');
    if (country) {
      put('/sellerCountry', country.text, country, country.path);
    }
  }
  const dispatchEl = child(shipment, 'ExportCountry', 'ID');
  if (dispatchEl) {
    put('/departureCountry', dispatchEl.text, dispatchEl, dispatchEl.path);
  }

  // Documents (DE 2/3): those whose code this administration knows; others are not carried.
  const documents: { code: string; reference: string }[] = [];
  sources.set('/documents', `${goodsItems[0]?.path ?? d.path}/AdditionalDocument`);
  for (const docEl of [...childrenNamed(d, 'AdditionalDocument'), ...goodsItems.flatMap((g) => childrenNamed(g, 'AdditionalDocument'))]) {
    const code = `${text(child(docEl, 'CategoryCode')) ?? ''}${text(child(docEl, 'TypeCode')) ?? ''}`;
    const ours = await ctx.map('document', code);
    const reference = text(child(docEl, 'ID'));
    if (ours && reference && documents.length < 99) {
      sources.set(`/documents/${documents.length}`, docEl.path);
      documents.push({ code: ours, reference: reference.slice(0, 70) });
    }
  }
  if (documents.length > 0) {
    body.documents = documents;
  }

  // Items.
  if (goodsItems.length === 0) {
    errors.push({ xpath: `${shipmentPath}/GovernmentAgencyGoodsItem`, code: 'required', message: 'at least one goods item (GovernmentAgencyGoodsItem) is required' });
  }
  let headerCpc: string | undefined;
  for (const [index, g] of goodsItems.slice(0, 999).entries()) {
    const at = `/items/${index}`;
    const item: Record<string, unknown> = {};
    const set = (field: string, value: string | number | undefined, el: XmlElement | undefined, fallback: string) => {
      if (value !== undefined) {
        item[field] = value;
      }
      sources.set(`${at}/${field}`, el?.path ?? fallback);
    };
    sources.set(at, g.path);
    const commodity = child(g, 'Commodity');
    const commodityPath = commodity?.path ?? `${g.path}/Commodity`;
    const descriptionEl = child(commodity, 'Description');
    set('description', text(descriptionEl), descriptionEl, `${commodityPath}/Description`);
    const classification = childrenNamed(commodity, 'Classification').find((c) => ['TSP', 'CN', 'HS', 'TRA'].includes(text(child(c, 'IdentificationTypeCode')) ?? '') && /^\d{6,10}$/.test(text(child(c, 'ID')) ?? ''));
    const hsEl = child(classification, 'ID');
    const mappedLine = hsEl ? ((await ctx.map('commodity', hsEl.text)) ?? nationalLine(hsEl.text)) : undefined;
    set('hsCode', mappedLine, hsEl, `${commodityPath}/Classification/ID`);
    const originEl = child(g, 'Origin', 'CountryCode') ?? child(shipment, 'Origin', 'CountryCode');
    set('originCountry', text(originEl), originEl, `${g.path}/Origin/CountryCode`);
    const measure = child(commodity, 'GoodsMeasure');
    const netEl = child(measure, 'NetNetWeightMeasure');
    const grossEl = child(measure, 'GrossMassMeasure');
    set('netMassKg', text(netEl), netEl, `${commodityPath}/GoodsMeasure/NetNetWeightMeasure`);
    set('grossMassKg', text(grossEl), grossEl, `${commodityPath}/GoodsMeasure/GrossMassMeasure`);
    // Supplementary units (DE 6/2) when given, else the net mass in kilograms.
    const tariffQuantity = child(measure, 'TariffQuantity');
    if (tariffQuantity) {
      set('quantity', tariffQuantity.text, tariffQuantity, tariffQuantity.path);
      set('unit', tariffQuantity.attrs.unitCode ?? 'NAR', tariffQuantity, tariffQuantity.path);
    } else {
      set('quantity', text(netEl), netEl, `${commodityPath}/GoodsMeasure/TariffQuantity`);
      set('unit', 'KGM', netEl, `${commodityPath}/GoodsMeasure/TariffQuantity`);
    }
    const packaging = childrenNamed(g, 'Packaging');
    const packages = packaging.reduce<number | undefined>((sum, p) => {
      const q = Number(text(child(p, 'QuantityQuantity')) ?? 'NaN');
      return sum === undefined || !Number.isInteger(q) ? undefined : sum + q;
    }, packaging.length > 0 ? 0 : undefined);
    set('packages', packages, packaging[0] && child(packaging[0], 'QuantityQuantity'), `${g.path}/Packaging/QuantityQuantity`);
    const priceEl = child(commodity, 'InvoiceLine', 'ItemChargeAmount');
    set('itemPrice', text(priceEl), priceEl, `${commodityPath}/InvoiceLine/ItemChargeAmount`);
    // Procedure: DE 1/10 (requested + previous) and DE 1/11 (additional), ours as they stand or mapped.
    const procedures = childrenNamed(g, 'GovernmentProcedure');
    const main = procedures.find((p) => child(p, 'PreviousCode') !== undefined) ?? procedures[0];
    const additional = procedures.find((p) => p !== main);
    const currentEl = child(main, 'CurrentCode');
    const pair = `${text(currentEl) ?? ''}${text(child(main, 'PreviousCode')) ?? ''}`;
    const full = `${pair}${text(child(additional, 'CurrentCode')) ?? ''}`;
    const cpc = ctx.knownCpc(full) ? full : await ctx.map('procedure', pair);
    if (!currentEl) {
      errors.push({ xpath: `${g.path}/GovernmentProcedure/CurrentCode`, code: 'required', message: 'DE 1/10 procedure (GovernmentProcedure CurrentCode and PreviousCode) is required' });
    } else if (cpc === undefined) {
      errors.push({ xpath: currentEl.path, code: 'unknown_procedure', message: `procedure ${pair}${full === pair ? '' : ` (additional ${full.slice(4)})`} has no customs procedure code (CPC) of this administration` });
    } else if (index === 0) {
      headerCpc = cpc;
      sources.set('/cpc', currentEl.path);
      sources.set('/regime', currentEl.path);
    } else if (cpc !== headerCpc) {
      set('cpc', cpc, currentEl, currentEl.path);
    }
    body.items.push(item);
  }
  if (headerCpc !== undefined) {
    body.cpc = headerCpc;
  }
  return { body, sources };
}
