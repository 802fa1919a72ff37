// The demo cast: the administration, two carriers, three clearing agents (one with a lapsed
// licence), two importers, a bank, the port and an electronic seal tracking operator. Other modules' tests and the README walk-through
// use these exact codes, usernames and keys. Running it again adds nothing.
//
// The password and keys are public (they are in the README), so the cast is loaded only on a
// server that listens on loopback, and a server that others can reach refuses to start while any
// of them still works (demoCredentialsInUse); `forodha demo disable` turns them off, audited.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import { newId } from '#platform/ids.ts';
import { DEMO_PASSWORD, hashPassword, sha256Hex, verifyPassword } from '#modules/identity/index.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import type { OrganisationKind } from './parties.tables.ts';

// Re-exported, not copied: the identity and parties modules import each other, so nothing here
// may read an identity value while the modules are still loading.
export { DEMO_PASSWORD as demoPassword } from '#modules/identity/index.ts';

/** Demo keys live long: they only ever work on a loopback server. */
const DEMO_KEY_VALIDITY_YEARS = 10;

interface DemoOrganisation {
  code: string;
  kind: OrganisationKind;
  name: string;
  pin?: string;
  licence?: [number: string, from: string, to: string];
  aeo?: boolean;
  /** Terminals: the customs offices they serve. */
  offices?: string[];
}

const organisations: DemoOrganisation[] = [
  { code: 'KRA', kind: 'customs', name: 'Kenya Revenue Authority' },
  { code: 'MAERSK', kind: 'carrier', name: 'Maersk Kenya Ltd' },
  { code: 'CMA', kind: 'carrier', name: 'CMA CGM Kenya Ltd' },
  { code: 'SIGINON', kind: 'clearing_agent', name: 'Siginon Freight Ltd', licence: ['CA/2026/0417', '2026-01-01', '2030-12-31'] },
  { code: 'BOLLORE', kind: 'clearing_agent', name: 'Bollore Logistics Kenya', licence: ['CA/2026/0102', '2026-01-01', '2030-12-31'] },
  { code: 'LAPSED', kind: 'clearing_agent', name: 'Lapsed Clearing Co', licence: ['CA/2024/0999', '2024-01-01', '2024-12-31'] },
  { code: 'NMOTORS', kind: 'trader', name: 'Nairobi Motors Ltd', pin: 'P051234567A' },
  { code: 'MTRADERS', kind: 'trader', name: 'Mombasa Traders Ltd', pin: 'P051234568B', aeo: true },
  // An exporter of raw hides and skins (the export walk-through; exports pay the hides levy).
  { code: 'RVHIDES', kind: 'trader', name: 'Rift Valley Hides and Skins Ltd', pin: 'P051234570D' },
  { code: 'KCB', kind: 'bank', name: 'KCB Bank Kenya' },
  { code: 'KPA', kind: 'terminal', name: 'Kenya Ports Authority', offices: ['MBA'] },
  { code: 'SEALTRACK', kind: 'tracker', name: 'East Africa Seal Tracking Ltd' },
];

const users: { username: string; org: string; displayName: string; roles: string[] }[] = [
  { username: 'kra.officer', org: 'KRA', displayName: 'Achieng Otieno', roles: ['officer'] },
  { username: 'kra.officer2', org: 'KRA', displayName: 'Brian Kiprop', roles: ['officer'] },
  { username: 'kra.supervisor', org: 'KRA', displayName: 'Grace Wanjiru', roles: ['supervisor', 'officer'] },
  // Supervisors roster officers, never themselves: a second one rosters the first.
  { username: 'kra.supervisor2', org: 'KRA', displayName: 'Samuel Kiptoo', roles: ['supervisor', 'officer'] },
  { username: 'kra.risk', org: 'KRA', displayName: 'Hassan Abdi', roles: ['risk_analyst'] },
  { username: 'kra.admin', org: 'KRA', displayName: 'Esther Mutua', roles: ['admin'] },
  { username: 'maersk.ops', org: 'MAERSK', displayName: 'Peter Mwangi', roles: ['carrier'] },
  { username: 'cma.ops', org: 'CMA', displayName: 'Amina Yusuf', roles: ['carrier'] },
  { username: 'siginon.agent', org: 'SIGINON', displayName: 'John Kamau', roles: ['agent'] },
  { username: 'bollore.agent', org: 'BOLLORE', displayName: 'Mercy Njeri', roles: ['agent'] },
  { username: 'lapsed.agent', org: 'LAPSED', displayName: 'Tom Ouma', roles: ['agent'] },
  { username: 'nmotors.owner', org: 'NMOTORS', displayName: 'David Kariuki', roles: ['trader'] },
  { username: 'mtraders.owner', org: 'MTRADERS', displayName: 'Fatma Said', roles: ['trader'] },
  { username: 'rvhides.owner', org: 'RVHIDES', displayName: 'Joseph Chebet', roles: ['trader'] },
];

