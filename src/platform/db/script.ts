// Runs a multi-statement SQL script one statement at a time: PGlite (like any prepared
// statement) takes one command per query. Quoted literals, dollar-quoted bodies ($$ ... $$) and
// -- comments are respected when splitting.
import { sql, type Kysely } from 'kysely';

export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quote: "'" | '"' | '$$' | undefined;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i] as string;
    if (quote === undefined && ch === '-' && script[i + 1] === '-') {
      // A line comment may hold quotes or semicolons of its own: skip it whole.
      const eol = script.indexOf('\n', i);
      i = eol === -1 ? script.length : eol;
      current += '\n';
      continue;
    }
    if (script.startsWith('$$', i) && (quote === undefined || quote === '$$')) {
      quote = quote ? undefined : '$$';
      current += '$$';
      i++;
      continue;
    }
    if ((ch === "'" || ch === '"') && (quote === undefined || quote === ch)) {
      // A doubled quote inside a literal is an escaped quote and leaves the literal open.
      quote = quote ? undefined : ch;
    }
    if (ch === ';' && quote === undefined) {
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
