// The only file that touches the declaration tables.
import { sql, type Insertable, type Kysely, type Updateable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { literal } from '#platform/db/prepared.ts';
import { Dec } from '#platform/money.ts';
import type { DeclarationItemRow, DeclarationRequestRow, DeclarationRow, DeclarationStatus, DeclarationTables, RequestKind } from './declaration.tables.ts';
import type { DeclarationBody } from './declaration.schemas.ts';
import type { ExportBody } from './declaration.export.schemas.ts';
import { liveStatuses } from './declaration.state.ts';

type Q = Kysely<DB>;

/** An HS code as digits only: 8471.30.00 and 84713000 are the same line. */
const hsDigits = (code: string): string => code.replace(/\D/g, '');
/** What a change may set beside its status, which only transition() moves (declaration.steps.ts moveDeclaration). */
export type DeclarationPatch = Omit<Updateable<DeclarationTables['declaration']>, 'id' | 'version' | 'updated_at' | 'status'>;

/** The declared data (header and items) as columns; the body is the API's shape of the same. */
function dataColumns(body: DeclarationBody) {
  return {
    regime: body.regime ?? '',
    cpc: body.cpc,
    office_code: body.officeCode.toUpperCase(),
    importer_pin: body.importerPin.toUpperCase(),
    transport_document_number: body.transportDocumentNumber,
    carrier_code: body.carrierCode?.toUpperCase() ?? null,
    manifest_reference: body.manifestReference?.toUpperCase() ?? null,
    invoice_currency: body.invoiceCurrency.toUpperCase(),
    invoice_amount: body.invoiceAmount,
    incoterm: body.incoterm.toUpperCase(),
    freight: body.freight ?? null,
    insurance: body.insurance ?? null,
    exchange_rate: body.exchangeRate ?? null,
    seller_name: body.sellerName?.trim() ?? null,
    seller_country: body.sellerCountry?.toUpperCase() ?? null,
    departure_country: body.departureCountry?.toUpperCase() ?? null,
    documents: JSON.stringify(body.documents ?? []),
  };
}

/** Who creates a declaration, and when. */
export interface NewDeclaration {
  id: string;
  declarantOrgId: string;
  declarantUserId: string;
  importerOrgId: string | null;
  now: Date;
}

/** The columns a lodgement sets on a draft, as values (an insert has no `version + 2`). */
export type LodgedColumns = Partial<Insertable<DeclarationTables['declaration']>>;

/** A new draft's columns as inserted. */
function draftValues(row: NewDeclaration, body: DeclarationBody) {
  return {
    id: row.id,
    reference: null,
    status: 'draft' as const,
    declarant_org_id: row.declarantOrgId,
    declarant_user_id: row.declarantUserId,
    importer_org_id: row.importerOrgId,
    transport_document_id: null,
    ...notYetDecided,
    created_at: row.now,
    updated_at: row.now,
    ...dataColumns(body),
  };
}

/** Who creates an export, for which exporter, and when. */
export interface NewExport {
  id: string;
  declarantOrgId: string;
  declarantUserId: string;
  exporterOrgId: string | null;
  now: Date;
}

/** A new export's columns as inserted. */
function exportValues(row: NewExport, body: ExportBody, regime: string) {
  return {
    id: row.id,
    reference: null,
    status: 'draft' as const,
    regime,
    cpc: body.cpc,
    office_code: body.officeCode.toUpperCase(),
    declarant_org_id: row.declarantOrgId,
    declarant_user_id: row.declarantUserId,
    // The trader whose goods these are: the importer of an import, the exporter of an export.
    importer_pin: body.exporterPin.toUpperCase(),
    importer_org_id: row.exporterOrgId,
    transport_document_id: null,
    // Lodged before loading: the outbound manifest is named by the exit confirmation.
    transport_document_number: '',
    invoice_currency: body.invoiceCurrency.toUpperCase(),
    invoice_amount: body.invoiceAmount,
    incoterm: body.incoterm.toUpperCase(),
    freight: null,
    insurance: null,
    exchange_rate: body.exchangeRate ?? null,
    departure_country: 'KE',
    documents: JSON.stringify(body.documents ?? []),
    exit_office_code: body.exitOfficeCode.toUpperCase(),
    destination_country: body.destinationCountry.toUpperCase(),
    goods_location: body.goodsLocation.trim(),
    ...notYetDecided,
    created_at: row.now,
    updated_at: row.now,
  };
}

/** Columns a new row leaves to their defaults, as the database fills them. */
const defaulted = {
  carrier_code: null,
  manifest_reference: null,
  seller_name: null,
  seller_country: null,
  departure_country: null,
  control_status: 'none',
  version: 1,
  lodged_at: null,
  assessed_at: null,
  registered_at: null,
  paid_at: null,
  released_at: null,
  exited_at: null,
  cancelled_at: null,
  exit_office_code: null,
  destination_country: null,
  goods_location: null,
  exit_confirmation: null,
} as const;

/**
 * A new row as the insert would leave it, kept in memory until it is written lodged: its values
 * over the columns' defaults (the Record type asks for any column added later).
 */
function inMemory(values: Omit<DeclarationRow, keyof typeof defaulted> & Partial<Pick<DeclarationRow, keyof typeof defaulted>>): DeclarationRow {
  const row: Record<keyof DeclarationRow, unknown> & DeclarationRow = { ...defaulted, ...values };
  return row;
}

function itemRows(declarationId: string, body: DeclarationBody) {
  return body.items.map((item, index) => ({
    declaration_id: declarationId,
    item_no: index + 1,
    hs_code: item.hsCode,
    description: item.description,
    origin_country: item.originCountry.toUpperCase(),
    preferential_origin: item.preferentialOrigin ?? false,
    quantity: item.quantity,
    unit: item.unit.toUpperCase(),
    alcohol_percent: item.alcoholPercent ?? null,
    net_mass_kg: item.netMassKg,
    gross_mass_kg: item.grossMassKg,
    packages: item.packages,
    item_price: item.itemPrice,
    cpc: item.cpc ?? null,
    vehicle: item.vehicle ? JSON.stringify(item.vehicle) : null,
  }));
}

/** The stored declaration in the API's input shape, to validate and assess it again. */
export function bodyOf(row: DeclarationRow, items: DeclarationItemRow[]): DeclarationBody {
  return {
    ...(row.regime === '' ? {} : { regime: row.regime }),
    cpc: row.cpc,
    officeCode: row.office_code,
    importerPin: row.importer_pin,
    transportDocumentNumber: row.transport_document_number,
    ...(row.carrier_code === null ? {} : { carrierCode: row.carrier_code }),
    ...(row.manifest_reference === null ? {} : { manifestReference: row.manifest_reference }),
    invoiceCurrency: row.invoice_currency,
    invoiceAmount: row.invoice_amount,
    incoterm: row.incoterm,
    ...(row.freight === null ? {} : { freight: row.freight }),
    ...(row.insurance === null ? {} : { insurance: row.insurance }),
    ...(row.exchange_rate === null ? {} : { exchangeRate: row.exchange_rate }),
    ...(row.seller_name === null ? {} : { sellerName: row.seller_name }),
    ...(row.seller_country === null ? {} : { sellerCountry: row.seller_country }),
    ...(row.departure_country === null ? {} : { departureCountry: row.departure_country }),
    documents: row.documents,
    items: items.map((i) => ({
      hsCode: i.hs_code,
      description: i.description,
      originCountry: i.origin_country,
      preferentialOrigin: i.preferential_origin,
      quantity: i.quantity,
      unit: i.unit,
      ...(i.alcohol_percent === null ? {} : { alcoholPercent: new Dec(i.alcohol_percent).toString() }),
      netMassKg: i.net_mass_kg,
      grossMassKg: i.gross_mass_kg,
      packages: i.packages,
      itemPrice: i.item_price,
      ...(i.cpc === null ? {} : { cpc: i.cpc }),
      ...(i.vehicle === null ? {} : { vehicle: i.vehicle }),
    })),
  };
}

export interface ListFilter {
  organisationId?: string;
  status?: DeclarationStatus;
  pendingRequest?: boolean;
  createdFrom?: Date;
  createdBefore?: Date;
  after?: { createdAt: Date; id: string };
  limit: number;
}

type ListQuery = ReturnType<typeof listQuery>;
const listQuery = (q: Q) => q.selectFrom('declaration').selectAll();

/** One ordered walk of the list: the filters, the cursor as a row comparison the index can seek to, a page. */
function listPage(q: Q, filter: ListFilter, whose: (query: ListQuery) => ListQuery) {
  let query = whose(listQuery(q));
  if (filter.status !== undefined) {
    // One of the lifecycle's statuses (the schema allows no other), so that declaration_open serves it.
    query = query.where('status', '=', literal(filter.status));
  }
  if (filter.pendingRequest !== undefined) {
    const waiting = sql<boolean>`exists (select 1 from declaration_request r where r.declaration_id = declaration.id and r.status = 'pending')`;
    query = query.where(filter.pendingRequest ? waiting : sql<boolean>`not ${waiting}`);
  }
  if (filter.createdFrom) {
    query = query.where('created_at', '>=', filter.createdFrom);
  }
  if (filter.createdBefore) {
    query = query.where('created_at', '<', filter.createdBefore);
  }
  if (filter.after) {
    const { createdAt, id } = filter.after;
    query = query.where(sql<boolean>`(created_at, id) < (${createdAt}, ${id}::uuid)`);
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
}

/** A new declaration's columns that its assessment, selection, payment and release fill in later. */
const notYetDecided = {
  assessment: null,
  assessment_date: null,
  assessment_basis: null,
  assessed_total: null,
  additional_due: null,
  refund_due: null,
  channel: null,
  channel_reasons: null,
  risk_score: null,
  selectivity_version: null,
  control: null,
  prn: null,
  release_order_number: null,
  query: null,
  status_reason: null,
} as const;

/** Every column of an item, to return them beside the declaration's (the Record makes the compiler ask for a new one). */
const itemColumnSet: Record<keyof DeclarationItemRow, true> = {
  declaration_id: true,
  item_no: true,
  hs_code: true,
  description: true,
  origin_country: true,
  preferential_origin: true,
  quantity: true,
  unit: true,
  alcohol_percent: true,
  net_mass_kg: true,
  gross_mass_kg: true,
  packages: true,
  item_price: true,
  cpc: true,
  vehicle: true,
  source_declaration_id: true,
  source_item_no: true,
};
const itemColumns = Object.keys(itemColumnSet) as (keyof DeclarationItemRow)[];
const itemPrefix = 'item__';

/** Every column of a request, to return them beside the declaration's (as itemColumnSet). */
const requestColumnSet: Record<keyof DeclarationRequestRow, true> = {
  id: true,
  seq: true,
  declaration_id: true,
  kind: true,
  status: true,
  reason: true,
  body: true,
  preview: true,
  requested_by_org: true,
  requested_by_id: true,
  requested_by_name: true,
  requested_at: true,
  decided_by_id: true,
  decided_by_name: true,
  decided_at: true,
  decision_reason: true,
  effect: true,
};
const requestColumns = Object.keys(requestColumnSet) as (keyof DeclarationRequestRow)[];
const requestPrefix = 'request__';
/** A literal, so that declaration_request_pending serves the reads of pending requests (see literal). */
const pendingLiteral = literal('pending');
const reExportPrefix = 'reexport__';

const joinedPrefixes = [itemPrefix, requestPrefix, reExportPrefix];

/** The declaration's columns of a row that carries an item's (and a request's) too. */
function declarationPart(joined: Record<string, unknown>): DeclarationRow {
  return Object.fromEntries(Object.entries(joined).filter(([k]) => !joinedPrefixes.some((prefix) => k.startsWith(prefix)))) as DeclarationRow;
}

/** The columns a joined row carries under `prefix`. */
function part<Row>(joined: Record<string, unknown>, columns: readonly (keyof Row & string)[], prefix: string): Row {
  return Object.fromEntries(columns.map((c) => [c, joined[`${prefix}${c}`]])) as Row;
}

/**
 * What re-exports claim of an import's item, over its re-export items `x` and their declarations
 * `xd`: live ones reserve, exited ones have written off.
 */
const claimingStatuses: readonly DeclarationStatus[] = [...liveStatuses, 'exited'];
const claimSums = [
  sql<string>`coalesce(sum(x.quantity) filter (where xd.status <> 'exited'), 0)`.as('reserved'),
  sql<string>`coalesce(sum(x.quantity) filter (where xd.status = 'exited'), 0)`.as('written_off'),
];
const claimOf = (sums: { reserved: string; written_off: string }) => ({ reserved: new Dec(sums.reserved), writtenOff: new Dec(sums.written_off) });
/** The claim sums beside each item of a status read, with how many re-export items make them. */
const claimColumns = ['claims', 'reserved', 'written_off'] as const;
type ClaimRow = Record<(typeof claimColumns)[number], string>;

/** A declaration as its view shows it: the row, its items, its pending request, and what re-exports took of a released import. */
export interface DeclarationRead {
  row: DeclarationRow;
  items: DeclarationItemRow[];
  pending: DeclarationRequestRow | undefined;
  /** Per item of a released (or exited) import that re-exports cite; undefined for anything else. */
  reExports: Map<number, { reserved: Dec; writtenOff: Dec }> | undefined;
}

/** Whether a declaration is an import whose goods re-exports may cite (reExportsOf). */
export function mayBeReExported(row: Pick<DeclarationRow, 'regime' | 'status'>): boolean {
  return row.regime.startsWith('IM') && (row.status === 'released' || row.status === 'exited');
}

/** The item's columns of a row that carries the declaration's too. */
function itemPart(joined: Record<string, unknown>): DeclarationItemRow {
  return part<DeclarationItemRow>(joined, itemColumns, itemPrefix);
}

interface EarlierArgs {
  declarationId: string;
  transportDocumentId: string | null;
  /** Null when the importer is unknown (the lodgement is refused anyway): no abandoned declarations then. */
  importerOrgId: string | null;
  hsCodes: string[];
  since: Date;
}

const earlierColumns = ['id', 'reference', 'channel', 'status', 'lodged_at', 'cancelled_at', 'updated_at', 'transport_document_id'] as const;

/** The consignment's earlier declarations in one query: those on the same document, and the importer's recently abandoned selected ones elsewhere. */
function earlierQuery(q: Q, args: EarlierArgs) {
  const { transportDocumentId, importerOrgId } = args;
  const abandonedRecently = q
    .selectFrom('declaration')
    .select([...earlierColumns, sql<boolean>`false`.as('same_document')])
    .where((eb) => (importerOrgId === null ? eb.val(false) : eb('importer_org_id', '=', importerOrgId)))
    // Literals, so that declaration_importer_abandoned serves it (see literal).
    .where('status', 'in', [literal('cancelled'), literal('rejected')])
    .where('id', '<>', args.declarationId)
    .where('channel', 'is not', null)
    .where('channel', '<>', 'green')
    .where('updated_at', '>=', args.since)
    .where((eb) => (transportDocumentId === null ? eb.val(true) : eb.or([eb('transport_document_id', 'is', null), eb('transport_document_id', '<>', transportDocumentId)])))
    .orderBy('updated_at', 'desc')
    .limit(200);
  return q
    .selectFrom('declaration')
    .select([...earlierColumns, sql<boolean>`true`.as('same_document')])
    .where((eb) => (transportDocumentId === null ? eb.val(false) : eb('transport_document_id', '=', transportDocumentId)))
    .where('id', '<>', args.declarationId)
    .where('channel', 'is not', null)
    .where('reference', 'is not', null)
    .unionAll(q.selectFrom(abandonedRecently.as('abandoned')).selectAll());
}

type EarlierRow = Awaited<ReturnType<ReturnType<typeof earlierQuery>['execute']>>[number];

/** Those on the same document, and the abandoned ones (newest first) whose goods are exactly the same kinds (HS codes). */
async function splitEarlier(q: Q, rows: EarlierRow[], hsCodes: string[]): Promise<{ sameDocument: EarlierRow[]; sameGoods: EarlierRow[] }> {
  const sameDocument = rows.filter((r) => r.same_document);
  const abandoned = rows.filter((r) => !r.same_document).sort((a, b) => b.updated_at.getTime() - a.updated_at.getTime());
  if (abandoned.length === 0) {
    return { sameDocument, sameGoods: [] };
  }
  const wanted = [...new Set(hsCodes.map(hsDigits))].sort().join(',');
  const items = await declarationRepository.itemsOf(
    q,
    abandoned.map((d) => d.id),
  );
  const sameGoods = abandoned.filter((d) => [...new Set((items.get(d.id) ?? []).map((i) => hsDigits(i.hs_code)))].sort().join(',') === wanted);
  return { sameDocument, sameGoods };
}

export const declarationRepository = {
  /**
   * A new draft and its items, returned as stored, in one statement: the two inserts are writable
   * CTEs, and the answer is one row per item carrying the declaration's columns and the item's
   * (prefixed, as both have a cpc).
   */
  /**
   * A new declaration as its draft row, in memory only: a draft created and lodged in one request
   * is written once, already lodged (`insert` with `lodgedAs`), rather than inserted as a draft and
   * updated. Every column is here as the insert would leave it (see inMemory).
   */
  draft(row: NewDeclaration, body: DeclarationBody): DeclarationRow {
    const { documents: _asText, ...values } = draftValues(row, body);
    return inMemory({ ...values, documents: body.documents ?? [] });
  },

  /** Writes a new declaration with its items: a draft, or (`lodgedAs`) already in the status its lodgement moved it to. */
  async insert(tx: Tx, row: NewDeclaration, body: DeclarationBody, lodgedAs?: LodgedColumns): Promise<{ row: DeclarationRow; items: DeclarationItemRow[] }> {
    const rows = await tx
      .with('d', (q) =>
        q
          .insertInto('declaration')
          .values({ ...draftValues(row, body), ...lodgedAs })
          .returningAll(),
      )
      .with('i', (q) => q.insertInto('declaration_item').values(itemRows(row.id, body)).returningAll())
      .selectFrom(['d', 'i'])
      .selectAll('d')
      .select(itemColumns.map((c) => sql.ref(`i.${c}`).as(`${itemPrefix}${c}`)))
      .orderBy('i.item_no')
      .execute();
    const first = rows[0];
    if (!first) {
      throw new Error(`declaration ${row.id} inserted without items`);
    }
    return { row: declarationPart(first), items: rows.map(itemPart) };
  },

  /** Replaces the declared data (header fields and every item) of a declaration. */
  async replaceData(tx: Tx, id: string, body: DeclarationBody): Promise<void> {
    await tx.updateTable('declaration').set(dataColumns(body)).where('id', '=', id).execute();
    await tx.deleteFrom('declaration_item').where('declaration_id', '=', id).execute();
    await tx.insertInto('declaration_item').values(itemRows(id, body)).execute();
  },

  /** Applies a change that keeps the status and moves the version on; the caller holds the row lock. */
  async update(tx: Tx, id: string, patch: DeclarationPatch, now: Date): Promise<DeclarationRow> {
    return tx
      .updateTable('declaration')
      .set({ ...patch, updated_at: now, version: sql<number>`version + 1` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  find(q: Q, id: string, options: { forUpdate?: boolean } = {}): Promise<DeclarationRow | undefined> {
    const query = q.selectFrom('declaration').selectAll().where('id', '=', id);
    return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  /**
   * A declaration and all its view shows, in one statement (the status read): one row per item,
   * the declaration's columns beside each, with the pending request (at most one is pending) and
   * what live and exited re-exports claim of that item (through declaration_item_source).
   */
  async read(q: Q, by: { id: string } | { reference: string }): Promise<DeclarationRead | undefined> {
    let query = q
      .selectFrom('declaration as d')
      .leftJoin('declaration_item as i', 'i.declaration_id', 'd.id')
      .leftJoinLateral(
        (eb) => eb.selectFrom('declaration_request as r').selectAll('r').whereRef('r.declaration_id', '=', 'd.id').where('r.status', '=', pendingLiteral).limit(1).as('r'),
        (join) => join.onTrue(),
      )
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('declaration_item as x')
            .innerJoin('declaration as xd', 'xd.id', 'x.declaration_id')
            .select([sql<string>`count(*)`.as('claims'), ...claimSums])
            .whereRef('x.source_declaration_id', '=', 'd.id')
            .whereRef('x.source_item_no', '=', 'i.item_no')
            .where('xd.status', 'in', claimingStatuses)
            .as('x'),
        (join) => join.onTrue(),
      )
      .selectAll('d')
      .select(itemColumns.map((c) => sql.ref(`i.${c}`).as(`${itemPrefix}${c}`)))
      .select(requestColumns.map((c) => sql.ref(`r.${c}`).as(`${requestPrefix}${c}`)))
      .select(claimColumns.map((c) => sql.ref(`x.${c}`).as(`${reExportPrefix}${c}`)))
      .orderBy('i.item_no');
    query = 'id' in by ? query.where('d.id', '=', by.id) : query.where('d.reference', '=', by.reference.toUpperCase());
    const rows: Record<string, unknown>[] = await query.execute();
    const first = rows[0];
    if (!first) {
      return undefined;
    }
    const row = declarationPart(first);
    const withItems = rows.filter((r) => r[`${itemPrefix}item_no`] !== null);
    const items = withItems.map(itemPart);
    const claims = withItems.map((r) => part<ClaimRow>(r, claimColumns, reExportPrefix));
    return {
      row,
      items,
      pending: first[`${requestPrefix}id`] === null ? undefined : part<DeclarationRequestRow>(first, requestColumns, requestPrefix),
      reExports: mayBeReExported(row) ? new Map(items.flatMap((item, k) => (Number(claims[k]!.claims) > 0 ? [[item.item_no, claimOf(claims[k]!)] as const] : []))) : undefined,
    };
  },

  findByReference(q: Q, reference: string): Promise<DeclarationRow | undefined> {
    return q.selectFrom('declaration').selectAll().where('reference', '=', reference.toUpperCase()).executeTakeFirst();
  },

  items(q: Q, id: string): Promise<DeclarationItemRow[]> {
    return q.selectFrom('declaration_item').selectAll().where('declaration_id', '=', id).orderBy('item_no').execute();
  },

  /** Customs offices and their kind (port, airport, border, icd, inland). */
  async officeKinds(q: Q): Promise<Map<string, { kind: string; name: string }>> {
    const rows = await q.selectFrom('customs_office').select(['code', 'kind', 'name']).execute();
    return new Map(rows.map((r) => [r.code, { kind: r.kind, name: r.name }]));
  },

  /**
   * How much of an import item re-exports claim: those live (lodged to released: reserved) and
   * exited (written off), other than `exceptDeclarationId`. The caller holds the import's lock.
   */
  async reExportedQuantity(q: Q, sourceDeclarationId: string, sourceItemNo: number, exceptDeclarationId: string): Promise<Dec> {
    const row = await q
      .selectFrom('declaration_item as i')
      .innerJoin('declaration as d', 'd.id', 'i.declaration_id')
      .select(sql<string>`coalesce(sum(i.quantity), 0)`.as('quantity'))
      .where('i.source_declaration_id', '=', sourceDeclarationId)
      .where('i.source_item_no', '=', sourceItemNo)
      .where('d.id', '<>', exceptDeclarationId)
      .where('d.status', 'in', claimingStatuses)
      .executeTakeFirstOrThrow();
    return new Dec(row.quantity);
  },

  /** Per item of an import: what live re-exports reserve and exited ones wrote off. */
  async reExportsOf(q: Q, sourceDeclarationId: string): Promise<Map<number, { reserved: Dec; writtenOff: Dec }>> {
    const rows = await q
      .selectFrom('declaration_item as x')
      .innerJoin('declaration as xd', 'xd.id', 'x.declaration_id')
      .select(['x.source_item_no', ...claimSums])
      .where('x.source_declaration_id', '=', sourceDeclarationId)
      .where('xd.status', 'in', claimingStatuses)
      .groupBy('x.source_item_no')
      .execute();
    return new Map(rows.map((r) => [r.source_item_no ?? 0, claimOf(r)]));
  },

  /** A new export as its draft row, in memory only: written once, lodged (`insertExport` with `lodgedAs`). */
  exportDraft(row: NewExport, body: ExportBody, regime: string): DeclarationRow {
    const { documents: _asText, ...values } = exportValues(row, body, regime);
    return inMemory({ ...values, documents: body.documents ?? [] });
  },

  /** Writes a new export with its items: a draft, or (`lodgedAs`) already in the status its lodgement moved it to. */
  async insertExport(
    tx: Tx,
    row: NewExport,
    body: ExportBody,
    regime: string,
    sources: readonly { itemIndex: number; declarationId: string; itemNo: number }[],
    lodgedAs?: LodgedColumns,
  ): Promise<{ row: DeclarationRow; items: DeclarationItemRow[] }> {
    const inserted = await tx
      .insertInto('declaration')
      .values({ ...exportValues(row, body, regime), ...lodgedAs })
      .returningAll()
      .executeTakeFirstOrThrow();
    const sourceOf = new Map(sources.map((s) => [s.itemIndex, s]));
    const items = await tx
      .insertInto('declaration_item')
      .values(
        body.items.map((item, index) => ({
          declaration_id: row.id,
          item_no: index + 1,
          hs_code: item.hsCode,
          description: item.description,
          origin_country: item.originCountry.toUpperCase(),
          preferential_origin: false,
          quantity: item.quantity,
          unit: item.unit.toUpperCase(),
          net_mass_kg: item.netMassKg,
          gross_mass_kg: item.grossMassKg,
          packages: item.packages,
          item_price: item.itemPrice,
          cpc: null,
          vehicle: null,
          source_declaration_id: sourceOf.get(index)?.declarationId ?? null,
          source_item_no: sourceOf.get(index)?.itemNo ?? null,
        })),
      )
      .returningAll()
      .execute();
    return { row: inserted, items: items.sort((a, b) => a.item_no - b.item_no) };
  },

  /**
   * What a transport document already carries, read in one statement when a declaration is lodged
   * on it: the packages and gross mass other live declarations claim, the consignment's earlier
   * declarations for the risk engine (see priorDeclarations), and, when a sequence is named, the
   * declaration's serial (drawn here rather than by a statement of its own).
   */
  async alreadyOnDocument(q: Q, args: EarlierArgs & { transportDocumentId: string; serialSequence: string | undefined }) {
    const claimed = q
      .selectFrom('declaration_item as i')
      .innerJoin('declaration as d', 'd.id', 'i.declaration_id')
      .select([
        sql<string>`coalesce(sum(i.packages), 0)`.as('packages'),
        sql<string>`coalesce(sum(i.gross_mass_kg), 0)`.as('mass'),
        (args.serialSequence === undefined ? sql<string | null>`null::bigint` : sql<string | null>`nextval(${args.serialSequence})`).as('serial'),
      ])
      .where('d.transport_document_id', '=', args.transportDocumentId)
      .where('d.id', '<>', args.declarationId)
      .where('d.status', 'in', liveStatuses);
    // The claimed sums and the serial are one row (a CTE, so nextval runs once) beside every earlier declaration, or none.
    const rows = await q
      .with('claimed', () => claimed)
      .selectFrom('claimed')
      .leftJoin(earlierQuery(q, args).as('earlier'), (join) => join.onTrue())
      .selectAll('earlier')
      .select(['claimed.packages', 'claimed.mass', 'claimed.serial'])
      .execute();
    const first = rows[0];
    if (!first) {
      throw new Error('the claimed sums answered no row');
    }
    const earlier = rows.filter((r): r is typeof r & EarlierRow => r.id !== null);
    return {
      claimed: { packages: Number(first.packages), grossMassKg: new Dec(first.mass) },
      earlier: await splitEarlier(q, earlier, args.hsCodes),
      serial: first.serial === null ? undefined : Number(first.serial),
    };
  },

  /** Declarations on a transport document in the given statuses, oldest first. */
  onDocument(q: Q, by: { id?: string; number?: string }, statuses: readonly DeclarationStatus[]): Promise<DeclarationRow[]> {
    let query = q.selectFrom('declaration').selectAll().where('status', 'in', statuses);
    if (by.id !== undefined) {
      query = query.where('transport_document_id', '=', by.id);
    }
    if (by.number !== undefined) {
      query = query.where('transport_document_number', '=', by.number);
    }
    return query.orderBy('created_at').orderBy('id').execute();
  },

  /**
   * A page of declarations, newest first. An organisation's list is two index walks merged, its
   * declarations as declarant and as importer (each ordered by its own index), rather than one
   * OR that PostgreSQL can only answer by walking the whole table backwards by date until it has
   * found a page: on ten years of history that took seconds for a small importer
   * (docs/history-plans.md). Each walk reads at most a page, whatever the history's size.
   */
  async list(q: Q, filter: ListFilter): Promise<DeclarationRow[]> {
    const org = filter.organisationId;
    if (org === undefined) {
      return listPage(q, filter, (query) => query).execute();
    }
    const asDeclarant = listPage(q, filter, (query) => query.where('declarant_org_id', '=', org));
    // The importer sees its declarations once lodged; a draft is the declarant's alone.
    const asImporter = listPage(q, filter, (query) => query.where('importer_org_id', '=', org).where('declarant_org_id', '<>', org).where('status', '<>', 'draft'));
    const { rows } = await sql<DeclarationRow>`select * from (${asDeclarant}) as d union all select * from (${asImporter}) as i order by created_at desc, id desc limit ${filter.limit}`.execute(q);
    return rows;
  },

  /**
   * Earlier declarations of the consignment, for the risk engine: every other lodged declaration
   * on the transport document, and the importer's cancelled or rejected selected declarations
   * since `since` with exactly the same HS codes on another document (the service keeps those
   * whose goods moved to this one). transportDocumentId null: a declaration without one (an
   * export): only the abandoned ones of the same goods.
   */
  async priorDeclarations(q: Q, args: EarlierArgs) {
    return splitEarlier(q, await earlierQuery(q, args).execute(), args.hsCodes);
  },

  async insertRequest(
    tx: Tx,
    r: { id: string; declarationId: string; kind: RequestKind; reason: string; body: unknown; preview: unknown; by: { orgId: string; id: string; name: string }; at: Date },
  ): Promise<DeclarationRequestRow> {
    return tx
      .insertInto('declaration_request')
      .values({
        id: r.id,
        declaration_id: r.declarationId,
        kind: r.kind,
        status: 'pending',
        reason: r.reason,
        body: r.body === null ? null : JSON.stringify(r.body),
        preview: r.preview === null ? null : JSON.stringify(r.preview),
        requested_by_org: r.by.orgId,
        requested_by_id: r.by.id,
        requested_by_name: r.by.name,
        requested_at: r.at,
        decided_by_id: null,
        decided_by_name: null,
        decided_at: null,
        decision_reason: null,
        effect: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  pendingRequest(q: Q, declarationId: string, options: { forUpdate?: boolean } = {}): Promise<DeclarationRequestRow | undefined> {
    const query = q.selectFrom('declaration_request').selectAll().where('declaration_id', '=', declarationId).where('status', '=', pendingLiteral);
    return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  /** How many requests (any status) the declaration has taken. */
  async requestCount(q: Q, declarationId: string): Promise<number> {
    const row = await q.selectFrom('declaration_request').select((eb) => eb.fn.countAll<string>().as('n')).where('declaration_id', '=', declarationId).executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Pending requests of many declarations at once (for lists). */
  async pendingRequestsOf(q: Q, ids: string[]): Promise<Map<string, DeclarationRequestRow>> {
    if (ids.length === 0) {
      return new Map();
    }
    const rows = await q.selectFrom('declaration_request').selectAll().where('declaration_id', 'in', ids).where('status', '=', pendingLiteral).execute();
    return new Map(rows.map((r) => [r.declaration_id, r]));
  },

  requests(q: Q, declarationId: string): Promise<DeclarationRequestRow[]> {
    return q.selectFrom('declaration_request').selectAll().where('declaration_id', '=', declarationId).orderBy('seq', 'desc').execute();
  },

  async decideRequest(tx: Tx, id: string, decision: { status: 'approved' | 'refused' | 'withdrawn'; by: { id: string; name: string }; at: Date; reason: string; effect: unknown }): Promise<DeclarationRequestRow> {
    return tx
      .updateTable('declaration_request')
      .set({
        status: decision.status,
        decided_by_id: decision.by.id,
        decided_by_name: decision.by.name,
        decided_at: decision.at,
        decision_reason: decision.reason,
        effect: decision.effect === null ? null : JSON.stringify(decision.effect),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Items of many declarations at once (for lists and timelines). */
  async itemsOf(q: Q, ids: string[]): Promise<Map<string, DeclarationItemRow[]>> {
    const map = new Map<string, DeclarationItemRow[]>();
    if (ids.length === 0) {
      return map;
    }
    for (const item of await q.selectFrom('declaration_item').selectAll().where('declaration_id', 'in', ids).orderBy('item_no').execute()) {
      map.set(item.declaration_id, [...(map.get(item.declaration_id) ?? []), item]);
    }
    return map;
  },
};
