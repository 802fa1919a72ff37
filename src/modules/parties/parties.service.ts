// Who the parties are and who may act for whom. The declaration module asks `agentMayActFor`
// before an agent lodges for an importer: the agent's licence must be valid on the date and the
// importer's authorisation in force (and not revoked) on that date.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { localDate, type Clock } from '#platform/clock.ts';
import { afterTransaction, type Tx } from '#platform/db/transaction.ts';
import { invalidate, ttlCache } from '#platform/cache.ts';
import { newId } from '#platform/ids.ts';
import { conflict, FieldErrors, notFound } from '#platform/http/problem.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import { partiesRepository, type AuthorisationRow, type OrganisationRow } from './parties.repository.ts';
import type { OrganisationKind } from './parties.tables.ts';

type Q = Kysely<DB>;

export const organisationKinds: readonly OrganisationKind[] = ['customs', 'carrier', 'clearing_agent', 'trader', 'bank', 'terminal', 'tracker'];

/** KRA PIN: a letter, nine digits, a letter (P051234567A). */
export const kraPinPattern = /^[A-Z]\d{9}[A-Z]$/;

/** Who asks for a change: the audit actor, the request, and the organisation they act for. */
export interface Caller {
  actor: Actor;
  requestId: string;
  organisationId: string;
  organisationKind: string;
}

export interface OrganisationView {
  id: string;
  code: string;
  kind: OrganisationKind;
  name: string;
  pin: string | null;
  licence: { number: string; validFrom: string | null; validTo: string | null; validToday: boolean } | null;
  aeo: boolean;
  createdAt: string;
  /** Terminals: the customs offices they serve; null for other kinds. */
  officeCodes: string[] | null;
}

export type AuthorisationStatus = 'in_force' | 'not_yet_in_force' | 'expired' | 'revoked';

export interface AuthorisationView {
  id: string;
  agent: { id: string; code: string; name: string };
  client: { id: string; code: string; name: string };
  validFrom: string;
  validTo: string | null;
  status: AuthorisationStatus;
  revokedAt: string | null;
  createdAt: string;
}

export function organisationView(o: OrganisationRow, today: string): OrganisationView {
  return {
    id: o.id,
    code: o.code,
    kind: o.kind,
    name: o.name,
    pin: o.pin,
    licence: o.licence_number === null ? null : { number: o.licence_number, validFrom: o.licence_valid_from, validTo: o.licence_valid_to, validToday: licenceValidOn(o, today) },
    aeo: o.aeo,
    createdAt: o.created_at.toISOString(),
    officeCodes: o.office_codes,
  };
}

export function authorisationStatus(a: Pick<AuthorisationRow, 'valid_from' | 'valid_to' | 'revoked_at'>, today: string): AuthorisationStatus {
  if (a.revoked_at !== null) {
    return 'revoked';
  }
  if (a.valid_from > today) {
    return 'not_yet_in_force';
  }
  return a.valid_to !== null && a.valid_to < today ? 'expired' : 'in_force';
}

export function authorisationView(a: AuthorisationRow, today: string): AuthorisationView {
  return {
    id: a.id,
    agent: { id: a.agent_org_id, code: a.agent_code, name: a.agent_name },
    client: { id: a.client_org_id, code: a.client_code, name: a.client_name },
    validFrom: a.valid_from,
    validTo: a.valid_to,
    status: authorisationStatus(a, today),
    revokedAt: a.revoked_at?.toISOString() ?? null,
    createdAt: a.created_at.toISOString(),
  };
}

/**
 * Which authorisations an organisation may see: an importer those it granted, an agent those it
 * received, the administration all. Anyone else none. Others' records answer 404, never 403.
 */
export function authorisationScope(caller: { organisationId: string; organisationKind: string }): { clientOrgId: string } | { agentOrgId: string } | 'all' | 'none' {
  switch (caller.organisationKind) {
    case 'customs':
      return 'all';
    case 'trader':
      return { clientOrgId: caller.organisationId };
    case 'clearing_agent':
      return { agentOrgId: caller.organisationId };
    default:
      return 'none';
  }
}

