// Transit: goods under customs control travelling from the office of departure (Mombasa) to a
// border office of exit (Malaba, Busia) or an inland depot (Nairobi, Naivasha ICD), on a guarantee
// and under electronic seals.
//
// How a dishonest trader would use it, and what stops it:
// - depart on a guarantee that cannot pay: the duties at stake are computed by the assessment
//   calculator at departure (rates in force that day) and taken off the guarantee's balance by a
//   conditional UPDATE; two movements racing for the last of a guarantee cannot both depart.
// - stretch the deadline: it is fixed at departure from the time limit in force (data), and only
//   a lodged movement is amended or cancelled; a departed one can be neither, and its B/L's transit
//   cargo stays claimed until discharge, so a "re-lodged" movement has nothing to carry.
// - move more than was manifested for transit: a movement claims packages and mass of the B/L's
//   transit share; live movements together never claim more than the share.
// - use someone else's guarantee or movement: agents see and use only their own organisation's.
// - reuse a seal: a seal is on at most one live movement (a partial unique index).
// - forge tracking events: only tracking operators' API keys report them, for seals on departed
//   movements; each is idempotent by the operator's event id.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { addDays, eventWindow, localDate, type Clock } from '#platform/clock.ts';
import { Dec, fixed } from '#platform/money.ts';
import { newId, nextSerial, reference } from '#platform/ids.ts';
import { conflict, FieldErrors, forbidden, invalid, notFound, ProblemError } from '#platform/http/problem.ts';
import type { Principal } from '#platform/http/auth.ts';
import { isCustoms } from '#platform/http/auth.ts';
import { publish } from '#platform/events/outbox.ts';
import { recordAudit, transition, type Actor } from '#modules/audit/index.ts';
import { documentSubject, findTransportDocument, findTransportDocumentById, writeOff } from '#modules/manifest/index.ts';
import { licenceValidOn } from '#modules/parties/index.ts';
import type { CalculatorService } from '#modules/assessment/index.ts';
import { alertLifecycle, liveStatuses, movementLifecycle, trackedStatuses } from './transit.state.ts';
import { transitRepository as repo, type AlertRow, type EventRow, type GuaranteeRow, type MovementRow, type Q } from './transit.repository.ts';
import type { AlertKind, GuaranteeKind, MovementStatus, SealEventKind, TransitItem, TransitKind } from './transit.tables.ts';
import { guaranteeFullView, movementFullView, type GuaranteeFullView, type MovementFullView } from './transit.views.ts';

export interface Caller {
  principal: Principal;
  actor: Actor;
  requestId?: string | null;
}

export interface TransitServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** The duty calculator bound to the caller's transaction (PGlite has a single connection). */
  calculatorFor: (q: Q) => CalculatorService;
  /** The office a customs officer is on duty at (the inspection roster), if any. */
  officeOnDuty: (q: Q, userId: string) => Promise<string | undefined>;
}

export interface GuaranteeInput {
  kind: GuaranteeKind;
  /** The clearing agent (organisation code) whose guarantee it is. */
  holder: string;
  guarantor: string;
  amount: string;
  currency?: string;
  validFrom: string;
  validTo: string;
}

export interface MovementInput {
  kind: TransitKind;
  guaranteeReference: string;
  transportDocumentNumber: string;
  manifestReference?: string;
  packages?: number;
  grossMassKg?: string;
  officeOfDeparture: string;
  officeOfExit?: string;
  officeOfDestination?: string;
  destinationCountry: string;
  currency: string;
  items: TransitItem[];
  seals: string[];
}

export interface SealEventInput {
  eventId: string;
  sealId: string;
  kind: SealEventKind;
  at: string;
  latitude?: number;
  longitude?: number;
  speedKmh?: number;
  officeCode?: string;
  deviationMetres?: number;
  stoppedMinutes?: number;
}

export const maxSeals = 20;
export const maxItems = 50;
const sealPattern = /^[A-Z0-9][A-Z0-9-]{3,29}$/;
const money = (v: Dec | string) => fixed(new Dec(v), 2);
const kg = (v: Dec | string) => fixed(new Dec(v), 3);

function insufficient(g: GuaranteeRow, stake: string) {
  const shortfall = money(new Dec(stake).minus(g.balance));
  return new ProblemError({
    type: 'insufficient-guarantee',
    title: 'The guarantee does not cover the duties at stake',
    status: 422,
    detail: `Guarantee ${g.reference} has KES ${money(g.balance)} free; the duties and taxes at stake are KES ${money(stake)}: short by KES ${shortfall}. Top the guarantee up or use another.`,
    guarantee: g.reference,
    balance: money(g.balance),
    stake: money(stake),
    shortfall,
    errors: [{ pointer: '/guaranteeReference', code: 'insufficient_guarantee', message: `short by KES ${shortfall}` }],
  });
}

