// Selectivity for a declaration being lodged, amended, or amended on an approved request: the
// risk engine's channel (never below an earlier one), the columns an assessment and its selection
// set, and the verification task a channel other than green opens. Used by the lodge-and-assess
// and change-decision flows, inside their transaction.
import type { Tx } from '#platform/db/transaction.ts';
import { localDate } from '#platform/clock.ts';
import type { Channel, DeclarationForRisk, PriorDeclaration } from '#modules/risk/index.ts';
import type { DeclarationRow } from './declaration.tables.ts';
import type { DeclarationBody } from './declaration.schemas.ts';
import { declarationRepository as repo, type DeclarationPatch } from './declaration.repository.ts';
import type { Lodged } from './declaration.validation.ts';
import type { DeclarationServiceDeps } from './declaration.steps.ts';

type SelectionDeps = Pick<DeclarationServiceDeps, 'clock' | 'parties' | 'manifest' | 'selectivity'>;

/** Channels from least to most checked: an amendment never lowers the channel. */
const channelRank: Record<Channel, number> = { green: 0, blue: 1, yellow: 2, red: 3 };
/**
 * How far back the consignment's earlier declarations are read for the risk engine; its setting
 * consignment.inheritDays (at most 365) decides which of them count.
 */
const inheritanceWindowDays = 366;

/** Since when the consignment's earlier declarations are read, for a lodgement at `now`. */
export const earlierSince = (now: Date): Date => new Date(now.getTime() - inheritanceWindowDays * 86_400_000);

export type Selection = Awaited<ReturnType<typeof selectChannel>>;

/**
 * The channel of a declaration being lodged, amended, or amended on an approved request: the
 * risk engine's choice (in this transaction, so its record commits or rolls back with the
 * declaration), never below an earlier channel of the same declaration, and at least yellow when
 * the declarant gave the exchange rate (no official one for the currency), or when a used vehicle
 * has no CRSP row, so an officer checks it.
 */
export async function selectChannel(deps: SelectionDeps, tx: Tx, row: DeclarationRow, body: DeclarationBody, lodged: Lodged, reference: string) {
  const aeo = await deps.parties.isAeo(tx, lodged.importer.id);
  const prior = await priorOf(deps, tx, lodged);
  // A declaration without a channel has never been selected: no earlier decision to supersede.
  const selected = await deps.selectivity.assign(riskInput(row, body, lodged, reference, aeo, localDate(deps.clock.now()), prior), tx, { firstDecision: row.channel === null });
  let channel = selected.channel;
  const reasons = [...selected.reasons];
  if (row.channel && channelRank[row.channel] > channelRank[channel]) {
    reasons.push(`channel kept at ${row.channel} from the earlier lodgement: an amendment does not lower the channel (selected now: ${channel})`);
    channel = row.channel;
  }
  const rate = lodged.assessment.exchangeRate;
  if (rate.source === 'declared' && lodged.assessment.currency !== 'KES' && channelRank[channel] < channelRank.yellow) {
    reasons.push(`exchange rate ${rate.rate} KES per ${lodged.assessment.currency} declared (no official rate in force): documentary check of the rate`);
    channel = 'yellow';
  }
  // A used vehicle the CRSP schedule has no row for is valued provisionally from the invoice:
  // an officer values it (documentary check at least), never the declarant's number alone.
  const pendingValuation = lodged.assessment.items.flatMap((i) => (i.valuation.pendingValuation === undefined ? [] : [`item ${i.itemNo}: ${i.valuation.pendingValuation}`]));
  if (pendingValuation.length > 0) {
    reasons.push(...pendingValuation);
    if (channelRank[channel] < channelRank.yellow) {
      channel = 'yellow';
    }
  }
  return { channel, reasons, selected, prior };
}

/** The columns an assessment and its selection set, the same for a lodgement and an approved amendment. */
export function assessedFields(lodged: Lodged, selection: Pick<Selection, 'channel' | 'reasons' | 'selected'>) {
  return {
    assessment: JSON.stringify(lodged.assessment),
    assessment_date: lodged.assessment.date,
    assessment_basis: lodged.basis,
    assessed_total: lodged.assessment.total,
    channel: selection.channel,
    channel_reasons: JSON.stringify(selection.reasons),
    risk_score: selection.selected.score,
    selectivity_version: selection.selected.version,
  } satisfies DeclarationPatch;
}

/** A channel that asks for a check opens (or raises) the declaration's verification task, in the same transaction. */
export async function openVerification(
  deps: Pick<DeclarationServiceDeps, 'onSelected'>,
  tx: Tx,
  row: DeclarationRow,
  lodged: Lodged,
  selection: { reference: string; channel: Channel; reasons: string[]; prior: PriorDeclaration[]; requestId: string | null },
): Promise<void> {
  if (!deps.onSelected || selection.channel === 'green') {
    return;
  }
  await deps.onSelected(tx, {
    declarationId: row.id,
    reference: selection.reference,
    transportDocumentNumber: lodged.document.number,
    transportDocumentId: lodged.document.id,
    declarantOrgId: row.declarant_org_id,
    importerOrgId: lodged.importer.id,
    // The declared office: lodgement refuses one that is not the document's.
    officeCode: lodged.document.officeCode,
    channel: selection.channel,
    reasons: selection.reasons,
    priorDeclarationIds: selection.prior.map((p) => p.declarationId),
    requestId: selection.requestId,
  });
}