function visible(caller: { organisationId: string; organisationKind: string }, a: AuthorisationRow): boolean {
  const scope = authorisationScope(caller);
  if (scope === 'all' || scope === 'none') {
    return scope === 'all';
  }
  return 'clientOrgId' in scope ? a.client_org_id === scope.clientOrgId : a.agent_org_id === scope.agentOrgId;
}

export interface NewOrganisationInput {
  code: string;
  kind: OrganisationKind;
  name: string;
  pin?: string | undefined;
  licenceNumber?: string | undefined;
  licenceValidFrom?: string | undefined;
  licenceValidTo?: string | undefined;
  aeo?: boolean | undefined;
  officeCodes?: string[] | undefined;
}

/** How long a terminal's offices are kept in memory: a change through the API clears them at once; any other within this. */
export const officesCacheMs = 30_000;

function checkLicence(errors: FieldErrors, kind: OrganisationKind, l: { licenceNumber?: string | undefined; licenceValidFrom?: string | undefined; licenceValidTo?: string | undefined }): void {
  const given = l.licenceNumber !== undefined || l.licenceValidFrom !== undefined || l.licenceValidTo !== undefined;
  if (kind !== 'clearing_agent') {
    if (given) {
      errors.add('/licenceNumber', 'licence_not_applicable', `only clearing agents hold a clearing licence; this organisation is a ${kind}`);
    }
    return;
  }
  if (l.licenceNumber === undefined || l.licenceNumber.trim() === '') {
    errors.add('/licenceNumber', 'required', 'a clearing agent needs its customs licence number (e.g. CA/2026/0417)');
  }
  if (l.licenceValidFrom === undefined) {
    errors.add('/licenceValidFrom', 'required', 'give the first day the licence is valid (YYYY-MM-DD)');
  }
  if (l.licenceValidTo === undefined) {
    errors.add('/licenceValidTo', 'required', 'give the last day the licence is valid (YYYY-MM-DD); licences are issued for a year');
  } else if (l.licenceValidFrom !== undefined && l.licenceValidTo < l.licenceValidFrom) {
    errors.add('/licenceValidTo', 'before_valid_from', `must be on or after licenceValidFrom (${l.licenceValidFrom})`);
  }
}

/** Office codes a terminal serves: required of terminals, refused for anyone else; trimmed, upper-cased, no repeats. */
function checkOffices(errors: FieldErrors, kind: OrganisationKind, officeCodes: string[] | undefined): string[] | null {
  if (kind !== 'terminal') {
    if (officeCodes !== undefined) {
      errors.add('/officeCodes', 'offices_not_applicable', `only terminals serve customs offices; this organisation is a ${kind}`);
    }
    return null;
  }
  if (officeCodes === undefined || officeCodes.length === 0) {
    errors.add('/officeCodes', 'required', 'a terminal acts only at the customs offices it serves: list them (e.g. ["MBA"])');
    return null;
  }
  return [...new Set(officeCodes.map((c) => c.trim().toUpperCase()))];
}

export type AgentCheck = { ok: true } | { ok: false; code: 'not_authorised' | 'licence_expired' | 'not_an_agent'; message: string };

/** True when the organisation's licence covers the date (both ends included). */
export function licenceValidOn(org: Pick<OrganisationRow, 'licence_valid_from' | 'licence_valid_to'>, date: string): boolean {
  return org.licence_valid_from !== null && org.licence_valid_from <= date && (org.licence_valid_to === null || org.licence_valid_to >= date);
}

export interface PartiesOptions {
  /**
   * How long organisations and authorisations read on every lodgement are kept in memory (0 = not
   * cached). A change through this service clears the cache in this process at once and again
   * when its transaction ends, and in the cluster's other processes by message; the TTL bounds
   * what any other writer (a CLI, SQL by hand) leaves stale.
   */
  cacheMs?: number;
}

/** Name of the cache the cluster's processes clear when a party or an authorisation changes. */
export const partiesCacheName = 'parties';

