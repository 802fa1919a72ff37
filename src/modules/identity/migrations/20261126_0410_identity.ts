import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Who may log in (people, with argon2 password hashes and 8-hour sessions) and which systems may
// call the API (API keys). Secrets are never stored: sessions and keys are kept as SHA-256 hashes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table app_user (
      id uuid primary key,
      organisation_id uuid not null references organisation (id),
      username text not null unique check (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
      display_name text not null,
      password_hash text not null,
      roles text[] not null,
      active boolean not null default true,
      created_at timestamptz not null default now()
    );
    create index app_user_organisation on app_user (organisation_id);
    create table api_key (
      id uuid primary key,
      organisation_id uuid not null references organisation (id),
      name text not null,
      key_prefix text not null,
      key_hash text not null unique,
      roles text[] not null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz
    );
    create index api_key_organisation on api_key (organisation_id);
    create table user_session (
      id uuid primary key,
      user_id uuid not null references app_user (id),
      token_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz
    );
    create index user_session_user on user_session (user_id)
  `,
  );
}
