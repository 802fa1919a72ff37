import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The parties to a consignment: the customs administration, carriers, clearing agents (licensed
// for a period), traders (identified by their KRA PIN), banks and terminals; and which agents
// each trader has authorised to act for it, for which dates.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table organisation (
      id uuid primary key,
      code text not null unique check (code ~ '^[A-Z0-9]{2,16}$'),
      kind text not null check (kind in ('customs', 'carrier', 'clearing_agent', 'trader', 'bank', 'terminal')),
      name text not null,
      pin text unique check (pin ~ '^[A-Z][0-9]{9}[A-Z]$'),
      licence_number text,
      licence_valid_from date,
      licence_valid_to date,
      aeo boolean not null default false,
      created_at timestamptz not null default now(),
      check (licence_valid_to is null or licence_valid_from is null or licence_valid_to >= licence_valid_from)
    );
    create table agent_authorisation (
      id uuid primary key,
      agent_org_id uuid not null references organisation (id),
      client_org_id uuid not null references organisation (id),
      valid_from date not null,
      valid_to date,
      revoked_at timestamptz,
      created_by text not null,
      created_at timestamptz not null default now(),
      check (valid_to is null or valid_to >= valid_from),
      check (agent_org_id <> client_org_id)
    );
    create index agent_authorisation_pair on agent_authorisation (agent_org_id, client_org_id);
    create index agent_authorisation_client on agent_authorisation (client_org_id)
  `,
  );
}
