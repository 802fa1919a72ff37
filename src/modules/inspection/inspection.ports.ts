// What verification needs from the modules around it, as narrow interfaces: the declaration
// (its goods, its re-assessment with corrected fields, its control), the payment balance, the
// risk engine's training labels and the identity of officers. The composition root (app.ts)
// passes the real services, which satisfy these shapes.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { Actor } from '#modules/audit/index.ts';

type Q = Kysely<DB>;

/** What the declaration tells verification when its channel asks for a check (inside lodgement). */
export interface SelectedDeclaration {
  declarationId: string;
  reference: string;
  transportDocumentNumber: string;
  transportDocumentId: string;
  declarantOrgId: string;
  importerOrgId: string;
  officeCode: string;
  channel: 'green' | 'yellow' | 'red' | 'blue';
  /** Why it was selected, in words (customs only). */
  reasons: string[];
  /**
   * Earlier declarations of the same consignment (cancelled, or on the same document): a check
   * still open on one of them carries over to this declaration, with the officer it was drawn for.
   */
  priorDeclarationIds?: string[];
  requestId?: string | null;
}

/** The fields an officer may correct on an item. */
export const correctableFields = ['hsCode', 'quantity', 'itemPrice', 'originCountry'] as const;
export type CorrectableField = (typeof correctableFields)[number];

export interface Correction {
  itemNo: number;
  hsCode?: string;
  quantity?: string;
  /** The item's value in the invoice currency, as the officer establishes it. */
  itemPrice?: string;
  originCountry?: string;
}

export interface VerificationSubject {
  id: string;
  reference: string;
  status: string;
  officeCode: string;
  transportDocumentNumber: string;
  declarantOrgId: string;
  importerOrgId: string;
  channel: string | null;
  controlStatus: string;
  assessedTotal: string;
  invoiceCurrency: string;
  items: { itemNo: number; hsCode: string; description: string; originCountry: string; quantity: string; unit: string; itemPrice: string }[];
}

export interface FieldChange {
  itemNo: number;
  field: CorrectableField;
  before: string;
  after: string;
}

/** A re-assessment with corrected fields, before and after. */
export interface CorrectionEffect {
  changes: FieldChange[];
  /** KES, two decimals. */
  totalBefore: string;
  totalAfter: string;
  /** totalAfter - totalBefore: the additional duties and taxes (negative when they fall). */
  difference: string;
  totalsBefore: Record<string, string>;
  totalsAfter: Record<string, string>;
  /** The date whose rates were used (arrival of the conveyance). */
  assessmentDate: string;
  /** Set when the correction was applied and a PRN is now to pay. */
  prn?: { prn: string; amount: string; status: string; kind: 'replacement' | 'supplementary' };
  /** Set when the correction was applied to a paid declaration and lowered its taxes. */
  refundDue?: string;
  /** The declaration's status after the correction. */
  declarationStatus: string;
}

export interface DeclarationPort {
  forVerification(q: Q, declarationId: string): Promise<VerificationSubject | undefined>;
  /** Re-assesses with the corrections without storing anything; a 422 points at /items/k/... */
  previewCorrection(q: Q, declarationId: string, corrections: Correction[]): Promise<CorrectionEffect>;
  /**
   * Stores the corrections (an amendment with before and after), re-assesses, and asks for the
   * difference: a replacement PRN while the first is unpaid, a supplementary PRN once it is paid,
   * or a refund due when the taxes fall after payment.
   */
  applyCorrection(tx: Tx, declarationId: string, corrections: Correction[], context: { actor: Actor; requestId: string | null; reason: string }): Promise<CorrectionEffect>;
  /** The officer's control is passed: release follows if the declaration is paid and arrived. */
  passControl(tx: Tx, declarationId: string, context: { findings: string; actor: Actor; requestId: string | null }): Promise<void>;
  /** Refuses (403) an organisation that may no longer act on the declaration: an agent whose licence or authority lapsed. */
  checkAuthority(q: Q, organisationId: string, declarationId: string): Promise<void>;
}

export interface BalancePort {
  /** What the declaration's PRNs asked for and received (KES decimal strings). */
  balance(q: Q, declarationId: string): Promise<{ due: string; paid: string; balance: string; credit: string; prn?: string }>;
}

/** The training label of the risk engine (risk module's recordOutcome). */
export interface InspectionOutcome {
  declarationId: string;
  inspected: boolean;
  discrepancy: boolean;
  /** KES decimal string: additional duties and taxes assessed by the verification. */
  extraRevenue: string;
  findings: unknown;
  officerId: string | null;
}

export interface OutcomePort {
  recordOutcome(tx: Tx, outcome: InspectionOutcome): Promise<unknown>;
}

export interface OfficerRef {
  id: string;
  displayName: string;
  roles: string[];
  active: boolean;
  organisation: { kind: string };
}

export interface OfficerDirectory {
  user(q: Q, id: string): Promise<OfficerRef | undefined>;
}

export interface ReferencePort {
  sets(): Promise<{ countries: ReadonlySet<string>; offices: ReadonlySet<string> }>;
}