/** Fixed, documented demo keys; outside demo mode every key is random and shown once. */
export const demoApiKeys: { key: string; org: string; name: string; roles: string[] }[] = [
  { key: 'demo-maersk-key', org: 'MAERSK', name: 'Maersk manifest gateway', roles: ['carrier'] },
  { key: 'demo-cma-key', org: 'CMA', name: 'CMA CGM manifest gateway', roles: ['carrier'] },
  { key: 'demo-kcb-key', org: 'KCB', name: 'KCB payments gateway', roles: ['bank'] },
  { key: 'demo-kpa-key', org: 'KPA', name: 'KPA terminal system', roles: ['terminal'] },
  { key: 'demo-tracker-key', org: 'SEALTRACK', name: 'Electronic seal tracking feed', roles: ['tracker'] },
  { key: 'demo-siginon-key', org: 'SIGINON', name: 'Siginon declarations system', roles: ['agent'] },
];

const authorisations: { client: string; agent: string; validFrom: string }[] = [
  { client: 'NMOTORS', agent: 'SIGINON', validFrom: '2026-01-01' },
  { client: 'MTRADERS', agent: 'BOLLORE', validFrom: '2026-01-01' },
  { client: 'NMOTORS', agent: 'LAPSED', validFrom: '2024-01-01' },
  { client: 'RVHIDES', agent: 'SIGINON', validFrom: '2026-01-01' },
];

export interface SeedReport {
  organisations: number;
  users: number;
  apiKeys: number;
  authorisations: number;
}

async function seedOrganisations(tx: Tx): Promise<{ added: number; ids: Map<string, string> }> {
  const added = await tx
    .insertInto('organisation')
    .values(
      organisations.map((o) => ({
        id: newId(),
        code: o.code,
        kind: o.kind,
        name: o.name,
        pin: o.pin ?? null,
        licence_number: o.licence?.[0] ?? null,
        licence_valid_from: o.licence?.[1] ?? null,
        licence_valid_to: o.licence?.[2] ?? null,
        aeo: o.aeo ?? false,
        office_codes: o.kind === 'terminal' ? (o.offices ?? []) : null,
      })),
    )
    .onConflict((oc) => oc.column('code').doNothing())
    .returning('id')
    .execute();
  const rows = await tx.selectFrom('organisation').select(['id', 'code']).where('code', 'in', organisations.map((o) => o.code)).execute();
  return { added: added.length, ids: new Map(rows.map((r) => [r.code, r.id])) };
}

const idOf = (ids: Map<string, string>, code: string): string => {
  const id = ids.get(code);
  if (id === undefined) {
    throw new Error(`demo organisation ${code} is missing`);
  }
  return id;
};

async function seedUsers(tx: Tx, ids: Map<string, string>): Promise<number> {
  const existing = new Set((await tx.selectFrom('app_user').select('username').where('username', 'in', users.map((u) => u.username)).execute()).map((r) => r.username));
  const missing = users.filter((u) => !existing.has(u.username));
  if (missing.length === 0) {
    return 0;
  }
  // One hash for all: they share the demo password, and argon2 is deliberately slow.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const added = await tx
    .insertInto('app_user')
    .values(missing.map((u) => ({ id: newId(), organisation_id: idOf(ids, u.org), username: u.username, display_name: u.displayName, password_hash: passwordHash, roles: u.roles })))
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .execute();
  return added.length;
}

async function seedApiKeys(tx: Tx, ids: Map<string, string>): Promise<number> {
  const expiresAt = new Date();
  expiresAt.setUTCFullYear(expiresAt.getUTCFullYear() + DEMO_KEY_VALIDITY_YEARS);
  const added = await tx
    .insertInto('api_key')
    .values(demoApiKeys.map((k) => ({ id: newId(), organisation_id: idOf(ids, k.org), name: k.name, key_prefix: k.key.slice(0, 8), key_hash: sha256Hex(k.key), roles: k.roles, expires_at: expiresAt })))
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .returning('id')
    .execute();
  return added.length;
}

