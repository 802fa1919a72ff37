// `forodha edifact check FILE`: the envelope and syntax checks POST /api/v1/edifact makes, on a
// file, without a database: prints each error with its segment, then the CONTRL the server would
// send for them. Exit 0 when the interchange is acceptable, 1 when not, 2 when the file cannot be read.
import fs from 'node:fs';
import { checkInterchange, describe, renderContrl } from './edifact.check.ts';
import { defaultEdifactLimits } from './edifact.ts';

export function edifactCheckCommand(file: string | undefined, out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  if (!file) {
    err('usage: forodha edifact check FILE');
    return 2;
  }
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    err(`${file}: cannot be read`);
    return 2;
  }
  if (size > defaultEdifactLimits.maxBytes) {
    err(`${file}: ${size} bytes, more than the ${defaultEdifactLimits.maxBytes} an interchange may have`);
    return 1;
  }
  const result = checkInterchange(fs.readFileSync(file, 'utf8'));
  const problems = describe(result);
  const messages = result.interchange?.messages ?? [];
  if (problems.length === 0) {
    out(`${file}: interchange ${result.interchange?.ref ?? '?'} acceptable: ${messages.length} message(s) (${messages.map((m) => `${m.type} ${m.ref}`).join(', ')})`);
  } else {
    err(`${file}: ${problems.length} problem(s):`);
    for (const p of problems) {
      err(`  ${p}`);
    }
  }
  out(renderContrl(result, [], new Date()).trimEnd());
  return problems.length === 0 ? 0 : 1;
}
