// A strict, small XML reader for what partners send (WCO Data Model messages), and a writer for
// what we answer. It reads the subset of XML that those messages use (elements, attributes,
// namespaces, text, comments, CDATA, the XML declaration) and refuses, before reading anything
// further, what XML attacks are made of: any DOCTYPE (so no internal or external entities, no
// entity expansion, no external DTD), any entity reference other than the five predefined ones
// and character references. Size, depth, element count, attribute count and name lengths are
// bounded, so a hostile document costs at most a linear scan of a bounded input.

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  maxAttributes: number;
  maxNameLength: number;
  maxTextLength: number;
}

export const defaultXmlLimits: XmlLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxElements: 20_000,
  maxAttributes: 32,
  maxNameLength: 128,
  maxTextLength: 64 * 1024,
};

export interface XmlElement {
  /** The qualified name as written, e.g. md:MetaData. */
  name: string;
  /** The local part, e.g. MetaData. */
  local: string;
  /** The namespace URI the prefix (or the default namespace) resolves to; null when none. */
  ns: string | null;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (concatenated, trimmed). */
  text: string;
  /** An XPath to this element: qualified names, with [n] where a name repeats among siblings. */
  path: string;
  /** 1-based position among siblings of the same name. */
  position: number;
}

/** Why a document was refused: the code names the kind (not_well_formed, doctype, entity, too_large...). */
export class XmlError extends Error {
  constructor(
    readonly code: 'not_well_formed' | 'doctype_refused' | 'entity_refused' | 'too_large' | 'too_deep' | 'too_many_elements',
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const nameStart = /[A-Za-z_]/;
const nameChar = /[A-Za-z0-9_.:-]/;
const predefined: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Characters XML 1.0 allows in a document. */
function allowedCodePoint(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

export function parseXml(input: string, limits: XmlLimits = defaultXmlLimits): XmlElement {
  if (Buffer.byteLength(input, 'utf8') > limits.maxBytes) {
    throw new XmlError('too_large', `the document is larger than ${limits.maxBytes} bytes`, 1);
  }
  let i = input.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = input.length;
  let elements = 0;
  const lineAt = (at: number) => {
    let line = 1;
    for (let k = 0; k < at && k < n; k++) {
      if (input.charCodeAt(k) === 10) {
        line++;
      }
    }
    return line;
  };
  const fail = (message: string, at = i): never => {
    throw new XmlError('not_well_formed', message, lineAt(at));
  };
  const skipSpace = () => {
    while (i < n && /\s/.test(input[i] ?? '')) {
      i++;
    }
  };
  const readName = (): string => {
    const start = i;
    if (!nameStart.test(input[i] ?? '')) {
      fail(`a name was expected at "${input.slice(i, i + 10)}"`);
    }
    while (i < n && nameChar.test(input[i] ?? '')) {
      i++;
      if (i - start > limits.maxNameLength) {
        fail(`a name is longer than ${limits.maxNameLength} characters`);
      }
    }
    return input.slice(start, i);
  };
  /** Text with references resolved: only the five predefined entities and character references. */
  const decode = (raw: string, at: number): string => {
    for (const ch of raw) {
      if (!allowedCodePoint(ch.codePointAt(0) ?? 0)) {
        fail('the document holds a character XML does not allow', at);
      }
    }
    if (raw.includes('<')) {
      fail('"<" is not allowed in an attribute value', at);
    }
    return raw.replace(/&([^;&\s]{0,12});?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) {
        return fail('a "&" that starts no reference: write &amp;', at);
      }
      const known = predefined[ref];
      if (known !== undefined) {
        return known;
      }
      const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
      if (m) {
        const cp = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
        if (!allowedCodePoint(cp)) {
          return fail(`the character reference &${ref}; is not a character XML allows`, at);
        }
        return String.fromCodePoint(cp);
      }
      throw new XmlError('entity_refused', `the entity reference &${ref}; is refused: only &lt; &gt; &amp; &quot; &apos; and character references are read (no DTD, no entities)`, lineAt(at));
    });
  };
  /** Skips comments, processing instructions and white space between markup; refuses DOCTYPE. */
  const skipMisc = (allowDeclaration: boolean) => {
    for (;;) {
      skipSpace();
      if (input.startsWith('<!--', i)) {
        const end = input.indexOf('-->', i + 4);
        if (end < 0) {
          fail('a comment is not closed');
        }
        i = end + 3;
      } else if (input.startsWith('<?', i)) {
        const end = input.indexOf('?>', i + 2);
        if (end < 0) {
          fail('a processing instruction is not closed');
        }
        const target = /^<\?([A-Za-z_][\w.-]*)/.exec(input.slice(i, i + 40))?.[1] ?? '';
        if (target.toLowerCase() === 'xml' && !(allowDeclaration && i <= 1)) {
          fail('the XML declaration may only come first');
        }
        i = end + 2;
      } else if (input.startsWith('<!', i)) {
        throw new XmlError('doctype_refused', 'DOCTYPE and other declarations are refused: no DTD, no entities, no external references', lineAt(i));
      } else {
        return;
      }
      allowDeclaration = false;
    }
  };

  skipMisc(true);
  if (input[i] !== '<') {
    fail('the document does not start with an element');
  }
  interface Open {
    el: XmlElement;
    scope: Map<string, string>;
    texts: string[];
  }
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  const resolve = (qname: string, scope: Map<string, string>, isAttribute: boolean): { local: string; ns: string | null } => {
    const colon = qname.indexOf(':');
    if (colon < 0) {
      return { local: qname, ns: isAttribute ? null : (scope.get('') ?? null) || null };
    }
    const prefix = qname.slice(0, colon);
    const ns = prefix === 'xml' ? 'http://www.w3.org/XML/1998/namespace' : scope.get(prefix);
    if (ns === undefined) {
      return fail(`the prefix "${prefix}" is not declared`);
    }
    return { local: qname.slice(colon + 1), ns };
  };

  while (i < n) {
    if (input.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (input[i] !== '>') {
        fail(`the end tag </${name}> is not closed`);
      }
      i++;
      const open = stack.pop();
      if (!open || open.el.name !== name) {
        fail(`the end tag </${name}> does not match the open element ${open ? `<${open.el.name}>` : '(none)'}`);
      }
      if (open) {
        open.el.text = open.texts.join('').trim();
      }
      if (stack.length === 0) {
        break;
      }
    } else if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i + 4);
      if (end < 0) {
        fail('a comment is not closed');
      }
      i = end + 3;
    } else if (input.startsWith('<![CDATA[', i)) {
      const end = input.indexOf(']]>', i + 9);
      if (end < 0 || stack.length === 0) {
        fail('a CDATA section is not closed or lies outside the root element');
      }
      stack[stack.length - 1]?.texts.push(input.slice(i + 9, end));
      i = end + 3;
    } else if (input.startsWith('<!', i)) {
      throw new XmlError('doctype_refused', 'DOCTYPE and other declarations are refused: no DTD, no entities, no external references', lineAt(i));
    } else if (input.startsWith('<?', i)) {
      const end = input.indexOf('?>', i + 2);
      if (end < 0) {
        fail('a processing instruction is not closed');
      }
      i = end + 2;
    } else if (input[i] === '<') {
      if (root && stack.length === 0) {
        fail('a second root element');
      }
      const tagAt = i;
      i++;
      const name = readName();
      const rawAttrs: [string, string][] = [];
      for (;;) {
        const before = i;
        skipSpace();
        if (input[i] === '>' || input.startsWith('/>', i)) {
          break;
        }
        if (i === before) {
          fail(`white space is needed between the attributes of <${name}>`);
        }
        const attr = readName();
        skipSpace();
        if (input[i] !== '=') {
          fail(`the attribute ${attr} has no value`);
        }
        i++;
        skipSpace();
        const quote = input[i];
        if (quote !== '"' && quote !== "'") {
          fail(`the value of ${attr} is not quoted`);
        }
        const end = input.indexOf(quote ?? '"', i + 1);
        if (end < 0) {
          fail(`the value of ${attr} is not closed`);
        }
        if (rawAttrs.some(([a]) => a === attr)) {
          fail(`the attribute ${attr} is given twice`);
        }
        rawAttrs.push([attr, decode(input.slice(i + 1, end), i)]);
        if (rawAttrs.length > limits.maxAttributes) {
          fail(`<${name}> has more than ${limits.maxAttributes} attributes`);
        }
        i = end + 1;
      }
      const selfClosing = input.startsWith('/>', i);
      i += selfClosing ? 2 : 1;
      elements++;
      if (elements > limits.maxElements) {
        throw new XmlError('too_many_elements', `the document has more than ${limits.maxElements} elements`, lineAt(tagAt));
      }
      if (stack.length + 1 > limits.maxDepth) {
        throw new XmlError('too_deep', `elements nest deeper than ${limits.maxDepth} levels`, lineAt(tagAt));
      }
      const parent = stack[stack.length - 1];
      const scope = new Map(parent?.scope ?? []);
      const attrs: Record<string, string> = {};
      for (const [attr, value] of rawAttrs) {
        if (attr === 'xmlns') {
          scope.set('', value);
        } else if (attr.startsWith('xmlns:')) {
          scope.set(attr.slice(6), value);
        }
      }
      for (const [attr, value] of rawAttrs) {
        if (attr !== 'xmlns' && !attr.startsWith('xmlns:')) {
          resolve(attr, scope, true);
          attrs[attr] = value;
        }
      }
      const { local, ns } = resolve(name, scope, false);
      const el: XmlElement = { name, local, ns, attrs, children: [], text: '', path: '', position: 1 };
      if (parent) {
        parent.el.children.push(el);
      } else {
        root = el;
      }
      if (!selfClosing) {
        stack.push({ el, scope, texts: [] });
      } else if (!parent) {
        break;
      }
    } else {
      const end = input.indexOf('<', i);
      const stop = end < 0 ? n : end;
      const open = stack[stack.length - 1];
      if (!open) {
        if (input.slice(i, stop).trim() !== '') {
          fail('text outside the root element');
        }
      } else {
        const text = decode(input.slice(i, stop), i);
        open.texts.push(text);
        if (open.texts.reduce((s, t) => s + t.length, 0) > limits.maxTextLength) {
          fail(`the text of <${open.el.name}> is longer than ${limits.maxTextLength} characters`);
        }
      }
      i = stop;
    }
  }
  if (!root || stack.length > 0) {
    return fail(stack.length > 0 ? `the document ends inside <${stack[stack.length - 1]?.el.name ?? '?'}>: it is truncated` : 'the document has no root element');
  }
  skipMisc(false);
  if (i < n) {
    fail('content after the root element');
  }
  assignPaths(root, '');
  return root;
}

