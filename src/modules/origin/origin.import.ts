// Loading preference agreements and their members from a JSON file: the whole file is checked
// first and every bad entry reported by its place in the file (/agreements/1/members/3); then it
// loads all-or-nothing in one transaction, recorded in the audit trail. As with the tariff, a
// membership is never rewritten: a new row with a later validFrom closes the open one the day
// before, an identical row is left alone, a different row for the same start is refused.
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { sha256File } from '#platform/csv.ts';
import { isIsoDate } from '#platform/clock.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { clashesWithinFile, importTransaction, planVersions } from '#platform/imports/versions.ts';
import { recordDataImport } from '#platform/imports/lines.ts';
import { maxJsonImportBytes } from '#platform/imports/json.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import { originWrites, type AgreementRow, type MemberRow } from './origin.repository.ts';

export interface EntryError {
  /** Where in the file: a JSON pointer such as /agreements/1/members/3/validFrom. */
  pointer: string;
  message: string;
}

export interface OriginImportReport {
  ok: boolean;
  file: string;
  agreements: number;
  members: number;
  loaded: number;
  unchanged: number;
  closed: number;
  importId?: number;
  errors: EntryError[];
}

export interface OriginImportOptions {
  importedBy: string;
  dryRun?: boolean;
  /** Who the audit trail names; default the command line under `importedBy`. */
  actor?: Actor;
  /**
   * False for the shipped sample loaded into an empty database at setup: like the shipped
   * settings and charges it is recorded in data_import only, not as someone's action.
   */
  audited?: boolean;
}

interface NewAgreement {
  code: string;
  name: string;
  removes: string[];
  proof_document: string;
  precedence: number;
  source: string;
  note: string | null;
}
type NewMember = Omit<MemberRow, 'id' | 'import_id'> & { pointer: string };

interface Known {
  countries: Set<string>;
  documents: Set<string>;
}

const limits = { agreements: 50, members: 300, name: 200, source: 2000, note: 1000 };
const agreementKeys = ['code', 'name', 'removes', 'proofDocument', 'precedence', 'source', 'note', 'members'];
const memberKeys = ['country', 'validFrom', 'validTo', 'note'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(entry: Record<string, unknown>, key: string, max: number, at: string, errors: EntryError[], optional = false): string | null {
  const v = entry[key];
  if (v === undefined && optional) {
    return null;
  }
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) {
    errors.push({ pointer: `${at}/${key}`, message: `is ${optional ? 'optional but must be' : 'required:'} text of 1 to ${max} characters` });
    return null;
  }
  return v.trim();
}

function unknownKeys(entry: Record<string, unknown>, allowed: string[], at: string, errors: EntryError[]): void {
  const extra = Object.keys(entry).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    errors.push({ pointer: at, message: `unknown key(s) ${extra.join(', ')}; allowed: ${allowed.join(', ')}` });
  }
}

function parseMember(raw: unknown, agreement: string, at: string, known: Known, errors: EntryError[]): NewMember | undefined {
  const before = errors.length;
  if (!isObject(raw)) {
    errors.push({ pointer: at, message: 'must be an object { country, validFrom, validTo?, note? }' });
    return undefined;
  }
  unknownKeys(raw, memberKeys, at, errors);
  const country = typeof raw.country === 'string' ? raw.country.toUpperCase() : '';
  if (!known.countries.has(country)) {
    errors.push({ pointer: `${at}/country`, message: `${JSON.stringify(raw.country)} is not an ISO 3166 alpha-2 country code (e.g. KE, RW, EG)` });
  }
  const validFrom = typeof raw.validFrom === 'string' ? raw.validFrom : '';
  if (!isIsoDate(validFrom)) {
    errors.push({ pointer: `${at}/validFrom`, message: `${JSON.stringify(raw.validFrom)} is not a date written YYYY-MM-DD (the day the state applies the agreement)` });
  }
  const validTo = raw.validTo === undefined || raw.validTo === null ? null : raw.validTo;
  if (validTo !== null && (typeof validTo !== 'string' || !isIsoDate(validTo) || validTo < validFrom)) {
    errors.push({ pointer: `${at}/validTo`, message: `${JSON.stringify(validTo)} is not a date YYYY-MM-DD on or after validFrom (leave it out for open-ended)` });
  }
  const note = text(raw, 'note', limits.note, at, errors, true);
  if (errors.length > before) {
    return undefined;
  }
  return { pointer: at, agreement, country, valid_from: validFrom, valid_to: validTo as string | null, note };
}

