// Reliefs as the engine applies them, and the port through which the calculator asks the relief
// module which reliefs an item earns. The engine never decides eligibility: it is given
// ReliefGrant[] per item (resolved from the procedure code, the documents and any exemption
// letter) and only applies them, charge by charge, so later bases use what is actually due.
import { Dec } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';
import type { ReliefGrant, RuleRef, TaxLine } from './assessment.types.ts';

const ZERO = new Dec(0);

/** The grant that relieves a charge the most: full before any rate, then the lowest rate. */
export function reliefFor(grants: readonly ReliefGrant[] | undefined, charge: string): ReliefGrant | undefined {
  if (grants === undefined || grants.length === 0) {
    return undefined;
  }
  const mine = grants.filter((g) => g.charge === charge);
  return mine.find((g) => g.kind === 'full') ?? [...mine].sort((a, b) => (a.rate ?? ZERO).comparedTo(b.rate ?? ZERO))[0];
}

/**
 * A tax line after its relief: full makes it nil; a rate makes it ad valorem at that rate on the
 * same base (any specific part falls away). A relief never raises a charge: a line already lower
 * than the relieved rate stays as it was.
 */
export function relieveLine(line: TaxLine, grants: readonly ReliefGrant[] | undefined, round: (d: Dec) => Dec, use: (ref: RuleRef) => void): TaxLine {
  const grant = reliefFor(grants, line.code);
  if (!grant) {
    return line;
  }
  const { specific: _specific, ...rest } = line;
  if (grant.kind === 'full') {
    use(grant.ref);
    return { ...rest, rate: ZERO, amount: ZERO, method: `relief: ${grant.name}`, rule: grant.ref };
  }
  const rate = grant.rate ?? ZERO;
  const amount = round(line.base.percent(rate));
  if (amount.greaterThanOrEqualTo(line.amount)) {
    return line;
  }
  use(grant.ref);
  return { ...rest, rate, amount, method: `relief-rate: ${grant.name}`, rule: grant.ref };
}

/** A supporting document as a declaration or a calculator request lists it. */
export interface PresentedDocument {
  code: string;
  reference: string;
}

/** What the relief module is asked for one procedure code's items. */
export interface ReliefQuery {
  cpc: string;
  date: string;
  documents: readonly PresentedDocument[];
  /**
   * The declaration's importer. Given: exemption letters are looked up and must be held by it,
   * in force and cover the item. Absent (the public calculator): letters are taken as presented
   * and checked at lodgement, so the calculator reveals nothing about anyone's letters.
   */
  importerPin?: string;
  items: readonly { hsCode: string; quantity?: string; unit?: string }[];
}

/** An exemption letter an item draws on: by its customs value or its quantity. */
export interface LetterUse {
  letterId: string;
  number: string;
  cover: 'value' | 'quantity';
  unit: string | null;
  ref: RuleRef;
}

export type ReliefResolution =
  | { ok: true; items: { grants: ReliefGrant[]; letters: LetterUse[] }[]; warnings: string[] }
  | { ok: false; errors: FieldError[] };

export interface ReliefPort {
  resolve(query: ReliefQuery): Promise<ReliefResolution>;
}
