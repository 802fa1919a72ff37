// forodha <command>: administration from the shell, against the configured database.
import type { Kysely } from 'kysely';
import { loadConfig, ConfigError } from './config.ts';
import type { DB } from './schema.ts';
import { openDatabase, type Database } from '#platform/db/database.ts';
import { DataLockedError } from '#platform/db/lock.ts';
import { migrateToLatest } from '#platform/db/migrate.ts';
import { importCharges, importRates, importTariff, type ImportReport } from '#modules/tariff/index.ts';
import { parseTrainArgs, trainCommand, trainUsage } from '#modules/risk/index.ts';
import { systemClock } from '#platform/clock.ts';
import { applicationRole, asOwner, grantApplicationRole, prepareDatabase } from './setup.ts';
import { auditCommand } from '#modules/audit/index.ts';
import { adminCreateCommand, adminUsage, commandLineActor, identityService, identitySettings, readPasswordFromStdin } from '#modules/identity/index.ts';
import { disableDemoCredentials, partiesService } from '#modules/parties/index.ts';
import { importReliefs } from '#modules/relief/index.ts';
import { importOrigin } from '#modules/origin/index.ts';
import { importCrsp } from '#modules/vehicle/index.ts';
import { edifactCheckCommand } from '#modules/exchange/index.ts';
import { rebuildAcceptedValues } from '#modules/declaration/index.ts';
import { keygenCommand } from '#modules/partner/index.ts';

