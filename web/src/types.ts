// The API's answers as the pages read them (the fields used; see /openapi.json for all).
import type { Tax } from './pages/Calculator.tsx';

export interface DeclarationSummary {
  id: string;
  reference: string;
  status: string;
  officeCode: string;
  importerPin: string;
  transportDocumentNumber: string | null;
  /** Exports only: where the goods leave and where they go. */
  exitOfficeCode?: string | null;
  destinationCountry?: string | null;
  exitedAt?: string | null;
  assessedTotal: string | null;
  channel: string | null;
  controlStatus: string | null;
  prn: string | null;
  createdAt: string;
  lodgedAt: string | null;
  releasedAt: string | null;
}

export interface DeclarationItem {
  itemNo: number;
  hsCode: string;
  description: string;
  originCountry: string;
  quantity: string;
  unit: string;
  netMassKg: string;
  grossMassKg: string;
  packages: number;
  itemPrice: string;
}

export interface Declaration {
  id: string;
  reference: string;
  status: string;
  version: number;
  cpc: string;
  officeCode: string;
  declarant: { name: string; code: string };
  importer: { pin: string; name: string | null };
  transportDocument: { number: string; carrierCode: string | null } | null;
  /** Exports only (EX1/EX3); null for imports. */
  export?: {
    exporterPin: string;
    exitOfficeCode: string;
    destinationCountry: string;
    goodsLocation: string;
    exit: { by?: string; office?: string; reference?: string; organisation?: string; at?: string } | null;
    proofOfExit: string | null;
  } | null;
  invoice: { currency: string; amount: string; incoterm: string; freight: string | null; insurance: string | null };
  documents: { code: string; reference: string }[];
  items: DeclarationItem[];
  assessment: {
    date: string;
    basis: string;
    total: string;
    totals: Record<string, string>;
    items: { itemNo: number; hsCode: string; customsValue: string; taxes: Tax[]; total: string }[];
    exchangeRate?: { rate: string };
  } | null;
  selectivity: { channel: string; reasons?: unknown } | null;
  control: { status: string } | null;
  payment: { prn: string | null; amountDue: string | null; additionalDue: string | null; refundDue: string | null } | null;
  releaseOrderNumber: string | null;
  statusReason: string | null;
  allowedActions: string[];
  createdAt: string;
  lodgedAt: string | null;
  assessedAt: string | null;
  registeredAt: string | null;
  paidAt: string | null;
  releasedAt: string | null;
  exitedAt: string | null;
}

export interface TimelineEvent {
  at: string;
  action: string;
  entityType: string;
  declaration: string | null;
  actor: { name: string; role: string };
  reason: string | null;
}

export interface Timeline {
  transportDocument: { number: string; manifestReference: string | null; expectedArrival: string | null; actualArrival: string | null } | null;
  declarations: { reference: string; status: string; prn: string | null; releaseOrderNumber: string | null }[];
  events: TimelineEvent[];
}

export interface Task {
  id: string;
  number: string;
  declaration: { id: string; reference: string; transportDocumentNumber: string | null };
  officeCode: string;
  kind: string;
  channel: string;
  status: string;
  findings: { result: string; corrections?: { itemNo: number; [field: string]: unknown }[]; remarks?: string; at?: string } | null;
  amendment: { changes?: { itemNo: number; field: string; before: string; after: string }[] } | null;
  difference: string | null;
  response: { response: string; reason?: string } | null;
  decision: { uphold: boolean; reason: string } | null;
  payment: { prn: string; amount: string } | null;
  riskReasons?: unknown;
  assignedOfficer?: { id: string; name: string } | null;
  history?: { at: string; action: string; from: string | null; to: string; by?: { name: string; role: string }; reason?: string }[] | null;
  allowedActions?: string[];
  createdAt: string;
  closedAt: string | null;
}
