// The only file that touches the manifest module's tables (and, for visibility, reads the
// parties' organisation and agent_authorisation tables, as the parties module allows).
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { literal } from '#platform/db/prepared.ts';
import type { ManifestStatus, ManifestTables, TransportMode } from './manifest.tables.ts';

export type Q = Kysely<DB> | Tx;
/** A literal, so that the partial transport_document_number_per_carrier serves it (see literal). */
const active = literal('active');
export type ManifestRow = Selectable<ManifestTables['manifest']>;
export type DocumentRow = Selectable<ManifestTables['transport_document']>;
export type VersionRow = Selectable<ManifestTables['manifest_version']>;
export type DeadlineRow = Selectable<ManifestTables['manifest_deadline']>;
export type DocumentWithManifest = DocumentRow & {
  manifest_reference: string;
  manifest_status: ManifestStatus;
  mode: TransportMode;
  office_code: string;
  port_of_discharge: string;
  expected_arrival: Date;
  actual_arrival: Date | null;
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An id that is not a UUID names nothing; asking PostgreSQL would be a type error, not a miss. */
export const isUuid = (id: string): boolean => uuidPattern.test(id);

export interface ListFilter {
  carrierOrgId?: string;
  /** Only manifests carrying a document consigned to one of these PINs. */
  consigneePins?: string[];
  status?: ManifestStatus;
  officeCode?: string;
  /** Only manifests at one of these offices (a terminal's). */
  officeCodes?: readonly string[];
  after?: { createdAt: Date; id: string };
  limit: number;
}

export const manifestRepository = {
  /** The lodging deadline in force for a mode on a date ('YYYY-MM-DD'). */
  deadlineInForce(q: Q, mode: TransportMode, date: string): Promise<DeadlineRow | undefined> {
    return q
      .selectFrom('manifest_deadline')
      .selectAll()
      .where('mode', '=', mode)
      .where('valid_from', '<=', date)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', date)]))
      .orderBy('valid_from', 'desc')
      .executeTakeFirst();
  },

  async insertManifest(tx: Tx, row: Insertable<ManifestTables['manifest']>): Promise<void> {
    await tx.insertInto('manifest').values(row).execute();
  },

  async insertDocuments(tx: Tx, rows: Insertable<ManifestTables['transport_document']>[]): Promise<void> {
    if (rows.length > 0) {
      await tx.insertInto('transport_document').values(rows).execute();
    }
  },

  async insertVersion(tx: Tx, row: Insertable<ManifestTables['manifest_version']>): Promise<void> {
    await tx.insertInto('manifest_version').values(row).execute();
  },

  async manifest(q: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<ManifestRow | undefined> {
    if (!isUuid(id)) {
      return undefined;
    }
    const query = q.selectFrom('manifest').selectAll().where('id', '=', id);
    return (opts.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  documents(q: Q, manifestId: string, opts: { includeRemoved?: boolean } = {}): Promise<DocumentRow[]> {
    let query = q.selectFrom('transport_document').selectAll().where('manifest_id', '=', manifestId);
    if (!opts.includeRemoved) {
      query = query.where('status', '=', active);
    }
    return query.orderBy('line').execute();
  },

  /**
   * An active transport document and, when it is a house bill, its active master: what one
   * document's view needs (the master's number), without reading the rest of its manifest.
   */
  documentWithMaster(q: Q, id: string): Promise<DocumentRow[]> {
    return q
      .selectFrom('transport_document')
      .selectAll()
      .where('status', '=', active)
      .where((eb) => eb.or([eb('id', '=', id), eb('id', '=', eb.selectFrom('transport_document').select('master_id').where('id', '=', id))]))
      .execute();
  },

  /** Which of these numbers the carrier already has on a manifest (other than `exceptManifestId`). */
  numbersLodgedByCarrier(q: Q, carrierOrgId: string, numbers: string[], exceptManifestId?: string): Promise<{ number: string; reference: string }[]> {
    if (numbers.length === 0) {
      return Promise.resolve([]);
    }
    let query = q
      .selectFrom('transport_document as d')
      .innerJoin('manifest as m', 'm.id', 'd.manifest_id')
      .select(['d.number', 'm.reference'])
      .where('d.carrier_org_id', '=', carrierOrgId)
      .where('d.status', '=', active)
      .where('d.number', 'in', numbers);
    if (exceptManifestId !== undefined) {
      query = query.where('d.manifest_id', '<>', exceptManifestId);
    }
    return query.execute();
  },

  async updateManifest(tx: Tx, id: string, set: Updateable<ManifestTables['manifest']>): Promise<void> {
    await tx.updateTable('manifest').set(set).where('id', '=', id).execute();
  },

  async updateDocument(tx: Tx, id: string, set: Updateable<ManifestTables['transport_document']>): Promise<void> {
    await tx.updateTable('transport_document').set(set).where('id', '=', id).execute();
  },

  /** The last line used on the manifest, removed documents included. */
  lastLine(q: Q, manifestId: string): Promise<number> {
    return q
      .selectFrom('transport_document')
      .select((eb) => eb.fn.max('line').as('last'))
      .where('manifest_id', '=', manifestId)
      .executeTakeFirst()
      .then((r) => Number(r?.last ?? 0));
  },

  versions(q: Q, manifestId: string): Promise<VersionRow[]> {
    return q.selectFrom('manifest_version').selectAll().where('manifest_id', '=', manifestId).orderBy('version').execute();
  },

  /** Newest first, keyset-paginated on (created_at, id). */
  list(q: Q, filter: ListFilter): Promise<(ManifestRow & { document_count: number })[]> {
    let query = q
      .selectFrom('manifest as m')
      .selectAll('m')
      .select((eb) =>
        eb
          .selectFrom('transport_document as d')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('d.manifest_id', '=', 'm.id')
          .where('d.status', '=', active)
          .as('document_count'),
      );
    if (filter.carrierOrgId !== undefined) {
      query = query.where('m.carrier_org_id', '=', filter.carrierOrgId);
    }
    if (filter.consigneePins !== undefined) {
      const pins = filter.consigneePins;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('transport_document as c')
            .select('c.id')
            .whereRef('c.manifest_id', '=', 'm.id')
            .where('c.status', '=', active)
            .where('c.consignee_pin', 'in', pins),
        ),
      );
    }
    if (filter.status !== undefined) {
      query = query.where('m.status', '=', filter.status);
    }
    if (filter.officeCode !== undefined) {
      query = query.where('m.office_code', '=', filter.officeCode);
    }
    if (filter.officeCodes !== undefined) {
      query = query.where('m.office_code', 'in', [...filter.officeCodes]);
    }
    if (filter.after !== undefined) {
      const after = filter.after;
      query = query.where((eb) => eb(eb.refTuple('m.created_at', 'm.id'), '<', eb.tuple(after.createdAt, after.id)));
    }
    return query
      .orderBy('m.created_at', 'desc')
      .orderBy('m.id', 'desc')
      .limit(filter.limit)
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, document_count: Number(r.document_count ?? 0) })));
  },

  /** Active documents with this number, with their manifest's header; the document row locked on request. */
  documentsByNumber(q: Q, number: string, opts: { forUpdate?: boolean; manifestReference?: string; carrierOrgId?: string } = {}): Promise<DocumentWithManifest[]> {
    let query = withManifest(q).where('d.number', '=', number).where('d.status', '=', active);
    if (opts.manifestReference !== undefined) {
      query = query.where('m.reference', '=', opts.manifestReference);
    }
    if (opts.carrierOrgId !== undefined) {
      query = query.where('d.carrier_org_id', '=', opts.carrierOrgId);
    }
    return (opts.forUpdate ? query.forUpdate('d') : query).execute();
  },

  async documentById(q: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<DocumentWithManifest | undefined> {
    if (!isUuid(id)) {
      return undefined;
    }
    const query = withManifest(q).where('d.id', '=', id);
    return (opts.forUpdate ? query.forUpdate('d') : query).executeTakeFirst();
  },

  /** Active house documents under a master. */
  houseCount(q: Q, masterId: string): Promise<number> {
    return q
      .selectFrom('transport_document')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('master_id', '=', masterId)
      .where('status', '=', active)
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  },

  /**
   * The consignee PINs an organisation may follow: its own PIN, and (for a clearing agent) the
   * PINs of the clients it may act for on the date.
   */
  async consigneePinsFor(q: Q, organisationId: string, date: string, includeClients: boolean): Promise<string[]> {
    if (!isUuid(organisationId)) {
      return [];
    }
    const own = await q.selectFrom('organisation').select('pin').where('id', '=', organisationId).executeTakeFirst();
    const pins = own?.pin ? [own.pin] : [];
    if (!includeClients) {
      return pins;
    }
    // An agent follows its clients' cargo while it may act for them: authorisation in force and
    // not revoked, and its own clearing licence valid on the date.
    const clients = await q
      .selectFrom('agent_authorisation as a')
      .innerJoin('organisation as o', 'o.id', 'a.client_org_id')
      .innerJoin('organisation as agent', 'agent.id', 'a.agent_org_id')
      .select('o.pin')
      .where('a.agent_org_id', '=', organisationId)
      .where('agent.licence_valid_from', '<=', date)
      .where((eb) => eb.or([eb('agent.licence_valid_to', 'is', null), eb('agent.licence_valid_to', '>=', date)]))
      .where('a.revoked_at', 'is', null)
      .where('a.valid_from', '<=', date)
      .where((eb) => eb.or([eb('a.valid_to', 'is', null), eb('a.valid_to', '>=', date)]))
      .where('o.pin', 'is not', null)
      .execute();
    return [...new Set([...pins, ...clients.map((c) => c.pin as string)])];
  },
};

function withManifest(q: Q) {
  return q
    .selectFrom('transport_document as d')
    .innerJoin('manifest as m', 'm.id', 'd.manifest_id')
    .selectAll('d')
    .select([
      'm.reference as manifest_reference',
      'm.status as manifest_status',
      'm.mode',
      'm.office_code',
      'm.port_of_discharge',
      'm.expected_arrival',
      'm.actual_arrival',
    ]);
}

export type ManifestRepository = typeof manifestRepository;
