import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// What remains of an import item is read (under the import declaration's lock) on every re-export
// lodgement: the re-export items citing it are found by this index, not by walking every item.
export const transactional = false;

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `create index concurrently if not exists declaration_item_source on declaration_item (source_declaration_id, source_item_no) where source_declaration_id is not null`);
}