function assignPaths(el: XmlElement, path: string): void {
  el.path = path === '' ? `/${el.name}` : path;
  const counts = new Map<string, number>();
  for (const c of el.children) {
    counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  for (const c of el.children) {
    const position = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, position);
    c.position = position;
    assignPaths(c, `${el.path}/${c.name}${(counts.get(c.name) ?? 0) > 1 ? `[${position}]` : ''}`);
  }
}

/** Children with this local name (any namespace: the documents we read use one per level). */
export const childrenNamed = (el: XmlElement | undefined, local: string): XmlElement[] => (el ? el.children.filter((c) => c.local === local) : []);
export const child = (el: XmlElement | undefined, ...path: string[]): XmlElement | undefined => {
  let at = el;
  for (const local of path) {
    at = at?.children.find((c) => c.local === local);
  }
  return at;
};

// Writing

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

export type XmlNode = string | XmlNode[] | undefined | null | false;

/** An element: text content (escaped) or child nodes (already written). Empty children omit the element when `optional`. */
export function el(name: string, content: XmlNode, attrs: Record<string, string | undefined> = {}): string {
  const attributes = Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  const inner = typeof content === 'string' ? escapeXml(content) : flatten(content);
  return `<${name}${attributes}>${inner}</${name}>`;
}

function flatten(node: XmlNode): string {
  if (!node) {
    return '';
  }
  return Array.isArray(node) ? node.map(flatten).join('') : node;
}

/** Child nodes written as markup (already escaped by el). */
export const nodes = (...parts: XmlNode[]): XmlNode[] => parts;
