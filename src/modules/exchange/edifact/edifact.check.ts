// Checking an interchange and answering it with a CONTRL syntax and service report (CONTRL 4:1):
// UCI for the interchange (accepted 7 or rejected 4, with the error of UNB/UNZ), UCF for each
// functional group, UCM for each message (with the error of UNH/UNT, an unknown message type or
// version), and UCS/UCD naming a segment (by its position in the message) and data element in
// error. Used by POST /api/v1/edifact and by `forodha edifact check FILE`.
import { readInterchange, segment, syntaxErrors, unbDateTime, type Interchange, type Message, type SyntaxError } from './edifact.ts';

/** Message types and versions this administration takes, by type: "D:03B" is directory D, release 03B. */
export const supportedMessages: Record<string, readonly string[]> = { CUSCAR: ['D:03B', 'D:96B', 'D:01B'] };

/** A business or syntax problem in one message, for its UCM. */
export interface MessageProblem {
  messageRef: string;
  code: string;
  message: string;
  /** The segment in error, by its position in the message (UNH = 1), and its tag. */
  segment?: { tag: string; positionInMessage: number };
  element?: { position: number; component?: number };
  /** An error of UNH or UNT themselves goes on the UCM, not a UCS. */
  onHeader?: boolean;
}

export interface CheckResult {
  /** Readable enough to answer at all (UNB found); false only when nothing can be acknowledged. */
  readable: boolean;
  interchange?: Interchange;
  /** Errors of the interchange itself (UNB, UNZ, UNG/UNE, garbage between messages). */
  interchangeErrors: SyntaxError[];
  /** Errors per message reference. */
  messageProblems: MessageProblem[];
  /** Messages that passed the syntax checks and are of a type we take. */
  accepted: Message[];
}

export function checkInterchange(text: string): CheckResult {
  const read = readInterchange(text);
  if (!read.ok) {
    return { readable: read.partial !== undefined, interchangeErrors: [read.error], messageProblems: [], accepted: [], ...(read.partial ? { interchange: { separators: read.partial.separators ?? { component: ':', element: '+', decimal: '.', release: '?', segment: "'" }, syntax: read.partial.syntax ?? { id: 'UNOA', version: '4' }, sender: read.partial.sender ?? [], recipient: read.partial.recipient ?? [], ref: read.partial.ref ?? '', groups: [], messages: [], segments: [] } } : {}) };
  }
  const { interchange } = read;
  const messageProblems: MessageProblem[] = [];
  const interchangeErrors: SyntaxError[] = [];
  for (const e of read.errors) {
    if (e.messageRef !== undefined) {
      messageProblems.push({ messageRef: e.messageRef, code: e.code, message: e.message, ...(e.segment ? { segment: { tag: e.segment.tag, positionInMessage: e.segment.positionInMessage ?? 0 } } : {}), ...(e.element ? { element: e.element } : {}), onHeader: e.segment?.tag === 'UNT' || e.segment?.tag === 'UNH' });
    } else {
      interchangeErrors.push(e);
    }
  }
  const seen = new Set<string>();
  for (const m of interchange.messages) {
    const versions = supportedMessages[m.type];
    if (seen.has(m.ref)) {
      messageProblems.push({ messageRef: m.ref, code: '26', message: `message reference ${m.ref} is used twice in the interchange`, onHeader: true, element: { position: 1 } });
    }
    seen.add(m.ref);
    if (!versions) {
      messageProblems.push({ messageRef: m.ref, code: syntaxErrors.valueNotSupported, message: `message type ${m.type || '(none)'} is not taken here (${Object.keys(supportedMessages).join(', ')})`, onHeader: true, element: { position: 2, component: 1 } });
    } else if (!versions.includes(`${m.version}:${m.release}`) || m.agency !== 'UN') {
      messageProblems.push({ messageRef: m.ref, code: syntaxErrors.valueNotSupported, message: `${m.type} ${m.version}:${m.release}:${m.agency} is not a version taken here (${versions.map((v) => `${v}:UN`).join(', ')})`, onHeader: true, element: { position: 2, component: 2 } });
    }
  }
  const rejected = new Set(messageProblems.map((p) => p.messageRef));
  const accepted = interchangeErrors.length > 0 ? [] : interchange.messages.filter((m) => !rejected.has(m.ref));
  return { readable: true, interchange, interchangeErrors, messageProblems, accepted };
}

