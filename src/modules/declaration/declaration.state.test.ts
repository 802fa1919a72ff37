// The declaration's lifecycle as a table: every status answers every action, either with the
// next status or with a 409 that names where it stands.
import { describe, expect, it } from 'vitest';
import { ProblemError } from '#platform/http/problem.ts';
import { declarationStatuses, type DeclarationStatus } from './declaration.tables.ts';
import { amendableStatuses, controlLifecycle, declarationLifecycle, liveStatuses, lodgementLifecycle, type DeclarationAction } from './declaration.state.ts';

const actions = Object.keys(declarationLifecycle.transitions) as DeclarationAction[];

/** The lifecycle as the trade describes it: where each action may start. */
const expected: Record<DeclarationAction, DeclarationStatus[]> = {
  edit: ['draft'],
  lodge: ['draft'],
  amend: ['lodged', 'assessed', 'queried'],
  assess: ['lodged'],
  register: ['assessed'],
  settle: ['registered'],
  release: ['paid'],
  exit: ['released'],
  cancel: ['draft', 'lodged', 'assessed', 'queried', 'registered', 'paid'],
  query: ['lodged', 'assessed'],
  reject: ['lodged', 'assessed', 'queried'],
};

describe('declaration lifecycle', () => {
  it.each(declarationStatuses.flatMap((s) => actions.map((a) => [s, a] as const)))('%s + %s', (status, action) => {
    if (expected[action].includes(status)) {
      expect(declarationLifecycle.next(status, action)).toBe(declarationLifecycle.transitions[action].to);
      return;
    }
    let error: unknown;
    try {
      declarationLifecycle.next(status, action);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(409);
    expect((error as ProblemError).problem.state).toBe(status);
    expect((error as ProblemError).problem.detail).toContain(`is ${status}`);
  });

  it('ends only in exited, cancelled or rejected', () => {
    const terminal = declarationStatuses.filter((s) => declarationLifecycle.allowed(s).length === 0);
    expect(terminal.sort()).toEqual(['cancelled', 'exited', 'rejected']);
  });

  it('cannot cancel once the goods are released', () => {
    expect(declarationLifecycle.can('released', 'cancel')).toBe(false);
    expect(declarationLifecycle.can('paid', 'cancel')).toBe(true);
  });

  it('amends only before registration, and counts claimed cargo only for live declarations', () => {
    expect(amendableStatuses).not.toContain('registered');
    expect(liveStatuses).not.toContain('draft');
    expect(liveStatuses).not.toContain('cancelled');
    expect(liveStatuses).not.toContain('rejected');
    // Exited cargo is already written off the B/L, so it is not counted twice.
    expect(liveStatuses).not.toContain('exited');
  });

  it('records a control result once', () => {
    expect(controlLifecycle.next('pending', 'pass')).toBe('passed');
    expect(controlLifecycle.next('pending', 'fail')).toBe('failed');
    expect(() => controlLifecycle.next('none', 'pass')).toThrow(/control is none/);
    expect(() => controlLifecycle.next('passed', 'fail')).toThrow(/control is passed/);
  });

  it('lodges and assesses in one move exactly where lodge (or amend) then assess is allowed', () => {
    for (const status of declarationStatuses) {
      for (const action of ['lodge', 'amend'] as const) {
        const twoSteps = declarationLifecycle.can(status, action) ? declarationLifecycle.next(declarationLifecycle.next(status, action), 'assess') : undefined;
        expect(lodgementLifecycle.can(status, action) ? lodgementLifecycle.next(status, action) : undefined).toBe(twoSteps);
      }
    }
    expect(lodgementLifecycle.next('draft', 'lodge')).toBe('assessed');
    expect(() => lodgementLifecycle.next('registered', 'amend')).toThrow(/is registered/);
  });
});
