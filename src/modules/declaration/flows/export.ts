// Exports (EX1 direct export, EX3 re-export): lodged before the goods reach the port or border,
// released for loading, and closed by the office of exit. The lifecycle is the import's
// (declaration.state.ts); what differs is here:
//
//   lodge        validate (declaration.export.ts), assess the export charges in force today,
//                give a reference, select a channel (the same risk engine), lodged -> assessed
//                in one write through transition(); a re-export reserves what it takes of the
//                import item it names (the import is locked while that is counted)
//   register     as an import: a PRN when something is due, else straight to paid
//   release      for loading: paid AND (green/blue OR control passed); no arrival to wait for
//   exit         the terminal at the port of exit (goods loaded on the outbound manifest) or an
//                officer on duty at the office of exit confirms it: released -> exited through
//                transition(); a re-export then writes off what it took of the import
import type { Tx } from '#platform/db/transaction.ts';
import { localDate } from '#platform/clock.ts';
import { Dec } from '#platform/money.ts';
import { newId, nextSerial, reference as tradeReference } from '#platform/ids.ts';
import { conflict, forbidden } from '#platform/http/problem.ts';
import { isCustoms } from '#platform/http/auth.ts';
import { publish } from '#platform/events/outbox.ts';
import { recordAudit, systemActor, transition } from '#modules/audit/index.ts';
import { needsControl, type Channel } from '#modules/risk/index.ts';
import type { DeclarationItemRow, DeclarationRow } from '../declaration.tables.ts';
import { declarationLifecycle, lodgementLifecycle } from '../declaration.state.ts';
import { declarationRepository as repo } from '../declaration.repository.ts';
import { checkExport, isExport, type ExportLodged } from '../declaration.export.ts';
import { priorOfExport } from '../declaration.selection.ts';
import type { ExitBody, ExportBody } from '../declaration.export.schemas.ts';
import { auditOf, moveDeclaration, recordChange, statusChanged, type Caller, type DeclarationServiceDeps } from '../declaration.steps.ts';

export type ExportDeps = Pick<DeclarationServiceDeps, 'clock' | 'reference' | 'ratesFor' | 'parties' | 'manifest' | 'selectivity'>;

/** Lodges a new export declaration (validated, assessed, selected) in the caller's transaction. */
export async function lodgeExport(deps: ExportDeps, tx: Tx, caller: Caller, body: ExportBody): Promise<{ row: DeclarationRow; items: DeclarationItemRow[] }> {
  const now = deps.clock.now();
  const today = localDate(now);
  const id = newId();
  const lodged = await checkExport(tx, deps, { declarationId: id, body, declarant: { organisationId: caller.principal.organisationId, organisationKind: caller.principal.organisationKind }, today });
  const created = { id, declarantOrgId: caller.principal.organisationId, declarantUserId: caller.principal.id, exporterOrgId: lodged.exporter.id, now };
  // The draft stays in memory and is written once, lodged and assessed (see lodge-and-assess.ts).
  const row = repo.exportDraft(created, body, lodged.regime);
  let items: DeclarationItemRow[] = [];
  await recordAudit(tx, {
    actor: caller.actor,
    action: 'declaration.created',
    entityType: 'declaration',
    entityId: id,
    subjects: [],
    after: { status: row.status, version: row.version, items: body.items.length, regime: lodged.regime },
    requestId: caller.requestId,
    at: now,
  });
  const office = body.officeCode.toUpperCase();
  const reference = tradeReference({ year: today.slice(0, 4), office, kind: lodged.regime, serial: await nextSerial(tx, `dec_${today.slice(0, 4)}_${office}_${lodged.regime}`) });
  const selection = await selectExportChannel(deps, tx, row, body, lodged, reference, today);
  const lodgedStatus = declarationLifecycle.next(row.status, 'lodge');
  const lodgedRow: DeclarationRow = { ...row, status: lodgedStatus, reference, version: row.version + 1, updated_at: now };
  const assessedRow = await transition(tx, {
    lifecycle: lodgementLifecycle,
    table: 'declaration',
    id,
    from: row.status,
    action: 'lodge',
    // A new export: written once, in the status its lodgement moves it to (no update of a draft).
    insert: async (status) => {
      const stored = await repo.insertExport(tx, created, body, lodged.regime, lodged.sources, {
        status,
        reference,
        lodged_at: now,
        assessment: JSON.stringify(lodged.assessment),
        assessment_date: lodged.assessment.date,
        assessed_total: lodged.assessment.total,
        channel: selection.channel,
        channel_reasons: JSON.stringify(selection.reasons),
        risk_score: selection.score,
        selectivity_version: selection.version,
        // Yellow and red exports are checked before loading; the officer records the result (POST .../control).
        control_status: needsControl(selection.channel) ? 'pending' : 'none',
        control: null,
        assessed_at: now,
        updated_at: now,
        version: row.version + 2,
      });
      items = stored.items;
      return stored.row;
    },
    audit: auditOf(now, row, lodgedRow, {
      action: 'declaration.lodged',
      actor: caller.actor,
      requestId: caller.requestId,
      details: {
        reference,
        exporterPin: lodged.exporter.pin,
        exitOfficeCode: body.exitOfficeCode.toUpperCase(),
        destinationCountry: body.destinationCountry.toUpperCase(),
        packages: lodged.packages,
        grossMassKg: lodged.grossMassKg.toString(),
        items: body.items.length,
        ...(lodged.sources.length > 0 ? { reExportOf: lodged.sources.map((s) => ({ declaration: s.reference, itemNo: s.itemNo, quantity: s.quantity, unit: s.unit, remainingBefore: s.remainingBefore })) } : {}),
      },
    }),
    event: statusChanged(lodgedRow, row.status, lodgedStatus, now),
  });
  await recordChange(deps, tx, lodgedRow, assessedRow, {
    action: 'declaration.assessed',
    actor: systemActor,
    requestId: caller.requestId,
    reason: `export charges in force on ${lodged.assessment.date} (day of lodgement)`,
    details: { assessmentDate: lodged.assessment.date, basis: 'lodgement', total: lodged.assessment.total, totals: lodged.assessment.totals, channel: selection.channel, risk: { reasons: selection.reasons, score: selection.score, version: selection.version } },
  });
  return { row: assessedRow, items };
}