async function seedAuthorisations(tx: Tx, ids: Map<string, string>): Promise<number> {
  let added = 0;
  for (const a of authorisations) {
    const agentOrgId = idOf(ids, a.agent);
    const clientOrgId = idOf(ids, a.client);
    const present = await tx
      .selectFrom('agent_authorisation')
      .select('id')
      .where('agent_org_id', '=', agentOrgId)
      .where('client_org_id', '=', clientOrgId)
      .where('valid_from', '=', a.validFrom)
      .executeTakeFirst();
    if (!present) {
      await tx.insertInto('agent_authorisation').values({ id: newId(), agent_org_id: agentOrgId, client_org_id: clientOrgId, valid_from: a.validFrom, valid_to: null, created_by: 'demo-seed' }).execute();
      added++;
    }
  }
  return added;
}

export async function seedDemoParties(db: Kysely<DB>): Promise<SeedReport> {
  return inTransaction(db, async (tx) => {
    const { added, ids } = await seedOrganisations(tx);
    return {
      organisations: added,
      users: await seedUsers(tx, ids),
      apiKeys: await seedApiKeys(tx, ids),
      authorisations: await seedAuthorisations(tx, ids),
    };
  });
}

/** Demo credentials that still work: unrevoked, unexpired demo keys; active demo users still on the public password. */
interface DemoCredentials {
  apiKeys: { id: string; name: string; keyPrefix: string; organisationCode: string }[];
  users: { id: string; username: string; organisationCode: string }[];
}

async function findDemoCredentials(q: Kysely<DB>, now: Date): Promise<DemoCredentials> {
  const apiKeys = await q
    .selectFrom('api_key')
    .innerJoin('organisation', 'organisation.id', 'api_key.organisation_id')
    .select(['api_key.id', 'api_key.name', 'api_key.key_prefix as keyPrefix', 'organisation.code as organisationCode'])
    .where('api_key.key_hash', 'in', demoApiKeys.map((k) => sha256Hex(k.key)))
    .where('api_key.revoked_at', 'is', null)
    .where('api_key.expires_at', '>', now)
    .execute();
  const candidates = await q
    .selectFrom('app_user')
    .innerJoin('organisation', 'organisation.id', 'app_user.organisation_id')
    .select(['app_user.id', 'app_user.username', 'app_user.password_hash', 'organisation.code as organisationCode'])
    .where('app_user.username', 'in', users.map((u) => u.username))
    .where('app_user.active', '=', true)
    .execute();
  // The seed gives every demo user the same hash: one argon2 check per distinct hash.
  const publicHashes = new Set<string>();
  for (const hash of new Set(candidates.map((u) => u.password_hash))) {
    if (await verifyPassword(hash, DEMO_PASSWORD)) {
      publicHashes.add(hash);
    }
  }
  return {
    apiKeys,
    users: candidates.filter((u) => publicHashes.has(u.password_hash)).map(({ id, username, organisationCode }) => ({ id, username, organisationCode })),
  };
}

/** What of the public demo cast still opens the system, in words (empty: nothing). */
export async function demoCredentialsInUse(db: Kysely<DB>, now: Date): Promise<string[]> {
  const found = await findDemoCredentials(db, now);
  return [...found.apiKeys.map((k) => `API key ${k.keyPrefix}… (${k.name})`), ...found.users.map((u) => `user ${u.username} with the demo password`)];
}

/**
 * Turns the public demo credentials off in one transaction: revokes the demo API keys, and
 * deactivates the demo users still on the demo password (ending their sessions). Demo users
 * who were given a password of their own are left alone. Every change is audited.
 */
export async function disableDemoCredentials(db: Kysely<DB>, actor: Actor, now: Date): Promise<{ apiKeysRevoked: string[]; usersDeactivated: string[] }> {
  const found = await findDemoCredentials(db, now);
  const reason = 'demo credentials are public: disabled before the server is exposed';
  return inTransaction(db, async (tx) => {
    for (const k of found.apiKeys) {
      await tx.updateTable('api_key').set({ revoked_at: now }).where('id', '=', k.id).where('revoked_at', 'is', null).execute();
      await recordAudit(tx, { actor, action: 'api_key.revoked', entityType: 'api_key', entityId: k.id, subjects: [k.organisationCode], after: { keyPrefix: k.keyPrefix, revokedAt: now.toISOString() }, reason });
    }
    for (const u of found.users) {
      await tx.updateTable('app_user').set({ active: false }).where('id', '=', u.id).execute();
      await tx.updateTable('user_session').set({ revoked_at: now }).where('user_id', '=', u.id).where('revoked_at', 'is', null).execute();
      await recordAudit(tx, { actor, action: 'user.deactivated', entityType: 'user', entityId: u.id, subjects: [u.organisationCode, u.username], before: { active: true }, after: { active: false }, reason });
    }
    return { apiKeysRevoked: found.apiKeys.map((k) => k.name), usersDeactivated: found.users.map((u) => u.username) };
  });
}