function parseAgreement(raw: unknown, at: string, known: Known, errors: EntryError[]): { agreement?: NewAgreement; members: NewMember[] } {
  if (!isObject(raw)) {
    errors.push({ pointer: at, message: 'must be an object { code, name, removes, proofDocument, precedence, source, note?, members }' });
    return { members: [] };
  }
  const before = errors.length;
  unknownKeys(raw, agreementKeys, at, errors);
  const code = typeof raw.code === 'string' ? raw.code.trim().toUpperCase() : '';
  if (!/^[A-Z][A-Z0-9-]{1,19}$/.test(code)) {
    errors.push({ pointer: `${at}/code`, message: `${JSON.stringify(raw.code)} is not an agreement code: 2 to 20 letters, digits and hyphens, e.g. EAC-CU, COMESA-FTA` });
  }
  const name = text(raw, 'name', limits.name, at, errors);
  const source = text(raw, 'source', limits.source, at, errors);
  const note = text(raw, 'note', limits.note, at, errors, true);
  const removes = raw.removes;
  if (!Array.isArray(removes) || removes.length === 0 || removes.length > 10 || !removes.every((c) => typeof c === 'string' && /^[A-Z]{2,5}$/.test(c))) {
    errors.push({ pointer: `${at}/removes`, message: 'must list 1 to 10 charge codes the preference removes, e.g. ["ID"]' });
  }
  const proof = typeof raw.proofDocument === 'string' ? raw.proofDocument.toUpperCase() : '';
  if (!known.documents.has(proof)) {
    errors.push({ pointer: `${at}/proofDocument`, message: `${JSON.stringify(raw.proofDocument)} is not a document code; see GET /api/v1/reference/document-codes (e.g. CEAC, CCOM)` });
  }
  const precedence = raw.precedence;
  if (typeof precedence !== 'number' || !Number.isInteger(precedence) || precedence < 1 || precedence > 99) {
    errors.push({ pointer: `${at}/precedence`, message: 'must be a whole number from 1 to 99 (lower wins when a country is in several agreements)' });
  }
  const members: NewMember[] = [];
  if (!Array.isArray(raw.members) || raw.members.length > limits.members) {
    errors.push({ pointer: `${at}/members`, message: `must be a list of at most ${limits.members} members` });
  } else {
    raw.members.forEach((m, j) => {
      const member = parseMember(m, code, `${at}/members/${j}`, known, errors);
      if (member) {
        members.push(member);
      }
    });
  }
  if (errors.length > before) {
    return { members };
  }
  return {
    agreement: { code, name: name as string, removes: removes as string[], proof_document: proof, precedence: precedence as number, source: source as string, note },
    members,
  };
}

