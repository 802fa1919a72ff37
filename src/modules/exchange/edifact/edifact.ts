// UN/EDIFACT interchanges (ISO 9735, syntax versions 1 to 4): reading with the service string
// advice (UNA) and release character, checking the envelope (UNB..UNZ, UNG..UNE, UNH..UNT:
// references and counts), and writing segments back with the separators escaped. Errors carry
// the CONTRL syntax error code (UN/EDIFACT 0085) and where they lie, so the acknowledgement can
// name them.

export interface Separators {
  component: string;
  element: string;
  decimal: string;
  release: string;
  segment: string;
}

export const defaultSeparators: Separators = { component: ':', element: '+', decimal: '.', release: '?', segment: "'" };

export interface Segment {
  tag: string;
  /** Data elements, each a list of components (unescaped). elements[0] is the first after the tag. */
  elements: string[][];
  /** 1-based position in the interchange (UNA not counted). */
  position: number;
}

/** CONTRL 0085 codes used here. */
export const syntaxErrors = {
  syntaxVersionNotSupported: '2',
  invalidValue: '12',
  missing: '13',
  valueNotSupported: '14',
  notSupportedInPosition: '15',
  invalidServiceCharacter: '22',
  referencesDoNotMatch: '28',
  countDoesNotMatch: '29',
  tooMany: '35',
} as const;

export interface SyntaxError {
  code: string;
  message: string;
  /** The segment in error: its tag and position in the interchange (and in its message, when inside one). */
  segment?: { tag: string; position: number; positionInMessage?: number };
  /** Data element (1-based) and component (1-based) positions, when known. */
  element?: { position: number; component?: number };
  /** The message it belongs to (UNH reference), when the error is inside a message. */
  messageRef?: string;
}

export interface Message {
  ref: string;
  type: string;
  version: string;
  release: string;
  agency: string;
  /** UNH..UNT inclusive. */
  segments: Segment[];
  groupRef?: string;
}

export interface Group {
  ref: string;
  sender: string[];
  recipient: string[];
}

export interface Interchange {
  separators: Separators;
  syntax: { id: string; version: string };
  sender: string[];
  recipient: string[];
  ref: string;
  groups: Group[];
  messages: Message[];
  segments: Segment[];
}

export interface EdifactLimits {
  maxBytes: number;
  maxSegments: number;
  maxElements: number;
  maxComponents: number;
  maxValueLength: number;
}

export const defaultEdifactLimits: EdifactLimits = { maxBytes: 2 * 1024 * 1024, maxSegments: 50_000, maxElements: 99, maxComponents: 99, maxValueLength: 512 };

export type ReadResult = { ok: true; interchange: Interchange; errors: SyntaxError[] } | { ok: false; error: SyntaxError; partial?: Partial<Interchange> };

const syntaxIds = /^UNO[A-K]$/;

