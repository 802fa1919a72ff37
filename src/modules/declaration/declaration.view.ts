// How a declaration is shown. Risk reasons, score and rule version are for customs only: a
// trader or agent who learnt why a declaration went red would learn how to avoid the check.
import { isCustoms, type Principal } from '#platform/http/auth.ts';
import type { DeclarationItemRow, DeclarationRow } from './declaration.tables.ts';
import { declarationLifecycle } from './declaration.state.ts';
import type { StoredAssessment } from './declaration.assessment.ts';

export interface PartyNames {
  declarant: { id: string; name: string; code: string } | undefined;
  importer: { id: string; name: string } | undefined;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function declarationView(row: DeclarationRow, items: DeclarationItemRow[], viewer: Principal, names: PartyNames) {
  const customs = isCustoms(viewer);
  const assessment = row.assessment as StoredAssessment | null;
  return {
    id: row.id,
    reference: row.reference,
    status: row.status,
    version: row.version,
    regime: row.regime,
    cpc: row.cpc,
    officeCode: row.office_code,
    declarant: { organisationId: row.declarant_org_id, name: names.declarant?.name ?? null, code: names.declarant?.code ?? null },
    importer: { pin: row.importer_pin, organisationId: row.importer_org_id, name: names.importer?.name ?? null },
    transportDocument: { id: row.transport_document_id, number: row.transport_document_number },
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
    })),
    assessment: assessment
      ? {
          // date: whose rules; currency: the invoice's; every amount is in KES.
          basis: row.assessment_basis,
          ...assessment,
        }
      : null,
    selectivity: row.channel
      ? {
          channel: row.channel,
          ...(customs ? { reasons: row.channel_reasons, score: row.risk_score, version: row.selectivity_version } : {}),
        }
      : null,
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
}

export type DeclarationView = ReturnType<typeof declarationView>;

export function summaryView(row: DeclarationRow, viewer: Principal) {
  return {
    id: row.id,
    reference: row.reference,
    status: row.status,
    version: row.version,
    regime: row.regime,
    cpc: row.cpc,
    officeCode: row.office_code,
    declarantOrgId: row.declarant_org_id,
    importerPin: row.importer_pin,
    transportDocumentNumber: row.transport_document_number,
    assessedTotal: row.assessed_total,
    channel: row.channel,
    ...(isCustoms(viewer) ? { channelReasons: row.channel_reasons } : {}),
    controlStatus: row.control_status,
    prn: row.prn,
    createdAt: row.created_at.toISOString(),
    lodgedAt: iso(row.lodged_at),
    releasedAt: iso(row.released_at),
  };
}

/**
 * Removes what only customs may read from an audit record's details: risk reasons and scores, and
 * which officer a verification task was drawn for (nobody should know whom to approach).
 */
export function withoutRisk(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withoutRisk);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !riskKeys.has(k))
        .map(([k, v]) => [k, withoutRisk(v)]),
    );
  }
  return value;
}

const riskKeys = new Set(['risk', 'reasons', 'channelReasons', 'score', 'riskScore', 'selectivityVersion', 'assignedOfficer', 'previousOfficer']);