/** The S011 composite: data element position, component position. */
const s011 = (element?: { position: number; component?: number }) => (element ? [String(element.position), element.component !== undefined ? String(element.component) : undefined] : undefined);

/** A CONTRL answering the interchange: every error named, or everything acknowledged. */
export function renderContrl(result: CheckResult, extraProblems: MessageProblem[], at: Date, ourId = 'FORODHA'): string {
  const ix = result.interchange;
  const version = ix?.syntax.version || '4';
  const ref = `C${(ix?.ref ?? 'UNKNOWN').replace(/[^A-Za-z0-9]/g, '').slice(0, 13)}`;
  const [date, time] = unbDateTime(at, version);
  const problems = [...result.messageProblems, ...extraProblems];
  const interchangeError = result.interchangeErrors[0];
  const body: string[] = [];
  body.push(segment('UNH', '1', ['CONTRL', '4', '1', 'UN']));
  body.push(
    segment(
      'UCI',
      ix?.ref ?? '',
      ix?.sender ?? [],
      ix?.recipient ?? [],
      interchangeError ? '4' : '7',
      interchangeError?.code,
      interchangeError?.segment?.tag,
      s011(interchangeError?.element),
    ),
  );
  const messagesOf = (groupRef: string | undefined) => (ix?.messages ?? []).filter((m) => m.groupRef === groupRef);
  const ucm = (m: Message) => {
    const mine = problems.filter((p) => p.messageRef === m.ref);
    const header = mine.find((p) => p.onHeader);
    const rejected = interchangeError !== undefined || mine.length > 0;
    body.push(segment('UCM', m.ref, [m.type, m.version, m.release, m.agency], rejected ? '4' : '7', header?.code, header ? (header.segment?.tag ?? 'UNH') : undefined, s011(header?.element)));
    for (const p of mine.filter((x) => !x.onHeader).slice(0, 99)) {
      body.push(segment('UCS', String(p.segment?.positionInMessage ?? 0), p.code));
      if (p.element) {
        body.push(segment('UCD', p.code, s011(p.element)));
      }
    }
  };
  for (const g of ix?.groups ?? []) {
    const groupMessages = messagesOf(g.ref);
    const groupRejected = interchangeError !== undefined || groupMessages.every((m) => problems.some((p) => p.messageRef === m.ref));
    body.push(segment('UCF', g.ref, g.sender, g.recipient, groupRejected && groupMessages.length > 0 ? '4' : '7'));
    groupMessages.forEach(ucm);
  }
  messagesOf(undefined).forEach(ucm);
  body.push(segment('UNT', String(body.length + 1), '1'));
  return [
    segment('UNB', ['UNOA', version], ix?.recipient[0] ? ix.recipient : [ourId], ix?.sender[0] ? ix.sender : ['UNKNOWN'], [date, time], ref),
    ...body,
    segment('UNZ', '1', ref),
  ].join('\n') + '\n';
}

/** Plain-language lines for the CLI: each error with where it lies. */
export function describe(result: CheckResult, extraProblems: MessageProblem[] = []): string[] {
  const lines: string[] = [];
  for (const e of result.interchangeErrors) {
    lines.push(`interchange: error ${e.code} at ${e.segment ? `${e.segment.tag} (segment ${e.segment.position})` : 'the start'}: ${e.message}`);
  }
  for (const p of [...result.messageProblems, ...extraProblems]) {
    lines.push(`message ${p.messageRef}: error ${p.code}${p.segment ? ` at ${p.segment.tag} (segment ${p.segment.positionInMessage} of the message)` : ''}: ${p.message}`);
  }
  return lines;
}
