import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// A task knows its transport document by id (its audit subject: B/L numbers repeat across
// carriers). A check open when its declaration is cancelled stays open and carries over, with
// its officer, to the declaration that declares the same goods again ('carried_over').
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table verification_task add column transport_document_id uuid;
    update verification_task t set transport_document_id = d.transport_document_id from declaration d where d.id = t.declaration_id;
    alter table verification_task add column carried_from text;
    alter table verification_task drop constraint verification_task_outcome_check;
    alter table verification_task add constraint verification_task_outcome_check check (outcome in ('no_discrepancy', 'discrepancy_settled', 'overturned', 'withdrawn', 'carried_over'))
  `,
  );
}
