import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Verification: one task per selected declaration (at most one not closed), allocated at random
// among the officers on duty at its office; officer_duty says who is on duty where.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table verification_task (
      id uuid primary key,
      number text not null unique,
      declaration_id uuid not null,
      declaration_reference text not null,
      transport_document_number text not null,
      declarant_org_id uuid not null,
      importer_org_id uuid not null,
      office_code text not null,
      kind text not null check (kind in ('documentary', 'physical', 'post_clearance')),
      channel text not null check (channel in ('yellow', 'red', 'blue')),
      risk_reasons jsonb not null default '[]',
      status text not null check (status in ('open', 'assigned', 'awaiting_declarant', 'escalated', 'awaiting_payment', 'closed')),
      assigned_officer_id uuid,
      assigned_officer_name text,
      assigned_at timestamptz,
      findings jsonb,
      amendment jsonb,
      difference numeric(18, 2),
      response jsonb,
      decision jsonb,
      review_status text check (review_status in ('pending', 'upheld', 'overturned')),
      prn text,
      prn_amount numeric(18, 2),
      outcome text check (outcome in ('no_discrepancy', 'discrepancy_settled', 'overturned', 'withdrawn')),
      history jsonb not null default '[]',
      version int not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      closed_at timestamptz,
      check (status <> 'open' or assigned_officer_id is null),
      check (status <> 'assigned' or assigned_officer_id is not null),
      check ((status = 'closed') = (closed_at is not null and outcome is not null))
    );
    create unique index verification_task_one_live on verification_task (declaration_id) where status <> 'closed';
    create index verification_task_declaration on verification_task (declaration_id);
    create index verification_task_waiting on verification_task (office_code, created_at) where status = 'open';
    create index verification_task_officer on verification_task (assigned_officer_id) where status = 'assigned';
    create index verification_task_office on verification_task (office_code, status, created_at);
    create table officer_duty (
      user_id uuid primary key,
      officer_name text not null,
      office_code text not null,
      on_duty boolean not null,
      since timestamptz not null,
      updated_by text not null
    );
    create index officer_duty_office on officer_duty (office_code) where on_duty
  `,
  );
}
