// The database as Kysely sees it: each module declares its own tables; this file joins them.
import type { ReferenceTables } from './modules/reference/reference.tables.ts';
import type { TariffTables } from './modules/tariff/tariff.tables.ts';

export interface DB extends ReferenceTables, TariffTables {}
