// Selectivity: which channel a lodged declaration goes to. Green releases without a check, yellow
// is a documentary check, red a physical verification, blue releases now and audits later.
// This is the seam the risk engine plugs into: the declaration module calls `assign` at
// lodgement and stores the channel, the reasons and the version of the rules that chose it.
// The placeholder below sends everything to green until the risk-engine issue fills it in.

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
  incoterm: string;
  /** Duties and taxes assessed, KES. */
  assessedTotal: string;
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
  assign(input: DeclarationForRisk): Promise<SelectivityResult>;
}

/** Until the risk engine exists every declaration is green, and says so. */
export const placeholderSelectivity: Selectivity = {
  assign: () => Promise.resolve({ channel: 'green', score: null, reasons: ['no rules yet'], version: 'placeholder-0' }),
};

/** Channels that need an officer's control before release. */
export function needsControl(channel: Channel): boolean {
  return channel === 'yellow' || channel === 'red';
}