/** Earlier declarations of this consignment (read at validation), whose selection follows the goods (see the risk engine). */
async function priorOf(deps: SelectionDeps, tx: Tx, lodged: Lodged): Promise<PriorDeclaration[]> {
  const { sameDocument, sameGoods } = lodged.earlier;
  // The same goods on another document: only when the goods moved there (the earlier document
  // was removed from this one's manifest: a B/L reissued under a new number) or when the two
  // share a container; a regular importer's next shipment of the same kind of goods is another
  // consignment.
  const containers = new Set(lodged.document.containers.map((c) => c.number));
  const moved: typeof sameGoods = [];
  for (const d of sameGoods) {
    const earlier = d.transport_document_id ? await deps.manifest.findTransportDocumentById(tx, d.transport_document_id, { includeRemoved: true }) : undefined;
    const reissued = earlier?.status === 'removed' && earlier.manifestId === lodged.document.manifestId;
    if (reissued || earlier?.containers.some((c) => containers.has(c.number))) {
      moved.push(d);
    }
  }
  return [...sameDocument.map((d) => asPrior(d, 'same_document')), ...moved.map((d) => asPrior(d, 'same_goods'))];
}

type EarlierDeclaration = Awaited<ReturnType<typeof repo.priorDeclarations>>['sameGoods'][number];

const asPrior = (d: EarlierDeclaration, relation: PriorDeclaration['relation']): PriorDeclaration => ({
  declarationId: d.id,
  reference: d.reference ?? d.id,
  channel: d.channel ?? 'green',
  status: d.status,
  relation,
  at: (d.cancelled_at ?? (d.status === 'rejected' ? d.updated_at : d.lodged_at) ?? d.updated_at).toISOString(),
});

/**
 * An export's earlier declarations: it has no B/L, so the same exporter's export of the same goods
 * cancelled or rejected while selected, within the window, is the same consignment declared
 * again, and its channel follows (cancelling a red export and lodging it again draws no new lot).
 */
export async function priorOfExport(deps: Pick<SelectionDeps, 'clock'>, tx: Tx, declarationId: string, exporterOrgId: string, hsCodes: string[]): Promise<PriorDeclaration[]> {
  const { sameGoods } = await repo.priorDeclarations(tx, {
    declarationId,
    transportDocumentId: null,
    importerOrgId: exporterOrgId,
    hsCodes,
    since: new Date(deps.clock.now().getTime() - inheritanceWindowDays * 86_400_000),
  });
  return sameGoods.map((d) => asPrior(d, 'same_goods'));
}

function riskInput(row: DeclarationRow, body: DeclarationBody, lodged: Lodged, reference: string, aeo: boolean, today: string, consignment: PriorDeclaration[]): DeclarationForRisk {
  return {
    consignment,
    declarationId: row.id,
    reference,
    date: today,
    regime: lodged.regime,
    cpc: body.cpc,
    officeCode: body.officeCode.toUpperCase(),
    declarantOrgId: row.declarant_org_id,
    importerOrgId: lodged.importer.id,
    importerPin: lodged.importer.pin ?? body.importerPin,
    importerAeo: aeo,
    transportDocumentNumber: lodged.document.number,
    transportMode: lodged.document.mode,
    preArrival: lodged.document.actualArrival === null,
    invoiceCurrency: body.invoiceCurrency.toUpperCase(),
    invoiceAmount: body.invoiceAmount,
    exchangeRate: lodged.assessment.exchangeRate.rate,
    sellerName: body.sellerName?.trim() ?? null,
    sellerCountry: body.sellerCountry?.toUpperCase() ?? null,
    departureCountry: body.departureCountry?.toUpperCase() ?? null,
    incoterm: body.incoterm.toUpperCase(),
    assessedTotal: lodged.assessment.total,
    items: body.items.map((item, index) => {
      const assessed = lodged.assessment.items[index];
      const duty = assessed?.taxes.find((t) => t.code === 'ID');
      return {
        itemNo: index + 1,
        hsCode: item.hsCode,
        originCountry: item.originCountry.toUpperCase(),
        preferentialOrigin: item.preferentialOrigin ?? false,
        quantity: item.quantity,
        unit: item.unit.toUpperCase(),
        netMassKg: item.netMassKg,
        grossMassKg: item.grossMassKg,
        itemPrice: item.itemPrice,
        customsValue: assessed?.customsValue ?? '0',
        dutyRate: duty?.rate ?? null,
      };
    }),
  };
}
