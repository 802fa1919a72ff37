// Who is looking, as the views know it. Every view of a record (a declaration, a verification
// task, a timeline event, a PRN, a release order) is written once as a whitelist of fields per
// audience: a field no audience lists is shown to nobody, so a column added later never leaks
// until someone decides who may read it.
import type { Principal } from './auth.ts';

export const audiences = ['customs', 'trade', 'carrier', 'bank', 'terminal'] as const;
export type Audience = (typeof audiences)[number];

/** The audience of a caller follows its organisation's kind (roles always suit the kind). */
const byKind: Record<string, Audience> = {
  customs: 'customs',
  clearing_agent: 'trade',
  trader: 'trade',
  carrier: 'carrier',
  bank: 'bank',
  terminal: 'terminal',
};

export function audienceOf(p: Pick<Principal, 'organisationKind'>): Audience {
  // An unknown kind sees what the most restricted audience sees: nothing a bank may not.
  return byKind[p.organisationKind] ?? 'bank';
}

/** Fields ('a', or 'a.b' inside an object) each audience may read of a view. */
export type Whitelist = Record<Audience, readonly string[]>;

/**
 * The fields of `view` the audience may read. A dotted path copies one field of a nested object
 * (`selectivity.channel`); an undotted one copies the whole value.
 */
export function pick(full: object, fields: readonly string[]): Record<string, unknown> {
  const view = full as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const path of fields) {
    const [head, ...rest] = path.split('.') as [string, ...string[]];
    if (!(head in view)) {
      continue;
    }
    const value = view[head];
    if (rest.length === 0) {
      out[head] = value;
      continue;
    }
    if (value === null || typeof value !== 'object') {
      out[head] = value;
      continue;
    }
    const nested = pick(value, [rest.join('.')]);
    out[head] = { ...((out[head]) ?? {}), ...nested };
  }
  return out;
}

/** The view for an audience; an audience with no fields sees nothing (the caller answers 404). */
export function viewFor<T extends Record<string, unknown>>(view: T, whitelist: Whitelist, audience: Audience): Partial<T> {
  return pick(view, whitelist[audience]) as Partial<T>;
}
