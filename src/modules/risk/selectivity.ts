// Selectivity: which channel a lodged declaration goes to. Green releases without a check, yellow
// is a documentary check, red a physical verification, blue releases now and audits later.
// This is the seam the risk engine plugs into: the declaration module calls `assign` at
// lodgement and stores the channel, the reasons and the version of the rules that chose it.
// The engine itself is riskEngine (engine.ts); the placeholder below sends everything to green
// and remains for tests of other modules that do not want selection.
import type { Tx } from '#platform/db/transaction.ts';

export const channels = ['green', 'yellow', 'red', 'blue'] as const;
export type Channel = (typeof channels)[number];

/** What the risk engine sees of a declaration: the facts a selectivity rule or model needs. */
export interface DeclarationForRisk {
  declarationId: string;
  reference: string;
  /** Lodgement date in the office's zone, YYYY-MM-DD. */
  date: string;
  regime: string;
  cpc: string;
  officeCode: string;
  declarantOrgId: string;
  importerOrgId: string;
  importerPin: string;
  /** The importer holds an Authorised Economic Operator certificate. */
  importerAeo: boolean;
  transportDocumentNumber: string;
  /** Transport mode of the manifest (sea, air, road, rail), when known. */
  transportMode: string | null;
  /** Goods declared before the conveyance arrived. */
  preArrival: boolean;
  invoiceCurrency: string;
  invoiceAmount: string;
  /** KES per unit of the invoice currency used by the assessment, when known (for readable valuation figures). */
  exchangeRate?: string | null | undefined;
  /** Seller (consignor) named on the invoice, when declared. */
  sellerName?: string | null | undefined;
  /** ISO country of the seller, when declared. */
  sellerCountry?: string | null | undefined;
  /** ISO country of dispatch (departure), when declared. */
  departureCountry?: string | null | undefined;
  incoterm: string;
  /** Duties and taxes assessed, KES. */
  assessedTotal: string;
  /**
   * Earlier declarations of the same consignment: on the same transport document (any status),
   * or of the same importer and goods that were cancelled or rejected. Their channel follows the
   * goods, so cancelling a red declaration and lodging it again draws nothing new.
   */
  consignment?: PriorDeclaration[] | undefined;
  items: {
    itemNo: number;
    hsCode: string;
    originCountry: string;
    preferentialOrigin: boolean;
    quantity: string;
    unit: string;
    netMassKg: string;
    grossMassKg: string;
    itemPrice: string;
    /** Customs value in KES from the assessment. */
    customsValue: string;
    /** Import duty rate applied, percent, when ad valorem. */
    dutyRate: string | null;
  }[];
}

export interface PriorDeclaration {
  declarationId: string;
  reference: string;
  channel: Channel;
  status: string;
  /** same_document: on the same transport document; same_goods: same importer and HS codes, cancelled or rejected. */
  relation: 'same_document' | 'same_goods';
  /** When it was cancelled or rejected (ISO), or lodged when still live. */
  at: string;
}

export interface SelectivityResult {
  channel: Channel;
  /** Probability-like score from a model, or null when rules alone decided. */
  score: number | null;
  /** Why this channel, in words; shown to customs only, never to traders or agents. */
  reasons: string[];
  /** Version of the rules or model that decided, so the decision can be explained later. */
  version: string;
}

export interface Selectivity {
  /**
   * Chooses the channel. Pass the lodgement's transaction: the engine reads its rules and the
   * valuation reference through it and records its decision (risk_selection) in it, so the
   * decision commits or rolls back with the declaration. Without one it decides from what it
   * has cached and records nothing (PGlite has one connection: a query outside the open
   * transaction would wait for it forever).
   */
  assign(input: DeclarationForRisk, tx?: Tx, options?: AssignOptions): Promise<SelectivityResult>;
}

export interface AssignOptions {
  /** The declaration has never been selected (its first lodgement): no earlier decision to supersede. */
  firstDecision?: boolean;
}

/** Until the risk engine exists every declaration is green, and says so. */
export const placeholderSelectivity: Selectivity = {
  assign: () => Promise.resolve({ channel: 'green', score: null, reasons: ['no rules yet'], version: 'placeholder-0' }),
};

/** Channels that need an officer's control before release. */
export function needsControl(channel: Channel): boolean {
  return channel === 'yellow' || channel === 'red';
}
