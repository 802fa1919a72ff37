// Which reliefs an item earns: pure, given the relief rules in force and the exemption letters
// its documents name. Rules are data (relief table); this function only matches them.
import { Dec } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';
import type { LetterUse, ReliefGrant, ReliefQuery, ReliefResolution, RuleRef } from '#modules/assessment/index.ts';

export interface ReliefRule {
  id: string;
  cpc: string;
  documentCode: string | null;
  hsPrefix: string | null;
  charge: string;
  kind: 'full' | 'rate';
  rate: string | null;
  requiredDocument: string | null;
  letterRequired: boolean;
  name: string;
  validFrom: string;
  validTo: string | null;
}

export interface LetterRecord {
  id: string;
  number: string;
  documentCode: string;
  holderPin: string;
  procedureCodes: string[];
  charges: string[];
  cover: 'value' | 'quantity';
  unit: string | null;
  hsPrefix: string | null;
  balance: string;
  validFrom: string;
  validTo: string | null;
}

export interface ReliefData {
  /** Relief rules of the query's CPC in force on its date. */
  rules: readonly ReliefRule[];
  /** Letters named by the query's documents, by upper-case number (only when importerPin is given). */
  letters: ReadonlyMap<string, LetterRecord>;
}

const digits = (hs: string) => hs.replace(/\D/g, '');
const inForce = (from: string, to: string | null, date: string) => from <= date && (to === null || date <= to);

export function ruleRef(rule: ReliefRule): RuleRef {
  return {
    kind: 'relief',
    id: rule.id,
    key: `${rule.cpc}${rule.documentCode ? `+${rule.documentCode}` : ''}:${rule.charge}`,
    validFrom: rule.validFrom,
    validTo: rule.validTo,
    value: { name: rule.name, kind: rule.kind, ...(rule.rate === null ? {} : { rate: rule.rate }), ...(rule.hsPrefix ? { hsPrefix: rule.hsPrefix } : {}) },
  };
}

export function letterRef(letter: LetterRecord): RuleRef {
  return { kind: 'exemption-letter', id: letter.id, key: letter.number, validFrom: letter.validFrom, validTo: letter.validTo, value: { cover: letter.cover, charges: letter.charges } };
}

/** The letter document codes a query names with their references (in the order presented). */
function presented(query: ReliefQuery, code: string): { index: number; reference: string }[] {
  return query.documents.flatMap((d, index) => (d.code.toUpperCase() === code ? [{ index, reference: d.reference.trim().toUpperCase() }] : []));
}

export function resolveReliefs(query: ReliefQuery, data: ReliefData): ReliefResolution {
  const errors = new Map<string, FieldError>();
  const fail = (e: FieldError) => errors.set(`${e.pointer} ${e.code}`, e);
  const warnings = new Set<string>();
  const codes = new Set(query.documents.map((d) => d.code.toUpperCase()));
  const rules = data.rules.filter((r) => r.cpc === query.cpc && inForce(r.validFrom, r.validTo, query.date) && (r.documentCode === null || codes.has(r.documentCode)));
  for (const rule of rules) {
    if (rule.requiredDocument !== null && !codes.has(rule.requiredDocument)) {
      fail({
        pointer: '/documents',
        code: 'document_required',
        message: `procedure code ${query.cpc} (${rule.name}) needs document ${rule.requiredDocument}; add it to the documents with its reference, or declare another procedure code`,
      });
    }
  }
  const items = query.items.map((item, index) => {
    const grants: ReliefGrant[] = [];
    const letters = new Map<string, LetterUse>();
    for (const rule of rules) {
      if (rule.hsPrefix !== null && !digits(item.hsCode).startsWith(rule.hsPrefix)) {
        continue;
      }
      if (rule.requiredDocument !== null && !codes.has(rule.requiredDocument)) {
        continue;
      }
      const grant: ReliefGrant = { charge: rule.charge, kind: rule.kind, name: rule.name, ref: ruleRef(rule), ...(rule.rate === null ? {} : { rate: new Dec(rule.rate) }) };
      if (!rule.letterRequired) {
        grants.push(grant);
        continue;
      }
      const letter = letterFor(query, data, rule, item, index, fail, warnings);
      if (letter === 'trusted') {
        grants.push(grant);
      } else if (letter) {
        grants.push(grant);
        letters.set(letter.id, { letterId: letter.id, number: letter.number, cover: letter.cover, unit: letter.unit, ref: letterRef(letter) });
      }
    }
    return { grants, letters: [...letters.values()] };
  });
  if (errors.size > 0) {
    return { ok: false, errors: [...errors.values()] };
  }
  return { ok: true, items, warnings: [...warnings] };
}

/**
 * The exemption letter that lets a rule relieve an item: presented under the rule's document
 * code, held by the importer, in force, for this CPC, this charge and these goods. Without an
 * importer (the public calculator) the letter is taken as presented.
 */
function letterFor(
  query: ReliefQuery,
  data: ReliefData,
  rule: ReliefRule,
  item: ReliefQuery['items'][number],
  itemIndex: number,
  fail: (e: FieldError) => void,
  warnings: Set<string>,
): LetterRecord | 'trusted' | undefined {
  const code = (rule.requiredDocument ?? rule.documentCode) as string;
  const named = presented(query, code);
  if (query.importerPin === undefined) {
    warnings.add(`${rule.name}: exemption letter ${named.map((n) => n.reference).join(', ')} is taken as presented; its holder, validity and balance are checked at lodgement`);
    return 'trusted';
  }
  for (const { index, reference } of named) {
    const pointer = `/documents/${index}/reference`;
    const letter = data.letters.get(reference);
    if (!letter || letter.documentCode !== code) {
      fail({ pointer, code: 'unknown_exemption_letter', message: `"${reference}" is not a registered exemption letter of document code ${code}; customs registers letters (POST /api/v1/exemption-letters)` });
      continue;
    }
    if (letter.holderPin !== query.importerPin) {
      fail({ pointer, code: 'exemption_letter_holder', message: `exemption letter ${letter.number} is held by another importer; only its holder's declarations may use it` });
      continue;
    }
    if (!inForce(letter.validFrom, letter.validTo, query.date)) {
      fail({ pointer, code: 'exemption_letter_not_in_force', message: `exemption letter ${letter.number} is valid from ${letter.validFrom} to ${letter.validTo ?? 'open'}, not on ${query.date}` });
      continue;
    }
    if (!letter.procedureCodes.includes(query.cpc)) {
      fail({ pointer, code: 'exemption_letter_cpc', message: `exemption letter ${letter.number} covers procedure code(s) ${letter.procedureCodes.join(', ')}, not ${query.cpc}` });
      continue;
    }
    if (letter.cover === 'quantity' && item.unit !== undefined && letter.unit !== item.unit.toUpperCase()) {
      fail({ pointer: `/items/${itemIndex}/unit`, code: 'exemption_letter_unit', message: `exemption letter ${letter.number} covers a quantity in ${letter.unit ?? '-'}; declare the item in ${letter.unit ?? '-'}` });
      continue;
    }
    if (!letter.charges.includes(rule.charge) || (letter.hsPrefix !== null && !digits(item.hsCode).startsWith(letter.hsPrefix))) {
      continue;
    }
    return letter;
  }
  return undefined;
}
