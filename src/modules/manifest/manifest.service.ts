// Manifest use cases: lodge, amend before arrival, add supplementary documents after it,
// confirm arrival, close, and the reads, each answering only what the caller may see.
// Writes take a `run` that executes the work in one transaction: the routes pass one that goes
// through idempotent(), direct callers (tests, the EDIFACT adapter) get a plain transaction.
// Reference data is read before the transaction opens, so the embedded database's single
// connection is never asked for twice at once.
import type { Insertable, Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { localDate, type Clock } from '#platform/clock.ts';
import { newId, nextSerial, reference as tradeReference } from '#platform/ids.ts';
import { isCustoms, type Actor, type Principal } from '#platform/http/auth.ts';
import { conflict, FieldErrors, forbidden, notFound } from '#platform/http/problem.ts';
import type { Outcome } from '#platform/http/idempotency.ts';
import { publish } from '#platform/events/outbox.ts';
import { recordAudit, transition } from '#modules/audit/index.ts';
import type { ReferenceService } from '#modules/reference/index.ts';
import { manifestRepository as repo, type DocumentRow, type ManifestRow } from './manifest.repository.ts';
import type { ManifestStatus, ManifestTables, VersionKind } from './manifest.tables.ts';
import { manifestLifecycle } from './manifest.state.ts';
import {
  checkArrival,
  checkDocument,
  checkDocumentSet,
  checkHeader,
  parseDateTime,
  planAmendment,
  resultingDocuments,
  type AmendmentEntry,
  type AmendmentInput,
  type AmendmentPlan,
  type CurrentDocument,
  type DocumentDraft,
  type LodgementInput,
  type Placed,
  type ReferenceLookup,
  type SupplementaryInput,
} from './manifest.rules.ts';
import { draftOf, manifestView, type ManifestView } from './manifest.views.ts';
import { documentSubject, findTransportDocument } from './transport-document.ts';

/** Who is asking, and how the audit trail records them. */
export interface Caller {
  principal: Principal;
  actor: Actor;
  requestId?: string | null;
}

/** Runs work in one transaction and returns its body (idempotent() in routes). */
export type Runner = <T>(work: (tx: Tx) => Promise<Outcome<T>>) => Promise<T>;

export interface ManifestServiceDeps {
  db: Kysely<DB>;
  reference: Pick<ReferenceService, 'sets' | 'list'>;
  clock: Clock;
  /** The customs offices a terminal organisation serves (the parties module's); a terminal acts only there. */
  officesServed: (organisationId: string) => Promise<readonly string[]>;
}

export interface ListQuery {
  cursor?: string;
  limit?: number;
  status?: ManifestStatus;
  officeCode?: string;
}

// Dates that decide which rates apply are not the trade's to move (README "Manifests", dates):
/** Arrival may be reported a little ahead of the server's clock, not hours ahead. */
const arrivalClockToleranceMs = 15 * 60 * 1000;
/** A conveyance arrives after its manifest was lodged, give or take the time it takes to file it. */
const arrivalBeforeLodgingToleranceMs = 60 * 60 * 1000;
/** An expected arrival may lie a day behind (a late vessel's manifest), never further. */
const expectedArrivalPastToleranceMs = 24 * 3_600_000;
/** Nor more than a year ahead: no manifest is lodged for a voyage further off. */
const expectedArrivalHorizonMs = 366 * 24 * 3_600_000;

/** Refuses an expected arrival far in the past (whose old rates a pre-arrival entry would take) or the future. */
function checkExpectedArrivalWindow(eta: Date | undefined, now: Date, pointer: string, errors: FieldErrors): void {
  if (eta === undefined) {
    return;
  }
  if (eta.getTime() < now.getTime() - expectedArrivalPastToleranceMs) {
    errors.add(pointer, 'arrival_in_past', `${eta.toISOString()} is more than 24 hours ago: give the conveyance's current expected arrival, or confirm its arrival once it is in`);
  } else if (eta.getTime() > now.getTime() + expectedArrivalHorizonMs) {
    errors.add(pointer, 'arrival_too_far_ahead', `${eta.toISOString()} is more than a year ahead; lodge the manifest nearer the voyage`);
  }
}

export function manifestService(deps: ManifestServiceDeps) {
  const { db, clock } = deps;
  const plainRun: Runner = async (work) => (await inTransaction(db, work)).body;

  async function referenceLookup(): Promise<ReferenceLookup> {
    const sets = await deps.reference.sets();
    const offices = (await deps.reference.list('customs_office')) as { code: string; locode: string | null }[];
    return { locodes: sets.locodes, offices: new Map(offices.map((o) => [o.code, o.locode])) };
  }

  const sees = {
    everything: (p: Principal) => isCustoms(p),
    asCarrier: (p: Principal, m: Pick<ManifestRow, 'carrier_org_id'>) => p.roles.includes('carrier') && p.organisationId === m.carrier_org_id,
    /** A terminal sees whole manifests, but only at the offices it serves (`offices` from officesOf). */
    asTerminal: (offices: readonly string[], m: Pick<ManifestRow, 'office_code'>) => offices.includes(m.office_code),
  };
  const seesWhole = (p: Principal, offices: readonly string[], m: ManifestRow) => sees.everything(p) || sees.asCarrier(p, m) || sees.asTerminal(offices, m);

  /** The offices a terminal caller serves, none for anyone else; read before any transaction opens. */
  function officesOf(p: Principal): Promise<readonly string[]> {
    return p.roles.includes('terminal') ? deps.officesServed(p.organisationId) : Promise.resolve([]);
  }

  /** PINs whose consignments this caller follows: its own, and its clients' when it is an agent. */
  function consigneePins(q: Kysely<DB> | Tx, p: Principal): Promise<string[]> {
    return repo.consigneePinsFor(q, p.organisationId, localDate(clock.now()), p.roles.includes('agent'));
  }

  /** The documents of a manifest this caller may see; undefined when it may see none of it. */
  async function visibleDocuments(q: Kysely<DB> | Tx, p: Principal, m: ManifestRow, documents: DocumentRow[]): Promise<DocumentRow[] | undefined> {
    if (seesWhole(p, await officesOf(p), m)) {
      return documents;
    }
    const pins = new Set(await consigneePins(q, p));
    const mine = documents.filter((d) => d.consignee_pin !== null && pins.has(d.consignee_pin));
    return mine.length > 0 ? mine : undefined;
  }

  /** The manifest locked for a change by the carrier that lodged it; another carrier's is not found. */
  async function carriersManifest(tx: Tx, caller: Caller, id: string): Promise<ManifestRow> {
    const m = await repo.manifest(tx, id, { forUpdate: true });
    if (!m || !sees.asCarrier(caller.principal, m)) {
      throw notFound(`Manifest ${id}`);
    }
    return m;
  }

  function requireRole(caller: Caller, role: 'carrier'): void {
    if (!caller.principal.roles.includes(role)) {
      throw forbidden(`Only a ${role} may do this`);
    }
  }

  async function numbersTaken(tx: Tx, carrierOrgId: string, added: { draft: DocumentDraft; at: string | null }[], errors: FieldErrors, exceptManifestId?: string): Promise<void> {
    const taken = await repo.numbersLodgedByCarrier(
      tx,
      carrierOrgId,
      added.map((a) => a.draft.number),
      exceptManifestId,
    );
    const where = new Map(taken.map((t) => [t.number, t.reference]));
    for (const a of added) {
      const ref = where.get(a.draft.number);
      if (ref !== undefined && a.at !== null) {
        errors.add(`${a.at}/number`, 'document_number_taken', `you already lodged ${a.draft.number} on manifest ${ref}; a B/L number is used once per carrier`);
      }
    }
  }

  function documentRow(draft: DocumentDraft, ids: ReadonlyMap<string, string>, m: Pick<ManifestRow, 'id' | 'carrier_org_id'>, version: number, now: Date, id: string, line: number) {
    return {
      id,
      manifest_id: m.id,
      line,
      carrier_org_id: m.carrier_org_id,
      number: draft.number,
      kind: draft.kind,
      master_id: draft.masterNumber === null ? null : (ids.get(draft.masterNumber) ?? null),
      shipper_name: draft.shipperName,
      consignee_name: draft.consigneeName,
      consignee_pin: draft.consigneePin,
      notify_party: draft.notifyParty,
      packages: draft.packages,
      package_kind: draft.packageKind,
      gross_mass_kg: draft.grossMassKg,
      description: draft.description,
      cargo_category: draft.cargoCategory,
      regime_shares: draft.regimeShares === null ? null : JSON.stringify(draft.regimeShares),
      containers: JSON.stringify(draft.containers),
      added_in_version: version,
      created_at: now,
      updated_at: now,
    } satisfies Insertable<ManifestTables['transport_document']>;
  }

  async function snapshot(tx: Tx, manifestId: string, kind: VersionKind, reason: string | null, caller: Caller, now: Date): Promise<ManifestView> {
    const m = await repo.manifest(tx, manifestId);
    if (!m) {
      throw notFound(`Manifest ${manifestId}`);
    }
    const view = manifestView(m, await repo.documents(tx, manifestId));
    await repo.insertVersion(tx, { manifest_id: m.id, version: m.version, kind, snapshot: JSON.stringify(view), reason, created_at: now, created_by: caller.actor.name });
    return view;
  }

  /** Unique per carrier is also a database index: a racing lodgement of the same B/L is a 409, not a 500. */
  async function guardUnique<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if ((err as { code?: string; constraint?: string }).code === '23505') {
        throw conflict('One of these B/L numbers was lodged by your organisation at the same moment on another manifest; check your manifests and retry');
      }
      throw err;
    }
  }

  function checkReason(reason: string | undefined, errors: FieldErrors): string {
    const r = (reason ?? '').trim();
    if (r.length < 3) {
      errors.add('/reason', 'required', 'say why the manifest changes (at least 3 characters)');
    }
    return r;
  }

  /** Applies additions, changes and removals as a new version of the manifest. */
  async function applyVersion(tx: Tx, caller: Caller, m: ManifestRow, current: CurrentDocument[], plan: AmendmentPlan, change: { kind: VersionKind; reason: string; expectedArrival?: Date }) {
    const now = clock.now();
    const version = m.version + 1;
    const ids = new Map<string, string>(current.map((c) => [c.draft.number, c.id]));
    for (const a of plan.added) {
      ids.set(a.draft.number, newId());
    }
    // New documents take the next lines; a removed document keeps its line, never reused.
    const firstLine = (await repo.lastLine(tx, m.id)) + 1;
    await guardUnique(() =>
      repo.insertDocuments(
        tx,
        plan.added.map((a, i) => documentRow(a.draft, ids, m, version, now, ids.get(a.draft.number) as string, firstLine + i)),
      ),
    );
    for (const c of plan.changed) {
      const { id: _id, line: _l, added_in_version: _v, created_at: _c, manifest_id: _m, carrier_org_id: _o, ...set } = documentRow(c.draft, ids, m, version, now, c.current.id, 0);
      await repo.updateDocument(tx, c.current.id, set);
    }
    for (const r of plan.removed) {
      await repo.updateDocument(tx, r.current.id, { status: 'removed', removed_in_version: version, updated_at: now });
    }
    await repo.updateManifest(tx, m.id, { version, updated_at: now, ...(change.expectedArrival ? { expected_arrival: change.expectedArrival } : {}) });
    const view = await snapshot(tx, m.id, change.kind, change.reason, caller, now);
    const summary = {
      version,
      added: plan.added.map((a) => a.draft.number),
      changed: plan.changed.map((c) => c.draft.number),
      removed: plan.removed.map((r) => r.current.draft.number),
      ...(change.expectedArrival ? { expectedArrival: change.expectedArrival.toISOString() } : {}),
    };
    await recordAudit(tx, {
      actor: caller.actor,
      action: change.kind === 'amendment' ? 'manifest.amended' : 'manifest.supplementary_lodged',
      entityType: 'manifest',
      entityId: m.id,
      subjects: [
        m.reference,
        ...[...plan.added.map((a) => ids.get(a.draft.number) as string), ...plan.changed.map((c) => c.current.id), ...plan.removed.map((r) => r.current.id)].map(documentSubject),
      ],
      before: {
        version: m.version,
        expectedArrival: m.expected_arrival.toISOString(),
        changed: plan.changed.map((c) => c.current.draft),
        removed: plan.removed.map((r) => r.current.draft),
      },
      after: { ...summary, changed: plan.changed.map((c) => c.draft), added: plan.added.map((a) => a.draft) },
      reason: change.reason,
      requestId: caller.requestId ?? null,
      at: now,
    });
    await publish(tx, change.kind === 'amendment' ? 'manifest.amended' : 'manifest.supplementary_lodged', m.reference, { manifestId: m.id, reference: m.reference, ...summary });
    return view;
  }

  async function currentDocuments(tx: Tx, manifestId: string): Promise<CurrentDocument[]> {
    const rows = await repo.documents(tx, manifestId);
    const numbersById = new Map(rows.map((r) => [r.id, r.number]));
    return rows.map((r) => ({ id: r.id, draft: draftOf(r, numbersById), packagesWrittenOff: r.packages_written_off, massWrittenOff: r.mass_written_off }));
  }

  return {
    /** Lodges a manifest for the caller's carrier organisation. */
    async lodge(caller: Caller, input: LodgementInput, run: Runner = plainRun): Promise<ManifestView> {
      requireRole(caller, 'carrier');
      const ref = await referenceLookup();
      return run(async (tx) => {
        const carrierOrgId = caller.principal.organisationId;
        const errors = new FieldErrors();
        const expectedArrival = checkHeader(input, ref, errors);
        checkExpectedArrivalWindow(expectedArrival, clock.now(), '/expectedArrival', errors);
        const documents = input.documents ?? [];
        if (documents.length === 0) {
          errors.add('/documents', 'no_documents', 'a manifest lists at least one transport document');
        }
        const placed: Placed[] = [];
        documents.forEach((d, i) => {
          const draft = checkDocument(d, input.mode, `/documents/${i}`, errors);
          if (draft) {
            placed.push({ draft, at: `/documents/${i}` });
          }
        });
        checkDocumentSet(placed, errors);
        await numbersTaken(tx, carrierOrgId, placed, errors);
        errors.throwIfAny();
        const eta = expectedArrival as Date;

        const now = clock.now();
        const office = input.officeCode.trim().toUpperCase();
        const year = localDate(now).slice(0, 4);
        const reference = tradeReference({ year, office, kind: 'MF', serial: await nextSerial(tx, `manifest_${year}_${office}`) });
        const deadline = await repo.deadlineInForce(tx, input.mode, localDate(eta));
        const m = {
          id: newId(),
          reference,
          carrier_org_id: carrierOrgId,
          mode: input.mode,
          conveyance_id: input.conveyanceId.trim().toUpperCase(),
          conveyance_name: input.conveyanceName?.trim() || null,
          voyage_number: input.voyageNumber.trim().toUpperCase(),
          port_of_loading: input.portOfLoading.trim().toUpperCase(),
          port_of_discharge: input.portOfDischarge.trim().toUpperCase(),
          office_code: office,
          expected_arrival: eta,
          actual_arrival: null,
          status: 'lodged' as const,
          version: 1,
          lodging_deadline: deadline ? new Date(eta.getTime() - deadline.hours_before_arrival * 3_600_000) : null,
          deadline_rule_id: deadline?.id ?? null,
          created_at: now,
          created_by: caller.actor.name,
          updated_at: now,
        };
        await repo.insertManifest(tx, m);
        const ids = new Map(placed.map((p) => [p.draft.number, newId()]));
        await guardUnique(() =>
          repo.insertDocuments(
            tx,
            placed.map((p, i) => documentRow(p.draft, ids, m, 1, now, ids.get(p.draft.number) as string, i + 1)),
          ),
        );
        const view = await snapshot(tx, m.id, 'original', null, caller, now);
        await recordAudit(tx, {
          actor: caller.actor,
          action: 'manifest.lodged',
          entityType: 'manifest',
          entityId: m.id,
          subjects: [reference, ...view.documents.map((d) => documentSubject(d.id))],
          after: view,
          requestId: caller.requestId ?? null,
          at: now,
        });
        await publish(tx, 'manifest.lodged', reference, {
          manifestId: m.id,
          reference,
          mode: m.mode,
          officeCode: office,
          expectedArrival: eta.toISOString(),
          late: view.late,
          documents: view.documents.map((d) => ({ id: d.id, number: d.number, cargoCategory: d.cargoCategory, consigneePin: d.consigneePin })),
        });
        return { status: 201, body: view };
      });
    },

    /** Corrects a manifest before the conveyance arrives: a new version; the old one is kept. */
    async amend(caller: Caller, id: string, input: AmendmentInput, run: Runner = plainRun): Promise<ManifestView> {
      requireRole(caller, 'carrier');
      return run(async (tx) => {
        const m = await carriersManifest(tx, caller, id);
        manifestLifecycle.next(m.status, 'amend');
        const errors = new FieldErrors();
        const reason = checkReason(input.reason, errors);
        const entries: AmendmentEntry[] = input.documents ?? [];
        const eta = input.expectedArrival === undefined || input.expectedArrival === null ? undefined : checkArrival(input.expectedArrival, '/expectedArrival', errors);
        checkExpectedArrivalWindow(eta, clock.now(), '/expectedArrival', errors);
        if (entries.length === 0 && eta === undefined && errors.empty) {
          errors.add('/documents', 'nothing_to_amend', 'list the documents to add, change or remove, or give a new expectedArrival');
        }
        const current = await currentDocuments(tx, m.id);
        const plan = planAmendment(current, entries, m.mode, errors);
        const resulting = resultingDocuments(current, plan, errors);
        checkDocumentSet(resulting, errors);
        await numbersTaken(tx, m.carrier_org_id, plan.added, errors, m.id);
        errors.throwIfAny();
        const view = await applyVersion(tx, caller, m, current, plan, { kind: 'amendment', reason, ...(eta ? { expectedArrival: eta } : {}) });
        return { status: 200, body: view };
      });
    },

    /** Adds documents left off the manifest, after arrival (a supplementary manifest). */
    async supplement(caller: Caller, id: string, input: SupplementaryInput, run: Runner = plainRun): Promise<ManifestView> {
      requireRole(caller, 'carrier');
      return run(async (tx) => {
        const m = await carriersManifest(tx, caller, id);
        manifestLifecycle.next(m.status, 'supplement');
        const errors = new FieldErrors();
        const reason = checkReason(input.reason, errors);
        const documents = input.documents ?? [];
        if (documents.length === 0) {
          errors.add('/documents', 'no_documents', 'a supplementary manifest lists at least one transport document');
        }
        const current = await currentDocuments(tx, m.id);
        const plan = planAmendment(
          current,
          documents.map((d) => ({ ...d, action: 'add' as const })),
          m.mode,
          errors,
        );
        const resulting = resultingDocuments(current, plan, errors);
        checkDocumentSet(resulting, errors);
        await numbersTaken(tx, m.carrier_org_id, plan.added, errors, m.id);
        errors.throwIfAny();
        const view = await applyVersion(tx, caller, m, current, plan, { kind: 'supplementary', reason });
        return { status: 201, body: view };
      });
    },

    /**
     * Confirms the conveyance arrived: by the carrier that lodged the manifest, the terminal or
     * customs. Confirming again with the same time answers the same; another time is a 409.
     */
    async confirmArrival(caller: Caller, id: string, input: { actualArrival: string }, run: Runner = plainRun): Promise<ManifestView> {
      const offices = await officesOf(caller.principal);
      return run(async (tx) => {
        const m = await repo.manifest(tx, id, { forUpdate: true });
        if (!m || !seesWhole(caller.principal, offices, m)) {
          throw notFound(`Manifest ${id}`);
        }
        const errors = new FieldErrors();
        const at = checkArrival(input.actualArrival, '/actualArrival', errors);
        if (at && at.getTime() > clock.now().getTime() + arrivalClockToleranceMs) {
          errors.add('/actualArrival', 'in_future', `${input.actualArrival} is in the future; confirm arrival once the conveyance is in`);
        } else if (at && at.getTime() < m.created_at.getTime() - arrivalBeforeLodgingToleranceMs) {
          errors.add(
            '/actualArrival',
            'before_manifest',
            `${input.actualArrival} is before manifest ${m.reference} was lodged (${m.created_at.toISOString()}); the arrival may be at most an hour earlier than the lodging`,
          );
        }
        errors.throwIfAny();
        const actualArrival = at as Date;
        if (m.status === 'arrived' && m.actual_arrival?.getTime() === actualArrival.getTime()) {
          return { status: 200, body: manifestView(m, await repo.documents(tx, m.id)) };
        }
        const now = clock.now();
        const documents = await repo.documents(tx, m.id);
        const arrived = await transition(tx, {
          lifecycle: manifestLifecycle,
          table: 'manifest',
          id: m.id,
          from: m.status,
          action: 'arrive',
          set: { actual_arrival: actualArrival, updated_at: now },
          audit: {
            actor: caller.actor,
            action: 'manifest.arrived',
            entityType: 'manifest',
            entityId: m.id,
            subjects: [m.reference, ...documents.map((d) => documentSubject(d.id))],
            before: { status: m.status },
            after: { status: 'arrived', actualArrival: actualArrival.toISOString() },
            requestId: caller.requestId ?? null,
            at: now,
          },
          event: {
            topic: 'manifest.arrived',
            key: m.reference,
            payload: {
              manifestId: m.id,
              reference: m.reference,
              officeCode: m.office_code,
              actualArrival: actualArrival.toISOString(),
              documents: documents.map((d) => ({ id: d.id, number: d.number, cargoCategory: d.cargo_category, consigneePin: d.consignee_pin })),
            },
          },
        });
        const view = manifestView(arrived, documents);
        return { status: 200, body: view };
      });
    },

    /** Customs closes an arrived manifest (all cargo accounted for, or a decision on what is left). */
    async close(caller: Caller, id: string, input: { reason: string }, run: Runner = plainRun): Promise<ManifestView> {
      return run(async (tx) => {
        const m = await repo.manifest(tx, id, { forUpdate: true });
        if (!m || !isCustoms(caller.principal)) {
          throw notFound(`Manifest ${id}`);
        }
        const errors = new FieldErrors();
        const reason = checkReason(input.reason, errors);
        errors.throwIfAny();
        const now = clock.now();
        const documents = await repo.documents(tx, m.id);
        const closed = await transition(tx, {
          lifecycle: manifestLifecycle,
          table: 'manifest',
          id: m.id,
          from: m.status,
          action: 'close',
          set: { updated_at: now },
          audit: {
            actor: caller.actor,
            action: 'manifest.closed',
            entityType: 'manifest',
            entityId: m.id,
            subjects: [m.reference],
            before: { status: m.status },
            after: { status: 'closed', undischarged: documents.filter((d) => d.packages_written_off < d.packages).map((d) => d.number) },
            reason,
            requestId: caller.requestId ?? null,
            at: now,
          },
          event: { topic: 'manifest.closed', key: m.reference, payload: { manifestId: m.id, reference: m.reference } },
        });
        return { status: 200, body: manifestView(closed, documents) };
      });
    },

    /** The manifest with the documents the caller may see; 404 when it may see none. */
    async get(principal: Principal, id: string): Promise<ManifestView> {
      const m = await repo.manifest(db, id);
      if (!m) {
        throw notFound(`Manifest ${id}`);
      }
      const all = await repo.documents(db, m.id);
      const visible = await visibleDocuments(db, principal, m, all);
      if (!visible) {
        throw notFound(`Manifest ${id}`);
      }
      return manifestView(m, visible, all);
    },

    /** Every version of the manifest, for its carrier, customs and a terminal serving its office. */
    async versions(principal: Principal, id: string) {
      const m = await repo.manifest(db, id);
      if (!m || !seesWhole(principal, await officesOf(principal), m)) {
        throw notFound(`Manifest ${id}`);
      }
      const rows = await repo.versions(db, m.id);
      return {
        manifestId: m.id,
        reference: m.reference,
        versions: rows.map((v) => ({ version: v.version, kind: v.kind, reason: v.reason, createdAt: v.created_at.toISOString(), createdBy: v.created_by, snapshot: v.snapshot as ManifestView })),
      };
    },

    /** Manifests the caller may see, newest first, a page at a time. */
    async list(principal: Principal, query: ListQuery) {
      const limit = query.limit ?? 50;
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const filter = {
        limit: limit + 1,
        ...(after ? { after } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.officeCode ? { officeCode: query.officeCode.toUpperCase() } : {}),
      };
      let rows;
      const offices = await officesOf(principal);
      if (sees.everything(principal)) {
        rows = await repo.list(db, filter);
      } else if (principal.roles.includes('terminal')) {
        rows = offices.length === 0 ? [] : await repo.list(db, { ...filter, officeCodes: offices });
      } else if (principal.roles.includes('carrier')) {
        rows = await repo.list(db, { ...filter, carrierOrgId: principal.organisationId });
      } else {
        const pins = await consigneePins(db, principal);
        rows = pins.length === 0 ? [] : await repo.list(db, { ...filter, consigneePins: pins });
      }
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((m) => {
          const { documents: _d, ...header } = manifestView(m, []);
          return { ...header, documentCount: seesWhole(principal, offices, m) ? m.document_count : null };
        }),
        nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
      };
    },

    /** A transport document by its number, with its manifest's header, if the caller may see it. */
    async document(principal: Principal, number: string, opts: { manifestReference?: string } = {}) {
      const info = await findTransportDocument(db, number, opts).catch((err: unknown) => {
        // Ambiguity is only worth reporting to someone who may see every candidate.
        if (sees.everything(principal)) {
          throw err;
        }
        return 'ambiguous' as const;
      });
      let found = info;
      if (found === 'ambiguous' && principal.roles.includes('carrier')) {
        found = await findTransportDocument(db, number, { ...opts, carrierOrgId: principal.organisationId });
      }
      if (found === undefined || found === 'ambiguous') {
        throw notFound(`Transport document ${number}`);
      }
      // The document and its master's number, not the whole manifest: a vessel's may carry thousands.
      const [m, documents] = await Promise.all([repo.manifest(db, found.manifestId), repo.documentWithMaster(db, found.id)]);
      const visible = m && (await visibleDocuments(db, principal, m, documents.filter((d) => d.id === found.id)));
      const doc = visible?.[0];
      if (!m || !doc) {
        throw notFound(`Transport document ${number}`);
      }
      const { documents: _d, ...header } = manifestView(m, [], documents);
      const view = manifestView(m, [doc], documents).documents[0];
      return { ...view, manifest: header, conveyanceArrived: m.actual_arrival !== null };
    },
  };
}

export type ManifestService = ReturnType<typeof manifestService>;

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = parseDateTime(at);
    if (createdAt && typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) {
      return { createdAt, id };
    }
  } catch {
    // fall through to the error below
  }
  const errors = new FieldErrors();
  errors.add('/query/cursor', 'invalid_cursor', 'use the nextCursor of a previous page, unchanged');
  errors.throwIfAny();
  throw new Error('unreachable');
}
