// How a declaration is shown, written once per audience as a whitelist of fields
// (platform/http/audience.ts). Risk reasons, score and rule version are for customs only: a
// trader or agent who learnt why a declaration went red would learn how to avoid the check. Nor
// does the trade learn which officer queried or controlled it: nobody should know whom to approach.
import { audienceOf, viewFor, type Whitelist } from '#platform/http/audience.ts';
import type { Principal } from '#platform/http/auth.ts';
import type { DeclarationItemRow, DeclarationRequestRow, DeclarationRow } from './declaration.tables.ts';
import { declarationLifecycle } from './declaration.state.ts';
import type { StoredAssessment } from './declaration.assessment.ts';

export interface PartyNames {
  declarant: { id: string; name: string; code: string } | undefined;
  importer: { id: string; name: string } | undefined;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** What the declarant and the importer read: everything but the risk engine's reasons and the officers' names. */
const tradeFields = [
  'id',
  'reference',
  'status',
  'version',
  'regime',
  'cpc',
  'officeCode',
  'declarant',
  'importer',
  'transportDocument',
  'invoice',
  'seller',
  'departureCountry',
  'export',
  'documents',
  'items',
  'assessment',
  'selectivity.channel',
  'control.status',
  'control.record.result',
  'control.record.findings',
  'control.record.at',
  'payment',
  'releaseOrderNumber',
  'query.reason',
  'query.at',
  'statusReason',
  'pendingRequest',
  'allowedActions',
  'createdAt',
  'updatedAt',
  'lodgedAt',
  'assessedAt',
  'registeredAt',
  'paidAt',
  'releasedAt',
  'exitedAt',
  'cancelledAt',
] as const;

const declarationFields: Whitelist = {
  customs: [...tradeFields.filter((f) => !f.includes('.')), 'selectivity', 'control', 'query'],
  trade: tradeFields,
  // Carriers, banks and terminals never read a declaration: they see a B/L's timeline, a PRN or a release order.
  carrier: [],
  bank: [],
  terminal: [],
};

const summaryFields: Whitelist = {
  customs: ['id', 'reference', 'status', 'version', 'regime', 'cpc', 'officeCode', 'exitOfficeCode', 'destinationCountry', 'declarantOrgId', 'importerPin', 'transportDocumentNumber', 'assessedTotal', 'channel', 'channelReasons', 'controlStatus', 'prn', 'pendingRequest', 'createdAt', 'lodgedAt', 'releasedAt', 'exitedAt'],
  trade: ['id', 'reference', 'status', 'version', 'regime', 'cpc', 'officeCode', 'exitOfficeCode', 'destinationCountry', 'declarantOrgId', 'importerPin', 'transportDocumentNumber', 'assessedTotal', 'channel', 'controlStatus', 'prn', 'pendingRequest', 'createdAt', 'lodgedAt', 'releasedAt', 'exitedAt'],
  carrier: [],
  bank: [],
  terminal: [],
};

/** A declaration as the audience may read it; id, version and status are in every view that exists. */
export type DeclarationView = Record<string, unknown> & { id: string; version: number; status: string };

/** Per item of an import: what live re-exports reserve and exited ones wrote off. */
export type ReExports = Map<number, { reserved: { toString(): string }; writtenOff: { toString(): string } }>;

export function declarationView(row: DeclarationRow, items: DeclarationItemRow[], viewer: Principal, names: PartyNames, pendingRequest: unknown = null, reExports?: ReExports): DeclarationView {
  const assessment = row.assessment as StoredAssessment | null;
  const exporting = row.regime === 'EX1' || row.regime === 'EX3';
  const full = {
    id: row.id,
    reference: row.reference,
    status: row.status,
    version: row.version,
    regime: row.regime,
    cpc: row.cpc,
    officeCode: row.office_code,
    declarant: { organisationId: row.declarant_org_id, name: names.declarant?.name ?? null, code: names.declarant?.code ?? null },
    importer: { pin: row.importer_pin, organisationId: row.importer_org_id, name: names.importer?.name ?? null },
    // The carrier names the document without ambiguity (two carriers may use one number).
    transportDocument: { id: row.transport_document_id, number: row.transport_document_number, carrierCode: row.carrier_code, manifestReference: row.manifest_reference },
    invoice: {
      currency: row.invoice_currency,
      amount: row.invoice_amount,
      incoterm: row.incoterm,
      freight: row.freight,
      insurance: row.insurance,
      exchangeRate: row.exchange_rate,
    },
    seller: { name: row.seller_name, country: row.seller_country },
    departureCountry: row.departure_country,
    // Exports: the exporter is the trader (importer.* holds it too), the office of exit, the exit confirmation.
    export: exporting
      ? {
          exporterPin: row.importer_pin,
          exitOfficeCode: row.exit_office_code,
          destinationCountry: row.destination_country,
          goodsLocation: row.goods_location,
          exit: row.exit_confirmation,
          proofOfExit: row.status === 'exited' ? `/api/v1/declarations/${row.id}/proof-of-exit` : null,
        }
      : null,
    documents: row.documents,
    items: items.map((i) => ({
      itemNo: i.item_no,
      hsCode: i.hs_code,
      description: i.description,
      originCountry: i.origin_country,
      preferentialOrigin: i.preferential_origin,
      quantity: i.quantity,
      unit: i.unit,
      netMassKg: i.net_mass_kg,
      grossMassKg: i.gross_mass_kg,
      packages: i.packages,
      itemPrice: i.item_price,
      cpc: i.cpc ?? row.cpc,
      ...(i.vehicle ? { vehicle: i.vehicle } : {}),
      ...(i.source_declaration_id ? { reExportOf: { declarationId: i.source_declaration_id, itemNo: i.source_item_no } } : {}),
      ...(reExports?.has(i.item_no) ? { reExported: { reserved: reExports.get(i.item_no)?.reserved.toString(), writtenOff: reExports.get(i.item_no)?.writtenOff.toString() } } : {}),
    })),
    // date: whose rules; currency: the invoice's; every amount is in KES.
    assessment: assessment ? { basis: row.assessment_basis, ...assessment } : null,
    selectivity: row.channel ? { channel: row.channel, reasons: row.channel_reasons, score: row.risk_score, version: row.selectivity_version } : null,
    control: { status: row.control_status, ...(row.control ? { record: row.control } : {}) },
    payment: {
      prn: row.prn,
      amountDue: row.assessed_total,
      additionalDue: row.additional_due,
      refundDue: row.refund_due,
    },
    releaseOrderNumber: row.release_order_number,
    query: row.query,
    statusReason: row.status_reason,
    pendingRequest,
    allowedActions: declarationLifecycle.allowed(row.status).filter((a) => !['assess', 'settle', 'release', 'exit', 'edit'].includes(a)),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    lodgedAt: iso(row.lodged_at),
    assessedAt: iso(row.assessed_at),
    registeredAt: iso(row.registered_at),
    paidAt: iso(row.paid_at),
    releasedAt: iso(row.released_at),
    exitedAt: iso(row.exited_at),
    cancelledAt: iso(row.cancelled_at),
  };
  return viewFor(full, declarationFields, audienceOf(viewer)) as DeclarationView;
}

export function summaryView(row: DeclarationRow, viewer: Principal, pendingRequest: unknown = null) {
  const full = {
    id: row.id,
    reference: row.reference,
    status: row.status,
    version: row.version,
    regime: row.regime,
    cpc: row.cpc,
    officeCode: row.office_code,
    exitOfficeCode: row.exit_office_code,
    destinationCountry: row.destination_country,
    declarantOrgId: row.declarant_org_id,
    importerPin: row.importer_pin,
    transportDocumentNumber: row.transport_document_number,
    assessedTotal: row.assessed_total,
    channel: row.channel,
    channelReasons: row.channel_reasons,
    controlStatus: row.control_status,
    prn: row.prn,
    pendingRequest,
    createdAt: row.created_at.toISOString(),
    lodgedAt: iso(row.lodged_at),
    releasedAt: iso(row.released_at),
    exitedAt: iso(row.exited_at),
  };
  return viewFor(full, summaryFields, audienceOf(viewer));
}

export const declarationWhitelists = { declaration: declarationFields, summary: summaryFields };

/**
 * A request to amend or cancel a registered declaration. The trade reads what it asked, what the
 * amendment would change and the decision with its reason; customs also read who decided.
 */
export function requestView(r: DeclarationRequestRow, customs: boolean) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    reason: r.reason,
    requestedAt: r.requested_at.toISOString(),
    requestedBy: r.requested_by_name,
    preview: r.preview,
    ...(r.kind === 'amend' ? { amendment: r.body } : {}),
    decision: r.decided_at
      ? {
          at: r.decided_at.toISOString(),
          reason: r.decision_reason,
          ...(customs || r.status === 'withdrawn' ? { by: r.decided_by_name } : {}),
          effect: r.effect,
        }
      : null,
  };
}
