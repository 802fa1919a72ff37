// Logging in, sessions, API keys, users and organisations over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityService, identitySettings } from '../src/modules/identity/index.ts';
import { loadConfig } from '../src/config.ts';
import { seedDemoParties } from '../src/modules/parties/index.ts';
import { startTestServer, type TestServer } from './server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

describe('login', () => {
  it('gives a session token, the user, roles and organisation', async () => {
    const res = await server.anonymous().post('/api/v1/auth/login', { username: 'siginon.agent', password: 'demo-password' });
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(/^[\w-]{43}$/);
    expect(res.body.expiresAt).toBe('2026-06-15T16:00:00.000Z');
    expect(res.body.user).toMatchObject({ username: 'siginon.agent', displayName: 'John Kamau', roles: ['agent'], organisation: { code: 'SIGINON', name: 'Siginon Freight Ltd', kind: 'clearing_agent' } });
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${res.body.token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'user', name: 'John Kamau', roles: ['agent'], organisation: { code: 'SIGINON' } });
  });

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const wrong = await server.anonymous().post('/api/v1/auth/login', { username: 'kra.officer', password: 'not-the-password' });
    const unknown = await server.anonymous().post('/api/v1/auth/login', { username: 'nobody.here', password: 'demo-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(unknown.body.detail).toBe(wrong.body.detail);
    expect(unknown.body.type).toBe(wrong.body.type);
  });
});

describe('sessions', () => {
  it('stop working after logout', async () => {
    const login = await server.anonymous().post('/api/v1/auth/login', { username: 'kra.officer2', password: 'demo-password' });
    const auth = { authorization: `Bearer ${login.body.token}` };
    expect((await fetch(`${server.url}/api/v1/me`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: auth })).status).toBe(204);
    const after = await fetch(`${server.url}/api/v1/me`, { headers: auth });
    expect(after.status).toBe(401);
  });

  it('expire after 8 hours', async () => {
    const login = await server.anonymous().post('/api/v1/auth/login', { username: 'kra.risk', password: 'demo-password' });
    const auth = { authorization: `Bearer ${login.body.token}` };
    expect((await fetch(`${server.url}/api/v1/me`, { headers: auth })).status).toBe(200);
    server.clock.advance(8 * 3600_000 + 1000);
    try {
      expect((await fetch(`${server.url}/api/v1/me`, { headers: auth })).status).toBe(401);
    } finally {
      server.clock.set('2026-06-15T08:00:00Z');
    }
  });

  it('are refused when the token is made up', async () => {
    const res = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: 'Bearer made-up-token' } });
    expect(res.status).toBe(401);
  });

  it('are needed for routes that are not public', async () => {
    const res = await server.anonymous().get('/api/v1/me');
    expect(res.status).toBe(401);
  });
});

describe('API keys', () => {
  it('identify the system and its organisation', async () => {
    const res = await server.key('demo-kpa-key').get('/api/v1/me');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'api-key', name: 'KPA terminal system', roles: ['terminal'], organisation: { code: 'KPA', kind: 'terminal' } });
  });

  it('are refused when unknown', async () => {
    expect((await server.key('demo-unknown-key').get('/api/v1/me')).status).toBe(401);
  });
});

describe('roles', () => {
  it('are enforced with a 403 naming the roles needed', async () => {
    const trader = await server.as('nmotors.owner');
    const res = await trader.post('/api/v1/users', { organisationCode: 'NMOTORS', username: 'nmotors.clerk', displayName: 'Clerk', password: 'a-long-password', roles: ['trader'] });
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain('admin');
    expect(res.body.detail).toContain('trader');
    const officer = await server.as('kra.officer');
    expect((await officer.get('/api/v1/api-keys')).status).toBe(403);
    expect((await server.key('demo-maersk-key').get('/api/v1/users')).status).toBe(403);
  });
});