/** The risk engine's channel for an export; a declared exchange rate is checked by an officer (yellow at least). */
async function selectExportChannel(deps: ExportDeps, tx: Tx, row: DeclarationRow, body: ExportBody, lodged: ExportLodged, reference: string, today: string) {
  const aeo = await deps.parties.isAeo(tx, lodged.exporter.id);
  const mode = lodged.exitOfficeKind === 'airport' ? 'air' : lodged.exitOfficeKind === 'port' ? 'sea' : 'road';
  const selected = await deps.selectivity.assign(
    {
      declarationId: row.id,
      reference,
      date: today,
      regime: lodged.regime,
      cpc: body.cpc,
      officeCode: body.officeCode.toUpperCase(),
      declarantOrgId: row.declarant_org_id,
      importerOrgId: lodged.exporter.id,
      importerPin: lodged.exporter.pin ?? body.exporterPin.toUpperCase(),
      importerAeo: aeo,
      transportDocumentNumber: '',
      transportMode: mode,
      preArrival: false,
      invoiceCurrency: body.invoiceCurrency.toUpperCase(),
      invoiceAmount: body.invoiceAmount,
      exchangeRate: lodged.assessment.exchangeRate.rate,
      sellerName: null,
      sellerCountry: 'KE',
      departureCountry: 'KE',
      incoterm: body.incoterm.toUpperCase(),
      assessedTotal: lodged.assessment.total,
      consignment: await priorOfExport(deps, tx, row.id, lodged.exporter.id, body.items.map((i) => i.hsCode)),
      items: body.items.map((item, index) => ({
        itemNo: index + 1,
        hsCode: item.hsCode,
        originCountry: item.originCountry.toUpperCase(),
        preferentialOrigin: false,
        quantity: item.quantity,
        unit: item.unit.toUpperCase(),
        netMassKg: item.netMassKg,
        grossMassKg: item.grossMassKg,
        itemPrice: item.itemPrice,
        customsValue: lodged.assessment.items[index]?.fobValue ?? '0',
        dutyRate: null,
      })),
    },
    tx,
  );
  let channel: Channel = selected.channel;
  const reasons = [...selected.reasons];
  const rate = lodged.assessment.exchangeRate;
  if (rate.source === 'declared' && lodged.assessment.currency !== 'KES' && (channel === 'green' || channel === 'blue')) {
    reasons.push(`exchange rate ${rate.rate} KES per ${lodged.assessment.currency} declared (no official rate in force): documentary check of the rate`);
    channel = 'yellow';
  }
  return { channel, reasons, score: selected.score, version: selected.version };
}

/** Release for loading: paid and cleared (green, blue or control passed). Called wherever that may complete. */
export async function tryReleaseExport(deps: Pick<DeclarationServiceDeps, 'clock'>, tx: Tx, row: DeclarationRow, requestId: string | null): Promise<boolean> {
  if (row.status !== 'paid' || !(row.control_status === 'none' || row.control_status === 'passed') || !row.reference) {
    return false;
  }
  const cleared = row.control_status === 'passed' ? 'control passed' : row.channel === 'blue' ? 'blue (post-clearance audit)' : 'green';
  await moveDeclaration(deps, tx, row, 'release', {
    set: { released_at: deps.clock.now() },
    action: 'declaration.released',
    actor: systemActor,
    requestId,
    reason: `released for loading: paid, ${cleared}; exit to be confirmed at ${row.exit_office_code ?? '?'}`,
    details: { exitOfficeCode: row.exit_office_code },
  });
  return true;
}

export interface ExitContext {
  caller: Caller;
  /** The offices the calling terminal serves (read before the transaction), or the officer's duty office. */
  offices: readonly string[];
}

