import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Indexes that keep lodgement and the officers' queues as fast on ten years of history as on an
// empty database (README "History at scale", docs/history-plans.md).
// - Every lodgement asks for the importer's cancelled or rejected declarations of the last months
//   (priorDeclarations, newest first). The index it had was ordered by cancelled_at, which no
//   query reads: for a big importer it fetched every refusal of ten years and sorted them. Ordered
//   by updated_at it reads only the recent ones, already in order.
// - The queues (lodged, queried, registered ...) are a thin, recent slice of the table: a partial
//   index holds just the open declarations, so a status filter never walks the closed years.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create index declaration_importer_abandoned on declaration (importer_org_id, updated_at desc) where status in ('cancelled', 'rejected');
    drop index declaration_importer_cancelled;
    create index declaration_open on declaration (status, created_at desc, id desc) where status not in ('released', 'exited', 'cancelled', 'rejected')
  `,
  );
}