const usage = `forodha <command>

  tariff import FILE.csv [--dry-run] [--by NAME]   load a tariff version (all-or-nothing)
  rates import FILE.csv [--dry-run] [--by NAME]    load exchange rates (all-or-nothing)
  charges import FILE.json [--dry-run] [--by NAME]  load tax heads and their rates by HS prefix (all-or-nothing)
  reliefs import FILE.csv|json [--dry-run] [--by NAME]
                                                   load reliefs by procedure code (all-or-nothing)
  origin import FILE.json [--dry-run] [--by NAME]  load preference agreements and member states by date (all-or-nothing)
  crsp import FILE.csv [--dry-run] [--by NAME]     load a CRSP schedule of used-vehicle prices (all-or-nothing)
  audit verify [--public-key FILE] [--checkpoints FILE] [--max-age SECONDS]
                                                   check the hash chains against the signed checkpoints; exit 1 on any problem
  audit checkpoint                                 sign and append a checkpoint of every chain head (AUDIT_CHECKPOINT_FILE)
  audit keygen FILE                                write an Ed25519 key pair for checkpoints: FILE (private, 0600) and FILE.pub
  migrate                                          apply database migrations (as DATABASE_OWNER_URL when set, then grant)
  db grant [ROLE]                                  grant the application role (default: DATABASE_URL's) what it needs, as DATABASE_OWNER_URL
  seed [--demo]                                    load reference data, settings (and the demo tariff)
  unit-values rebuild [--batch N]                  write the valuation reference's accepted unit values again from the
                                                   declarations (after a bulk load with COPY), N declarations a transaction
  worker                                           run the outbox worker alone (app processes on OUTBOX_WORKER=false)
  risk train (--from-db | --csv FILE ...) [--activate]
                                                   train a risk model, store it with its metrics
  admin create --username NAME --name "NAME" [--generate-password]
                                                   create an administrator (password from stdin or a prompt)
  edifact check FILE                               check a UN/EDIFACT interchange's envelope and syntax; print the CONTRL; exit 1 on any error
  partner keygen DIR COUNTRY                       write an Ed25519 key pair for partner exchange: DIR/COUNTRY-private.jwk (0600) and DIR/COUNTRY-public.jwk
  demo disable                                     revoke the public demo API keys, deactivate demo users on the demo password

Uses DATABASE_URL when set, else the embedded database in DATA_DIR (./data), which only one
process may open: stop the server first, or run both against PostgreSQL.`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Prints an import's outcome: its summary, or every problem; the exit code. */
function printOutcome(report: { ok: boolean; file: string; importId?: number }, summary: string, problems: string[]): number {
  if (report.ok) {
    console.log(`${report.file}: ${summary}${report.importId ? ` (import #${report.importId})` : ''}`);
    return 0;
  }
  console.error(`${report.file}: NOT loaded, nothing was changed. ${problems.length} problem(s):`);
  for (const p of problems) {
    console.error(`  ${p}`);
  }
  return 1;
}

const verb = (dryRun: boolean) => (dryRun ? 'would load' : 'loaded');

function printReport(report: ImportReport, dryRun: boolean): number {
  const summary = `${report.rows} rows checked; ${verb(dryRun)} ${report.loaded}, unchanged ${report.unchanged}, earlier versions closed ${report.closed}`;
  return printOutcome(report, summary, report.errors.map((e) => `line ${e.line}${e.field ? ` ${e.field}` : ''}: ${e.message}`));
}

interface ImportRun {
  importedBy: string;
  dryRun: boolean;
}

/** `forodha <command> import FILE`: what file it takes and how it loads and reports it. */
const importers: Record<string, { file: string; run: (db: Kysely<DB>, file: string, o: ImportRun) => Promise<number> }> = {
  ...Object.fromEntries(
    ([['tariff', importTariff, 'FILE.csv'], ['rates', importRates, 'FILE.csv'], ['crsp', importCrsp, 'FILE.csv'], ['reliefs', importReliefs, 'FILE.csv|json']] as const).map(([name, load, file]) => [
      name,
      { file, run: async (db: Kysely<DB>, f: string, o: ImportRun) => printReport(await load(db, f, { ...o, onProgress: (m) => process.stderr.write(`  ${m}\n`) }), o.dryRun) },
    ]),
  ),
  charges: {
    file: 'FILE.json',
    run: async (db, f, o) => {
      const report = await importCharges(db, f, { strict: true, ...o });
      return printOutcome(report, `${report.entries} entries checked; ${verb(o.dryRun)} ${report.loaded}, unchanged ${report.unchanged}, earlier versions closed ${report.closed}`, report.errors);
    },
  },
  origin: {
    file: 'FILE.json',
    run: async (db, f, o) => {
      const report = await importOrigin(db, f, { ...o, actor: commandLineActor(`forodha origin import --by ${o.importedBy}`) });
      const summary = `${report.agreements} agreements, ${report.members} memberships checked; ${verb(o.dryRun)} ${report.loaded}, unchanged ${report.unchanged}, earlier memberships closed ${report.closed}`;
      return printOutcome(report, summary, report.errors.map((e) => `entry ${e.pointer || '/'}: ${e.message}`));
    },
  },
};

async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, holder: 'the forodha command line' });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  const args = [sub ?? '', ...rest];
  const importer = sub === 'import' ? importers[command ?? ''] : undefined;
  if (importer) {
    const file = rest.find((a, i) => !a.startsWith('--') && rest[i - 1] !== '--by');
    if (!file) {
      console.error(`usage: forodha ${command} import ${importer.file} [--dry-run] [--by NAME]`);
      return 2;
    }
    const dryRun = rest.includes('--dry-run');
    const importedBy = option(rest, '--by') ?? process.env.USER ?? 'cli';
    return withDatabase(async ({ db }) => {
      // A fresh database needs its schema and reference lists (units, currencies) to check rows against.
      await prepareDatabase(db, { demo: false });
      return importer.run(db, file, { importedBy, dryRun });
    });
  }
  if (command === 'risk' && sub === 'train') {
    const parsed = parseTrainArgs(rest);
    if (typeof parsed === 'string') {
      console.error(`${parsed}\n\nusage: ${trainUsage}`);
      return 2;
    }
    return withDatabase(async ({ db }) => {
      await prepareDatabase(db, { demo: false });
      return trainCommand(db, parsed, systemClock, (line) => console.log(line));
    });
  }
  if (command === 'audit' && sub !== undefined && ['verify', 'checkpoint', 'keygen'].includes(sub)) {
    // The audit tables must be current (the checkpoint columns), as for every other command.
    const migrated = <T>(work: (db: Kysely<DB>) => Promise<T>) =>
      withDatabase(async ({ db }) => {
        await migrateToLatest(db);
        return work(db);
      });
    return auditCommand(sub, rest, { config: loadConfig(), withDatabase: migrated });
  }
  if (command === 'admin' && sub === 'create') {
    const config = loadConfig();
    return withDatabase(async ({ db }) => {
      await prepareDatabase(db, { demo: false });
      const deps = {
        db,
        identity: identityService(db, systemClock, identitySettings(config)),
        parties: partiesService(db, systemClock),
        readPassword: readPasswordFromStdin,
        out: (line: string) => console.log(line),
        err: (line: string) => console.error(line),
      };
      return adminCreateCommand(deps, rest);
    });
  }
  if (command === 'admin') {
    console.error(`usage: ${adminUsage}`);
    return 2;
  }
  if (command === 'demo' && sub === 'disable') {
    return withDatabase(async ({ db }) => {
      await prepareDatabase(db, { demo: false });
      const done = await disableDemoCredentials(db, commandLineActor('forodha demo disable'), systemClock.now());
      console.log(`demo API keys revoked: ${done.apiKeysRevoked.length ? done.apiKeysRevoked.join(', ') : 'none active'}`);
      console.log(`demo users deactivated: ${done.usersDeactivated.length ? done.usersDeactivated.join(', ') : 'none on the demo password'}`);
      return 0;
    });
  }
  if (command === 'migrate') {
    const ownerUrl = loadConfig().databaseOwnerUrl;
    if (ownerUrl !== undefined) {
      return withDatabase(async ({ db }) => {
        const role = await applicationRole(db);
        const applied = await asOwner(ownerUrl, async (owner) => {
          const names = await migrateToLatest(owner);
          await grantApplicationRole(owner, role.name);
          return names;
        });
        console.log(`${applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date'}; privileges granted to ${role.name}`);
        return 0;
      });
    }
    return withDatabase(async ({ db }) => {
      const applied = await migrateToLatest(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      return 0;
    });
  }
  if (command === 'db' && sub === 'grant') {
    const ownerUrl = loadConfig().databaseOwnerUrl;
    if (ownerUrl === undefined) {
      console.error('forodha db grant: set DATABASE_OWNER_URL (the schema owner) and DATABASE_URL (the application role)');
      return 2;
    }
    const role = rest[0] ?? (await withDatabase(async ({ db }) => (await applicationRole(db)).name));
    await asOwner(ownerUrl, (owner) => grantApplicationRole(owner, role));
    console.log(`privileges granted to ${role}: rows of ordinary tables, select and insert on the audit trail, no truncate, no ownership`);
    return 0;
  }
  if (command === 'edifact' && sub === 'check') {
    return edifactCheckCommand(rest[0]);
  }
  if (command === 'unit-values' && sub === 'rebuild') {
    const batch = Number(option(rest, '--batch') ?? '1000');
    if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) {
      console.error('forodha unit-values rebuild: --batch must be a whole number from 1 to 100000 (declarations per transaction)');
      return 2;
    }
    return withDatabase(async ({ db }) => {
      await migrateToLatest(db);
      const started = Date.now();
      const done = await rebuildAcceptedValues(db, {
        batch,
        progress: (declarations, rows) => {
          if (declarations % (batch * 100) === 0) {
            console.log(`${declarations} declarations, ${rows} accepted unit values`);
          }
        },
      });
      console.log(`accepted unit values rebuilt: ${done.rows} from ${done.declarations} declarations in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    });
  }
  if (command === 'partner' && sub === 'keygen') {
    return keygenCommand(rest);
  }
  if (command === 'worker') {
    // Loaded only here: the worker wires every module's services, which no other command needs.
    const { runWorker } = await import('./worker.ts');
    return runWorker();
  }
  if (command === 'seed') {
    return withDatabase(async ({ db }) => {
      const result = await prepareDatabase(db, { demo: args.includes('--demo') });
      console.log(JSON.stringify(result, null, 2));
      return 0;
    });
  }
  console.error(usage);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DataLockedError || err instanceof ConfigError) {
      console.error(`forodha: ${err.message}`);
      process.exit(3);
    }
    console.error(err);
    process.exit(1);
  },
);
