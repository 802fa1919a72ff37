// forodha admin create: the first administrator of a new installation (there is no other way in
// without the demo), and any later one. The password is read from standard input, typed at a
// hidden prompt, or generated and printed once; it is never an argument (shell history, ps).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { ProblemError } from '#platform/http/problem.ts';
import type { Actor } from '#modules/audit/index.ts';
import type { PartiesService } from '#modules/parties/index.ts';
import type { IdentityService, OwnerOrganisation, UserView } from './identity.service.ts';
import { newSecret } from './secrets.ts';

export const adminUsage = `forodha admin create --username NAME --name "DISPLAY NAME" [--organisation CODE] [--organisation-name NAME] [--generate-password]

  The password is read from standard input (first line), or typed twice at a hidden prompt, or
  with --generate-password made up and printed once. The administrator belongs to the customs
  administration's organisation: the one there is, or --organisation CODE; when there is none it
  is created (--organisation, default KRA; --organisation-name, default Kenya Revenue Authority).`;

export interface AdminCommandDeps {
  db: Kysely<DB>;
  identity: IdentityService;
  parties: PartiesService;
  /** The password typed or piped in. */
  readPassword: () => Promise<string>;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The person at the shell, as the audit trail records them. */
export function commandLineActor(command: string): Actor {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the host name still says where it ran.
  }
  return { id: 'cli', name: `${command} (${user}@${os.hostname()})`, organisationId: null, role: 'cli' };
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  const value = i >= 0 ? args[i + 1] : undefined;
  return value === undefined || value.startsWith('--') ? undefined : value;
}

/** The customs administration's organisation: named, the only one, or (none yet) a new one. */
async function administration(deps: AdminCommandDeps, q: Tx, args: string[], actor: Actor, requestId: string): Promise<OwnerOrganisation | string> {
  const code = option(args, '--organisation');
  if (code !== undefined) {
    const named = await deps.parties.organisationByCode(q, code.toUpperCase());
    if (named && named.kind !== 'customs') {
      return `${named.code} is a ${named.kind} organisation; administrators belong to the customs administration`;
    }
    if (named) {
      return { id: named.id, code: named.code, kind: named.kind };
    }
  }
  const customs = await deps.parties.organisations(q, { kind: 'customs', limit: 2 });
  if (code === undefined && customs.length > 1) {
    return `there are several customs organisations (${customs.map((o) => o.code).join(', ')}); name one with --organisation CODE`;
  }
  const only = customs[0];
  if (code === undefined && only) {
    return { id: only.id, code: only.code, kind: only.kind };
  }
  const caller = { actor, requestId, organisationId: actor.id, organisationKind: 'customs' };
  const created = await deps.parties.createOrganisation(q, caller, { code: code ?? 'KRA', kind: 'customs', name: option(args, '--organisation-name') ?? 'Kenya Revenue Authority' });
  deps.out(`created the customs organisation ${created.code} (${created.name})`);
  return { id: created.id, code: created.code, kind: created.kind };
}

function report(deps: AdminCommandDeps, err: ProblemError): void {
  deps.err(`forodha: ${err.problem.detail}`);
  for (const e of err.problem.errors ?? []) {
    deps.err(`  ${e.pointer}: ${e.message}`);
  }
}

export async function adminCreateCommand(deps: AdminCommandDeps, args: string[]): Promise<number> {
  const username = option(args, '--username');
  const displayName = option(args, '--name');
  if (username === undefined || displayName === undefined) {
    deps.err(`usage: ${adminUsage}`);
    return 2;
  }
  const generate = args.includes('--generate-password');
  const actor = commandLineActor('forodha admin create');
  const requestId = `cli:${randomUUID()}`;
  try {
    const password = generate ? newSecret() : await deps.readPassword();
    const user: UserView | string = await inTransaction(deps.db, async (tx) => {
      const organisation = await administration(deps, tx, args, actor, requestId);
      if (typeof organisation === 'string') {
        return organisation;
      }
      return deps.identity.createUser(tx, { actor, requestId }, { organisation, username, displayName, password, roles: ['admin'] });
    });
    if (typeof user === 'string') {
      deps.err(`forodha: ${user}`);
      return 1;
    }
    deps.out(`created administrator ${user.username} (${user.displayName}) of ${user.organisation.code}`);
    if (generate) {
      deps.out(`password (shown once, store it now): ${password}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof ProblemError) {
      report(deps, err);
      return 1;
    }
    throw err;
  }
}

/** The first line of standard input, or (at a terminal) a password typed twice without echo. */
export async function readPasswordFromStdin(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) {
      text += String(chunk);
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  const first = await promptHidden('Password for the new administrator: ');
  const second = await promptHidden('Same password again: ');
  if (first !== second) {
    throw new ProblemError({ type: 'validation', title: 'The passwords differ', status: 422, detail: 'the two passwords typed differ; nothing was created' });
  }
  return first;
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stdout.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const done = (result: Error | string) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stdout.write('\n');
      if (result instanceof Error) {
        reject(result);
      } else {
        resolve(result);
      }
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done(typed);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          done(new Error('cancelled'));
          return;
        }
        typed = ch === '\u007f' || ch === '\b' ? typed.slice(0, -1) : typed + ch;
      }
    };
    stdin.on('data', onData);
  });
}
