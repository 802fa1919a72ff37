import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// A draft may be cancelled (declaration.state.ts allows it), but the first migration's check
// "(status = 'draft') = (reference is null)" refused the cancelled draft, which never had a
// reference: cancelling a draft answered 500. The rule it meant: a draft has no reference, and
// every declaration that was lodged has one.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table declaration drop constraint declaration_check;
    alter table declaration add constraint declaration_reference_once_lodged
      check (case when status = 'draft' then reference is null when status = 'cancelled' then true else reference is not null end)
  `,
  );
}
