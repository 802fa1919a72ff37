import { sql, type Kysely } from 'kysely';

// Maintenance notices: windows an administration announces (what, when, impact, offices).
// A new table and its index: nothing existing is locked.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table maintenance_notice (
      id uuid primary key,
      title text not null,
      description text not null,
      impact text not null check (impact in ('none', 'degraded', 'lodging-delayed')),
      offices text[] not null default '{}',
      starts_at timestamptz not null,
      ends_at timestamptz not null check (ends_at > starts_at),
      status text not null check (status in ('announced', 'withdrawn')),
      version int not null default 1,
      withdrawn_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index maintenance_notice_upcoming on maintenance_notice (ends_at) where status = 'announced'`.execute(db);
}
