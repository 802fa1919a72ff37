// Which roles a person or system of each kind of organisation may hold: a carrier's key can never
// carry the officer role, whoever issues it.
import { roles, type Role } from '#platform/http/auth.ts';
import type { OrganisationKind } from '#modules/parties/index.ts';

export const rolesByKind: Record<OrganisationKind, readonly Role[]> = {
  customs: ['officer', 'supervisor', 'risk_analyst', 'admin'],
  carrier: ['carrier'],
  clearing_agent: ['agent'],
  trader: ['trader'],
  bank: ['bank'],
  terminal: ['terminal'],
  // An electronic seal (RECTS) operator: reports tracking events of sealed transit movements.
  tracker: ['tracker'],
};

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** Every role: for routes any logged-in caller may use. */
export const anyRole: readonly Role[] = roles;