export function transitService(deps: TransitServiceDeps) {
  const { clock } = deps;

  async function guaranteeView(q: Q, g: GuaranteeRow): Promise<GuaranteeFullView> {
    const [entries, ledger, names] = await Promise.all([repo.entries(q, g.id), repo.ledgerSum(q, g.id), repo.organisationNames(q, [g.holder_org_id])]);
    const movements = await repo.movementReferences(q, entries.map((e) => e.movement_id).filter((id): id is string => id !== null));
    return guaranteeFullView(g, entries, ledger, names.get(g.holder_org_id) ?? null, movements);
  }

  async function movementView(q: Q, m: MovementRow): Promise<MovementFullView> {
    const [g, alerts, events, names] = await Promise.all([
      repo.guarantee(q, m.guarantee_id),
      repo.alerts(q, { movementId: m.id, limit: 50 }),
      repo.events(q, m.id, 1),
      repo.organisationNames(q, [m.agent_org_id]),
    ]);
    return movementFullView(m, { guaranteeReference: g?.reference ?? '', agentName: names.get(m.agent_org_id) ?? null, alerts, lastEvent: events[0], now: clock.now() });
  }

  /** The agent's own, or any for customs; anyone else: not found. */
  function mayRead(p: Principal, orgId: string): boolean {
    return isCustoms(p) || p.organisationId === orgId;
  }

  async function requireLicensedAgent(q: Q, p: Principal, today: string) {
    const org = await repo.organisation(q, { id: p.organisationId });
    if (!org || org.kind !== 'clearing_agent') {
      throw forbidden('Only a licensed clearing agent lodges transit declarations');
    }
    if (!licenceValidOn(org, today)) {
      throw forbidden(`${org.name}'s clearing licence is not valid on ${today}; it may not lodge transit declarations`);
    }
    return org;
  }

  /** The officer must be on duty at the office where the step happens (the inspection roster). */
  async function requireOnDutyAt(q: Q, caller: Caller, office: string, what: string): Promise<void> {
    const p = caller.principal;
    const at = p.kind === 'user' ? await deps.officeOnDuty(q, p.id) : undefined;
    if (at !== office) {
      throw forbidden(`${what} is done by customs at ${office}; you are ${at === undefined ? 'not on duty at any office' : `on duty at ${at}`}`);
    }
  }

  /** Checks the movement's body; returns what is stored, with the B/L it claims (locked). */
  /** The columns a lodgement and an amendment both take from the checked movement. */
  function checkedColumns(c: Awaited<ReturnType<typeof checkMovement>>, input: MovementInput) {
    return {
      guarantee_id: c.g.id,
      packages: c.packages,
      gross_mass_kg: c.mass,
      office_of_departure: c.departure,
      office_of_exit: c.exit,
      office_of_destination: c.destination,
      destination_country: c.country,
      currency: input.currency.toUpperCase(),
      items: JSON.stringify(input.items),
      seals: c.seals,
    };
  }

  async function checkMovement(tx: Tx, caller: Caller, input: MovementInput, existing: MovementRow | undefined) {
    const now = clock.now();
    const today = localDate(now);
    const agent = await requireLicensedAgent(tx, caller.principal, today);
    const errors = new FieldErrors();
    const offices = await repo.officeKinds(tx);
    // The guarantee: the agent's own, in force today.
    const g = await repo.guaranteeByReference(tx, input.guaranteeReference.trim().toUpperCase());
    if (!g || g.holder_org_id !== agent.id) {
      errors.add('/guaranteeReference', 'unknown_guarantee', `${input.guaranteeReference} is not a guarantee of ${agent.name}`);
    } else if (g.valid_from > today || g.valid_to < today) {
      errors.add('/guaranteeReference', 'guarantee_not_in_force', `${g.reference} is valid from ${g.valid_from} to ${g.valid_to}, not on ${today}`);
    }
    // The itinerary.
    const departure = input.officeOfDeparture.trim().toUpperCase();
    if (!offices.has(departure)) {
      errors.add('/officeOfDeparture', 'unknown_office', `"${input.officeOfDeparture}" is not a customs office; see GET /api/v1/reference/customs_office`);
    }
    const exit = input.officeOfExit?.trim().toUpperCase();
    const destination = input.officeOfDestination?.trim().toUpperCase();
    const country = input.destinationCountry.trim().toUpperCase();
    if (input.kind === 'IM8') {
      if (exit === undefined) {
        errors.add('/officeOfExit', 'required', 'a regional transit (IM8) leaves Kenya at a border office of exit, e.g. MAL (Malaba) or BUS (Busia)');
      } else if (offices.get(exit)?.kind !== 'border') {
        errors.add('/officeOfExit', 'not_a_border_office', `"${input.officeOfExit}" is not a border office; use one such as MAL (Malaba) or BUS (Busia)`);
      }
      if (destination !== undefined) {
        errors.add('/officeOfDestination', 'not_applicable', 'a regional transit ends at the border office of exit; give officeOfExit only');
      }
      if (country === 'KE' || !/^[A-Z]{2}$/.test(country)) {
        errors.add('/destinationCountry', 'invalid_destination', 'a regional transit goes to another country (ISO 3166 alpha-2, e.g. UG, RW, SS, CD, BI)');
      }
    } else {
      if (destination === undefined) {
        errors.add('/officeOfDestination', 'required', 'a national transfer (TR) ends at an inland depot, e.g. NBI (Nairobi ICD) or NAV (Naivasha ICD)');
      } else if (offices.get(destination)?.kind !== 'icd' || destination === departure) {
        errors.add('/officeOfDestination', 'not_an_inland_depot', `"${input.officeOfDestination}" is not an inland container depot other than the office of departure; use NBI or NAV`);
      }
      if (exit !== undefined) {
        errors.add('/officeOfExit', 'not_applicable', 'a national transfer does not leave Kenya; give officeOfDestination only');
      }
      if (country !== 'KE') {
        errors.add('/destinationCountry', 'invalid_destination', 'a national transfer stays in Kenya: KE');
      }
    }
    // The seals: distinct, well formed, none on another live movement.
    const seals = input.seals.map((s) => s.trim().toUpperCase());
    seals.forEach((s, i) => {
      if (!sealPattern.test(s)) {
        errors.add(`/seals/${i}`, 'invalid_seal', 'must be an electronic seal id: 4 to 30 letters, digits or "-"');
      } else if (seals.indexOf(s) !== i) {
        errors.add(`/seals/${i}`, 'duplicate_seal', `${s} is listed twice`);
      }
    });
    for (const [i, s] of seals.entries()) {
      const on = sealPattern.test(s) ? await repo.movementOfSeal(tx, s) : undefined;
      if (on && on.id !== existing?.id) {
        errors.add(`/seals/${i}`, 'seal_in_use', `${s} is on movement ${on.reference} still`);
      }
    }
    // The B/L: a transit share, of which live movements have not claimed all.
    const doc = await findTransportDocument(tx, input.transportDocumentNumber, {
      forUpdate: true,
      ...(input.manifestReference === undefined ? {} : { manifestReference: input.manifestReference }),
    });
    let packages = 0;
    let mass = '0';
    if (!doc || doc.status !== 'active') {
      errors.add('/transportDocumentNumber', 'unknown_transport_document', `${input.transportDocumentNumber} is not on any manifest`);
    } else {
      const share = doc.regimeShares.find((s) => s.cargoCategory === 'transit');
      if (!share) {
        errors.add('/transportDocumentNumber', 'not_transit_cargo', `${doc.number} is manifested as ${doc.regimeShares.map((s) => s.cargoCategory.replace(/_/g, ' ')).join(' and ')} cargo, with no transit share`);
      } else {
        if (doc.officeCode !== departure) {
          errors.add('/officeOfDeparture', 'not_where_the_goods_are', `${doc.number} is manifested at ${doc.officeCode}; the movement departs from there`);
        }
        const claimed = await repo.claimed(tx, doc.id, existing?.id ?? null, liveStatuses);
        const freePackages = share.remainingPackages - claimed.packages;
        const freeMass = new Dec(share.remainingMassKg).minus(claimed.mass);
        packages = input.packages ?? freePackages;
        mass = input.grossMassKg ?? kg(freeMass);
        if (packages <= 0 || packages > freePackages) {
          errors.add('/packages', 'more_than_manifested_for_transit', `${doc.number} has ${freePackages} packages of transit cargo not yet on a movement (of ${share.packages} manifested for transit)`);
        }
        if (new Dec(mass).lte(0) || new Dec(mass).gt(freeMass)) {
          errors.add('/grossMassKg', 'more_than_manifested_for_transit', `${doc.number} has ${kg(freeMass)} kg of transit cargo not yet on a movement`);
        }
      }
    }
    errors.throwIfAny();
    // The items: checked (and the duties at stake estimated) by the calculator, at today's rates.
    const estimate = await stakeOf(tx, input.currency, input.items, today);
    return { agent, g: g as GuaranteeRow, doc: doc as NonNullable<typeof doc>, departure, exit: exit ?? null, destination: destination ?? null, country, seals, packages, mass: kg(mass), estimate };
  }

  /** The duties and taxes the goods would pay for home use on `date`: what the guarantee secures. */
  async function stakeOf(q: Q, currency: string, items: TransitItem[], date: string) {
    try {
      const result = await deps.calculatorFor(q).calculate({
        date,
        currency,
        freight: '0',
        insurance: '0',
        items: items.map((i) => ({ hsCode: i.hsCode, description: i.description, quantity: i.quantity, unit: i.unit, fob: i.value, originCountry: i.originCountry })),
      });
      return {
        total: result.total,
        detail: { date, currency: result.currency, exchangeRate: result.exchangeRate, customsValue: fixed(result.items.reduce((s, i) => s.plus(i.customsValue), new Dec(0)), 2), totals: result.totals, total: result.total },
      };
    } catch (err) {
      // The calculator names its own fields; the declarant wrote value, not fob.
      if (err instanceof ProblemError && Array.isArray(err.problem.errors)) {
        throw invalid(err.problem.errors.map((e) => ({ ...e, pointer: e.pointer.replace(/\/fob$/, '/value').replace(/^\/date$/, '/items') })));
      }
      throw err;
    }
  }

  function audit(m: Pick<MovementRow, 'id' | 'reference' | 'transport_document_id'>, g: { reference: string } | undefined) {
    return [m.reference, documentSubject(m.transport_document_id), ...(g ? [g.reference] : [])];
  }

  function statusEvent(m: MovementRow, status: MovementStatus) {
    return { topic: 'transit.status_changed', key: m.reference, payload: { movementId: m.id, reference: m.reference, kind: m.kind, status, transportDocumentId: m.transport_document_id } };
  }

  async function lockMovement(tx: Tx, caller: Caller, id: string): Promise<MovementRow> {
    const m = /^[0-9a-f-]{36}$/i.test(id) ? await repo.movement(tx, id, { forUpdate: true }) : undefined;
    if (!m || !mayRead(caller.principal, m.agent_org_id)) {
      throw notFound(`Transit movement ${id}`);
    }
    return m;
  }

  /** Writes a ledger row and checks the balance is still the ledger's sum. */
  async function ledger(tx: Tx, g: GuaranteeRow, row: { movementId: string | null; kind: 'registered' | 'top_up' | 'debit' | 'credit' | 'called'; amount: string; effect: string; balanceAfter: string; at: Date; actor: string }) {
    await repo.insertEntry(tx, { guarantee_id: g.id, movement_id: row.movementId, kind: row.kind, amount: row.amount, effect: row.effect, balance_after: row.balanceAfter, at: row.at, actor: row.actor });
    const sum = await repo.ledgerSum(tx, g.id);
    if (!new Dec(sum).eq(row.balanceAfter)) {
      throw new Error(`guarantee ${g.reference}: balance ${row.balanceAfter} is not the ledger's sum ${sum}`);
    }
  }

  /** Flags one departed movement past its deadline overdue; false when another sweep got there first. */
  /** Concludes a movement at an office (exit or arrival) and discharges it: the B/L's transit cargo written off, the guarantee restored. */
  async function concludeAt(tx: Tx, caller: { actor: Actor; requestId?: string | null }, m: MovementRow, how: 'arrive' | 'exit', office: string, body: { remarks?: string }): Promise<MovementFullView> {
    const now = clock.now();
    const g = (await repo.guarantee(tx, m.guarantee_id, { forUpdate: true })) as GuaranteeRow;
    const concluded = await transition(tx, {
      lifecycle: movementLifecycle,
      table: 'transit_movement',
      id: m.id,
      from: m.status,
      action: how,
      set: { concluded_at: now, concluded_office: office },
      audit: {
        actor: caller.actor,
        action: how === 'exit' ? 'transit.exited' : 'transit.arrived',
        entityType: 'transit_movement',
        entityId: m.reference,
        subjects: audit(m, g),
        before: { status: m.status },
        after: { status: movementLifecycle.next(m.status, how), office, late: m.status === 'overdue', remarks: body.remarks ?? null },
        requestId: caller.requestId ?? null,
        at: now,
      },
    });
    await writeOff(tx, m.transport_document_id, { packages: m.packages, grossMassKg: m.gross_mass_kg }, caller.actor, {
      regime: 'transit',
      requestId: caller.requestId ?? null,
      at: now,
      reason: `transit movement ${m.reference} ${how === 'exit' ? 'exited at' : 'arrived at'} ${office}`,
    });
    const stake = money(m.stake ?? '0');
    const balance = await repo.credit(tx, g.id, stake);
    await ledger(tx, g, { movementId: m.id, kind: 'credit', amount: stake, effect: stake, balanceAfter: balance, at: now, actor: caller.actor.name });
    await repo.releaseSeals(tx, m.id);
    const discharged = await transition(tx, {
      lifecycle: movementLifecycle,
      table: 'transit_movement',
      id: m.id,
      from: concluded.status,
      action: 'discharge',
      set: { discharged_at: now },
      audit: {
        actor: caller.actor,
        action: 'transit.discharged',
        entityType: 'transit_movement',
        entityId: m.reference,
        subjects: audit(m, g),
        before: { status: concluded.status, guaranteeBalance: money(g.balance) },
        after: { status: 'discharged', restored: stake, guaranteeReference: g.reference, guaranteeBalance: money(balance) },
        requestId: caller.requestId ?? null,
        at: now,
      },
      event: statusEvent(m, 'discharged'),
    });
    return movementView(tx, discharged);
  }

  async function flagOverdue(tx: Tx, id: string, now: Date): Promise<boolean> {
    const m = await repo.movement(tx, id, { forUpdate: true });
    if (!m || m.status !== 'departed' || m.deadline === null || m.deadline >= now) {
      return false;
    }
    await transition(tx, {
      lifecycle: movementLifecycle,
      table: 'transit_movement',
      id: m.id,
      from: m.status,
      action: 'mark_overdue',
      set: { overdue_at: now },
      audit: {
        actor: { id: 'system', name: 'Forodha', organisationId: null, role: 'system' },
        action: 'transit.overdue',
        entityType: 'transit_movement',
        entityId: m.reference,
        subjects: audit(m, undefined),
        before: { status: m.status },
        after: { status: 'overdue', deadline: m.deadline.toISOString(), stake: m.stake },
        reason: `no arrival or exit confirmed by the deadline ${m.deadline.toISOString()}`,
        at: now,
      },
      event: statusEvent(m, 'overdue'),
    });
    return true;
  }

  return {
    // ---- Guarantees ----
    async registerGuarantee(tx: Tx, caller: Caller, input: GuaranteeInput): Promise<GuaranteeFullView> {
      const now = clock.now();
      const errors = new FieldErrors();
      const holder = await repo.organisation(tx, { code: input.holder.trim().toUpperCase() });
      if (!holder || holder.kind !== 'clearing_agent') {
        errors.add('/holder', 'not_an_agent', `"${input.holder}" is not a clearing agent's organisation code`);
      } else if (!licenceValidOn(holder, localDate(now))) {
        errors.add('/holder', 'licence_not_valid', `${holder.name}'s clearing licence is not valid today: no guarantee is registered for it`);
      }
      if ((input.currency ?? 'KES') !== 'KES') {
        errors.add('/currency', 'not_kes', 'guarantees are held in KES');
      }
      if (input.validTo < input.validFrom) {
        errors.add('/validTo', 'before_valid_from', `must be on or after validFrom (${input.validFrom})`);
      }
      if (new Dec(input.amount).lte(0)) {
        errors.add('/amount', 'not_positive', 'must be more than 0');
      }
      errors.throwIfAny();
      const id = newId();
      const ref = reference({ year: localDate(now).slice(0, 4), office: 'HQN', kind: input.kind === 'bond' ? 'GB' : 'GR', serial: await nextSerial(tx, 'guarantee') });
      const amount = money(input.amount);
      await repo.insertGuarantee(tx, {
        id,
        reference: ref,
        kind: input.kind,
        holder_org_id: (holder as { id: string }).id,
        guarantor: input.guarantor.trim(),
        amount,
        currency: 'KES',
        valid_from: input.validFrom,
        valid_to: input.validTo,
        balance: amount,
        created_at: now,
        created_by: caller.actor.name,
      });
      const g = (await repo.guarantee(tx, id)) as GuaranteeRow;
      await ledger(tx, g, { movementId: null, kind: 'registered', amount, effect: amount, balanceAfter: amount, at: now, actor: caller.actor.name });
      await recordAudit(tx, {
        actor: caller.actor,
        action: 'guarantee.registered',
        entityType: 'guarantee',
        entityId: ref,
        subjects: [ref],
        after: { reference: ref, kind: input.kind, holder: holder?.code, guarantor: g.guarantor, amount, validFrom: input.validFrom, validTo: input.validTo },
        requestId: caller.requestId ?? null,
        at: now,
      });
      return guaranteeView(tx, g);
    },

    async topUp(tx: Tx, caller: Caller, reference: string, amount: string, reason: string): Promise<GuaranteeFullView> {
      const found = await repo.guaranteeByReference(tx, reference);
      const g = found && (await repo.guarantee(tx, found.id, { forUpdate: true }));
      if (!g) {
        throw notFound(`Guarantee ${reference}`);
      }
      if (new Dec(amount).lte(0)) {
        throw invalid([{ pointer: '/amount', code: 'not_positive', message: 'must be more than 0' }]);
      }
      const now = clock.now();
      const add = money(amount);
      const balance = await repo.credit(tx, g.id, add, { alsoAmount: true });
      await ledger(tx, g, { movementId: null, kind: 'top_up', amount: add, effect: add, balanceAfter: balance, at: now, actor: caller.actor.name });
      await recordAudit(tx, {
        actor: caller.actor,
        action: 'guarantee.topped_up',
        entityType: 'guarantee',
        entityId: g.reference,
        subjects: [g.reference],
        before: { amount: money(g.amount), balance: money(g.balance) },
        after: { amount: money(new Dec(g.amount).plus(add)), balance: money(balance), topUp: add },
        reason,
        requestId: caller.requestId ?? null,
        at: now,
      });
      return guaranteeView(tx, (await repo.guarantee(tx, g.id)) as GuaranteeRow);
    },

    async guarantee(q: Q, p: Principal, reference: string): Promise<GuaranteeFullView> {
      const g = await repo.guaranteeByReference(q, reference.trim().toUpperCase());
      if (!g || !mayRead(p, g.holder_org_id)) {
        throw notFound(`Guarantee ${reference}`);
      }
      return guaranteeView(q, g);
    },

    async guarantees(q: Q, p: Principal, limit: number): Promise<GuaranteeFullView[]> {
      const rows = await repo.guarantees(q, isCustoms(p) ? undefined : p.organisationId, limit);
      return Promise.all(rows.map((g) => guaranteeView(q, g)));
    },

    // ---- Movements ----
    async lodge(tx: Tx, caller: Caller, input: MovementInput): Promise<MovementFullView> {
      const c = await checkMovement(tx, caller, input, undefined);
      const now = clock.now();
      const id = newId();
      const ref = reference({ year: localDate(now).slice(0, 4), office: c.departure, kind: input.kind, serial: await nextSerial(tx, 'transit_movement') });
      await repo.insertMovement(tx, {
        id,
        reference: ref,
        kind: input.kind,
        status: 'lodged',
        agent_org_id: c.agent.id,
        transport_document_id: c.doc.id,
        transport_document_number: c.doc.number,
        manifest_reference: c.doc.manifestReference,
        ...checkedColumns(c, input),
        stake: null,
        stake_detail: null,
        time_limit_id: null,
        deadline: null,
        lodged_at: now,
        lodged_by: caller.actor.name,
        departed_at: null,
        concluded_at: null,
        concluded_office: null,
        discharged_at: null,
        cancelled_at: null,
        overdue_at: null,
        called_at: null,
        version: 1,
      });
      const m = (await repo.movement(tx, id)) as MovementRow;
      await recordAudit(tx, {
        actor: caller.actor,
        action: 'transit.lodged',
        entityType: 'transit_movement',
        entityId: ref,
        subjects: audit(m, c.g),
        after: {
          status: 'lodged',
          reference: ref,
          kind: m.kind,
          transportDocumentNumber: m.transport_document_number,
          packages: m.packages,
          grossMassKg: m.gross_mass_kg,
          officeOfDeparture: m.office_of_departure,
          officeOfExit: m.office_of_exit,
          officeOfDestination: m.office_of_destination,
          destinationCountry: m.destination_country,
          seals: m.seals,
          guaranteeReference: c.g.reference,
          estimatedStake: c.estimate.total,
        },
        requestId: caller.requestId ?? null,
        at: now,
      });
      await publish(tx, 'transit.status_changed', ref, { movementId: id, reference: ref, kind: m.kind, status: 'lodged', transportDocumentId: m.transport_document_id });
      return { ...(await movementView(tx, m)), estimatedStake: c.estimate.total };
    },

    /** Replaces a lodged movement's particulars (never after departure: the deadline is the departure's). */
    async amend(tx: Tx, caller: Caller, id: string, input: MovementInput, reason: string): Promise<MovementFullView> {
      const m = await lockMovement(tx, caller, id);
      if (m.agent_org_id !== caller.principal.organisationId) {
        throw notFound(`Transit movement ${id}`);
      }
      movementLifecycle.next(m.status, 'amend');
      if (input.kind !== m.kind) {
        throw invalid([{ pointer: '/kind', code: 'kind_fixed', message: `a ${m.kind} movement stays ${m.kind}; cancel it and lodge anew` }]);
      }
      const c = await checkMovement(tx, caller, input, m);
      if (c.doc.id !== m.transport_document_id) {
        throw invalid([{ pointer: '/transportDocumentNumber', code: 'document_fixed', message: `the movement carries ${m.transport_document_number}; cancel it and lodge anew for another B/L` }]);
      }
      const now = clock.now();
      const updated = await transition(tx, {
        lifecycle: movementLifecycle,
        table: 'transit_movement',
        id: m.id,
        from: m.status,
        action: 'amend',
        set: {
          ...checkedColumns(c, input),
          version: m.version + 1,
        },
        audit: {
          actor: caller.actor,
          action: 'transit.amended',
          entityType: 'transit_movement',
          entityId: m.reference,
          subjects: audit(m, c.g),
          before: { version: m.version, packages: m.packages, seals: m.seals, officeOfExit: m.office_of_exit, officeOfDestination: m.office_of_destination },
          after: { status: 'lodged', version: m.version + 1, packages: c.packages, grossMassKg: c.mass, seals: c.seals, officeOfExit: c.exit, officeOfDestination: c.destination, estimatedStake: c.estimate.total },
          reason,
          requestId: caller.requestId ?? null,
          at: now,
        },
      });
      return { ...(await movementView(tx, updated)), estimatedStake: c.estimate.total };
    },

    async cancel(tx: Tx, caller: Caller, id: string, reason: string): Promise<MovementFullView> {
      const m = await lockMovement(tx, caller, id);
      if (m.agent_org_id !== caller.principal.organisationId) {
        throw notFound(`Transit movement ${id}`);
      }
      const now = clock.now();
      const updated = await transition(tx, {
        lifecycle: movementLifecycle,
        table: 'transit_movement',
        id: m.id,
        from: m.status,
        action: 'cancel',
        set: { cancelled_at: now },
        audit: { actor: caller.actor, action: 'transit.cancelled', entityType: 'transit_movement', entityId: m.reference, subjects: audit(m, undefined), before: { status: m.status }, after: { status: 'cancelled' }, reason, requestId: caller.requestId ?? null, at: now },
        event: statusEvent(m, 'cancelled'),
      });
      return movementView(tx, updated);
    },

    /**
     * Customs at the office of departure lets the goods go: the duties at stake are computed at the
     * rates in force today and debited from the guarantee, the seals are affixed, the deadline fixed.
     */
    async depart(tx: Tx, caller: Caller, id: string, body: { seals?: string[] }): Promise<MovementFullView> {
      const m = await lockMovement(tx, caller, id);
      movementLifecycle.next(m.status, 'depart');
      await requireOnDutyAt(tx, caller, m.office_of_departure, 'Departure');
      const now = clock.now();
      const today = localDate(now);
      const doc = await findTransportDocumentById(tx, m.transport_document_id);
      if (!doc?.conveyanceArrived) {
        throw conflict(`${m.transport_document_number} has not arrived (manifest ${m.manifest_reference}): the goods cannot depart before they are discharged`);
      }
      const seals = (body.seals ?? m.seals).map((s) => s.trim().toUpperCase());
      const errors = new FieldErrors();
      if (seals.length === 0) {
        errors.add('/seals', 'required', 'a transit movement departs under at least one electronic seal');
      }
      seals.forEach((s, i) => {
        if (!sealPattern.test(s)) {
          errors.add(`/seals/${i}`, 'invalid_seal', 'must be an electronic seal id: 4 to 30 letters, digits or "-"');
        } else if (seals.indexOf(s) !== i) {
          errors.add(`/seals/${i}`, 'duplicate_seal', `${s} is listed twice`);
        }
      });
      errors.throwIfAny();
      const limit = await repo.timeLimit(tx, m.kind, today);
      if (!limit) {
        throw conflict(`No transit time limit for ${m.kind} is in force on ${today}; customs must set one (transit_time_limit) before goods depart`);
      }
      const deadline = new Date(now.getTime() + limit.days * 86_400_000);
      const g = (await repo.guarantee(tx, m.guarantee_id)) as GuaranteeRow;
      if (g.valid_from > today || g.valid_to < localDate(deadline)) {
        throw new ProblemError({
          type: 'guarantee-not-valid',
          title: 'The guarantee does not cover the movement',
          status: 422,
          detail: `Guarantee ${g.reference} is valid from ${g.valid_from} to ${g.valid_to}; the movement would run from ${today} to its deadline ${addDays(today, limit.days)}`,
          errors: [{ pointer: '/guaranteeReference', code: 'guarantee_expires_first', message: `valid to ${g.valid_to}` }],
        });
      }
      const items = m.items;
      const stake = await stakeOf(tx, m.currency, items, today);
      const amount = money(stake.total);
      const balance = await repo.debit(tx, g.id, amount);
      if (balance === undefined) {
        throw insufficient((await repo.guarantee(tx, g.id)) as GuaranteeRow, amount);
      }
      await ledger(tx, g, { movementId: m.id, kind: 'debit', amount, effect: money(new Dec(amount).negated()), balanceAfter: balance, at: now, actor: caller.actor.name });
      const taken = await repo.affixSeals(tx, m.id, seals);
      if (taken !== undefined) {
        throw conflict(`Seal ${taken} is on another movement still; affix another seal`, { seal: taken });
      }
      const updated = await transition(tx, {
        lifecycle: movementLifecycle,
        table: 'transit_movement',
        id: m.id,
        from: m.status,
        action: 'depart',
        set: { seals, stake: amount, stake_detail: JSON.stringify(stake.detail), time_limit_id: limit.id, deadline, departed_at: now },
        audit: {
          actor: caller.actor,
          action: 'transit.departed',
          entityType: 'transit_movement',
          entityId: m.reference,
          subjects: audit(m, g),
          before: { status: m.status, guaranteeBalance: money(g.balance) },
          after: { status: 'departed', seals, stake: amount, deadline: deadline.toISOString(), timeLimitDays: limit.days, guaranteeReference: g.reference, guaranteeBalance: money(balance), officeOfDeparture: m.office_of_departure },
          requestId: caller.requestId ?? null,
          at: now,
        },
        event: statusEvent(m, 'departed'),
      });
      return movementView(tx, updated);
    },

    /**
     * Customs at the border office of exit (exit) or the destination office (arrival) confirms the
     * goods there: the movement is discharged, the B/L's transit cargo written off and the guarantee restored.
     */
    async conclude(tx: Tx, caller: Caller, id: string, how: 'arrive' | 'exit', body: { remarks?: string }): Promise<MovementFullView> {
      const m = await lockMovement(tx, caller, id);
      movementLifecycle.next(m.status, how);
      const office = how === 'exit' ? m.office_of_exit : m.office_of_destination;
      if (office === null) {
        throw conflict(
          how === 'exit' ? `${m.reference} is a national transfer to ${m.office_of_destination}: confirm its arrival there, not an exit` : `${m.reference} leaves Kenya at ${m.office_of_exit}: confirm its exit there, not an arrival`,
          { state: m.status },
        );
      }
      await requireOnDutyAt(tx, caller, office, how === 'exit' ? 'Exit confirmation' : 'Arrival confirmation');
      return concludeAt(tx, caller, m, how, office, body);
    },

    /**
     * The partner administration of destination confirms the goods arrived there (partner
     * exchange, a signed message): a regional movement still on the road is concluded at its
     * office of exit (or destination) and discharged, as a confirmation at the border would. A
     * movement already concluded is left as it is (undefined): the border confirmed it first.
     */
    async dischargeOnPartnerConfirmation(tx: Tx, reference: string, by: { actor: Actor; remarks: string }): Promise<MovementFullView | undefined> {
      const found = await repo.movementByReference(tx, reference);
      const m = found ? await repo.movement(tx, found.id, { forUpdate: true }) : undefined;
      if (!m || m.kind !== 'IM8' || !movementLifecycle.can(m.status, 'exit')) {
        return undefined;
      }
      const how = m.office_of_exit === null ? 'arrive' : 'exit';
      return concludeAt(tx, { actor: by.actor }, m, how, (m.office_of_exit ?? m.office_of_destination) as string, { remarks: by.remarks });
    },

    /** Customs calls the guarantee of an overdue movement: the duties at stake are taken for good. */
    async callGuarantee(tx: Tx, caller: Caller, id: string, reason: string): Promise<MovementFullView> {
      const m = await lockMovement(tx, caller, id);
      const now = clock.now();
      const g = (await repo.guarantee(tx, m.guarantee_id, { forUpdate: true })) as GuaranteeRow;
      const stake = money(m.stake ?? '0');
      const updated = await transition(tx, {
        lifecycle: movementLifecycle,
        table: 'transit_movement',
        id: m.id,
        from: m.status,
        action: 'call',
        set: { called_at: now },
        audit: {
          actor: caller.actor,
          action: 'transit.guarantee_called',
          entityType: 'transit_movement',
          entityId: m.reference,
          subjects: audit(m, g),
          before: { status: m.status, guaranteeAmount: money(g.amount) },
          after: { status: 'called', called: stake, guaranteeReference: g.reference, guaranteeAmount: money(new Dec(g.amount).minus(stake)), guaranteeBalance: money(g.balance) },
          reason,
          requestId: caller.requestId ?? null,
          at: now,
        },
        event: statusEvent(m, 'called'),
      });
      const balance = await repo.reduceAmount(tx, g.id, stake);
      await ledger(tx, g, { movementId: m.id, kind: 'called', amount: stake, effect: '0.00', balanceAfter: balance, at: now, actor: caller.actor.name });
      await repo.releaseSeals(tx, m.id);
      return movementView(tx, updated);
    },

    /**
     * Flags departed movements past their deadline overdue, each in its own transaction; safe to run
     * from several places at once (a movement already flagged is skipped). Returns how many it flagged.
     */
    async sweepOverdue(db: Kysely<DB> = deps.db): Promise<number> {
      const now = clock.now();
      const due = await repo.pastDeadline(db, now, 200);
      let flagged = 0;
      for (const { id } of due) {
        if (await inTransaction(db, (tx) => flagOverdue(tx, id, now))) {
          flagged++;
        }
      }
      return flagged;
    },

    /** Where a B/L's goods are bound: the countries its live regional movements (IM8) name (the Single Customs Territory checks it). */
    destinationsOfDocument: (q: Q, documentId: string): Promise<string[]> => repo.destinationsOfDocument(q, documentId, liveStatuses),

    async movement(q: Q, p: Principal, id: string): Promise<MovementFullView> {
      const m = /^[0-9a-f-]{36}$/i.test(id) ? await repo.movement(q, id) : await repo.movementByReference(q, id.trim().toUpperCase());
      if (!m || !mayRead(p, m.agent_org_id)) {
        throw notFound(`Transit movement ${id}`);
      }
      return movementView(q, m);
    },

    async movements(q: Q, p: Principal, filter: { status?: MovementStatus; before?: Date; limit: number }): Promise<MovementFullView[]> {
      const rows = await repo.movements(q, { ...filter, ...(isCustoms(p) ? {} : { agentOrgId: p.organisationId }) });
      return Promise.all(rows.map((m) => movementView(q, m)));
    },

    /** The movement's row, for the timeline (after the caller's right to read it is checked). */
    async movementRow(q: Q, p: Principal, id: string): Promise<MovementRow> {
      const m = /^[0-9a-f-]{36}$/i.test(id) ? await repo.movement(q, id) : await repo.movementByReference(q, id.trim().toUpperCase());
      if (!m || !mayRead(p, m.agent_org_id)) {
        throw notFound(`Transit movement ${id}`);
      }
      return m;
    },

    // ---- Tracking ----
    /** An electronic seal's report; the same operator event id again is a replay. */
    async sealEvent(tx: Tx, caller: Caller, input: SealEventInput): Promise<{ event: EventRow; alert: AlertRow | undefined; replayed: boolean }> {
      const operator = caller.principal.organisationId;
      const sealId = input.sealId.trim().toUpperCase();
      const at = new Date(input.at);
      const earlier = await repo.eventOf(tx, operator, input.eventId);
      if (earlier) {
        if (earlier.seal_id === sealId && earlier.kind === input.kind && earlier.at.getTime() === at.getTime()) {
          return { event: earlier, alert: await repo.alertOfEvent(tx, earlier.id), replayed: true };
        }
        throw conflict(`Event ${input.eventId} was reported already with other content (seal ${earlier.seal_id}, ${earlier.kind} at ${earlier.at.toISOString()})`);
      }
      const m = await repo.movementOfSeal(tx, sealId);
      if (!m || !trackedStatuses.includes(m.status) || m.departed_at === null) {
        throw new ProblemError({
          type: 'seal-not-in-transit',
          title: 'The seal is not on a departed movement',
          status: 422,
          detail: `Seal ${sealId} is not on any transit movement on the road; its events are not taken`,
          errors: [{ pointer: '/sealId', code: 'seal_not_in_transit', message: 'not on a departed movement' }],
        });
      }
      const now = clock.now();
      const errors = new FieldErrors();
      const window = eventWindow(m.departed_at, now);
      if (!window.contains(at)) {
        errors.add('/at', 'event_time_out_of_range', window.describe(`movement ${m.reference} departed`));
      }
      if (input.kind === 'off_route' && input.deviationMetres === undefined) {
        errors.add('/deviationMetres', 'required', 'an off-route event says how far from the approved route, in metres');
      }
      if (input.kind === 'stopped' && input.stoppedMinutes === undefined) {
        errors.add('/stoppedMinutes', 'required', 'a stopped event says for how many minutes');
      }
      if ((input.latitude === undefined) !== (input.longitude === undefined)) {
        errors.add('/latitude', 'position_incomplete', 'give latitude and longitude together');
      }
      errors.throwIfAny();
      const detail: Record<string, unknown> = {};
      for (const k of ['officeCode', 'deviationMetres', 'stoppedMinutes'] as const) {
        if (input[k] !== undefined) {
          detail[k] = input[k];
        }
      }
      const event: EventRow = {
        id: newId(),
        operator_org_id: operator,
        operator_event_id: input.eventId,
        movement_id: m.id,
        seal_id: sealId,
        kind: input.kind,
        at,
        latitude: input.latitude === undefined ? null : String(input.latitude),
        longitude: input.longitude === undefined ? null : String(input.longitude),
        speed_kmh: input.speedKmh === undefined ? null : String(input.speedKmh),
        detail,
        received_at: now,
      };
      if (!(await repo.insertEvent(tx, { ...event, detail: JSON.stringify(detail) }))) {
        // The same event id committed by a concurrent request: answer as its replay would.
        throw conflict(`Event ${input.eventId} is being reported at the same moment; send it again to read the answer`);
      }
      const raised = await alertFor(tx, m, input);
      let alert: AlertRow | undefined;
      if (raised) {
        alert = { id: newId(), movement_id: m.id, event_id: event.id, kind: raised.kind, message: raised.message, raised_at: now, status: 'open', acknowledged_at: null, acknowledged_by: null, note: null };
        await repo.insertAlert(tx, alert);
        await recordAudit(tx, {
          actor: caller.actor,
          action: 'transit.alert_raised',
          entityType: 'transit_alert',
          entityId: alert.id,
          subjects: audit(m, undefined),
          after: { kind: alert.kind, message: alert.message, sealId, eventId: input.eventId, at: at.toISOString(), latitude: input.latitude ?? null, longitude: input.longitude ?? null },
          requestId: caller.requestId ?? null,
          at: now,
        });
        await publish(tx, 'transit.alert_raised', m.reference, { alertId: alert.id, movementId: m.id, reference: m.reference, kind: alert.kind });
      }
      return { event, alert, replayed: false };
    },

    async alerts(q: Q, filter: { status?: 'open' | 'acknowledged'; limit: number }) {
      return repo.alerts(q, filter);
    },

    async acknowledgeAlert(tx: Tx, caller: Caller, id: string, note: string): Promise<AlertRow> {
      const a = /^[0-9a-f-]{36}$/i.test(id) ? await repo.alert(tx, id) : undefined;
      if (!a) {
        throw notFound(`Transit alert ${id}`);
      }
      const m = (await repo.movement(tx, a.movement_id)) as MovementRow;
      const now = clock.now();
      return transition(tx, {
        lifecycle: alertLifecycle,
        table: 'transit_alert',
        id: a.id,
        from: a.status,
        action: 'acknowledge',
        set: { acknowledged_at: now, acknowledged_by: caller.actor.name, note },
        audit: {
          actor: caller.actor,
          action: 'transit.alert_acknowledged',
          entityType: 'transit_alert',
          entityId: a.id,
          subjects: audit(m, undefined),
          before: { status: a.status },
          after: { status: 'acknowledged', kind: a.kind },
          reason: note,
          requestId: caller.requestId ?? null,
          at: now,
        },
      });
    },
  };

  /** Whether a seal event is an alert for officers, by the thresholds in force. */
  async function alertFor(q: Q, m: MovementRow, e: SealEventInput): Promise<{ kind: AlertKind; message: string } | undefined> {
    const thresholds = await repo.thresholds(q, localDate(new Date(e.at)));
    switch (e.kind) {
      case 'seal_tampered':
        return { kind: 'seal_tampered', message: `Seal ${e.sealId} reports tampering` };
      case 'seal_opened': {
        const offices = [m.office_of_exit, m.office_of_destination, m.office_of_departure].filter((o): o is string => o !== null);
        if (e.officeCode !== undefined && offices.includes(e.officeCode.toUpperCase())) {
          return undefined;
        }
        return { kind: 'seal_opened', message: `Seal ${e.sealId} opened ${e.officeCode === undefined ? 'away from any customs office' : `at ${e.officeCode}, not an office of this movement`}` };
      }
      case 'off_route': {
        const limit = thresholds.get('off_route_metres');
        if (limit === undefined || new Dec(e.deviationMetres ?? 0).gt(limit)) {
          return { kind: 'off_route', message: `Off the approved route by ${e.deviationMetres ?? '?'} m (alert beyond ${limit ?? 0} m)` };
        }
        return undefined;
      }
      case 'stopped': {
        const limit = thresholds.get('stopped_minutes');
        if (limit === undefined || new Dec(e.stoppedMinutes ?? 0).gte(limit)) {
          return { kind: 'stopped_too_long', message: `Stopped ${e.stoppedMinutes ?? '?'} minutes (alert from ${limit ?? 0})` };
        }
        return undefined;
      }
      case 'position':
      case 'speed':
        return undefined;
    }
  }
}

export type TransitService = ReturnType<typeof transitService>;
