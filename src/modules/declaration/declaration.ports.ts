// What the declaration module needs from the modules around it, stated as narrow interfaces so
// the lifecycle can be read (and tested) without their insides. The composition root (app.ts)
// passes the real parties, manifest, payment and release services, which satisfy these shapes.
import type { IssueReleaseInput } from '#modules/release/index.ts';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { Actor } from '#modules/audit/index.ts';

type Q = Kysely<DB>;

export interface OrganisationRef {
  id: string;
  code: string;
  kind: string;
  name: string;
  pin: string | null;
}

export type AgentCheck = { ok: true } | { ok: false; code: string; message: string };

export interface PartiesPort {
  organisationByPin(q: Q, pin: string): Promise<OrganisationRef | undefined>;
  organisationByCode(q: Q, code: string): Promise<OrganisationRef | undefined>;
  organisation(q: Q, id: string): Promise<OrganisationRef | undefined>;
  agentMayActFor(q: Q, args: { agentOrgId: string; clientOrgId: string; date: string }): Promise<AgentCheck>;
  isAeo(q: Q, orgId: string): Promise<boolean>;
}

/** A transport document (B/L, air waybill, road consignment note) as the manifest knows it. */
export interface TransportDocumentRef {
  id: string;
  number: string;
  /** active, or removed by an amendment of its manifest. */
  status: string;
  manifestId: string;
  manifestReference: string;
  carrierOrgId: string;
  consigneePin: string | null;
  packages: number;
  grossMassKg: string;
  remainingPackages: number;
  remainingMassKg: string;
  cargoCategory: string;
  /** Containers the document lists (ISO 6346 numbers). */
  containers: { number: string }[];
  expectedArrival: Date;
  actualArrival: Date | null;
  officeCode: string;
  mode: string;
}

export interface ManifestPort {
  /** By number (and carrier or manifest); a 409 when two carriers' manifests carry the same number and the options do not say which. */
  findTransportDocument(q: Q, number: string, options?: { forUpdate?: boolean; carrierOrgId?: string; manifestReference?: string }): Promise<TransportDocumentRef | undefined>;
  /** Every active document with this number, narrowed by carrier or manifest. */
  findTransportDocuments(q: Q, number: string, options?: { carrierOrgId?: string; manifestReference?: string }): Promise<TransportDocumentRef[]>;
  findTransportDocumentById(q: Q, id: string, options?: { forUpdate?: boolean; includeRemoved?: boolean }): Promise<TransportDocumentRef | undefined>;
}

export interface PrnRequest {
  declarationId: string;
  declarationReference: string;
  declarantOrgId: string;
  importerOrgId: string;
  /** KES, two decimals. */
  amount: string;
  /** What the e-slip prints: the assessment (items, totals, total) and who is who. */
  slip: unknown;
  actor: Actor;
  requestId?: string | null;
}

export interface IssuedPrnRef {
  prn: string;
  amount: string;
  validUntil: Date;
  /** 'paid' when part payment carried over from a superseded PRN already covers the amount. */
  status: string;
  paidTotal: string;
  superseded: string[];
}

export interface PaymentPort {
  /** Issues the PRN to pay; a payable PRN of the same declaration is superseded by it. */
  issuePrn(tx: Tx, request: PrnRequest): Promise<IssuedPrnRef>;
  /** Cancels the declaration's payable PRN; money already on it becomes a refundable credit. */
  cancelPrn(tx: Tx, request: { declarationId: string; reason: string; actor: Actor; requestId?: string | null }): Promise<{ cancelled: string[] }>;
  /** What the declaration's PRNs asked for and received (KES decimal strings). */
  balance(q: Q, declarationId: string): Promise<{ due: string; paid: string; balance: string; credit: string }>;
}

/** What a release order needs: the release module's own input type, not a copy of it. */
export type ReleaseRequest = IssueReleaseInput;

export interface ReleasePort {
  issueReleaseOrder(tx: Tx, request: ReleaseRequest): Promise<{ number: string; releasedAt: Date }>;
}

/** What the payment module tells us when a PRN is settled (inside the bank's transaction). */
export interface Settlement {
  declarationId: string;
  prn: string;
  paidTotal: string;
  amount: string;
  outcome: string;
}

/** What the release module tells us at gate-out (inside the gate-out transaction). */
export interface GateOut {
  declarationId: string;
  at: Date;
}

/** Payload of the manifest module's `manifest.arrived` outbox event. */
export interface ManifestArrived {
  manifestId: string;
  reference: string;
  actualArrival: string;
  documents: { id: string; number: string }[];
}