/**
 * Confirms the exit of a released export at its office of exit: by the terminal there (the goods
 * were loaded on the outbound manifest) or by an officer on duty there (a border crossing, or
 * loading the officer saw). Refused before release, twice, at another office, by anyone else.
 */
export async function confirmExit(deps: Pick<DeclarationServiceDeps, 'clock'>, tx: Tx, row: DeclarationRow, context: ExitContext, body: ExitBody): Promise<DeclarationRow> {
  const { caller } = context;
  const office = row.exit_office_code ?? '';
  if (!isExport(row)) {
    throw conflict(`${row.reference ?? row.id} is an import (${row.regime}): its goods leave the port by the terminal's gate-out of the release order (POST /api/v1/release-orders/:number/gate-out)`, { state: row.status });
  }
  const byTerminal = caller.principal.roles.includes('terminal');
  const byCustoms = isCustoms(caller.principal) && (caller.principal.roles.includes('officer') || caller.principal.roles.includes('supervisor'));
  if (!byTerminal && !byCustoms) {
    throw forbidden('Only the terminal at the office of exit or a customs officer on duty there confirms an exit');
  }
  if (!context.offices.includes(office)) {
    throw forbidden(
      byTerminal
        ? `${row.reference ?? 'This export'} leaves at ${office}; your terminal serves ${context.offices.join(', ') || 'no office'}`
        : `${row.reference ?? 'This export'} leaves at ${office}; the exit is confirmed by customs on duty there (you are ${context.offices[0] ? `on duty at ${context.offices[0]}` : 'not on duty at any office'})`,
    );
  }
  if (row.status === 'exited') {
    throw conflict(`${row.reference ?? row.id} already exited on ${row.exited_at?.toISOString() ?? '?'}; an exit is confirmed once`, { state: row.status, action: 'exit', allowedActions: [] });
  }
  // released -> exited; any other state is a 409 naming it (transition()).
  declarationLifecycle.next(row.status, 'exit');
  const now = deps.clock.now();
  const confirmation = { by: byTerminal ? 'terminal' : 'customs', office, reference: body.reference.trim(), remarks: body.remarks?.trim() ?? null, organisation: caller.principal.organisationName, at: now.toISOString() };
  const exited = await moveDeclaration(deps, tx, row, 'exit', {
    set: { exited_at: now, exit_confirmation: JSON.stringify(confirmation) },
    action: 'declaration.exited',
    actor: caller.actor,
    requestId: caller.requestId,
    reason: byTerminal ? `loaded at ${office} on ${confirmation.reference}` : `exit confirmed by customs at ${office} (${confirmation.reference})`,
    details: { exitOfficeCode: office, confirmedBy: confirmation.by, exitReference: confirmation.reference },
  });
  await writeOff(tx, exited, caller, now);
  return exited;
}

/**
 * A re-export that left writes off what it took of each import item: an audit record on the
 * import (so its timeline shows it) and a `declaration.written_off` event. What remains of the
 * import is computed from the re-export items themselves (repository reExportsOf), so the write-off
 * cannot drift from them; the import is locked, as at lodgement.
 */
async function writeOff(tx: Tx, exported: DeclarationRow, caller: Caller, at: Date): Promise<void> {
  const items = (await repo.items(tx, exported.id)).filter((i) => i.source_declaration_id !== null && i.source_item_no !== null);
  const bySource = new Map<string, DeclarationItemRow[]>();
  for (const i of items) {
    bySource.set(i.source_declaration_id as string, [...(bySource.get(i.source_declaration_id as string) ?? []), i]);
  }
  for (const sourceId of [...bySource.keys()].sort()) {
    const source = await repo.find(tx, sourceId, { forUpdate: true });
    if (!source) {
      continue;
    }
    const sourceItems = await repo.items(tx, sourceId);
    const totals = await repo.reExportsOf(tx, sourceId);
    const lines = (bySource.get(sourceId) ?? []).map((i) => {
      const imported = sourceItems.find((s) => s.item_no === i.source_item_no);
      const t = totals.get(i.source_item_no ?? 0);
      const remaining = new Dec(imported?.quantity ?? 0).minus(t?.writtenOff ?? 0).minus(t?.reserved ?? 0);
      return { itemNo: i.source_item_no, quantity: new Dec(i.quantity).toString(), unit: i.unit, writtenOff: (t?.writtenOff ?? new Dec(0)).toString(), remaining: remaining.toString(), byItem: i.item_no };
    });
    await recordAudit(tx, {
      actor: caller.actor,
      action: 'declaration.written_off',
      entityType: 'declaration',
      entityId: source.id,
      subjects: [source.reference, exported.reference].filter((s): s is string => s !== null),
      before: { status: source.status, version: source.version },
      after: { status: source.status, version: source.version, reExport: exported.reference, items: lines },
      reason: `re-exported on ${exported.reference ?? exported.id}, exit confirmed at ${exported.exit_office_code ?? '?'}`,
      requestId: caller.requestId,
      at,
    });
    await publish(tx, 'declaration.written_off', source.id, { declarationId: source.id, reference: source.reference, reExport: exported.reference, items: lines, at: at.toISOString() });
  }
}