/** Splits the interchange into segments; a syntax error stops the reading (the rest cannot be trusted). */
export function readSegments(input: string, limits: EdifactLimits = defaultEdifactLimits): { separators: Separators; segments: Segment[] } | { error: SyntaxError } {
  if (Buffer.byteLength(input, 'utf8') > limits.maxBytes) {
    return { error: { code: syntaxErrors.tooMany, message: `the interchange is larger than ${limits.maxBytes} bytes` } };
  }
  let text = input.replace(/^\uFEFF/, '');
  let separators = defaultSeparators;
  if (text.startsWith('UNA')) {
    const advice = text.slice(3, 9);
    if (advice.length < 6) {
      return { error: { code: syntaxErrors.missing, message: 'the service string advice (UNA) is truncated', segment: { tag: 'UNA', position: 0 } } };
    }
    const [component, element, decimal, release, , segment] = advice.split('') as [string, string, string, string, string, string];
    const chosen = [component, element, release, segment];
    if (new Set(chosen).size !== chosen.length || chosen.some((c) => /[A-Za-z0-9 ]/.test(c))) {
      return { error: { code: '20', message: 'the service string advice (UNA) names a character that cannot be a separator (repeated, a letter, a digit or a space)', segment: { tag: 'UNA', position: 0 } } };
    }
    separators = { component, element, decimal, release, segment };
    text = text.slice(9);
  }
  const { component, element, release, segment } = separators;
  const service = new Set([component, element, release, segment]);
  const segments: Segment[] = [];
  let elements: string[][] = [];
  let components: string[] = [];
  let value = '';
  let i = 0;
  const n = text.length;
  // Line breaks between segments are tolerated (many systems write one segment a line).
  const skipBreaks = () => {
    while (i < n && (text[i] === '\r' || text[i] === '\n')) {
      i++;
    }
  };
  skipBreaks();
  let started = false;
  const tooLong = () => value.length > limits.maxValueLength;
  while (i < n) {
    const ch = text[i] as string;
    started = true;
    if (ch === release) {
      const next = text[i + 1];
      if (next === undefined || !service.has(next)) {
        return {
          error: {
            code: syntaxErrors.invalidServiceCharacter,
            message: `the release character "${release}" at segment ${segments.length + 1} must be followed by a separator or itself, not ${next === undefined ? 'the end of the interchange' : `"${next}"`}`,
            segment: { tag: (components[0] ?? elements[0]?.[0] ?? value).slice(0, 3) || '???', position: segments.length + 1 },
            element: { position: elements.length, component: components.length + 1 },
          },
        };
      }
      value += next;
      i += 2;
    } else if (ch === component) {
      components.push(value);
      value = '';
      i++;
      if (components.length > limits.maxComponents) {
        return { error: { code: syntaxErrors.tooMany, message: `more than ${limits.maxComponents} components in one element`, segment: { tag: elements[0]?.[0] ?? '???', position: segments.length + 1 } } };
      }
    } else if (ch === element) {
      components.push(value);
      elements.push(components);
      components = [];
      value = '';
      i++;
      if (elements.length > limits.maxElements) {
        return { error: { code: syntaxErrors.tooMany, message: `more than ${limits.maxElements} data elements in one segment`, segment: { tag: elements[0]?.[0] ?? '???', position: segments.length + 1 } } };
      }
    } else if (ch === segment) {
      components.push(value);
      elements.push(components);
      const tag = elements[0]?.[0] ?? '';
      if (!/^[A-Z][A-Z0-9]{2}$/.test(tag)) {
        return { error: { code: syntaxErrors.invalidValue, message: `segment ${segments.length + 1} has no valid tag ("${tag.slice(0, 10)}")`, segment: { tag: tag.slice(0, 3) || '???', position: segments.length + 1 } } };
      }
      segments.push({ tag, elements: elements.slice(1), position: segments.length + 1 });
      if (segments.length > limits.maxSegments) {
        return { error: { code: syntaxErrors.tooMany, message: `more than ${limits.maxSegments} segments`, segment: { tag, position: segments.length } } };
      }
      elements = [];
      components = [];
      value = '';
      i++;
      skipBreaks();
      started = false;
    } else {
      value += ch;
      i++;
    }
    if (tooLong()) {
      return { error: { code: '39', message: `a data element is longer than ${limits.maxValueLength} characters`, segment: { tag: elements[0]?.[0] ?? '???', position: segments.length + 1 } } };
    }
  }
  if (started && (value !== '' || elements.length > 0 || components.length > 0)) {
    return { error: { code: syntaxErrors.missing, message: `the interchange ends inside segment ${segments.length + 1} without a segment terminator: it is truncated`, segment: { tag: (elements[0]?.[0] ?? value).slice(0, 3) || '???', position: segments.length + 1 } } };
  }
  return { separators, segments };
}

export const el = (s: Segment, e: number, c = 1): string => s.elements[e - 1]?.[c - 1] ?? '';

/**
 * Reads and checks the envelope. Errors of the interchange envelope (UNB, UNZ) and of each message
 * (UNH, UNT) are all collected; a message with an error is rejected, the others stand.
 */
