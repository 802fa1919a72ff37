// The authorisation matrix: every /api route the application registers (its own route table, not
// a list kept here) x every role x a record of the caller's own organisation and one of another
// organisation, each answered with the status the route's access and the record's owner call for:
// 401 without credentials, 403 for a role the route does not allow, 404 for another
// organisation's record (its existence never shown), and for an allowed caller on its own record
// anything but 401/403/404 and below 500 (2xx, or a business 409/422 where the record's state says
// so). A route missing from the table below fails the test, so a new route forces a decision
// about who may call it.
//
// Order: every request expected to be refused runs first, and a fingerprint of every table shows
// they changed nothing; then the allowed ones, each on a record made for its route (see
// authz-fixtures.ts); last the few that change what others rely on (duty, the active model).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRoute } from '../src/app.ts';
import { customsRoles, roles, type Role } from '../src/platform/http/auth.ts';
import { buildFixtures, expectOk, fingerprint, loginAs, matrixPassword, type Fixtures, type Pair } from './authz-fixtures.ts';
import { demoPassword, startTestServer, type Client, type Res, type TestServer } from './server.ts';

type Side = 'own' | 'other';
type Who = Role | 'anonymous';
/** 'allowed': not 401, 403 or 404, and below 500. */
type Expected = number | 'allowed';

interface Call {
  path: string;
  body?: unknown;
  /** Another principal of the same role, for routes that end or change the caller's own credential. */
  as?: () => Promise<Client>;
}

interface Entry {
  /**
   * Who may call it, as this table expects: the route's own config.access must say the same, so
   * opening a route to more roles is a change here too, seen in review.
   */
  access: 'public' | readonly Role[];
  /** The route acts on one organisation's record: it is called on the caller's own and on another's. */
  scoped?: true;
  call(f: Fixtures, role: Role, side: Side): Call;
  /** Where a route legitimately answers otherwise for a role, the status and why. */
  expect?: Partial<Record<Role, Partial<Record<Side, { status: number; why: string }>>>>;
  /** A list: what an allowed trade caller must see of its own, and never of another's. */
  list?: (f: Fixtures) => { shows: string[]; hides: string[] };
  /** Changes what other requests rely on (duty, the active model, the terminal's inbox): runs after them. */
  late?: true;
  /** Further refused cases, e.g. the importer acting on its agent's declaration. */
  extra?: { role: Role; label: string; status: number; why: string; call(f: Fixtures): Call }[];
}

const anyone = roles;
const customs = customsRoles;
const trade: readonly Role[] = ['agent', 'trader'];

/** One caller per role; each holds exactly that role (the demo supervisors are also officers, so ours is a supervisor only). */
const principals: { role: Role; user?: string; password?: string; key?: string }[] = [
  { role: 'carrier', user: 'maersk.ops' },
  { role: 'agent', user: 'siginon.agent' },
  { role: 'trader', user: 'nmotors.owner' },
  { role: 'bank', key: 'demo-kcb-key' },
  { role: 'terminal', key: 'demo-kpa-key' },
  { role: 'tracker', key: 'demo-tracker-key' },
  { role: 'officer', user: 'kra.officer' },
  { role: 'supervisor', user: 'mx.supervisor', password: matrixPassword },
  { role: 'risk_analyst', user: 'kra.risk' },
  { role: 'admin', user: 'kra.admin' },
];

/** World A's record for the caller (the importer's own declaration where only the declarant may act), else world B's. */
function pick<T>(pair: Pair<T>, role: Role, side: Side): T {
  if (side === 'other') {
    return pair.other;
  }
  return role === 'trader' && pair.ownTrader !== undefined ? pair.ownTrader : pair.own;
}

const id = <T extends { id: string }>(pair: Pair<T>, role: Role, side: Side) => pick(pair, role, side).id;
const reason = { reason: 'authorisation matrix' };

/** The caller's own organisation, and one of another organisation of the same kind where there is one. */
const orgCodes: Record<Role, Pair> = {
  carrier: { own: 'MAERSK', other: 'CMA' },
  agent: { own: 'SIGINON', other: 'BOLLORE' },
  trader: { own: 'NMOTORS', other: 'MTRADERS' },
  bank: { own: 'KCB', other: 'MTRADERS' },
  terminal: { own: 'KPA', other: 'MAERSK' },
  tracker: { own: 'SEALTRACK', other: 'MAERSK' },
  officer: { own: 'KRA', other: 'MAERSK' },
  supervisor: { own: 'KRA', other: 'MAERSK' },
  risk_analyst: { own: 'KRA', other: 'MAERSK' },
  admin: { own: 'KRA', other: 'MAERSK' },
};

let server: TestServer;
let f: Fixtures;
const clients = new Map<Who, Client>();
const loginOf = (role: Role) => principals.find((p) => p.role === role);
/** A new session of the role's user (API keys have none): for logout and password changes. */
const freshSession = (role: Role) => {
  const p = loginOf(role);
  return p?.user === undefined ? undefined : () => loginAs(server, p.user as string, p.password ?? demoPassword);
};

