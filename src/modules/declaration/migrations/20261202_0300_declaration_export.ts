import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Export declarations (EX1 direct export, EX3 re-export) live in the declaration table beside the
// imports: the same lifecycle, PRN, risk selection and control. What an export adds:
// - where the goods leave Kenya (office of exit), where they go (destination country) and where
//   they wait to be examined before loading (goods location); the exit confirmation (who, where,
//   which outbound manifest or crossing record);
// - for a re-export, on each item, the import declaration item it re-exports: what remains of
//   that item is its quantity less what live or exited re-exports claim.
// Every column is nullable (imports leave them empty), so the running release is not disturbed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table declaration add column exit_office_code text;
    alter table declaration add column destination_country text;
    alter table declaration add column goods_location text;
    alter table declaration add column exit_confirmation jsonb;
    alter table declaration_item add column source_declaration_id uuid;
    alter table declaration_item add column source_item_no int
  `,
  );
}
