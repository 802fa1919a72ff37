// Runs a multi-statement SQL script one statement at a time: PGlite (like any prepared
// statement) takes one command per query. Dollar-quoted bodies ($$ ... $$) are kept whole.
import { sql, type Kysely } from 'kysely';

export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inDollar = false;
  for (let i = 0; i < script.length; i++) {
    if (script.startsWith('$$', i)) {
      inDollar = !inDollar;
      current += '$$';
      i++;
      continue;
    }
    const ch = script[i] as string;
    if (ch === ';' && !inDollar) {
      if (current.trim()) {
        statements.push(current.trim());
      }
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim()) {
    statements.push(current.trim());
  }
  return statements;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
export async function runScript(db: Kysely<any>, script: string): Promise<void> {
  for (const statement of splitStatements(script)) {
    await sql.raw(statement).execute(db);
  }
}
