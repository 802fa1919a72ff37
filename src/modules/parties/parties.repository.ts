// The only file that touches the parties tables (organisation, agent_authorisation).
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inForceOn } from '#platform/db/in-force.ts';
import type { OrganisationKind } from './parties.tables.ts';

type Q = Kysely<DB>;

export interface OrganisationRow {
  id: string;
  code: string;
  kind: OrganisationKind;
  name: string;
  pin: string | null;
  licence_number: string | null;
  licence_valid_from: string | null;
  licence_valid_to: string | null;
  aeo: boolean;
  created_at: Date;
  /** Customs offices a terminal serves; null for other kinds. */
  office_codes: string[] | null;
}

export interface AuthorisationRow {
  id: string;
  agent_org_id: string;
  client_org_id: string;
  valid_from: string;
  valid_to: string | null;
  revoked_at: Date | null;
  created_by: string;
  created_at: Date;
  agent_code: string;
  agent_name: string;
  client_code: string;
  client_name: string;
}

export interface NewOrganisation {
  id: string;
  code: string;
  kind: OrganisationKind;
  name: string;
  pin: string | null;
  licenceNumber: string | null;
  licenceValidFrom: string | null;
  licenceValidTo: string | null;
  aeo: boolean;
  officeCodes: string[] | null;
}

function authorisations(q: Q) {
  return q
    .selectFrom('agent_authorisation as a')
    .innerJoin('organisation as agent', 'agent.id', 'a.agent_org_id')
    .innerJoin('organisation as client', 'client.id', 'a.client_org_id')
    .select([
      'a.id',
      'a.agent_org_id',
      'a.client_org_id',
      'a.valid_from',
      'a.valid_to',
      'a.revoked_at',
      'a.created_by',
      'a.created_at',
      'agent.code as agent_code',
      'agent.name as agent_name',
      'client.code as client_code',
      'client.name as client_name',
    ]);
}

export function partiesRepository() {
  return {
    async organisationById(q: Q, id: string): Promise<OrganisationRow | undefined> {
      return q.selectFrom('organisation').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async organisationByCode(q: Q, code: string): Promise<OrganisationRow | undefined> {
      return q.selectFrom('organisation').selectAll().where('code', '=', code).executeTakeFirst();
    },

    async organisationByPin(q: Q, pin: string): Promise<OrganisationRow | undefined> {
      return q.selectFrom('organisation').selectAll().where('pin', '=', pin).executeTakeFirst();
    },

    async listOrganisations(q: Q, filter: { kind?: OrganisationKind; after?: string; limit: number }): Promise<OrganisationRow[]> {
      let query = q.selectFrom('organisation').selectAll();
      if (filter.kind !== undefined) {
        query = query.where('kind', '=', filter.kind);
      }
      if (filter.after !== undefined) {
        query = query.where('code', '>', filter.after);
      }
      return query.orderBy('code').limit(filter.limit).execute();
    },

    async insertOrganisation(q: Q, o: NewOrganisation): Promise<OrganisationRow> {
      return q
        .insertInto('organisation')
        .values({
          id: o.id,
          code: o.code,
          kind: o.kind,
          name: o.name,
          pin: o.pin,
          licence_number: o.licenceNumber,
          licence_valid_from: o.licenceValidFrom,
          licence_valid_to: o.licenceValidTo,
          aeo: o.aeo,
          office_codes: o.officeCodes,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** Which of these office codes the customs offices reference list does not know. */
    async unknownOffices(q: Q, codes: readonly string[]): Promise<string[]> {
      if (codes.length === 0) {
        return [];
      }
      const known = new Set((await q.selectFrom('customs_office').select('code').where('code', 'in', [...codes]).execute()).map((r) => r.code));
      return codes.filter((c) => !known.has(c));
    },

    async lockOrganisation(q: Q, id: string): Promise<OrganisationRow | undefined> {
      return q.selectFrom('organisation').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async setLicence(q: Q, id: string, l: { licenceNumber: string; licenceValidFrom: string; licenceValidTo: string }): Promise<void> {
      await q.updateTable('organisation').set({ licence_number: l.licenceNumber.trim(), licence_valid_from: l.licenceValidFrom, licence_valid_to: l.licenceValidTo }).where('id', '=', id).execute();
    },

    async authorisationById(q: Q, id: string): Promise<AuthorisationRow | undefined> {
      return authorisations(q).where('a.id', '=', id).executeTakeFirst();
    },

    async listAuthorisations(q: Q, filter: { agentOrgId?: string; clientOrgId?: string; limit: number; after?: string }): Promise<AuthorisationRow[]> {
      let query = authorisations(q);
      if (filter.agentOrgId !== undefined) {
        query = query.where('a.agent_org_id', '=', filter.agentOrgId);
      }
      if (filter.clientOrgId !== undefined) {
        query = query.where('a.client_org_id', '=', filter.clientOrgId);
      }
      if (filter.after !== undefined) {
        query = query.where('a.id', '>', filter.after);
      }
      return query.orderBy('a.id').limit(filter.limit).execute();
    },

    /** Unrevoked authorisations of the pair whose period overlaps [from, to] (to null = open). */
    async overlapping(q: Q, agentOrgId: string, clientOrgId: string, from: string, to: string | null): Promise<AuthorisationRow[]> {
      let query = authorisations(q)
        .where('a.agent_org_id', '=', agentOrgId)
        .where('a.client_org_id', '=', clientOrgId)
        .where('a.revoked_at', 'is', null)
        .where((eb) => eb.or([eb('a.valid_to', 'is', null), eb('a.valid_to', '>=', from)]));
      if (to !== null) {
        query = query.where('a.valid_from', '<=', to);
      }
      return query.execute();
    },

    /** An unrevoked authorisation of the pair in force on the date, if any. */
    async inForce(q: Q, agentOrgId: string, clientOrgId: string, date: string): Promise<{ id: string } | undefined> {
      return q
        .selectFrom('agent_authorisation')
        .select('id')
        .where('agent_org_id', '=', agentOrgId)
        .where('client_org_id', '=', clientOrgId)
        .where('revoked_at', 'is', null)
        .where(inForceOn(date))
        .executeTakeFirst();
    },

    async insertAuthorisation(q: Q, a: { id: string; agentOrgId: string; clientOrgId: string; validFrom: string; validTo: string | null; createdBy: string; createdAt?: Date }): Promise<void> {
      await q
        .insertInto('agent_authorisation')
        .values({
          id: a.id,
          agent_org_id: a.agentOrgId,
          client_org_id: a.clientOrgId,
          valid_from: a.validFrom,
          valid_to: a.validTo,
          created_by: a.createdBy,
          ...(a.createdAt ? { created_at: a.createdAt } : {}),
        })
        .execute();
    },

    /** Locks the authorisation row for a change (revocation) in this transaction. */
    async lockAuthorisation(q: Q, id: string): Promise<{ id: string; revoked_at: Date | null } | undefined> {
      return q.selectFrom('agent_authorisation').select(['id', 'revoked_at']).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async revokeAuthorisation(q: Q, id: string, at: Date): Promise<void> {
      await q.updateTable('agent_authorisation').set({ revoked_at: at }).where('id', '=', id).execute();
    },
  };
}

export type PartiesRepository = ReturnType<typeof partiesRepository>;