/** Reads and checks the whole file; every problem is reported, nothing is touched. */
export function parseOriginFile(content: string, known: Known, errors: EntryError[]): { agreements: NewAgreement[]; members: NewMember[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch (err) {
    errors.push({ pointer: '', message: `not JSON: ${(err as Error).message}` });
    return { agreements: [], members: [] };
  }
  if (!isObject(doc) || !Array.isArray(doc.agreements) || doc.agreements.length === 0 || doc.agreements.length > limits.agreements) {
    errors.push({ pointer: '/agreements', message: `the file must be an object with "agreements": a list of 1 to ${limits.agreements} agreements (and optionally "about" and "sources")` });
    return { agreements: [], members: [] };
  }
  unknownKeys(doc, ['about', 'sources', 'agreements'], '', errors);
  const agreements: NewAgreement[] = [];
  const members: NewMember[] = [];
  doc.agreements.forEach((raw, i) => {
    const parsed = parseAgreement(raw, `/agreements/${i}`, known, errors);
    if (parsed.agreement) {
      const twin = agreements.find((a) => a.code === parsed.agreement?.code || a.precedence === parsed.agreement?.precedence);
      if (twin) {
        errors.push({ pointer: `/agreements/${i}`, message: `repeats the code or precedence of ${twin.code}; each agreement appears once, with its own precedence` });
      }
      agreements.push(parsed.agreement);
    }
    members.push(...parsed.members);
  });
  checkOverlaps(members, errors);
  return { agreements, members };
}

function checkOverlaps(members: NewMember[], errors: EntryError[]): void {
  for (const { row: m, earlier: clash } of clashesWithinFile(members, (x) => `${x.agreement}:${x.country}`)) {
    errors.push({ pointer: `${m.pointer}/validFrom`, message: `${m.country} in ${m.agreement} from ${m.valid_from} overlaps ${clash.pointer} (${clash.valid_from} to ${clash.valid_to ?? 'open'}); give the earlier entry a validTo` });
  }
}

/** An agreement's rules (what it removes, its proof, its precedence) are never rewritten; its wording may be. */
function checkAgreements(incoming: NewAgreement[], existing: AgreementRow[], errors: EntryError[], index: Map<string, number>) {
  const fresh: NewAgreement[] = [];
  const described: NewAgreement[] = [];
  for (const a of incoming) {
    const old = existing.find((e) => e.code === a.code);
    if (!old) {
      fresh.push(a);
      continue;
    }
    const sameRules = JSON.stringify(old.removes) === JSON.stringify(a.removes) && old.proof_document === a.proof_document && old.precedence === a.precedence;
    if (!sameRules) {
      errors.push({
        pointer: `/agreements/${index.get(a.code)}`,
        message: `${a.code} is already loaded with removes ${JSON.stringify(old.removes)}, proof ${old.proof_document}, precedence ${old.precedence}; an agreement's rules are never rewritten (past assessments rest on them): load the change as a new agreement code and end the old one's memberships`,
      });
    } else if (old.name !== a.name || old.source !== a.source || old.note !== a.note) {
      described.push(a);
    }
  }
  return { fresh, described };
}

/** How incoming memberships fit the loaded ones (see the file's header): the shared version rule. */
function planMembers(incoming: NewMember[], existing: MemberRow[], errors: EntryError[]) {
  const plan = planVersions(incoming, existing, (x) => `${x.agreement}:${x.country}`, (m, e) => e.valid_to === m.valid_to);
  for (const { row: m, existing: e, why } of plan.refused) {
    errors.push(
      why === 'rewrite'
        ? { pointer: `${m.pointer}/validFrom`, message: `${m.country} in ${m.agreement} already has a membership from ${m.valid_from} to ${e.valid_to ?? 'open'}; memberships are never rewritten: load the change with a later validFrom` }
        : { pointer: `${m.pointer}/validTo`, message: `${m.country} in ${m.agreement} from ${m.valid_from} would overlap the membership loaded from ${e.valid_from}; end it before then` },
    );
  }
  return plan;
}

async function knownCodes(db: Kysely<DB>): Promise<Known> {
  const [countries, documents] = await Promise.all([db.selectFrom('country').select('code').execute(), db.selectFrom('document_code').select('code').execute()]);
  return { countries: new Set(countries.map((c) => c.code)), documents: new Set(documents.map((d) => d.code)) };
}

export async function importOrigin(db: Kysely<DB>, file: string, options: OriginImportOptions): Promise<OriginImportReport> {
  const report: OriginImportReport = { ok: false, file: path.basename(file), agreements: 0, members: 0, loaded: 0, unchanged: 0, closed: 0, errors: [] };
  if (fs.statSync(file).size > maxJsonImportBytes) {
    report.errors.push({ pointer: '', message: `larger than ${maxJsonImportBytes / 1_000_000} MB` });
    return finish(report);
  }
  const parsed = parseOriginFile(fs.readFileSync(file, 'utf8'), await knownCodes(db), report.errors);
  report.agreements = parsed.agreements.length;
  report.members = parsed.members.length;
  if (report.errors.length > 0) {
    return finish(report);
  }
  const index = new Map(parsed.agreements.map((a, i) => [a.code, i]));
  const actor = options.actor ?? { id: 'cli', name: `forodha origin import (${options.importedBy})`, organisationId: null, role: 'cli' };
  const done = await importTransaction(db, async (tx) => {
    const errors: EntryError[] = [];
    await originWrites.lock(tx);
    const codes = parsed.agreements.map((a) => a.code);
    const agreements = checkAgreements(parsed.agreements, await originWrites.existingAgreements(tx, codes), errors, index);
    const plan = planMembers(parsed.members, await originWrites.existingMembers(tx, codes), errors);
    if (errors.length > 0 || options.dryRun) {
      return { commit: false, errors, plan, importId: undefined };
    }
    return { commit: true, errors, plan, importId: await write(tx, file, report, options, actor, agreements, plan) };
  });
  Object.assign(report, { errors: done.errors, loaded: done.plan.fresh.length, unchanged: done.plan.unchanged, closed: done.plan.closes.length });
  if (done.importId !== undefined) {
    report.importId = done.importId;
  }
  return finish(report);
}

async function write(
  tx: Tx,
  file: string,
  report: OriginImportReport,
  options: OriginImportOptions,
  actor: Actor,
  agreements: { fresh: NewAgreement[]; described: NewAgreement[] },
  plan: ReturnType<typeof planMembers>,
): Promise<number> {
  const checksum = sha256File(file);
  const importId = await recordDataImport(tx, { kind: 'origin', file_name: report.file, checksum, rows_loaded: plan.fresh.length + agreements.fresh.length, rows_unchanged: plan.unchanged, imported_by: options.importedBy });
  for (const a of agreements.fresh) {
    await originWrites.insertAgreement(tx, { ...a, import_id: importId });
  }
  for (const a of agreements.described) {
    await originWrites.describeAgreement(tx, a.code, { name: a.name, source: a.source, note: a.note });
  }
  for (const c of plan.closes) {
    await originWrites.closeMember(tx, c.id, c.validTo);
  }
  await originWrites.insertMembers(tx, plan.fresh.map(({ pointer: _pointer, ...m }) => ({ ...m, import_id: importId })));
  if (options.audited === false) {
    return importId;
  }
  await recordAudit(tx, {
    actor,
    action: 'origin.imported',
    entityType: 'data_import',
    entityId: String(importId),
    after: {
      file: report.file,
      checksum,
      agreementsAdded: agreements.fresh.map((a) => a.code),
      agreementsDescribed: agreements.described.map((a) => a.code),
      membersAdded: plan.fresh.map((m) => `${m.agreement}:${m.country}:${m.valid_from}`),
      membershipsClosed: plan.closes,
    },
  });
  return importId;
}

function finish(report: OriginImportReport): OriginImportReport {
  report.errors.sort((a, b) => a.pointer.localeCompare(b.pointer, 'en', { numeric: true }));
  report.ok = report.errors.length === 0;
  return report;
}
