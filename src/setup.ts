// Bringing a database up to date: migrations, reference data, national settings and, in demo
// mode, the sample tariff. Used by `npm start`, the CLI and the tests alike.
import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database, type OpenOptions } from '#platform/db/database.ts';
import { auditTablePrivileges } from '#modules/audit/index.ts';
import { migrateToLatest } from '#platform/db/migrate.ts';
import { loadReferenceData } from '#modules/reference/index.ts';
import { loadNationalSettings, loadSampleTariff, loadShippedCharges } from '#modules/tariff/index.ts';
import { demoCredentialsInUse, seedDemoParties } from '#modules/parties/index.ts';
import { loadSampleReliefs } from '#modules/relief/index.ts';
import { loadSampleAgreements } from '#modules/origin/index.ts';
import { loadSampleCrsp } from '#modules/vehicle/index.ts';
import { seedExchangeMappings } from '#modules/exchange/index.ts';
import { ConfigError, isLoopback } from './config.ts';

export interface PrepareResult {
  migrations: string[];
  reference: Record<string, number>;
  settingsAdded: number;
  /** Memberships loaded from the shipped preference agreements (into an empty database only). */
  agreementsLoaded: number;
  demo: string[];
}

export async function prepareDatabase(db: Kysely<DB>, options: { demo: boolean }): Promise<PrepareResult> {
  const migrations = await migrateToLatest(db);
  const reference = await loadReferenceData(db);
  const settingsAdded = (await loadNationalSettings(db)) + (await loadShippedCharges(db));
  // Preference agreements replace the old partner-state setting, so every installation gets them.
  const agreements = await loadSampleAgreements(db);
  // Partner code mappings: the standard procedure and document codes, and the demo cast's identifiers in demo mode.
  await seedExchangeMappings(db, options);
  const demo: string[] = [];
  if (options.demo) {
    for (const report of await loadSampleTariff(db)) {
      demo.push(`${report.file}: ${report.loaded} rows`);
    }
    const reliefs = await loadSampleReliefs(db);
    if (reliefs) {
      demo.push(`${reliefs.file}: ${reliefs.loaded} rows`);
    }
    const crsp = await loadSampleCrsp(db);
    if (crsp) {
      demo.push(`${crsp.file}: ${crsp.loaded} rows`);
    }
    const parties = await seedDemoParties(db);
    demo.push(`parties: ${parties.organisations} organisations, ${parties.users} users, ${parties.apiKeys} API keys, ${parties.authorisations} agent authorisations added`);
  }
  return { migrations, reference, settingsAdded, agreementsLoaded: agreements?.loaded ?? 0, demo };
}

// The owner/role split on PostgreSQL. The schema's owner can TRUNCATE, ALTER and disable the
// triggers that guard the audit trail, so the server should not run as it: DATABASE_OWNER_URL
// migrates and grants, DATABASE_URL's role only reads and writes rows.

export interface ReadyDatabase {
  database: Database;
  prepared: PrepareResult;
  /** Why this database's audit trail is weaker than it could be, for the start-up log. */
  warnings: string[];
}

/** Opens the configured database as the application, migrated and seeded (as the owner when one is configured). */
export async function openPreparedDatabase(
  config: Config,
  options: Pick<OpenOptions, 'poolSize' | 'holder' | 'waitSeconds' | 'onConnectionError'>,
): Promise<ReadyDatabase> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, ...options });
  try {
    if (database.kind === 'pglite') {
      return { database, prepared: await prepareDatabase(database.db, { demo: config.demo }), warnings: [] };
    }
    if (config.databaseOwnerUrl === undefined) {
      const prepared = await prepareDatabase(database.db, { demo: config.demo });
      return { database, prepared, warnings: [`DATABASE_OWNER_URL is not set: the server migrates and runs as ${(await applicationRole(database.db)).name}, which can truncate or alter the audit tables and disable their triggers`] };
    }
    const role = await applicationRole(database.db);
    const prepared = await asOwner(config.databaseOwnerUrl, async (owner) => {
      const result = await prepareDatabase(owner, { demo: config.demo });
      await grantApplicationRole(owner, role.name);
      return result;
    });
    return { database, prepared, warnings: roleWarnings(await applicationRole(database.db)) };
  } catch (err) {
    await database.close();
    throw err;
  }
}

