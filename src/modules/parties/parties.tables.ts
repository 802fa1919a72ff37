import type { ColumnType, Generated } from 'kysely';

export type OrganisationKind = 'customs' | 'carrier' | 'clearing_agent' | 'trader' | 'bank' | 'terminal' | 'tracker';

export interface PartiesTables {
  organisation: {
    id: string;
    code: string;
    kind: OrganisationKind;
    name: string;
    pin: string | null;
    licence_number: string | null;
    /** 'YYYY-MM-DD' */
    licence_valid_from: string | null;
    licence_valid_to: string | null;
    aeo: Generated<boolean>;
    created_at: ColumnType<Date, Date | string | undefined, never>;
    /** Customs offices a terminal serves (required of terminals, null for every other kind). */
    office_codes: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  };
  agent_authorisation: {
    id: string;
    agent_org_id: string;
    client_org_id: string;
    valid_from: string;
    valid_to: string | null;
    revoked_at: Date | null;
    /** Id of the user or API key that granted it. */
    created_by: string;
    created_at: ColumnType<Date, Date | string | undefined, never>;
  };
}
