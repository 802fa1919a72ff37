// Lifecycles as explicit tables of transitions: tests can enumerate them, and an illegal move
// is a 409 that names the current state and where the action is allowed from.
import { conflict } from './http/problem.ts';

export interface Transition<S extends string> {
  from: readonly S[];
  to: S;
}

export interface StateMachine<S extends string, A extends string> {
  name: string;
  transitions: Readonly<Record<A, Transition<S>>>;
  /** The state after `action`, or a 409 problem naming the current state. */
  next(current: S, action: A): S;
  can(current: S, action: A): boolean;
  allowed(current: S): A[];
}

export function stateMachine<S extends string, A extends string>(name: string, transitions: Record<A, Transition<S>>): StateMachine<S, A> {
  const actions = Object.keys(transitions) as A[];
  return {
    name,
    transitions,
    can: (current, action) => transitions[action].from.includes(current),
    allowed: (current) => actions.filter((a) => transitions[a].from.includes(current)),
    next(current, action) {
      const t = transitions[action];
      if (!t.from.includes(current)) {
        throw conflict(`The ${name} is ${current}; "${action}" is allowed only when it is ${t.from.join(' or ')}`, {
          state: current,
          action,
          allowedActions: actions.filter((a) => transitions[a].from.includes(current)),
        });
      }
      return t.to;
    },
  };
}
