import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The risk engine's tables: rules (versioned), watchlists and their entries, prohibited goods,
// dated settings, learned models, the decision taken for each declaration and the inspection
// outcome that becomes the next training label.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table risk_rule (
      id uuid not null,
      version int not null check (version >= 1),
      code text not null,
      name text not null,
      reason text not null,
      channel text not null check (channel in ('yellow', 'red', 'blue')),
      priority int not null check (priority between 1 and 999),
      offices text[] not null default '{}',
      criteria jsonb not null,
      valid_from date not null,
      valid_to date,
      active boolean not null,
      created_at timestamptz not null default now(),
      created_by text not null,
      change_reason text,
      superseded_at timestamptz,
      primary key (id, version),
      check (valid_to is null or valid_to >= valid_from)
    );
    create unique index risk_rule_current on risk_rule (id) where superseded_at is null;
    create unique index risk_rule_code on risk_rule (code, version);

    create table risk_watchlist (
      id uuid primary key,
      code text not null unique,
      name text not null,
      kind text not null check (kind in ('importer', 'declarant', 'seller', 'hs')),
      channel text not null check (channel in ('yellow', 'red')),
      reason text not null,
      active boolean not null default true,
      created_at timestamptz not null default now(),
      created_by text not null,
      updated_at timestamptz not null default now()
    );
    create table risk_watchlist_entry (
      id uuid primary key,
      watchlist_id uuid not null references risk_watchlist (id),
      value text not null,
      note text,
      valid_from date not null,
      valid_to date,
      created_at timestamptz not null default now(),
      created_by text not null,
      check (valid_to is null or valid_to >= valid_from)
    );
    create index risk_watchlist_entry_list on risk_watchlist_entry (watchlist_id);

    create table risk_prohibited_goods (
      id uuid primary key,
      hs_prefix text not null check (hs_prefix ~ '^[0-9]{2,10}$'),
      reason text not null,
      valid_from date not null,
      valid_to date,
      created_at timestamptz not null default now(),
      created_by text not null,
      check (valid_to is null or valid_to >= valid_from)
    );

    create table risk_setting (
      id serial primary key,
      key text not null,
      value jsonb not null,
      valid_from date not null,
      valid_to date,
      note text,
      created_at timestamptz not null default now(),
      created_by text not null,
      unique (key, valid_from),
      check (valid_to is null or valid_to >= valid_from)
    );

    create table risk_model (
      id uuid primary key,
      version int not null unique,
      created_at timestamptz not null default now(),
      created_by text not null,
      trained_on jsonb not null,
      metrics jsonb not null,
      model jsonb not null,
      active boolean not null default false,
      activated_at timestamptz,
      thresholds jsonb not null
    );
    create unique index risk_model_one_active on risk_model (active) where active;

    create table risk_selection (
      id uuid primary key,
      declaration_id uuid not null,
      reference text not null,
      decided_at timestamptz not null,
      decision_date date not null,
      office_code text not null,
      channel text not null check (channel in ('green', 'yellow', 'red', 'blue')),
      score double precision,
      model_id uuid references risk_model (id),
      model_version int,
      rules jsonb not null default '[]',
      watchlists jsonb not null default '[]',
      prohibited jsonb not null default '[]',
      valuation jsonb not null default '[]',
      random boolean not null default false,
      aeo boolean not null default false,
      selected_by text[] not null default '{}',
      reasons jsonb not null,
      input jsonb not null,
      superseded_at timestamptz
    );
    create unique index risk_selection_current on risk_selection (declaration_id) where superseded_at is null;
    create index risk_selection_decided on risk_selection (decided_at);

    create table risk_outcome (
      declaration_id uuid primary key,
      inspected boolean not null,
      discrepancy boolean not null,
      extra_revenue numeric(18, 2) not null default 0 check (extra_revenue >= 0),
      findings jsonb,
      officer_id text,
      recorded_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (inspected or not discrepancy)
    );

    -- Defaults, in force from the start; analysts add dated versions through the API.
    insert into risk_setting (key, value, valid_from, note, created_by) values
      ('model.targetRates', '{"red": 0.03, "yellow": 0.07}', '2000-01-01', 'share of declarations the model sends to each channel', 'migration'),
      ('random.rate', '0.02', '2000-01-01', 'share of otherwise-green declarations selected at random', 'migration'),
      ('random.redShare', '0.25', '2000-01-01', 'share of random selections that go red (the rest yellow)', 'migration'),
      ('random.seed', '"forodha-random-1"', '2000-01-01', 'seed of the per-declaration random draw', 'migration'),
      ('aeo.factor', '0.25', '2000-01-01', 'multiplies model and random selection rates for AEO importers', 'migration'),
      ('valuation.percentile', '0.10', '2000-01-01', 'a unit value below this percentile of comparable entries is flagged', 'migration'),
      ('valuation.minEntries', '20', '2000-01-01', 'comparable accepted entries needed before a reference is used', 'migration'),
      ('valuation.channel', '"yellow"', '2000-01-01', 'channel of a valuation flag', 'migration'),
      ('valuation.cacheSeconds', '300', '2000-01-01', 'how long a valuation reference is reused', 'migration'),
      ('reasons.max', '5', '2000-01-01', 'reasons kept with a selection', 'migration'),
      ('model.explain', '3', '2000-01-01', 'model explanation lines per selection', 'migration');

    -- A few prohibited and restricted goods (EAC CMA 2004, Second Schedule, and permit-only goods).
    insert into risk_prohibited_goods (id, hs_prefix, reason, valid_from, created_by) values
      ('6f1c2a10-0001-4a00-9000-000000000001', '9301', 'military weapons: import only under a permit of the Ministry of Interior', '2000-01-01', 'migration'),
      ('6f1c2a10-0001-4a00-9000-000000000002', '9302', 'revolvers and pistols: import only under a Firearms Licensing Board permit', '2000-01-01', 'migration'),
      ('6f1c2a10-0001-4a00-9000-000000000003', '9306', 'bombs, grenades, ammunition: import only under a permit of the Ministry of Interior', '2000-01-01', 'migration'),
      ('6f1c2a10-0001-4a00-9000-000000000004', '401220', 'used pneumatic tyres for cars and light commercial vehicles: prohibited (EAC CMA Second Schedule)', '2000-01-01', 'migration'),
      ('6f1c2a10-0001-4a00-9000-000000000005', '130211', 'opium: narcotic drug under international control, prohibited', '2000-01-01', 'migration')
  `,
  );
}
