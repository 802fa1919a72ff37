import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// The customs offices a terminal operator serves: it receives release messages, reports gate-out
// and confirms arrivals only there. Required of terminals, meaningless for anyone else. A
// terminal registered before this column existed serves no office until an administrator says
// which (it then sees nothing, rather than everything).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    alter table organisation add column office_codes text[];
    update organisation set office_codes = '{}' where kind = 'terminal';
    alter table organisation add constraint organisation_terminal_offices check ((kind = 'terminal') = (office_codes is not null))
  `,
  );
}