export function partiesService(db: Kysely<DB>, clock: Clock, options: PartiesOptions = {}) {
  const repo = partiesRepository();
  const cacheMs = options.cacheMs ?? 0;
  const organisations = ttlCache<OrganisationRow | undefined>(partiesCacheName, cacheMs);
  const inForce = ttlCache<{ id: string } | undefined>(partiesCacheName, cacheMs);
  const cachedOrganisation = (q: Q, id: string) => organisations.get(`id:${id}`, () => repo.organisationById(q, id));
  /** Called by every change to organisations or authorisations, inside its transaction. */
  const changed = (tx: Tx) => {
    invalidate(partiesCacheName);
    afterTransaction(tx, () => invalidate(partiesCacheName));
  };
  const today = (): string => localDate(clock.now());
  // Terminals' offices are asked on every terminal request and change rarely: kept briefly, and
  // cleared with the other parties caches when an organisation changes.
  const offices = ttlCache<readonly string[]>(partiesCacheName, officesCacheMs, () => clock.now().getTime());

  async function visibleAuthorisation(q: Q, caller: { organisationId: string; organisationKind: string }, id: string): Promise<AuthorisationRow> {
    const a = await repo.authorisationById(q, id);
    if (!a || !visible(caller, a)) {
      throw notFound(`Authorisation ${id}`);
    }
    return a;
  }

  return {
    repository: repo,
    today,

    view: (o: OrganisationRow): OrganisationView => organisationView(o, today()),

    async organisations(q: Q, filter: { kind?: OrganisationKind; after?: string; limit: number }): Promise<OrganisationView[]> {
      return (await repo.listOrganisations(q, filter)).map((o) => organisationView(o, today()));
    },

    async createOrganisation(tx: Tx, caller: Caller, input: NewOrganisationInput): Promise<OrganisationView> {
      const errors = new FieldErrors();
      const code = input.code.trim().toUpperCase();
      const pin = input.pin?.trim().toUpperCase();
      if (!/^[A-Z0-9]{2,16}$/.test(code)) {
        errors.add('/code', 'pattern', 'use 2 to 16 capital letters or digits, e.g. SIGINON');
      }
      if (pin !== undefined && !kraPinPattern.test(pin)) {
        errors.add('/pin', 'pattern', 'a KRA PIN is a letter, nine digits and a letter, e.g. P051234567A');
      }
      if (pin === undefined && input.kind === 'trader') {
        errors.add('/pin', 'required', 'a trader is identified on declarations by its KRA PIN (e.g. P051234567A)');
      }
      checkLicence(errors, input.kind, input);
      const officeCodes = checkOffices(errors, input.kind, input.officeCodes);
      for (const unknown of officeCodes === null ? [] : await repo.unknownOffices(tx, officeCodes)) {
        const at = input.officeCodes?.findIndex((c) => c.trim().toUpperCase() === unknown) ?? -1;
        errors.add(`/officeCodes/${at}`, 'unknown_office', `${unknown} is not a customs office (see /api/v1/reference/offices)`);
      }
      errors.throwIfAny();
      if (await repo.organisationByCode(tx, code)) {
        throw conflict(`An organisation with code ${code} already exists`);
      }
      if (pin !== undefined && (await repo.organisationByPin(tx, pin))) {
        throw conflict(`An organisation with KRA PIN ${pin} already exists`);
      }
      changed(tx);
      const created = await repo.insertOrganisation(tx, {
        id: newId(),
        code,
        kind: input.kind,
        name: input.name.trim(),
        pin: pin ?? null,
        licenceNumber: input.licenceNumber?.trim() ?? null,
        licenceValidFrom: input.licenceValidFrom ?? null,
        licenceValidTo: input.licenceValidTo ?? null,
        aeo: input.aeo ?? false,
        officeCodes,
      });
      const view = organisationView(created, today());
      await recordAudit(tx, { actor: caller.actor, action: 'organisation.created', entityType: 'organisation', entityId: created.id, subjects: [code], after: view, requestId: caller.requestId });
      return view;
    },

    /** Records a renewed (or corrected) clearing licence. */
    async renewLicence(tx: Tx, caller: Caller, id: string, input: { licenceNumber: string; licenceValidFrom: string; licenceValidTo: string }): Promise<OrganisationView> {
      const before = await repo.lockOrganisation(tx, id);
      if (!before) {
        throw notFound(`Organisation ${id}`);
      }
      const errors = new FieldErrors();
      checkLicence(errors, before.kind, input);
      errors.throwIfAny();
      changed(tx);
      await repo.setLicence(tx, id, input);
      const after = await repo.organisationById(tx, id);
      if (!after) {
        throw notFound(`Organisation ${id}`);
      }
      const view = organisationView(after, today());
      await recordAudit(tx, {
        actor: caller.actor,
        action: 'organisation.licence_renewed',
        entityType: 'organisation',
        entityId: id,
        subjects: [before.code],
        before: organisationView(before, today()).licence,
        after: view.licence,
        requestId: caller.requestId,
      });
      return view;
    },

    async authorisations(q: Q, caller: { organisationId: string; organisationKind: string }, filter: { agentOrgId?: string; clientOrgId?: string; after?: string; limit: number }): Promise<AuthorisationView[]> {
      const scope = authorisationScope(caller);
      if (scope === 'none') {
        return [];
      }
      // Filters narrow the caller's scope, never widen it: asking for another's grants finds none.
      const clash =
        scope !== 'all' &&
        (('clientOrgId' in scope && filter.clientOrgId !== undefined && filter.clientOrgId !== scope.clientOrgId) ||
          ('agentOrgId' in scope && filter.agentOrgId !== undefined && filter.agentOrgId !== scope.agentOrgId));
      if (clash) {
        return [];
      }
      const rows = await repo.listAuthorisations(q, { ...filter, ...(scope === 'all' ? {} : scope) });
      return rows.map((a) => authorisationView(a, today()));
    },

    async authorisation(q: Q, caller: { organisationId: string; organisationKind: string }, id: string): Promise<AuthorisationView> {
      return authorisationView(await visibleAuthorisation(q, caller, id), today());
    },

    /** An importer authorises a licensed clearing agent to act for it from validFrom (to validTo). */
    async grantAuthorisation(tx: Tx, caller: Caller, input: { agent: OrganisationRow | undefined; agentPointer: string; validFrom: string; validTo: string | null }): Promise<AuthorisationView> {
      const errors = new FieldErrors();
      const { agent } = input;
      const now = today();
      if (agent?.kind !== 'clearing_agent') {
        errors.add(input.agentPointer, 'unknown_agent', 'no licensed clearing agent has this code or id');
      } else if (agent.licence_valid_to === null || agent.licence_valid_to < (input.validFrom > now ? input.validFrom : now)) {
        errors.add(input.agentPointer, 'licence_expired', `${agent.name}'s clearing licence ${agent.licence_number ?? ''} ended on ${agent.licence_valid_to ?? '(no licence)'}; choose an agent with a valid licence`);
      }
      if (input.validTo !== null && input.validTo < input.validFrom) {
        errors.add('/validTo', 'before_valid_from', `must be on or after validFrom (${input.validFrom})`);
      } else if (input.validTo !== null && input.validTo < now) {
        errors.add('/validTo', 'in_the_past', `must be today (${now}) or later: an authorisation that has already ended cannot be granted`);
      }
      errors.throwIfAny();
      if (!agent) {
        throw new Error('unreachable: agent checked above');
      }
      const overlapping = await repo.overlapping(tx, agent.id, caller.organisationId, input.validFrom, input.validTo);
      const first = overlapping[0];
      if (first) {
        throw conflict(`${agent.name} is already authorised from ${first.valid_from} to ${first.valid_to ?? 'further notice'} (authorisation ${first.id}); revoke it first to change the period`, {
          authorisationId: first.id,
        });
      }
      const id = newId();
      changed(tx);
      await repo.insertAuthorisation(tx, { id, agentOrgId: agent.id, clientOrgId: caller.organisationId, validFrom: input.validFrom, validTo: input.validTo, createdBy: caller.actor.id });
      const created = await repo.authorisationById(tx, id);
      if (!created) {
        throw new Error(`authorisation ${id} vanished after insert`);
      }
      const view = authorisationView(created, now);
      await recordAudit(tx, {
        actor: caller.actor,
        action: 'agent_authorisation.granted',
        entityType: 'agent_authorisation',
        entityId: id,
        subjects: [created.client_code, created.agent_code],
        after: view,
        requestId: caller.requestId,
      });
      return view;
    },

    /** Ends an authorisation at once; the agent can no longer lodge or act for the client. */
    async revokeAuthorisation(tx: Tx, caller: Caller, id: string, reason: string | null): Promise<AuthorisationView> {
      const locked = await repo.lockAuthorisation(tx, id);
      const before = locked && (await visibleAuthorisation(tx, caller, id));
      if (!before) {
        throw notFound(`Authorisation ${id}`);
      }
      if (before.revoked_at !== null) {
        throw conflict(`The authorisation was already revoked on ${before.revoked_at.toISOString()}`, { state: 'revoked' });
      }
      changed(tx);
      await repo.revokeAuthorisation(tx, id, clock.now());
      const after = await repo.authorisationById(tx, id);
      if (!after) {
        throw notFound(`Authorisation ${id}`);
      }
      const view = authorisationView(after, today());
      await recordAudit(tx, {
        actor: caller.actor,
        action: 'agent_authorisation.revoked',
        entityType: 'agent_authorisation',
        entityId: id,
        subjects: [after.client_code, after.agent_code],
        before: authorisationView(before, today()),
        after: view,
        reason,
        requestId: caller.requestId,
      });
      return view;
    },

    organisation(q: Q, id: string): Promise<OrganisationRow | undefined> {
      return cachedOrganisation(q, id);
    },

    /**
     * The customs offices a terminal organisation serves; none for any other organisation. Kept
     * for officesCacheMs. Reads through the database handle, so call it before a transaction opens.
     */
    officesServed(organisationId: string): Promise<readonly string[]> {
      return offices.get(organisationId, async () => {
        const org = await repo.organisationById(db, organisationId);
        return Object.freeze(org?.kind === 'terminal' ? [...(org.office_codes ?? [])] : []);
      });
    },

    organisationByCode(q: Q, code: string): Promise<OrganisationRow | undefined> {
      return organisations.get(`code:${code.toUpperCase()}`, () => repo.organisationByCode(q, code.toUpperCase()));
    },

    organisationByPin(q: Q, pin: string): Promise<OrganisationRow | undefined> {
      return organisations.get(`pin:${pin.toUpperCase()}`, () => repo.organisationByPin(q, pin.toUpperCase()));
    },

    async isAeo(q: Q, orgId: string): Promise<boolean> {
      return (await cachedOrganisation(q, orgId))?.aeo ?? false;
    },

    /** May this clearing agent act for this client on this date ('YYYY-MM-DD')? */
    async agentMayActFor(q: Q, args: { agentOrgId: string; clientOrgId: string; date: string }): Promise<AgentCheck> {
      const agent = await cachedOrganisation(q, args.agentOrgId);
      if (agent?.kind !== 'clearing_agent') {
        return { ok: false, code: 'not_an_agent', message: 'Only a licensed clearing agent may act for another organisation' };
      }
      if (!licenceValidOn(agent, args.date)) {
        const period = agent.licence_number === null ? 'no licence on record' : `licence ${agent.licence_number} valid ${agent.licence_valid_from ?? '?'} to ${agent.licence_valid_to ?? 'open'}`;
        return { ok: false, code: 'licence_expired', message: `${agent.name} has no clearing licence valid on ${args.date} (${period})` };
      }
      const authorisation = await inForce.get(`${args.agentOrgId}:${args.clientOrgId}:${args.date}`, () => repo.inForce(q, args.agentOrgId, args.clientOrgId, args.date));
      if (!authorisation) {
        const client = await cachedOrganisation(q, args.clientOrgId);
        return { ok: false, code: 'not_authorised', message: `${agent.name} is not authorised by ${client?.name ?? 'this client'} to act for it on ${args.date}` };
      }
      return { ok: true };
    },
  };
}

export type PartiesService = ReturnType<typeof partiesService>;
