// `npm run check:migrations`: flags, in every migration newer than the baseline
// (migrations-baseline.json: the migrations of the last release, applied everywhere already;
// add the new ones to it when a release is cut), the statements that would lock a
// busy table while the previous release still serves (docs/continuity.md, "Online schema
// changes"). It reads the migration files as text (raw SQL and Kysely's schema builder alike).
// A statement that is safe for a reason the check cannot see is allowed with a comment naming
// the rule: `-- migration-check: allow index-not-concurrent (table created in 20261201_0100)`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type Rule = 'index-not-concurrent' | 'not-null-without-default' | 'constraint-validated' | 'column-type-change' | 'drop' | 'rename' | 'out-of-order';

export interface Finding {
  migration: string;
  rule: Rule;
  statement: string;
  advice: string;
}

const advice: Record<Rule, string> = {
  'index-not-concurrent': 'build indexes on existing tables with CREATE INDEX CONCURRENTLY, in a migration that exports `transactional = false`',
  'not-null-without-default': 'add the column nullable (or with a constant DEFAULT), backfill in batches, then add NOT NULL a release later (CHECK ... NOT VALID, VALIDATE, SET NOT NULL)',
  'constraint-validated': 'add foreign keys and checks NOT VALID, then VALIDATE CONSTRAINT in a later migration',
  'column-type-change': 'add a new column of the new type, write both, backfill, switch readers, drop the old one a release later',
  drop: 'drop a column or table a release after the code stopped using it (contract step), never in the release that stops using it',
  rename: 'add the new name beside the old one and migrate readers; a rename breaks the release still serving',
  'out-of-order': 'name it after the last release\'s newest migration: a database already there refuses a pending migration that sorts before one it has applied',
};

const allowPattern = /migration-check:\s*allow\s+([\w-]+)/g;

/** The statements of a migration's source: SQL text split at semicolons, and schema-builder chains. */
function statements(source: string): string[] {
  const noLineComments = source.replace(/^\s*\/\/.*$/gm, '').replace(/--[^\n]*/g, '');
  return noLineComments
    .split(/;|\n\s*\n|await /)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s !== '');
}

/** The findings for one migration's source text. */
export function checkMigration(name: string, source: string): Finding[] {
  const allowed = new Set([...source.matchAll(allowPattern)].map((m) => m[1]));
  const created = new Set([...source.matchAll(/create\s+table\s+(?:if\s+not\s+exists\s+)?["']?([\w.]+)/gi), ...source.matchAll(/createTable\(\s*['"]([\w.]+)['"]/g)].map((m) => m[1]!.toLowerCase()));
  const findings: Finding[] = [];
  const flag = (rule: Rule, statement: string) => {
    if (!allowed.has(rule)) {
      findings.push({ migration: name, rule, statement: statement.slice(0, 200), advice: advice[rule] });
    }
  };
  for (const statement of statements(source)) {
    const s = statement.toLowerCase();
    const index = /create\s+(?:unique\s+)?index\s+(concurrently\s+)?(?:if\s+not\s+exists\s+)?[\w"]*\s*on\s+(?:only\s+)?["']?([\w.]+)/.exec(s);
    if (index && !index[1] && !created.has(index[2]!)) {
      flag('index-not-concurrent', statement);
    }
    const builderIndex = /createindex\(.*\.on\(\s*['"]([\w.]+)['"]/.exec(s);
    if (builderIndex && !created.has(builderIndex[1]!)) {
      flag('index-not-concurrent', statement);
    }
    if (/alter\s+table/.test(s) || s.includes('altertable(')) {
      for (const column of s.split(/add\s+column|\.addcolumn\(/).slice(1)) {
        const clause = column.split(/,\s*add\s|\.addcolumn\(|\.execute\(/)[0] ?? '';
        if (/not\s+null|notnull\(\)/.test(clause) && !/default|defaultto\(/.test(clause)) {
          flag('not-null-without-default', statement);
        }
      }
      if (/add\s+(?:constraint\s+[\w"]+\s+)?(?:foreign\s+key|check)\b/.test(s) && !/not\s+valid/.test(s)) {
        flag('constraint-validated', statement);
      }
      if (/\.addforeignkeyconstraint\(|\.addcheckconstraint\(/.test(s)) {
        flag('constraint-validated', statement);
      }
      if (/alter\s+column\s+[\w"]+\s+(?:set\s+data\s+)?type\b|\.setdatatype\(/.test(s)) {
        flag('column-type-change', statement);
      }
      if (/drop\s+column|\.dropcolumn\(/.test(s)) {
        flag('drop', statement);
      }
      if (/rename\s+(?:column\s+)?[\w"]+\s+to\b|rename\s+to\b|rename\s+constraint|\.renamecolumn\(|\.renameto\(/.test(s)) {
        flag('rename', statement);
      }
    }
    if (/drop\s+table|droptable\(/.test(s)) {
      flag('drop', statement);
    }
  }
  return findings;
}

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every migration file of the platform and the modules, by name. */
export function migrationFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const root of [path.join(srcDir, 'platform'), path.join(srcDir, 'modules')]) {
    for (const name of fs.readdirSync(root)) {
      const dir = path.join(root, name, 'migrations');
      if (!fs.existsSync(dir)) {
        continue;
      }
      for (const file of fs.readdirSync(dir)) {
        if (/\.(ts|js)$/.test(file) && !file.endsWith('.d.ts') && !file.includes('.test.')) {
          files.set(file.replace(/\.(ts|js)$/, ''), path.join(dir, file));
        }
      }
    }
  }
  return files;
}

/** The findings for every migration not in the baseline. */
export function checkAll(): Finding[] {
  const baseline = new Set(JSON.parse(fs.readFileSync(path.join(srcDir, 'platform/db/migrations-baseline.json'), 'utf8')) as string[]);
  const findings: Finding[] = [];
  const newestReleased = [...baseline].sort().at(-1) ?? '';
  for (const [name, file] of [...migrationFiles()].sort(([a], [b]) => a.localeCompare(b))) {
    if (!baseline.has(name)) {
      findings.push(...checkMigration(name, fs.readFileSync(file, 'utf8')));
      if (name < newestReleased) {
        findings.push({ migration: name, rule: 'out-of-order', statement: `sorts before ${newestReleased}`, advice: advice['out-of-order'] });
      }
    }
  }
  return findings;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const findings = checkAll();
  for (const f of findings) {
    console.error(`${f.migration}: ${f.rule}: ${f.statement}\n  -> ${f.advice}`);
  }
  if (findings.length > 0) {
    console.error(`check:migrations: ${findings.length} finding(s): a statement that would lock a busy table, or a migration named before the last release's; see docs/continuity.md (Online schema changes)`);
    process.exit(1);
  }
  console.log('check:migrations: every migration newer than the baseline is online-safe');
}