const table: Record<string, Entry> = {
  // Reference data, tariff, calculator and login: public.
  'GET /api/v1/reference/countries': { access: 'public', call: () => ({ path: '/api/v1/reference/countries' }) },
  'GET /api/v1/reference/currencies': { access: 'public', call: () => ({ path: '/api/v1/reference/currencies' }) },
  'GET /api/v1/reference/locodes': { access: 'public', call: () => ({ path: '/api/v1/reference/locodes' }) },
  'GET /api/v1/reference/offices': { access: 'public', call: () => ({ path: '/api/v1/reference/offices' }) },
  'GET /api/v1/reference/regimes': { access: 'public', call: () => ({ path: '/api/v1/reference/regimes' }) },
  'GET /api/v1/reference/procedure-codes': { access: 'public', call: () => ({ path: '/api/v1/reference/procedure-codes' }) },
  'GET /api/v1/reference/document-codes': { access: 'public', call: () => ({ path: '/api/v1/reference/document-codes' }) },
  'GET /api/v1/reference/units': { access: 'public', call: () => ({ path: '/api/v1/reference/units' }) },
  'GET /api/v1/tariff/lines': { access: 'public', call: () => ({ path: '/api/v1/tariff/lines?q=8471' }) },
  'GET /api/v1/tariff/exchange-rates/:currency': { access: 'public', call: () => ({ path: '/api/v1/tariff/exchange-rates/USD' }) },
  'GET /api/v1/tariff/settings': { access: 'public', call: () => ({ path: '/api/v1/tariff/settings' }) },
  'GET /api/v1/tariff/charges': { access: 'public', call: () => ({ path: '/api/v1/tariff/charges' }) },
  'GET /api/v1/vehicles/crsp': { access: 'public', call: () => ({ path: '/api/v1/vehicles/crsp?make=toyota&model=harrier' }) },
  'POST /api/v1/calculator': {
    access: 'public',
    call: () => ({ path: '/api/v1/calculator', body: { currency: 'USD', items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob: '1500', quantity: '10' }] } }),
  },
  'POST /api/v1/auth/login': { access: 'public', call: () => ({ path: '/api/v1/auth/login', body: { username: 'kra.officer2', password: demoPassword } }) },

  // Identity: everyone's own credential; the administrator's users and keys.
  'POST /api/v1/auth/password': {
    access: anyone,
    call: (fx, role) => ({
      path: '/api/v1/auth/password',
      body: { currentPassword: matrixPassword, newPassword: 'Matrix-Changed-2026!' },
      // A user made for this, so no one else's sessions end.
      ...(fx.passwordUsers[role] === undefined ? {} : { as: () => loginAs(server, fx.passwordUsers[role] as string, matrixPassword) }),
    }),
    expect: {
      bank: { own: { status: 403, why: 'an API key has no password to change (keys are rotated)' } },
      terminal: { own: { status: 403, why: 'an API key has no password to change (keys are rotated)' } },
      tracker: { own: { status: 403, why: 'an API key has no password to change (keys are rotated)' } },
    },
  },
  'POST /api/v1/auth/logout': { access: anyone, call: (_fx, role) => ({ path: '/api/v1/auth/logout', ...withSession(role) }) },
  'GET /api/v1/me': { access: anyone, call: () => ({ path: '/api/v1/me' }) },
  'GET /api/v1/maintenance': { access: 'public', call: () => ({ path: '/api/v1/maintenance' }) },
  'POST /api/v1/maintenance': {
    access: ['admin'],
    call: (fx) => ({ path: '/api/v1/maintenance', body: { title: 'Matrix', description: 'Matrix window', impact: 'none', startsAt: `${Number(fx.today.slice(0, 4)) + 1}-01-01T00:00:00Z`, endsAt: `${Number(fx.today.slice(0, 4)) + 1}-01-01T02:00:00Z` } }),
  },
  'POST /api/v1/maintenance/:id/amend': {
    access: ['admin'],
    call: (fx) => ({ path: `/api/v1/maintenance/${fx.maintenance.amend}/amend`, body: { title: 'Matrix amended', description: 'Matrix window', impact: 'degraded', startsAt: `${Number(fx.today.slice(0, 4)) + 1}-02-01T00:00:00Z`, endsAt: `${Number(fx.today.slice(0, 4)) + 1}-02-01T02:00:00Z` } }),
  },
  'POST /api/v1/maintenance/:id/withdraw': {
    access: ['admin'],
    call: (fx) => ({ path: `/api/v1/maintenance/${fx.maintenance.withdraw}/withdraw`, body: { reason: 'Matrix withdrawal' } }),
  },
  // Receipts exist only for lodgements journalled while the database was away (none here): every
  // caller gets the 404 another caller's receipt gets too (test/faults/store-and-forward.test.ts).
  'GET /api/v1/receipts/:receipt': {
    access: anyone,
    call: () => ({ path: '/api/v1/receipts/R20260615ABCDEFGHJKLM' }),
    expect: Object.fromEntries(anyone.map((r) => [r, { own: { status: 404, why: 'no journalled receipt exists in this test' } }])),
  },
  'POST /api/v1/users': {
    access: ['admin'],
    call: () => ({ path: '/api/v1/users', body: { organisationCode: 'MAERSK', username: 'mx.newcomer', displayName: 'Matrix Newcomer', password: matrixPassword, roles: ['carrier'] } }),
  },
  'GET /api/v1/users': { access: ['admin'], call: () => ({ path: '/api/v1/users?limit=200' }) },
  'POST /api/v1/users/:id/deactivate': { access: ['admin'], call: (fx) => ({ path: `/api/v1/users/${fx.users.deactivate}/deactivate`, body: reason }) },
  'POST /api/v1/users/:id/password': {
    access: ['admin'],
    call: (fx) => ({ path: `/api/v1/users/${fx.users.resetPassword}/password`, body: { newPassword: 'Matrix-Reset-2026!', ...reason } }),
  },
  'POST /api/v1/api-keys': {
    access: ['admin'],
    call: () => ({ path: '/api/v1/api-keys', body: { organisationCode: 'MAERSK', name: 'Matrix manifest gateway', roles: ['carrier'] } }),
  },
  'GET /api/v1/api-keys': { access: ['admin'], call: () => ({ path: '/api/v1/api-keys' }) },
  'POST /api/v1/api-keys/:id/rotate': { access: ['admin'], call: (fx) => ({ path: `/api/v1/api-keys/${fx.apiKeys.rotate}/rotate`, body: reason }) },
  'POST /api/v1/api-keys/:id/revoke': { access: ['admin'], call: (fx) => ({ path: `/api/v1/api-keys/${fx.apiKeys.revoke}/revoke`, body: reason }) },

  // Parties: organisations and agent authorisations.
  // Exemption letters: customs registers and reads them (the relief module).
  'POST /api/v1/exemption-letters': {
    access: ['officer', 'supervisor', 'admin'],
    call: (_fx, role) => ({
      path: '/api/v1/exemption-letters',
      body: { number: `MX/EXL/${role}`, holderPin: 'P051234567A', procedureCodes: ['4000412'], charges: ['ID'], cover: 'value', limit: '1000', validFrom: '2026-01-01' },
    }),
  },
  'GET /api/v1/exemption-letters': { access: customs, call: () => ({ path: '/api/v1/exemption-letters?limit=10' }) },
  'GET /api/v1/exemption-letters/:id': {
    access: customs,
    call: () => ({ path: '/api/v1/exemption-letters/00000000-0000-4000-8000-000000000000' }),
    expect: Object.fromEntries(customs.map((r) => [r, { own: { status: 404, why: 'no letter has this id: customs may read, and learns there is none' } }])),
  },
  'POST /api/v1/organisations': {
    access: ['admin'],
    call: () => ({ path: '/api/v1/organisations', body: { code: 'MXCARRIER', kind: 'carrier', name: 'Matrix Lines Ltd' } }),
  },
  'GET /api/v1/organisations': { access: customs, call: () => ({ path: '/api/v1/organisations?limit=200' }) },
  'GET /api/v1/organisations/me': { access: anyone, call: () => ({ path: '/api/v1/organisations/me' }) },
  'GET /api/v1/organisations/:id': {
    access: anyone,
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/organisations/${fx.org[pick(orgCodes[role], role, side)] ?? ''}` }),
  },
  'POST /api/v1/organisations/:id/licence': {
    access: ['admin'],
    call: (fx) => ({ path: `/api/v1/organisations/${fx.agents.MXAGENT1}/licence`, body: { licenceNumber: 'CA/2026/9101', licenceValidFrom: '2026-06-01', licenceValidTo: '2027-05-31' } }),
  },
  'POST /api/v1/authorisations': { access: ['trader'], call: (fx) => ({ path: '/api/v1/authorisations', body: { agentCode: 'MXAGENT3', validFrom: fx.today } }) },
  'GET /api/v1/authorisations': {
    access: ['trader', 'agent', ...customs],
    call: () => ({ path: '/api/v1/authorisations?limit=200' }),
    list: (fx) => ({ shows: [fx.authorisations.read.own], hides: [fx.authorisations.read.other] }),
  },
  'GET /api/v1/authorisations/:id': {
    access: ['trader', 'agent', ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/authorisations/${pick(fx.authorisations.read, role, side)}` }),
  },
  'POST /api/v1/authorisations/:id/revoke': {
    access: ['trader', 'admin'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/authorisations/${pick(fx.authorisations.revoke, role, side)}/revoke`, body: reason }),
  },

  // Manifests: world A is Maersk's at MBA (KPA's office), world B CMA's at MOI.
  'POST /api/v1/manifests': { access: ['carrier'], call: (fx) => ({ path: '/api/v1/manifests', body: fx.manifestBody(fx.newBl()) }) },
  'POST /api/v1/manifests/:id/amendments': {
    access: ['carrier'],
    scoped: true,
    call: (fx, role, side) => ({
      path: `/api/v1/manifests/${pick(fx.manifests.open, role, side).id}/amendments`,
      body: { reason: 'late booking', documents: [{ action: 'add', ...fx.document(side === 'own' ? 'A' : 'B', fx.newBl()) }] },
    }),
  },
  'POST /api/v1/manifests/:id/supplementary': {
    access: ['carrier'],
    scoped: true,
    call: (fx, role, side) => ({
      path: `/api/v1/manifests/${pick(fx.manifests.arrived, role, side).id}/supplementary`,
      body: { reason: 'left off the manifest', documents: [fx.document(side === 'own' ? 'A' : 'B', fx.newBl())] },
    }),
  },
  'POST /api/v1/manifests/:id/arrival': {
    access: ['carrier', 'terminal', 'officer', 'supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/manifests/${pick(fx.manifests.toArrive, role, side).id}/arrival`, body: { actualArrival: fx.now() } }),
  },
  'POST /api/v1/manifests/:id/close': {
    access: ['officer', 'supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/manifests/${pick(fx.manifests.toClose, role, side).id}/close`, body: reason }),
  },
  'GET /api/v1/manifests': {
    access: ['carrier', 'terminal', 'agent', 'trader', ...customs],
    call: () => ({ path: '/api/v1/manifests?limit=200' }),
    list: (fx) => ({ shows: [fx.manifests.open.own.id], hides: [fx.manifests.open.other.id] }),
  },
  'GET /api/v1/manifests/:id': {
    access: ['carrier', 'terminal', 'agent', 'trader', ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/manifests/${pick(fx.manifests.open, role, side).id}` }),
  },
  'GET /api/v1/manifests/:id/versions': {
    access: ['carrier', 'terminal', ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/manifests/${pick(fx.manifests.open, role, side).id}/versions` }),
  },
  'GET /api/v1/transport-documents/:number': {
    access: ['carrier', 'terminal', 'agent', 'trader', ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/transport-documents/${pick(fx.read, role, side).bl}` }),
  },

  // Payment: a bank proves it was given a PRN by quoting the amount due; "other" quotes another.
  'POST /api/v1/payments': {
    access: ['bank'],
    call: (fx) => ({ path: '/api/v1/payments', body: { prn: fx.toPay.prn, amount: fx.toPay.amountDue, bankReference: 'KCB-MX-MATRIX', paidAt: fx.now() } }),
  },
  'GET /api/v1/payment-references/:prn': {
    access: ['bank', 'agent', 'trader', ...customs],
    scoped: true,
    call: (fx, role, side) => {
      const prn = pick(fx.registered, role, role === 'bank' ? 'own' : side);
      return { path: `/api/v1/payment-references/${prn.prn}${role === 'bank' ? `?amount=${side === 'own' ? prn.amountDue : '1.00'}` : ''}` };
    },
  },
  'GET /api/v1/payment-references/:prn/eslip': {
    access: ['agent', 'trader', ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/payment-references/${pick(fx.registered, role, side).prn}/eslip` }),
  },

  // Release: KPA serves MBA; world B's orders are at MOI.
  'GET /api/v1/terminal/messages': {
    access: ['terminal'],
    call: () => ({ path: '/api/v1/terminal/messages' }),
    list: (fx) => ({ shows: [fx.released.own.releaseOrderNumber ?? '?'], hides: [fx.released.other.releaseOrderNumber ?? '?'] }),
  },
  'POST /api/v1/terminal/messages/:id/ack': {
    access: ['terminal'],
    scoped: true,
    late: true,
    call: (fx, role, side) => ({ path: `/api/v1/terminal/messages/${pick(fx.messages, role, side)}/ack` }),
  },
  'POST /api/v1/release-orders/:number/gate-out': {
    access: ['terminal'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/release-orders/${pick(fx.released, role, side).releaseOrderNumber}/gate-out`, body: { at: fx.now(), gateReference: 'KPA-MX-0001' } }),
  },
  'GET /api/v1/release-orders/:number': {
    access: ['terminal', 'agent', 'trader', ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/release-orders/${pick(fx.released, role, side).releaseOrderNumber}` }),
  },

  // Transit: Siginon's guarantee and movement in world A, Bollore's in world B.
  'POST /api/v1/transit/guarantees': {
    access: ['officer', 'supervisor', 'admin'],
    call: () => ({ path: '/api/v1/transit/guarantees', body: { kind: 'regional', holder: 'SIGINON', guarantor: 'COMESA RCTG', amount: '1000.00', validFrom: '2026-01-01', validTo: '2026-12-31' } }),
  },
  'POST /api/v1/transit/guarantees/:reference/top-up': {
    access: ['officer', 'supervisor', 'admin'],
    call: (fx) => ({ path: `/api/v1/transit/guarantees/${fx.transit.own.guarantee}/top-up`, body: { amount: '1.00', reason: 'authorisation matrix' } }),
  },
  'GET /api/v1/transit/guarantees': {
    access: ['agent', 'officer', 'supervisor', 'risk_analyst', 'admin'],
    call: () => ({ path: '/api/v1/transit/guarantees?limit=200' }),
    list: (fx) => ({ shows: [fx.transit.own.guarantee], hides: [fx.transit.other.guarantee] }),
  },
  'GET /api/v1/transit/guarantees/:reference': {
    access: ['agent', 'officer', 'supervisor', 'risk_analyst', 'admin'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/transit/guarantees/${pick(fx.transit, role, side).guarantee}` }),
  },
  'POST /api/v1/transit/movements': {
    access: ['agent'],
    // The B/L's transit cargo is on the fixture's movement already: a business 422, past the access checks.
    call: (fx) => ({ path: '/api/v1/transit/movements', body: fx.transit.own.body }),
  },
  'GET /api/v1/transit/movements': {
    access: ['agent', 'officer', 'supervisor', 'risk_analyst', 'admin'],
    call: () => ({ path: '/api/v1/transit/movements?limit=200' }),
    list: (fx) => ({ shows: [fx.transit.own.reference], hides: [fx.transit.other.reference] }),
  },
  'GET /api/v1/transit/movements/:id': {
    access: ['agent', 'officer', 'supervisor', 'risk_analyst', 'admin'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/transit/movements/${pick(fx.transit, role, side).movement}` }),
  },
  'GET /api/v1/transit/movements/:id/timeline': {
    access: ['agent', 'officer', 'supervisor', 'risk_analyst', 'admin'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/transit/movements/${pick(fx.transit, role, side).movement}/timeline` }),
  },
  'POST /api/v1/transit/movements/:id/amend': {
    access: ['agent'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/transit/movements/${pick(fx.transit, role, side).movement}/amend`, body: { ...fx.transit.own.body, reason: 'authorisation matrix' } }),
  },
  'POST /api/v1/transit/movements/:id/cancel': {
    access: ['agent'],
    scoped: true,
    late: true,
    call: (fx, role, side) => ({ path: `/api/v1/transit/movements/${pick(fx.transit, role, side).movement}/cancel`, body: { reason: 'authorisation matrix' } }),
  },
  'POST /api/v1/transit/movements/:id/departure': {
    access: ['officer', 'supervisor'],
    late: true,
    call: (fx) => ({ path: `/api/v1/transit/movements/${fx.transit.own.movement}/departure`, body: {} }),
    expect: { supervisor: { own: { status: 403, why: 'departure is for customs on duty at the office of departure; the matrix supervisor is on duty nowhere' } } },
  },
  'POST /api/v1/transit/movements/:id/exit': {
    access: ['officer', 'supervisor'],
    // Still lodged: a 409 from the lifecycle, past the access checks.
    call: (fx) => ({ path: `/api/v1/transit/movements/${fx.transit.own.movement}/exit`, body: {} }),
  },
  'POST /api/v1/transit/movements/:id/arrival': {
    access: ['officer', 'supervisor'],
    call: (fx) => ({ path: `/api/v1/transit/movements/${fx.transit.own.movement}/arrival`, body: {} }),
  },
  'POST /api/v1/transit/movements/:id/call-guarantee': {
    access: ['supervisor'],
    call: (fx) => ({ path: `/api/v1/transit/movements/${fx.transit.own.movement}/call-guarantee`, body: { reason: 'authorisation matrix' } }),
  },
  'POST /api/v1/transit/seal-events': {
    access: ['tracker'],
    // A seal on no movement: a business 422, past the access checks.
    call: () => ({ path: '/api/v1/transit/seal-events', body: { eventId: 'MX-NOSEAL-1', sealId: 'MX-NO-SUCH-SEAL', kind: 'position', at: '2026-06-15T08:00:00Z' } }),
  },
  // Partner exchange: the door is open to the network (the signature is the credential); what
  // the matrix posts is no JWS, refused by validation (422) past the access check.
  'POST /api/v1/partner/messages': { access: 'public', call: () => ({ path: '/api/v1/partner/messages', body: { jws: 'not-a-jws' } }) },
  'GET /api/v1/partner/messages': { access: ['officer', 'supervisor', 'risk_analyst', 'admin'], call: () => ({ path: '/api/v1/partner/messages' }) },
  'GET /api/v1/partner/refusals': { access: ['officer', 'supervisor', 'risk_analyst', 'admin'], call: () => ({ path: '/api/v1/partner/refusals' }) },
  'GET /api/v1/partner/movements': { access: ['officer', 'supervisor', 'risk_analyst', 'admin'], call: () => ({ path: '/api/v1/partner/movements' }) },
  'POST /api/v1/partner/movements/:reference/arrival': {
    access: ['officer', 'supervisor'],
    // An office code too short: a 422 past the access checks (no partner announced a movement here).
    call: () => ({ path: '/api/v1/partner/movements/2026MBAIM8000001/arrival', body: { office: 'X' } }),
  },
  'POST /api/v1/partner/sct/declarations/:reference': {
    access: ['officer', 'supervisor'],
    // An office code too short: a 422 past the access checks (no partner is configured here).
    call: () => ({ path: '/api/v1/partner/sct/declarations/2026MBAIM4000001', body: { originCountry: 'KE', office: 'X' } }),
  },
  'GET /api/v1/partner/sct/clearances': { access: ['officer', 'supervisor', 'risk_analyst', 'admin'], call: () => ({ path: '/api/v1/partner/sct/clearances' }) },
  'GET /api/v1/transit/alerts': { access: ['officer', 'supervisor', 'risk_analyst', 'admin'], call: () => ({ path: '/api/v1/transit/alerts' }) },
  'POST /api/v1/transit/alerts/:id/acknowledge': {
    access: ['officer', 'supervisor'],
    call: (fx) => ({ path: `/api/v1/transit/alerts/${fx.transit.alert}/acknowledge`, body: { note: 'authorisation matrix' } }),
  },

  // Declarations: Siginon's (or Nairobi Motors' own) in world A, Bollore's for Mombasa Traders in world B.
  'POST /api/v1/declarations': {
    access: trade,
    scoped: true,
    call: (fx, role, side) => ({
      path: '/api/v1/declarations',
      // Another organisation's: goods of Mombasa Traders, who never authorised Siginon, and whose PIN is not Nairobi Motors'.
      body: { ...fx.declarationBody(side === 'own' ? 'A' : 'B', pick(fx.spareBl, role, side)), lodge: true },
    }),
    expect: {
      agent: { other: { status: 422, why: 'declaring for an importer that has not authorised the agent is a lodgement error (not_authorised), named on /importerPin' } },
      trader: { other: { status: 422, why: 'a trader declares only for itself (not_own_pin)' } },
    },
  },
  'POST /api/v1/declarations/:id/lodge': {
    access: trade,
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.drafts, role, side)}/lodge` }),
    extra: [{ role: 'trader', label: "agent's draft", status: 404, why: "a draft is the declarant's alone: the importer does not see it", call: (fx) => ({ path: `/api/v1/declarations/${fx.drafts.own.id}/lodge` }) }],
  },
  'POST /api/v1/declarations/:id/amend': {
    access: trade,
    scoped: true,
    call: (fx, role, side) => {
      const d = pick(fx.assessed.amend, role, side);
      return { path: `/api/v1/declarations/${d.id}/amend`, body: { ...fx.declarationBody(side === 'own' ? 'A' : 'B', d.bl), freight: '1250.00', reason: 'freight invoice corrected' } };
    },
    extra: [
      {
        role: 'trader',
        label: "agent's declaration",
        status: 403,
        why: 'the importer may read but not act for its agent',
        call: (fx) => ({ path: `/api/v1/declarations/${fx.assessed.amend.own.id}/amend`, body: { ...fx.declarationBody('A', fx.assessed.amend.own.bl), reason: 'importer' } }),
      },
    ],
  },
  'POST /api/v1/declarations/:id/register': {
    access: trade,
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.assessed.register, role, side)}/register` }),
    extra: [
      { role: 'trader', label: "agent's declaration", status: 403, why: 'the importer may read but not act for its agent', call: (fx) => ({ path: `/api/v1/declarations/${fx.assessed.register.own.id}/register` }) },
    ],
  },
  'POST /api/v1/declarations/:id/cancel': {
    access: trade,
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.assessed.cancel, role, side)}/cancel`, body: reason }),
    extra: [
      {
        role: 'trader',
        label: "agent's declaration",
        status: 403,
        why: 'the importer may read but not act for its agent',
        call: (fx) => ({ path: `/api/v1/declarations/${fx.assessed.cancel.own.id}/cancel`, body: reason }),
      },
    ],
  },
  'GET /api/v1/declarations/:id/requests': {
    access: [...trade, ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.requests.decide, role, side)}/requests` }),
  },
  'POST /api/v1/declarations/:id/requests/:requestId/decision': {
    access: ['officer', 'supervisor'],
    scoped: true,
    call: (fx, role, side) => {
      const d = pick(fx.requests.decide, role, side);
      return { path: `/api/v1/declarations/${d.id}/requests/${d.requestId}/decision`, body: { approve: false, reason: 'the goods are in the port' } };
    },
  },
  'POST /api/v1/declarations/:id/requests/:requestId/withdraw': {
    access: trade,
    scoped: true,
    call: (fx, role, side) => {
      const d = pick(fx.requests.withdraw, role, side);
      return { path: `/api/v1/declarations/${d.id}/requests/${d.requestId}/withdraw` };
    },
    extra: [
      {
        role: 'trader',
        label: "agent's declaration",
        status: 403,
        why: 'the importer may read but not act for its agent',
        call: (fx) => ({ path: `/api/v1/declarations/${fx.requests.withdraw.own.id}/requests/${fx.requests.withdraw.own.requestId}/withdraw` }),
      },
    ],
  },
  'POST /api/v1/declarations/:id/query': {
    access: ['officer', 'supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.assessed.query, role, side)}/query`, body: reason }),
  },
  'POST /api/v1/declarations/:id/reject': {
    access: ['officer', 'supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.assessed.reject, role, side)}/reject`, body: reason }),
  },
  'POST /api/v1/declarations/:id/control': {
    access: ['officer', 'supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.assessed.control, role, side)}/control`, body: { result: 'passed', findings: 'documents in order' } }),
  },
  // Exports: lodged by the trade; exit confirmed by the terminal or customs at the office of exit.
  // The matrix's records are imports: an exit of one is a 409 for customs (imports leave by
  // gate-out) and not found for a terminal (it confirms exports at its offices only); no import
  // has a proof of exit (export.test.ts covers exports end to end).
  'POST /api/v1/exports': {
    access: trade,
    call: () => ({
      path: '/api/v1/exports',
      body: {
        cpc: '1000100',
        officeCode: 'MBA',
        exporterPin: 'P051234567A',
        exitOfficeCode: 'MBA',
        destinationCountry: 'UG',
        goodsLocation: 'Nairobi Motors yard',
        invoiceCurrency: 'USD',
        invoiceAmount: '100.00',
        incoterm: 'FOB',
        documents: [{ code: 'N380', reference: 'MX-1' }],
        items: [{ hsCode: '0902.40.00', description: 'Black tea', originCountry: 'KE', quantity: '10', unit: 'KGM', netMassKg: '10', grossMassKg: '11', packages: 1, itemPrice: '100.00' }],
      },
    }),
  },
  'POST /api/v1/declarations/:id/exit': {
    access: ['terminal', 'officer', 'supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.read, role, side)}/exit`, body: { reference: 'MX-EXIT-1' } }),
    expect: { terminal: { own: { status: 404, why: 'the record is an import: a terminal confirms only exports leaving at its offices' } } },
  },
  'GET /api/v1/declarations/:id/proof-of-exit': {
    access: [...trade, ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.read, role, side)}/proof-of-exit` }),
    // Customs see every declaration, so "other" is theirs to read too: an import, with no proof either.
    expect: Object.fromEntries([...trade, ...customs].map((r) => [r, { own: { status: 404, why: 'an import has no proof of exit' }, ...(customs.includes(r) ? { other: { status: 404, why: 'an import has no proof of exit' } } : {}) }])),
  },
  'GET /api/v1/declarations': {
    access: [...trade, ...customs],
    call: () => ({ path: '/api/v1/declarations?limit=200' }),
    list: (fx) => ({ shows: [fx.read.own.id], hides: [fx.read.other.id] }),
  },
  'GET /api/v1/declarations/:id': {
    access: [...trade, ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.read, role, side)}` }),
  },
  'GET /api/v1/declarations/by-reference/:reference': {
    access: [...trade, ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/by-reference/${pick(fx.read, role, side).reference}` }),
  },
  // Standards adapters: WCO declarations are the declarants'; the body here is no declaration at all (a 400 once past the door).
  'POST /api/v1/wco/declarations': {
    access: trade,
    call: () => ({ path: '/api/v1/wco/declarations', body: 'not xml' }),
  },
  'GET /api/v1/wco/declarations/:reference/notifications': {
    access: [...trade, ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/wco/declarations/${pick(fx.read, role, side).reference}/notifications` }),
  },
  'POST /api/v1/edifact': {
    access: ['carrier'],
    call: () => ({ path: '/api/v1/edifact', body: 'not an interchange' }),
  },
  'GET /api/v1/edifact/terminal-messages': {
    access: ['terminal'],
    call: () => ({ path: '/api/v1/edifact/terminal-messages' }),
  },
  'GET /api/v1/timeline': {
    access: [...trade, 'carrier', ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/timeline?bl=${pick(fx.read, role, side).bl}` }),
    // Named by another organisation's declaration reference instead of its B/L: the same 404.
    extra: (['carrier', 'agent', 'trader'] as const).map((role) => ({
      role,
      label: 'other, by reference',
      status: 404,
      why: 'a consignment is followed only by its importer, their agents, its carrier and customs',
      call: (fx: Fixtures) => ({ path: `/api/v1/timeline?declaration=${fx.read.other.reference}` }),
    })),
  },

  // Verification: world A's tasks are drawn for kra.officer at MBA, world B's for kra.officer2 at MOI.
  'POST /api/v1/inspection/duty': {
    access: ['officer', 'supervisor'],
    late: true,
    // The officer goes off duty (only a supervisor puts officers on duty); the supervisor rosters a second officer.
    call: (fx, role) => ({ path: '/api/v1/inspection/duty', body: role === 'supervisor' ? { officeCode: 'MBA', onDuty: true, officerId: fx.officerIds.supervisor2 } : { officeCode: 'MBA', onDuty: false } }),
  },
  'GET /api/v1/inspection/duty': { access: customs, call: () => ({ path: '/api/v1/inspection/duty' }) },
  'GET /api/v1/inspection/tasks': { access: customs, call: () => ({ path: '/api/v1/inspection/tasks?limit=200' }) },
  'GET /api/v1/inspection/tasks/:id': {
    access: [...trade, ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/inspection/tasks/${pick(fx.tasks.findings, role, side)}` }),
  },
  'POST /api/v1/inspection/tasks/:id/findings': {
    access: ['officer'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/inspection/tasks/${pick(fx.tasks.findings, role, side)}/findings`, body: { result: 'no_discrepancy', remarks: 'all as declared' } }),
    expect: { officer: { other: { status: 403, why: "world B's task was drawn for kra.officer2: findings are recorded only by the officer a task was drawn for" } } },
  },
  'POST /api/v1/inspection/tasks/:id/reassign': {
    access: ['supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/inspection/tasks/${pick(fx.tasks.reassign, role, side)}/reassign`, body: reason }),
  },
  'POST /api/v1/inspection/tasks/:id/withdraw': {
    access: ['supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/inspection/tasks/${pick(fx.tasks.withdraw, role, side)}/withdraw`, body: reason }),
  },
  'POST /api/v1/inspection/tasks/:id/decision': {
    access: ['supervisor'],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/inspection/tasks/${pick(fx.tasks.decide, role, side)}/decision`, body: { uphold: false, reason: 'the invoice is genuine' } }),
  },
  'GET /api/v1/declarations/:id/verification': {
    access: [...trade, ...customs],
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.verified.read, role, side)}/verification` }),
  },
  'POST /api/v1/declarations/:id/verification-response': {
    access: trade,
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/declarations/${id(fx.verified.respond, role, side)}/verification-response`, body: { response: 'accept' } }),
  },

  // Risk management: customs read, the analyst changes; nothing here belongs to the trade.
  'GET /api/v1/risk/rules': { access: customs, call: () => ({ path: '/api/v1/risk/rules' }) },
  'POST /api/v1/risk/rules': {
    access: ['risk_analyst'],
    call: (fx) => ({ path: '/api/v1/risk/rules', body: { ...fx.risk.rule.body, name: 'Matrix: live asses', criteria: { hsCodes: ['0101.30'] } } }),
  },
  'GET /api/v1/risk/rules/:id': { access: customs, call: (fx) => ({ path: `/api/v1/risk/rules/${fx.risk.rule.id}` }) },
  'GET /api/v1/risk/rules/:id/versions/:version': { access: customs, call: (fx) => ({ path: `/api/v1/risk/rules/${fx.risk.rule.id}/versions/${fx.risk.rule.version}` }) },
  'PUT /api/v1/risk/rules/:id': {
    access: ['risk_analyst'],
    call: (fx) => ({ path: `/api/v1/risk/rules/${fx.risk.rule.id}`, body: { ...fx.risk.rule.body, reason: 'authorisation matrix, reworded', changeReason: 'wording' } }),
  },
  'GET /api/v1/risk/watchlists': { access: customs, call: () => ({ path: '/api/v1/risk/watchlists' }) },
  'POST /api/v1/risk/watchlists': {
    access: ['risk_analyst'],
    call: () => ({ path: '/api/v1/risk/watchlists', body: { name: 'Matrix HS watch', kind: 'hs', reason: 'authorisation matrix' } }),
  },
  'GET /api/v1/risk/watchlists/:id': { access: customs, call: (fx) => ({ path: `/api/v1/risk/watchlists/${fx.risk.watchlist}` }) },
  'PUT /api/v1/risk/watchlists/:id': {
    access: ['risk_analyst'],
    call: (fx) => ({ path: `/api/v1/risk/watchlists/${fx.risk.watchlist}`, body: { reason: 'authorisation matrix, reworded' } }),
  },
  'POST /api/v1/risk/watchlists/:id/entries': {
    access: ['risk_analyst'],
    call: (fx) => ({ path: `/api/v1/risk/watchlists/${fx.risk.watchlist}/entries`, body: { value: 'Matrix Second Seller', validFrom: fx.today } }),
  },
  'POST /api/v1/risk/watchlists/:id/entries/:entryId/end': {
    access: ['risk_analyst'],
    call: (fx) => ({ path: `/api/v1/risk/watchlists/${fx.risk.watchlist}/entries/${fx.risk.entry}/end`, body: { validTo: fx.today } }),
  },
  'GET /api/v1/risk/prohibited': { access: customs, call: () => ({ path: '/api/v1/risk/prohibited' }) },
  'POST /api/v1/risk/prohibited': {
    access: ['risk_analyst'],
    call: (fx) => ({ path: '/api/v1/risk/prohibited', body: { hsPrefix: '0105', reason: 'authorisation matrix', validFrom: fx.today } }),
  },
  'POST /api/v1/risk/prohibited/:id/end': {
    access: ['risk_analyst'],
    call: (fx) => ({ path: `/api/v1/risk/prohibited/${fx.risk.prohibited}/end`, body: { validTo: fx.today } }),
  },
  'GET /api/v1/risk/settings': { access: customs, call: () => ({ path: '/api/v1/risk/settings' }) },
  'POST /api/v1/risk/settings': {
    access: ['risk_analyst'],
    call: (fx) => ({ path: '/api/v1/risk/settings', body: { key: 'reasons.max', value: 5, validFrom: fx.today } }),
  },
  'GET /api/v1/risk/models': { access: customs, call: () => ({ path: '/api/v1/risk/models' }) },
  'POST /api/v1/risk/models/:id/activate': { access: ['risk_analyst'], late: true, call: (fx) => ({ path: `/api/v1/risk/models/${fx.risk.model}/activate` }) },
  'POST /api/v1/risk/models/:id/thresholds': {
    access: ['risk_analyst'],
    late: true,
    call: (fx) => ({ path: `/api/v1/risk/models/${fx.risk.model}/thresholds`, body: { targetRates: { red: 0.02, yellow: 0.05 } } }),
  },
  'GET /api/v1/risk/selections/:declarationId': {
    access: customs,
    scoped: true,
    call: (fx, role, side) => ({ path: `/api/v1/risk/selections/${id(fx.read, role, side)}` }),
  },
  'GET /api/v1/risk/valuation': { access: customs, call: () => ({ path: '/api/v1/risk/valuation?hsCode=8471.30.00&origin=CN' }) },
  'GET /api/v1/risk/monitoring': { access: customs, call: () => ({ path: '/api/v1/risk/monitoring?from=2026-06-01&to=2026-06-30' }) },
  // The web's public status (statuses and dates only) and the customs dashboards' figures.
  'GET /api/v1/status': { access: 'public', call: (fx) => ({ path: `/api/v1/status?bl=${fx.read.own.bl}` }) },
  'GET /api/v1/stats': { access: customs, call: () => ({ path: '/api/v1/stats?from=2026-06-01&to=2026-06-30' }) },
  // Reference-data uploads: administrators only (a rate for a currency no other test uses).
  'POST /api/v1/uploads/:kind': { access: ['admin'], call: () => ({ path: '/api/v1/uploads/exchange-rates', body: { fileName: 'matrix-rates.csv', content: 'currency,rate,valid_from\nSEK,12.5000,2026-06-10\n' } }) },
};

/** Logout ends the session it is sent with: a fresh one, so the role's other requests keep theirs. */
function withSession(role: Role): Pick<Call, 'as'> {
  const fresh = freshSession(role);
  return fresh === undefined ? {} : { as: fresh };
}

interface Case {
  route: string;
  who: Who;
  side: string;
  expected: Expected;
  why?: string;
  method: string;
  call: Call;
  client: Client;
  late: boolean;
  list?: { shows: string[]; hides: string[] };
}

interface Outcome {
  c: Case;
  got: number;
  detail: string;
}

const isAllowed = (status: number) => status < 500 && ![401, 403, 404].includes(status);
const key = (r: ApiRoute) => `${r.method} ${r.url}`;

/** What the route's access and the record's owner call for. */
function expectedFor(route: ApiRoute, entry: Entry, who: Who, side: Side): { expected: Expected; why?: string } {
  if (route.access === 'public') {
    return { expected: 'allowed' };
  }
  if (who === 'anonymous') {
    return { expected: 401 };
  }
  if (!route.access.includes(who)) {
    return { expected: 403 };
  }
  const explicit = entry.expect?.[who]?.[side];
  if (explicit !== undefined) {
    return { expected: explicit.status, why: explicit.why };
  }
  if (entry.scoped && side === 'other' && !customsRoles.includes(who)) {
    return { expected: 404 };
  }
  return { expected: 'allowed' };
}

/** Every case of the matrix, in the order of the application's route table. */
async function cases(routes: ApiRoute[]): Promise<Case[]> {
  const all: Case[] = [];
  for (const route of routes) {
    const entry = table[key(route)];
    if (entry === undefined) {
      continue; // the coverage test names it
    }
    const firstAllowed = route.access === 'public' ? 'admin' : ((route.access[0] as Role | undefined) ?? 'admin');
    const base = { route: key(route), method: route.method, late: entry.late === true };
    all.push({ ...base, who: 'anonymous', side: '-', ...expectedFor(route, entry, 'anonymous', 'own'), call: entry.call(f, firstAllowed, 'own'), client: server.anonymous() });
    for (const { role } of principals) {
      for (const side of entry.scoped ? (['own', 'other'] as const) : (['own'] as const)) {
        const call = entry.call(f, role, side);
        const { expected, why } = expectedFor(route, entry, role, side);
        const client = call.as !== undefined && expected === 'allowed' ? await call.as() : (clients.get(role) as Client);
        const list = entry.list !== undefined && !customsRoles.includes(role) ? entry.list(f) : undefined;
        all.push({ ...base, who: role, side: entry.scoped ? side : '-', expected, ...(why === undefined ? {} : { why }), call, client, ...(list === undefined ? {} : { list }) });
      }
    }
    for (const extra of entry.extra ?? []) {
      all.push({ ...base, who: extra.role, side: extra.label, expected: extra.status, why: extra.why, call: extra.call(f), client: clients.get(extra.role) as Client });
    }
  }
  return all;
}

async function send(c: Case): Promise<Res> {
  switch (c.method) {
    case 'GET':
      return c.client.get(c.call.path);
    case 'PUT':
      return c.client.put(c.call.path, c.call.body);
    case 'POST':
      return c.client.post(c.call.path, c.call.body);
    default:
      throw new Error(`no way to send ${c.method}`);
  }
}

/** Runs the case and says what was wrong with the answer, if anything. */
async function run(c: Case): Promise<Outcome | undefined> {
  const res = await send(c);
  const problem = typeof res.body === 'object' && res.body !== null ? ((res.body as { detail?: string }).detail ?? '') : '';
  const detail = problem.slice(0, 90);
  if (c.expected === 'allowed' ? !isAllowed(res.status) : res.status !== c.expected) {
    return { c, got: res.status, detail };
  }
  if (c.list !== undefined && res.status < 300) {
    const missing = c.list.shows.filter((s) => !res.text.includes(s));
    const leaked = c.list.hides.filter((s) => res.text.includes(s));
    if (missing.length > 0 || leaked.length > 0) {
      return { c, got: res.status, detail: `${leaked.length > 0 ? `shows another organisation's ${leaked.join(', ')}` : ''} ${missing.length > 0 ? `does not show its own ${missing.join(', ')}` : ''}`.trim() };
    }
  }
  return undefined;
}

/** Runs the cases a few at a time (the machine is shared) and returns those that went wrong. */
async function runAll(list: Case[], concurrency: number): Promise<Outcome[]> {
  const wrong: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const c = list[next++] as Case;
      const outcome = await run(c);
      if (outcome) {
        wrong.push(outcome);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return wrong;
}

function report(wrong: Outcome[]): string {
  const rows = wrong.map(({ c, got, detail }) => [c.route, c.who, c.side, String(c.expected), String(got), detail]);
  const header = ['route', 'role', 'record', 'expected', 'got', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `\n${[header, ...rows].map(line).join('\n')}\n`;
}

beforeAll(async () => {
  // The matrix logs in some forty times in a few seconds; the process-wide login ceiling is not what it tests.
  server = await startTestServer({ env: { LOGIN_RATE_PER_SECOND: '1000' } });
  f = await buildFixtures(server);
  clients.set('anonymous', server.anonymous());
  for (const p of principals) {
    const client = p.key !== undefined ? server.key(p.key) : await loginAs(server, p.user as string, p.password ?? demoPassword);
    const me = await expectOk(client.get('/api/v1/me'), 200, `who is ${p.user ?? p.key}`);
    if (me.roles.join() !== p.role) {
      throw new Error(`the ${p.role} of the matrix holds roles ${me.roles.join(', ')}: each caller must hold its one role`);
    }
    clients.set(p.role, client);
  }
});

afterAll(async () => {
  await server?.close();
});

describe('authorisation matrix', () => {
  it('has an entry for every /api route of the application, and none for a route that is gone', () => {
    const routes = server.app.routeTable;
    expect(routes.length).toBeGreaterThan(90);
    const registered = new Set(routes.map(key));
    const missing = [...registered].filter((k) => table[k] === undefined);
    const gone = Object.keys(table).filter((k) => !registered.has(k));
    expect({ missing, gone }).toEqual({ missing: [], gone: [] });
    expect(new Set(principals.map((p) => p.role))).toEqual(new Set(roles));
  });

  it('finds each route open to exactly the roles this table expects', () => {
    const sorted = (access: 'public' | readonly string[]) => (access === 'public' ? 'public' : [...access].sort().join(', '));
    const differ = server.app.routeTable
      .filter((r) => table[key(r)] !== undefined && sorted(r.access) !== sorted(table[key(r)]?.access ?? []))
      .map((r) => `${key(r)}: the route allows ${sorted(r.access)}; the table expects ${sorted(table[key(r)]?.access ?? [])}`);
    expect(differ).toEqual([]);
  });

  it('answers every route x role x own/other record with the expected status', async () => {
    const all = await cases(server.app.routeTable);
    const refused = all.filter((c) => c.expected !== 'allowed');
    const allowed = all.filter((c) => c.expected === 'allowed' && !c.late);
    const late = all.filter((c) => c.expected === 'allowed' && c.late);

    // Refusals first: none of them may change anything, in any table.
    const before = await fingerprint(server.database.db);
    const wrong = await runAll(refused, 4);
    const after = await fingerprint(server.database.db);
    const changed = [...before].filter(([table, print]) => after.get(table) !== print).map(([table]) => table);

    wrong.push(...(await runAll(allowed, 4)));
    wrong.push(...(await runAll(late, 1)));
    const failures = [
      ...(wrong.length > 0 ? [`${wrong.length} of ${all.length} requests answered otherwise:${report(wrong)}`] : []),
      ...(changed.length > 0 ? [`requests that were refused changed these tables: ${changed.join(', ')}`] : []),
    ];
    expect(failures.length === 0, failures.join('\n')).toBe(true);
    // Every role was refused and allowed somewhere: the matrix is not one-sided.
    for (const { role } of principals) {
      expect(refused.some((c) => c.who === role) && [...allowed, ...late].some((c) => c.who === role)).toBe(true);
    }
  }, 240_000);
});