export function readInterchange(input: string, limits: EdifactLimits = defaultEdifactLimits): ReadResult {
  const read = readSegments(input, limits);
  if ('error' in read) {
    // The rest cannot be trusted, but the UNB before the error still says whom to answer.
    const start = readSegments(input.slice(0, Math.min(input.length, 1024)).replace(/^(UNA.{6})?([^]*?'[\r\n]*)[^]*$/, '$1$2'), limits);
    const unb = 'error' in start ? undefined : start.segments[0];
    const startSeparators = 'error' in start ? defaultSeparators : start.separators;
    if (unb?.tag === 'UNB' && read.error.segment?.position !== 1) {
      return { ok: false, error: read.error, partial: { separators: startSeparators, syntax: { id: el(unb, 1, 1), version: el(unb, 1, 2) }, sender: unb.elements[1] ?? [], recipient: unb.elements[2] ?? [], ref: el(unb, 5) } };
    }
    return { ok: false, error: read.error };
  }
  const { segments, separators } = read;
  const unb = segments[0];
  if (!unb || unb.tag !== 'UNB') {
    return { ok: false, error: { code: syntaxErrors.missing, message: 'the interchange must start with UNB (after an optional UNA)', segment: { tag: 'UNB', position: 1 } } };
  }
  const syntax = { id: el(unb, 1, 1), version: el(unb, 1, 2) };
  const partial: Partial<Interchange> = { separators, syntax, sender: unb.elements[1] ?? [], recipient: unb.elements[2] ?? [], ref: el(unb, 5) };
  if (!syntaxIds.test(syntax.id) || (syntax.version !== '' && !/^[1-4]$/.test(syntax.version))) {
    return { ok: false, error: { code: syntaxErrors.syntaxVersionNotSupported, message: `syntax ${syntax.id}:${syntax.version} is not supported (UNOA..UNOK, versions 1 to 4)`, segment: { tag: 'UNB', position: 1 }, element: { position: 1 } }, partial };
  }
  if (partial.ref === '') {
    return { ok: false, error: { code: syntaxErrors.missing, message: 'UNB has no interchange control reference (0020)', segment: { tag: 'UNB', position: 1 }, element: { position: 5 } }, partial };
  }
  const errors: SyntaxError[] = [];
  const messages: Message[] = [];
  const groups: Group[] = [];
  let open: Message | undefined;
  let group: (Group & { count: number; position: number }) | undefined;
  let unz: Segment | undefined;
  for (const s of segments.slice(1)) {
    if (unz) {
      errors.push({ code: '15', message: `${s.tag} after UNZ: nothing may follow the interchange trailer`, segment: { tag: s.tag, position: s.position } });
      break;
    }
    if (open) {
      open.segments.push(s);
      if (s.tag === 'UNT') {
        const count = el(s, 1);
        const ref = el(s, 2);
        if (ref !== open.ref) {
          errors.push({ code: syntaxErrors.referencesDoNotMatch, message: `UNT reference ${ref || '(none)'} does not match UNH reference ${open.ref}`, segment: { tag: 'UNT', position: s.position, positionInMessage: open.segments.length }, element: { position: 2 }, messageRef: open.ref });
        }
        if (count !== String(open.segments.length)) {
          errors.push({ code: syntaxErrors.countDoesNotMatch, message: `UNT says ${count || '(none)'} segments; the message has ${open.segments.length} (UNH to UNT)`, segment: { tag: 'UNT', position: s.position, positionInMessage: open.segments.length }, element: { position: 1 }, messageRef: open.ref });
        }
        messages.push(open);
        open = undefined;
      } else if (s.tag === 'UNH' || s.tag === 'UNZ' || s.tag === 'UNE' || s.tag === 'UNG') {
        errors.push({ code: syntaxErrors.missing, message: `message ${open.ref} has no UNT before ${s.tag}`, segment: { tag: 'UNT', position: s.position }, messageRef: open.ref });
        open.segments.pop();
        messages.push(open);
        open = undefined;
      } else {
        continue;
      }
      if (s.tag === 'UNT') {
        continue;
      }
    }
    if (s.tag === 'UNH') {
      const [type = '', version = '', release = '', agency = ''] = s.elements[1] ?? [];
      open = { ref: el(s, 1), type, version, release, agency, segments: [s], ...(group ? { groupRef: group.ref } : {}) };
      if (group) {
        group.count++;
      }
      if (open.ref === '') {
        errors.push({ code: syntaxErrors.missing, message: 'UNH has no message reference number (0062)', segment: { tag: 'UNH', position: s.position, positionInMessage: 1 }, element: { position: 1 } });
      }
    } else if (s.tag === 'UNG') {
      group = { ref: el(s, 5), sender: s.elements[1] ?? [], recipient: s.elements[2] ?? [], count: 0, position: s.position };
      groups.push(group);
    } else if (s.tag === 'UNE') {
      if (!group) {
        errors.push({ code: '15', message: 'UNE without UNG', segment: { tag: 'UNE', position: s.position } });
      } else {
        if (el(s, 2) !== group.ref) {
          errors.push({ code: syntaxErrors.referencesDoNotMatch, message: `UNE reference ${el(s, 2) || '(none)'} does not match UNG reference ${group.ref}`, segment: { tag: 'UNE', position: s.position }, element: { position: 2 } });
        }
        if (el(s, 1) !== String(group.count)) {
          errors.push({ code: syntaxErrors.countDoesNotMatch, message: `UNE says ${el(s, 1) || '(none)'} messages; the group has ${group.count}`, segment: { tag: 'UNE', position: s.position }, element: { position: 1 } });
        }
        group = undefined;
      }
    } else if (s.tag === 'UNZ') {
      unz = s;
    } else if (s.tag !== 'UNT') {
      errors.push({ code: '15', message: `${s.tag} outside a message (between UNH and UNT)`, segment: { tag: s.tag, position: s.position } });
    }
  }
  if (open) {
    errors.push({ code: syntaxErrors.missing, message: `message ${open.ref} has no UNT: the interchange is truncated`, segment: { tag: 'UNT', position: segments.length + 1 }, messageRef: open.ref });
    messages.push(open);
  }
  if (group) {
    errors.push({ code: syntaxErrors.missing, message: `group ${group.ref} has no UNE`, segment: { tag: 'UNE', position: segments.length + 1 } });
  }
  if (!unz) {
    errors.push({ code: syntaxErrors.missing, message: 'the interchange has no UNZ: it is truncated', segment: { tag: 'UNZ', position: segments.length + 1 } });
  } else {
    const expected = groups.length > 0 ? groups.length : messages.length;
    if (el(unz, 2) !== partial.ref) {
      errors.push({ code: syntaxErrors.referencesDoNotMatch, message: `UNZ reference ${el(unz, 2) || '(none)'} does not match UNB reference ${partial.ref ?? ''}`, segment: { tag: 'UNZ', position: unz.position }, element: { position: 2 } });
    }
    if (el(unz, 1) !== String(expected)) {
      errors.push({ code: syntaxErrors.countDoesNotMatch, message: `UNZ says ${el(unz, 1) || '(none)'} ${groups.length > 0 ? 'groups' : 'messages'}; the interchange has ${expected}`, segment: { tag: 'UNZ', position: unz.position }, element: { position: 1 } });
    }
  }
  return { ok: true, interchange: { separators, syntax, sender: partial.sender ?? [], recipient: partial.recipient ?? [], ref: partial.ref ?? '', groups, messages, segments }, errors };
}

/** A value with the service characters released. */
export function escapeValue(value: string, s: Separators = defaultSeparators): string {
  let out = '';
  for (const ch of value) {
    out += ch === s.release || ch === s.component || ch === s.element || ch === s.segment ? s.release + ch : ch;
  }
  return out;
}

/** One segment written: elements of components, trailing empty ones dropped. */
export function segment(tag: string, ...elements: (string | (string | undefined)[] | undefined)[]): string {
  const written = elements.map((e) => {
    const components = (Array.isArray(e) ? e : [e]).map((c) => escapeValue(c ?? ''));
    while (components.length > 1 && components[components.length - 1] === '') {
      components.pop();
    }
    return components.join(':');
  });
  while (written.length > 0 && written[written.length - 1] === '') {
    written.pop();
  }
  return [tag, ...written].join('+') + "'";
}

/** YYMMDD and HHMM of an instant (UTC), as UNB wants them in syntax 3; syntax 4 takes CCYYMMDD. */
export function unbDateTime(at: Date, version: string): [string, string] {
  const iso = at.toISOString();
  const date = iso.slice(0, 10).replace(/-/g, '');
  return [version === '4' ? date : date.slice(2), iso.slice(11, 16).replace(':', '')];
}