describe('users (admin)', () => {
  it('are created with roles that suit their organisation and can then log in', async () => {
    const admin = await server.as('kra.admin');
    const created = await admin.post('/api/v1/users', { organisationCode: 'MTRADERS', username: 'mtraders.clerk', displayName: 'Zawadi Ali', password: 'correct-horse-battery', roles: ['trader'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'mtraders.clerk', roles: ['trader'], active: true, organisation: { code: 'MTRADERS', kind: 'trader' } });
    expect(created.text).not.toContain('password');
    const login = await server.anonymous().post('/api/v1/auth/login', { username: 'mtraders.clerk', password: 'correct-horse-battery' });
    expect(login.status).toBe(200);
    expect(login.body.user.organisation.code).toBe('MTRADERS');
    const listed = await admin.get('/api/v1/users?organisationCode=MTRADERS');
    expect(listed.body.items.map((u: { username: string }) => u.username)).toEqual(['mtraders.clerk', 'mtraders.owner']);
  });

  it('cannot be given roles of another kind of organisation, a short password or a taken username', async () => {
    const admin = await server.as('kra.admin');
    const res = await admin.post('/api/v1/users', { organisationCode: 'MAERSK', username: 'maersk.officer', displayName: 'X', password: 'short', roles: ['officer', 'pilot'] });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/password', code: 'too_short' }),
        expect.objectContaining({ pointer: '/roles/0', code: 'role_not_allowed' }),
        expect.objectContaining({ pointer: '/roles/1', code: 'unknown_role' }),
      ]),
    );
    const taken = await admin.post('/api/v1/users', { organisationCode: 'KRA', username: 'kra.officer', displayName: 'Again', password: 'a-long-password', roles: ['officer'] });
    expect(taken.status).toBe(409);
    const nowhere = await admin.post('/api/v1/users', { organisationCode: 'NOWHERE', username: 'someone.new', displayName: 'X', password: 'a-long-password', roles: ['trader'] });
    expect(nowhere.status).toBe(422);
    expect(nowhere.body.errors[0]).toMatchObject({ pointer: '/organisationCode', code: 'unknown_organisation' });
  });

  it('once deactivated, lose their sessions and cannot log in', async () => {
    const cma = await server.as('cma.ops');
    expect((await cma.get('/api/v1/me')).status).toBe(200);
    const admin = await server.as('kra.admin');
    const user = (await admin.get('/api/v1/users?organisationCode=CMA')).body.items.find((u: { username: string }) => u.username === 'cma.ops');
    const off = await admin.post(`/api/v1/users/${user.id}/deactivate`, { reason: 'left the company' });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await cma.get('/api/v1/me')).status).toBe(401);
    expect((await server.anonymous().post('/api/v1/auth/login', { username: 'cma.ops', password: 'demo-password' })).status).toBe(401);
  });
});

