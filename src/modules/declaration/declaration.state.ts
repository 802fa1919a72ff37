// The life of an import declaration, as a table tests can enumerate.
//
//   draft -lodge-> lodged -assess-> assessed -register-> registered -settle-> paid -release-> released -exit-> exited
//
// Lodging validates, assesses and runs selectivity in one transaction, so "lodged" is passed
// through on the way to "assessed" (both steps are audited). Amendments are allowed before
// registration only: once a PRN is issued the figures on the e-slip stand, and a declarant who
// must change them cancels and lodges again (the PRN lapses with the cancellation). An officer's
// query parks the declaration in "queried" until the declarant answers by amending. Cancellation
// is the declarant's until the goods are released; a paid cancellation records the refund due.
import { stateMachine } from '#platform/state-machine.ts';
import type { ControlStatus, DeclarationStatus } from './declaration.tables.ts';

export type DeclarationAction = 'edit' | 'lodge' | 'amend' | 'assess' | 'register' | 'settle' | 'release' | 'exit' | 'cancel' | 'query' | 'reject';

export const declarationLifecycle = stateMachine<DeclarationStatus, DeclarationAction>('declaration', {
  /** Change a draft; it stays a draft. */
  edit: { from: ['draft'], to: 'draft' },
  lodge: { from: ['draft'], to: 'lodged' },
  /** Change a lodged declaration (or answer a query): it is lodged again and re-assessed. */
  amend: { from: ['lodged', 'assessed', 'queried'], to: 'lodged' },
  assess: { from: ['lodged'], to: 'assessed' },
  register: { from: ['assessed'], to: 'registered' },
  settle: { from: ['registered'], to: 'paid' },
  release: { from: ['paid'], to: 'released' },
  exit: { from: ['released'], to: 'exited' },
  cancel: { from: ['draft', 'lodged', 'assessed', 'queried', 'registered', 'paid'], to: 'cancelled' },
  query: { from: ['lodged', 'assessed'], to: 'queried' },
  reject: { from: ['lodged', 'assessed', 'queried'], to: 'rejected' },
});

/** Declarations that claim cargo on their transport document. */
export const liveStatuses: readonly DeclarationStatus[] = ['lodged', 'assessed', 'queried', 'registered', 'paid', 'released'];

/** States in which the declarant may still change the goods or figures. */
export const amendableStatuses: readonly DeclarationStatus[] = ['draft', 'lodged', 'assessed', 'queried'];

/**
 * The officer's control of a yellow or red declaration. "none" means no control is needed
 * (green or blue channel); release waits while it is "pending".
 */
export const controlLifecycle = stateMachine<ControlStatus, 'pass' | 'fail'>('declaration control', {
  pass: { from: ['pending'], to: 'passed' },
  fail: { from: ['pending'], to: 'failed' },
});

/** Statuses in which an officer may record the control result. */
export const controllableStatuses: readonly DeclarationStatus[] = ['assessed', 'registered', 'paid'];

/**
 * Lodging (or amending) validates and assesses in one write: the lodgement passes through
 * "lodged" on its way to "assessed". This is that pair of steps as one move, derived from the
 * lifecycle above, so transition() checks and writes it once (each step keeps its audit record).
 */
export const lodgementLifecycle = stateMachine<DeclarationStatus, 'lodge' | 'amend'>('declaration', {
  lodge: { from: declarationLifecycle.transitions.lodge.from, to: declarationLifecycle.next(declarationLifecycle.transitions.lodge.to, 'assess') },
  amend: { from: declarationLifecycle.transitions.amend.from, to: declarationLifecycle.next(declarationLifecycle.transitions.amend.to, 'assess') },
});