export async function asOwner<T>(ownerUrl: string, work: (owner: Kysely<DB>) => Promise<T>): Promise<T> {
  const owner = await openDatabase({ databaseUrl: ownerUrl, dataDir: '', poolSize: 2 });
  try {
    return await work(owner.db);
  } finally {
    await owner.close();
  }
}

export interface RoleFacts {
  name: string;
  superuser: boolean;
  /** Owns the audit trail (or may act as its owner): may truncate, alter, disable triggers. */
  ownsAudit: boolean;
}

export async function applicationRole(db: Kysely<DB>): Promise<RoleFacts> {
  const { rows } = await sql<{ name: string; superuser: boolean; owns: boolean | null }>`
    select current_user as name, r.rolsuper as superuser,
           (select pg_has_role(current_user, c.relowner, 'MEMBER') from pg_class c where c.oid = to_regclass('audit_event')) as owns
    from pg_roles r where r.rolname = current_user`.execute(db);
  const row = rows[0];
  if (!row) {
    throw new Error('the database did not say which role this connection uses');
  }
  return { name: row.name, superuser: row.superuser, ownsAudit: row.owns === true };
}

function roleWarnings(role: RoleFacts): string[] {
  if (role.superuser) {
    return [`the application role ${role.name} is a superuser: it can rewrite the audit trail whatever the grants say`];
  }
  if (role.ownsAudit) {
    return [`the application role ${role.name} owns the audit tables: transfer them to the owner (REASSIGN OWNED BY ${role.name} TO <owner>), then run forodha migrate`];
  }
  return [];
}

type Privilege = 'select' | 'insert' | 'update' | 'delete';

// The migrator's bookkeeping: the application may check that the schema is current, not change it.
const tablePrivileges: Readonly<Record<string, readonly Privilege[]>> = {
  kysely_migration: ['select'],
  kysely_migration_lock: ['select'],
  ...auditTablePrivileges,
};
const ordinary: readonly Privilege[] = ['select', 'insert', 'update', 'delete'];

/**
 * Grants the application role exactly what it needs, as the owner, after each migration: rows of
 * ordinary tables, only select and insert on the audit trail, the sequences, and no TRUNCATE,
 * TRIGGER or ownership. It also gets CREATE on the schema: serial numbers (src/platform/ids.ts)
 * create a sequence per scope on first use. CREATE lets a role make new objects of its own, never
 * alter, truncate or drop the owner's, so the audit trail's guards hold.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- runs right after migrations, on any schema
export async function grantApplicationRole(owner: Kysely<any>, role: string): Promise<void> {
  const grantee = sql.id(role);
  await owner.transaction().execute(async (tx) => {
    // Concurrent GRANTs on one object fail ("tuple concurrently updated"): servers starting together take turns.
    await sql`select pg_advisory_xact_lock(7310946114502)`.execute(tx);
    const { rows: tables } = await sql<{ name: string }>`
      select tablename as name from pg_tables where schemaname = current_schema() and tableowner <> ${role} order by tablename`.execute(tx);
    for (const { name } of tables) {
      const privileges = tablePrivileges[name] ?? ordinary;
      await sql`revoke all on table ${sql.id(name)} from ${grantee}`.execute(tx);
      await sql`grant ${sql.raw(privileges.join(', '))} on table ${sql.id(name)} to ${grantee}`.execute(tx);
    }
    const { rows: schema } = await sql<{ name: string }>`select current_schema() as name`.execute(tx);
    const current = sql.id(schema[0]?.name ?? 'public');
    await sql`grant usage, select on all sequences in schema ${current} to ${grantee}`.execute(tx);
    await sql`grant usage, create on schema ${current} to ${grantee}`.execute(tx);
  });
}

/**
 * The demo password and keys are published: a server that other machines can reach must not
 * start while any of them still works (say ./data after a demo run), whatever DEMO says.
 */
export async function refuseExposedDemo(db: Kysely<DB>, host: string, now: Date): Promise<void> {
  if (isLoopback(host)) {
    return;
  }
  const inUse = await demoCredentialsInUse(db, now);
  if (inUse.length > 0) {
    throw new ConfigError(
      `refusing to listen on HOST=${host}: this database still accepts the public demo credentials (${inUse.slice(0, 3).join('; ')}${inUse.length > 3 ? `; and ${inUse.length - 3} more` : ''}). ` +
        'Turn them off first with `npm run cli -- demo disable` (it revokes the demo API keys and deactivates the demo users still on the demo password, audited), ' +
        'or listen on HOST=127.0.0.1.',
    );
  }
}
