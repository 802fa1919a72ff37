import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Payment registration numbers (PRNs) and the banks' confirmations against them. Money is numeric
// (KES, two decimals). At most one PRN per declaration is payable at a time (partial unique index);
// a bank's own reference identifies its confirmation, so a repeat can never count twice.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table payment_reference (
      id uuid primary key,
      prn text not null unique,
      declaration_id uuid not null,
      declaration_reference text not null,
      declarant_org_id uuid not null,
      importer_org_id uuid not null,
      amount numeric(18, 2) not null check (amount > 0),
      currency text not null default 'KES' check (currency = 'KES'),
      status text not null check (status in ('open', 'partly_paid', 'paid', 'cancelled', 'expired')),
      valid_until timestamptz not null,
      slip jsonb not null,
      paid_total numeric(18, 2) not null default 0 check (paid_total >= 0),
      carried_over numeric(18, 2) not null default 0 check (carried_over >= 0),
      created_at timestamptz not null default now(),
      cancelled_at timestamptz,
      cancel_reason text,
      superseded_by text,
      check ((status = 'cancelled') = (cancelled_at is not null))
    );
    create index payment_reference_declaration on payment_reference (declaration_id);
    create unique index payment_reference_one_payable on payment_reference (declaration_id) where status in ('open', 'partly_paid');
    create table payment (
      id uuid primary key,
      prn text not null references payment_reference (prn),
      bank_org_id uuid not null,
      bank_reference text not null,
      amount numeric(18, 2) not null check (amount > 0),
      paid_at timestamptz not null,
      received_at timestamptz not null,
      outcome text not null check (outcome in ('exact', 'under', 'over', 'unallocated')),
      credit numeric(18, 2) not null default 0 check (credit >= 0),
      prn_status_after text not null,
      paid_total_after numeric(18, 2) not null,
      unique (bank_org_id, bank_reference)
    );
    create index payment_prn on payment (prn);
    create index payment_unallocated on payment (received_at) where outcome = 'unallocated';
    create sequence if not exists serial_prn
  `,
  );
}
