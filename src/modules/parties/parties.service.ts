// Who the parties are and who may act for whom. The declaration module asks `agentMayActFor`
// before an agent lodges for an importer: the agent's licence must be valid on the date and the
// importer's authorisation in force (and not revoked) on that date.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Clock } from '#platform/clock.ts';
import { partiesRepository, type OrganisationRow } from './parties.repository.ts';

type Q = Kysely<DB>;

export type AgentCheck = { ok: true } | { ok: false; code: 'not_authorised' | 'licence_expired' | 'not_an_agent'; message: string };

/** True when the organisation's licence covers the date (both ends included). */
export function licenceValidOn(org: Pick<OrganisationRow, 'licence_valid_from' | 'licence_valid_to'>, date: string): boolean {
  return org.licence_valid_from !== null && org.licence_valid_from <= date && (org.licence_valid_to === null || org.licence_valid_to >= date);
}

export function partiesService(_db: Kysely<DB>, _clock: Clock) {
  const repo = partiesRepository();
  return {
    repository: repo,

    organisation(q: Q, id: string): Promise<OrganisationRow | undefined> {
      return repo.organisationById(q, id);
    },

    organisationByCode(q: Q, code: string): Promise<OrganisationRow | undefined> {
      return repo.organisationByCode(q, code.toUpperCase());
    },

    organisationByPin(q: Q, pin: string): Promise<OrganisationRow | undefined> {
      return repo.organisationByPin(q, pin.toUpperCase());
    },

    async isAeo(q: Q, orgId: string): Promise<boolean> {
      return (await repo.organisationById(q, orgId))?.aeo ?? false;
    },

    /** May this clearing agent act for this client on this date ('YYYY-MM-DD')? */
    async agentMayActFor(q: Q, args: { agentOrgId: string; clientOrgId: string; date: string }): Promise<AgentCheck> {
      const agent = await repo.organisationById(q, args.agentOrgId);
      if (agent?.kind !== 'clearing_agent') {
        return { ok: false, code: 'not_an_agent', message: 'Only a licensed clearing agent may act for another organisation' };
      }
      if (!licenceValidOn(agent, args.date)) {
        const period = agent.licence_number === null ? 'no licence on record' : `licence ${agent.licence_number} valid ${agent.licence_valid_from ?? '?'} to ${agent.licence_valid_to ?? 'open'}`;
        return { ok: false, code: 'licence_expired', message: `${agent.name} has no clearing licence valid on ${args.date} (${period})` };
      }
      const authorisation = await repo.inForce(q, args.agentOrgId, args.clientOrgId, args.date);
      if (!authorisation) {
        const client = await repo.organisationById(q, args.clientOrgId);
        return { ok: false, code: 'not_authorised', message: `${agent.name} is not authorised by ${client?.name ?? 'this client'} to act for it on ${args.date}` };
      }
      return { ok: true };
    },
  };
}

export type PartiesService = ReturnType<typeof partiesService>;
