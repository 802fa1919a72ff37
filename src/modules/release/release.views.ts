// What each audience may see of a release order, decided once, here. The routes answer through
// these lists: a field added to the full view reaches nobody until someone adds it to an audience
// (the tests list each audience's keys, so that decision is made on purpose).
//
// - terminal (an operator serving the order's office): what it needs to let the cargo out and
//   follow its own inbox; not the declaration's internal id nor which officer released it.
// - trade (the declarant's and the importer's organisations): their order, whether the port has
//   the release message and when the goods left; not which officer released it, nor who at the
//   terminal typed the gate-out.
// - customs: everything.
import { pick, type Audience } from '#platform/http/audience.ts';
import { Dec, fixed } from '#platform/money.ts';
import type { GateOutRow, ReleaseOrderRow, TerminalMessageRow } from './release.repository.ts';
import { messageView, type TerminalMessageView } from './release.service.ts';

/** The audiences that read this record at all (platform/http/audience.ts); the others never do. */
export type ReleaseAudience = Extract<Audience, 'terminal' | 'trade' | 'customs'>;

export interface GateOutFullView {
  at: string;
  gateReference: string;
  packages: number;
  grossMassKg: string;
  recordedBy: string;
  recordedAt: string;
}

/** A message as the service shows it to the terminal; its payload repeats the order and no audience lists it. */
export type TerminalMessageFullView = TerminalMessageView;

export interface ReleaseOrderFullView {
  number: string;
  status: string;
  declarationId: string;
  declarationReference: string;
  transportDocumentNumber: string;
  officeCode: string;
  packages: number;
  grossMassKg: string;
  releasedAt: string;
  releasedBy: string;
  exitedAt: string | null;
  gateOut: GateOutFullView | null;
  terminalMessages: TerminalMessageFullView[];
}

export const releaseOrderFields = {
  terminal: ['number', 'status', 'declarationReference', 'transportDocumentNumber', 'officeCode', 'packages', 'grossMassKg', 'releasedAt', 'exitedAt', 'gateOut', 'terminalMessages'],
  trade: ['number', 'status', 'declarationId', 'declarationReference', 'transportDocumentNumber', 'officeCode', 'packages', 'grossMassKg', 'releasedAt', 'exitedAt', 'gateOut', 'terminalMessages'],
  customs: [
    'number',
    'status',
    'declarationId',
    'declarationReference',
    'transportDocumentNumber',
    'officeCode',
    'packages',
    'grossMassKg',
    'releasedAt',
    'releasedBy',
    'exitedAt',
    'gateOut',
    'terminalMessages',
  ],
} as const satisfies Record<ReleaseAudience, readonly (keyof ReleaseOrderFullView)[]>;

export const gateOutFields = {
  terminal: ['at', 'gateReference', 'packages', 'grossMassKg', 'recordedAt'],
  trade: ['at', 'gateReference', 'packages', 'grossMassKg'],
  customs: ['at', 'gateReference', 'packages', 'grossMassKg', 'recordedBy', 'recordedAt'],
} as const satisfies Record<ReleaseAudience, readonly (keyof GateOutFullView)[]>;

export const terminalMessageFields = {
  terminal: ['id', 'releaseOrderNumber', 'kind', 'createdAt', 'deliveredAt', 'acknowledgedAt'],
  trade: ['kind', 'createdAt', 'deliveredAt', 'acknowledgedAt'],
  customs: ['id', 'releaseOrderNumber', 'kind', 'createdAt', 'deliveredAt', 'acknowledgedAt'],
} as const satisfies Record<ReleaseAudience, readonly (keyof TerminalMessageFullView)[]>;


const kg = (v: string) => fixed(new Dec(v), 3);

export function releaseOrderFullView(o: ReleaseOrderRow, g: GateOutRow | undefined, messages: TerminalMessageRow[]): ReleaseOrderFullView {
  return {
    number: o.number,
    status: o.status,
    declarationId: o.declaration_id,
    declarationReference: o.declaration_reference,
    transportDocumentNumber: o.transport_document_number,
    officeCode: o.office_code,
    packages: o.packages,
    grossMassKg: kg(o.gross_mass_kg),
    releasedAt: o.released_at.toISOString(),
    releasedBy: o.released_by,
    exitedAt: o.exited_at?.toISOString() ?? null,
    gateOut: g
      ? { at: g.at.toISOString(), gateReference: g.gate_reference, packages: g.packages, grossMassKg: kg(g.gross_mass_kg), recordedBy: g.recorded_by, recordedAt: g.recorded_at.toISOString() }
      : null,
    terminalMessages: messages.map(messageView),
  };
}

export function releaseOrderView(audience: ReleaseAudience, full: ReleaseOrderFullView): Record<string, unknown> {
  const view = pick(full, releaseOrderFields[audience]);
  // Nested parts go through their own lists.
  if ('gateOut' in view) {
    view.gateOut = full.gateOut === null ? null : pick(full.gateOut, gateOutFields[audience]);
  }
  if ('terminalMessages' in view) {
    view.terminalMessages = full.terminalMessages.map((m) => pick(m, terminalMessageFields[audience]));
  }
  return view;
}