describe('API keys (admin)', () => {
  it('are shown once, listed by prefix only, and stop working when revoked', async () => {
    const admin = await server.as('kra.admin');
    const issued = await admin.post('/api/v1/api-keys', { organisationCode: 'KCB', name: 'KCB mobile money bridge', roles: ['bank'] });
    expect(issued.status).toBe(201);
    expect(issued.body.key).toMatch(/^[\w-]{43}$/);
    expect(issued.body.keyPrefix).toBe(issued.body.key.slice(0, 8));
    const system = server.key(issued.body.key);
    expect((await system.get('/api/v1/me')).body).toMatchObject({ kind: 'api-key', name: 'KCB mobile money bridge', roles: ['bank'], organisation: { code: 'KCB' } });
    const listed = await admin.get('/api/v1/api-keys?organisationCode=KCB');
    expect(listed.body.items).toHaveLength(2);
    expect(listed.text).not.toContain(issued.body.key);
    const revoked = await admin.post(`/api/v1/api-keys/${issued.body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await system.get('/api/v1/me')).status).toBe(401);
    const again = await admin.post(`/api/v1/api-keys/${issued.body.id}/revoke`);
    expect(again.status).toBe(409);
  });

  it('stop a demo key at once', async () => {
    const admin = await server.as('kra.admin');
    const cma = server.key('demo-cma-key');
    expect((await cma.get('/api/v1/me')).status).toBe(200);
    const key = (await admin.get('/api/v1/api-keys?organisationCode=CMA')).body.items[0];
    expect(key.keyPrefix).toBe('demo-cma');
    expect((await admin.post(`/api/v1/api-keys/${key.id}/revoke`, { reason: 'leaked in a log' })).status).toBe(200);
    expect((await cma.get('/api/v1/me')).status).toBe(401);
  });

  it('carry only roles that suit the organisation', async () => {
    const admin = await server.as('kra.admin');
    const res = await admin.post('/api/v1/api-keys', { organisationCode: 'KPA', name: 'KPA gate', roles: ['officer'] });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ pointer: '/roles/0', code: 'role_not_allowed' });
  });

  it('replay an idempotent issue without the key (only its hash is kept), and refuse the key for another body', async () => {
    const admin = await server.as('kra.admin');
    const body = { organisationCode: 'MAERSK', name: 'Maersk EDI', roles: ['carrier'] };
    const first = await admin.post('/api/v1/api-keys', body, { idempotencyKey: 'issue-maersk-edi' });
    const second = await admin.post('/api/v1/api-keys', body, { idempotencyKey: 'issue-maersk-edi' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    expect(first.body.key).toEqual(expect.any(String));
    expect(second.body.key).toBeNull();
    const keys = (await admin.get('/api/v1/api-keys?organisationCode=MAERSK')).body.items.filter((k: { name: string }) => k.name === 'Maersk EDI');
    expect(keys).toHaveLength(1);
    const other = await admin.post('/api/v1/api-keys', { ...body, name: 'Maersk EDI 2' }, { idempotencyKey: 'issue-maersk-edi' });
    expect(other.status).toBe(422);
    const stored = await server.database.db.selectFrom('idempotency_record').select('response').where('key', '=', 'issue-maersk-edi').executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.response)).not.toContain(first.body.key);
  });
});

describe('the credential cache', () => {
  it('keeps a key revoked by another process working only until the cache window ends', async () => {
    const db = server.database.db;
    const identity = identityService(db, server.clock, { ...identitySettings(loadConfig({})), cacheTtlMs: 300 });
    const admin = await server.as('kra.admin');
    const issued = await admin.post('/api/v1/api-keys', { organisationCode: 'KPA', name: 'KPA yard planner', roles: ['terminal'] });
    expect(await identity.authenticator.authenticate({ apiKey: issued.body.key })).toMatchObject({ name: 'KPA yard planner' });
    // Revoked through the API of "another process": this service's cache does not hear of it.
    expect((await admin.post(`/api/v1/api-keys/${issued.body.id}/revoke`)).status).toBe(200);
    expect(await identity.authenticator.authenticate({ apiKey: issued.body.key })).toBeDefined();
    await new Promise((r) => setTimeout(r, 350));
    expect(await identity.authenticator.authenticate({ apiKey: issued.body.key })).toBeUndefined();
  });
});

describe('organisations', () => {
  it('are registered by an admin with a KRA PIN for traders and a licence for agents', async () => {
    const admin = await server.as('kra.admin');
    const trader = await admin.post('/api/v1/organisations', { code: 'KISUMU', kind: 'trader', name: 'Kisumu Fish Exporters', pin: 'p051234569c' });
    expect(trader.status).toBe(201);
    expect(trader.body).toMatchObject({ code: 'KISUMU', kind: 'trader', pin: 'P051234569C', licence: null, aeo: false });
    const samePin = await admin.post('/api/v1/organisations', { code: 'KISUMU2', kind: 'trader', name: 'Copy', pin: 'P051234569C' });
    expect(samePin.status).toBe(409);
    const bad = await admin.post('/api/v1/organisations', { code: 'NEWAGENT', kind: 'clearing_agent', name: 'New Agent', pin: '051234569' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/licenceNumber', '/licenceValidFrom', '/licenceValidTo', '/pin']);
    const noPin = await admin.post('/api/v1/organisations', { code: 'NOPIN', kind: 'trader', name: 'No PIN Ltd' });
    expect(noPin.body.errors[0]).toMatchObject({ pointer: '/pin', code: 'required' });
  });

  it('are visible to their own members, to customs, and to nobody else', async () => {
    const trader = await server.as('nmotors.owner');
    const mine = await trader.get('/api/v1/organisations/me');
    expect(mine.body).toMatchObject({ code: 'NMOTORS', pin: 'P051234567A', kind: 'trader' });
    expect((await trader.get(`/api/v1/organisations/${mine.body.id}`)).status).toBe(200);
    const agent = await server.as('siginon.agent');
    const siginon = (await agent.get('/api/v1/organisations/me')).body;
    expect(siginon.licence).toEqual({ number: 'CA/2026/0417', validFrom: '2026-01-01', validTo: '2030-12-31', validToday: true });
    expect((await agent.get(`/api/v1/organisations/${mine.body.id}`)).status).toBe(404);
    expect((await trader.get(`/api/v1/organisations/${siginon.id}`)).status).toBe(404);
    expect((await trader.get('/api/v1/organisations')).status).toBe(403);
    const officer = await server.as('kra.officer');
    expect((await officer.get(`/api/v1/organisations/${mine.body.id}`)).body.code).toBe('NMOTORS');
    const agents = await officer.get('/api/v1/organisations?kind=clearing_agent');
    expect(agents.body.items.map((o: { code: string }) => o.code)).toEqual(['BOLLORE', 'LAPSED', 'SIGINON']);
    const lapsed = agents.body.items.find((o: { code: string }) => o.code === 'LAPSED');
    expect(lapsed.licence.validToday).toBe(false);
  });

  it('record an audit entry for each change, in the same transaction', async () => {
    const events = await server.database.db.selectFrom('audit_event').select(['action', 'actor_name', 'role']).where('entity_type', 'in', ['organisation', 'user', 'api_key']).execute();
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['organisation.created', 'user.created', 'user.deactivated', 'api_key.issued', 'api_key.revoked']));
    expect(events.every((e) => e.actor_name === 'Esther Mutua' && e.role === 'admin')).toBe(true);
  });
});

describe('the demo seed', () => {
  it('adds nothing when run again', async () => {
    expect(await seedDemoParties(server.database.db)).toEqual({ organisations: 0, users: 0, apiKeys: 0, authorisations: 0 });
  });
});
