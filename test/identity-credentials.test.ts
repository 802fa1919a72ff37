// Passwords and API keys over real HTTP: people change their own password, administrators reset
// a lost one, keys expire and rotate with an overlap, and password guessing meets a lock-out per
// username (from any address) and a rate limit that padding or case cannot dodge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Client, type Res, type TestServer } from './server.ts';

let server: TestServer;
const start = '2026-06-15T08:00:00Z';

beforeAll(async () => {
  // TRUST_PROXY lets a test speak from many client addresses (X-Forwarded-For), as a botnet would.
  server = await startTestServer({ env: { TRUST_PROXY: '1', LOGIN_RATE_PER_SECOND: '1000' } });
});

afterAll(async () => {
  await server.close();
});

function login(username: string, password: string, from = '198.51.100.1'): Promise<Res> {
  return server.anonymous().post('/api/v1/auth/login', { username, password }, { headers: { 'x-forwarded-for': from } });
}

function withToken(token: string): Client {
  const call = async (method: string, path: string, body?: unknown): Promise<Res> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(server.url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), put: (p, b) => call('PUT', p, b), delete: (p) => call('DELETE', p) };
}

async function session(username: string, password = 'demo-password'): Promise<Client> {
  const res = await login(username, password);
  expect(res.status).toBe(200);
  return withToken(res.body.token);
}

async function auditActions(entityId: string): Promise<{ action: string; role: string; before: unknown; after: unknown }[]> {
  return server.database.db.selectFrom('audit_event').select(['action', 'role', 'before', 'after']).where('entity_id', '=', entityId).orderBy('stream_seq').execute();
}

describe('changing your own password', () => {
  it('ends your other sessions, keeps this one, and only the new password logs in', async () => {
    const here = await session('kra.officer2');
    const elsewhere = await session('kra.officer2');
    const changed = await here.post('/api/v1/auth/password', { currentPassword: 'demo-password', newPassword: 'Mombasa-harbour-2026' });
    expect(changed.status).toBe(200);
    expect(changed.body.otherSessionsEnded).toBe(1);
    expect((await elsewhere.get('/api/v1/me')).status).toBe(401);
    expect((await here.get('/api/v1/me')).status).toBe(200);
    expect((await login('kra.officer2', 'demo-password')).status).toBe(401);
    expect((await login('kra.officer2', 'Mombasa-harbour-2026')).status).toBe(200);
    const me = (await here.get('/api/v1/me')).body;
    const audit = await auditActions(me.id);
    expect(audit.map((a) => a.action)).toContain('user.password_changed');
    expect(JSON.stringify(audit)).not.toMatch(/argon2|Mombasa-harbour/);
  });

  it('refuses a wrong current password, the same password again and a weak one, changing nothing', async () => {
    const user = await session('kra.risk');
    const wrong = await user.post('/api/v1/auth/password', { currentPassword: 'not-my-password', newPassword: 'Nairobi-rail-freight-9' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors).toEqual([expect.objectContaining({ pointer: '/currentPassword', code: 'incorrect' })]);
    const same = await user.post('/api/v1/auth/password', { currentPassword: 'demo-password', newPassword: 'demo-password' });
    expect(same.body.errors).toEqual([expect.objectContaining({ pointer: '/newPassword', code: 'same_as_current' })]);
    const short = await user.post('/api/v1/auth/password', { currentPassword: 'demo-password', newPassword: 'short' });
    expect(short.body.errors).toEqual([expect.objectContaining({ pointer: '/newPassword', code: 'too_short' })]);
    const withName = await user.post('/api/v1/auth/password', { currentPassword: 'demo-password', newPassword: 'my-name-is-kra.risk' });
    expect(withName.body.errors).toEqual([expect.objectContaining({ pointer: '/newPassword', code: 'contains_username' })]);
    expect((await login('kra.risk', 'demo-password')).status).toBe(200);
    expect((await user.get('/api/v1/me')).status).toBe(200);
  });

  it('is for people: an API key has no password', async () => {
    const res = await server.key('demo-kcb-key').post('/api/v1/auth/password', { currentPassword: 'x', newPassword: 'Nairobi-rail-freight-9' });
    expect(res.status).toBe(403);
  });
});

describe('an administrator setting a new password', () => {
  it("ends all of the user's sessions; the new password works and the old one does not", async () => {
    const trader = await session('mtraders.owner');
    const traderId = (await trader.get('/api/v1/me')).body.id;
    const admin = await server.as('kra.admin');
    const reset = await admin.post(`/api/v1/users/${traderId}/password`, { newPassword: 'Tea-auction-Mombasa-7', reason: 'forgot it, called the help desk' });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ user: { username: 'mtraders.owner' }, sessionsEnded: 1 });
    expect((await trader.get('/api/v1/me')).status).toBe(401);
    expect((await login('mtraders.owner', 'demo-password')).status).toBe(401);
    expect((await login('mtraders.owner', 'Tea-auction-Mombasa-7')).status).toBe(200);
    const audit = await auditActions(traderId);
    expect(audit.find((a) => a.action === 'user.password_reset')).toMatchObject({ role: 'admin', after: { sessionsEnded: 1 } });
  });

  it('is refused for a weak password, for oneself and to anyone but an administrator', async () => {
    const admin = await server.as('kra.admin');
    const adminId = (await admin.get('/api/v1/me')).body.id;
    const users = (await admin.get('/api/v1/users?organisationCode=LAPSED')).body.items;
    const weak = await admin.post(`/api/v1/users/${users[0].id}/password`, { newPassword: 'demo-password-again' });
    expect(weak.status).toBe(422);
    expect(weak.body.errors[0]).toMatchObject({ pointer: '/newPassword', code: 'published_password' });
    expect((await admin.post(`/api/v1/users/${adminId}/password`, { newPassword: 'Tea-auction-Mombasa-7' })).status).toBe(409);
    const officer = await server.as('kra.officer');
    expect((await officer.post(`/api/v1/users/${users[0].id}/password`, { newPassword: 'Tea-auction-Mombasa-7' })).status).toBe(403);
  });
});

describe('API keys', () => {
  const day = 86_400_000;

  it('expire a year after issue by default, never later than the maximum, and say so in the list', async () => {
    const admin = await server.as('kra.admin');
    const issued = await admin.post('/api/v1/api-keys', { organisationCode: 'KPA', name: 'KPA gate cameras', roles: ['terminal'] });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ expiresAt: '2027-06-15T08:00:00.000Z', status: 'active', replacedBy: null });
    const tooLong = await admin.post('/api/v1/api-keys', { organisationCode: 'KPA', name: 'KPA forever', roles: ['terminal'], expiresAt: new Date(Date.parse(start) + 731 * day).toISOString() });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors[0]).toMatchObject({ pointer: '/expiresAt', code: 'too_far' });
    const past = await admin.post('/api/v1/api-keys', { organisationCode: 'KPA', name: 'KPA yesterday', roles: ['terminal'], expiresAt: '2026-06-14T08:00:00Z' });
    expect(past.body.errors[0]).toMatchObject({ pointer: '/expiresAt', code: 'not_in_future' });
    const listed = (await admin.get('/api/v1/api-keys?organisationCode=KPA')).body.items;
    expect(listed.map((k: { name: string }) => k.name).sort()).toEqual(['KPA gate cameras', 'KPA terminal system']);
    const demo = listed.find((k: { name: string }) => k.name === 'KPA terminal system');
    expect(Date.parse(demo.expiresAt)).toBeGreaterThan(Date.parse('2030-01-01'));
  });

  it('are refused once expired, with a 401 that says so', async () => {
    const admin = await server.as('kra.admin');
    const issued = await admin.post('/api/v1/api-keys', { organisationCode: 'KCB', name: 'KCB pilot', roles: ['bank'], expiresAt: '2026-06-16T08:00:00Z' });
    const system = server.key(issued.body.key);
    expect((await system.get('/api/v1/me')).status).toBe(200);
    server.clock.advance(day + 1000);
    try {
      const refused = await system.get('/api/v1/me');
      expect(refused.status).toBe(401);
      expect(refused.body.detail).toMatch(/expired at 2026-06-16T08:00:00.000Z/);
      // A day on, the admin's 8-hour session has ended too: a fresh one.
      const laterAdmin = await session('kra.admin');
      const listed = (await laterAdmin.get('/api/v1/api-keys?organisationCode=KCB')).body.items.find((k: { id: string }) => k.id === issued.body.id);
      expect(listed.status).toBe('expired');
    } finally {
      server.clock.set(start);
    }
  });

  it('rotate: the successor works at once, the old key only until the overlap ends', async () => {
    const admin = await server.as('kra.admin');
    const old = await admin.post('/api/v1/api-keys', { organisationCode: 'MAERSK', name: 'Maersk EDI gateway', roles: ['carrier'] });
    const rotated = await admin.post(`/api/v1/api-keys/${old.body.id}/rotate`, { overlapHours: 2, reason: 'yearly rotation' });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'Maersk EDI gateway', roles: ['carrier'], organisation: { code: 'MAERSK' }, status: 'active' });
    expect(rotated.body.key).not.toBe(old.body.key);
    expect(rotated.body.previous).toMatchObject({ id: old.body.id, replacedBy: rotated.body.id, expiresAt: '2026-06-15T10:00:00.000Z' });
    const before = server.key(old.body.key);
    const after = server.key(rotated.body.key);
    expect((await before.get('/api/v1/me')).status).toBe(200);
    expect((await after.get('/api/v1/me')).body).toMatchObject({ name: 'Maersk EDI gateway', organisation: { code: 'MAERSK' } });
    server.clock.advance(2 * 3600_000 + 1000);
    try {
      const refused = await before.get('/api/v1/me');
      expect(refused.status).toBe(401);
      expect(refused.body.detail).toMatch(/expired/);
      expect((await after.get('/api/v1/me')).status).toBe(200);
    } finally {
      server.clock.set(start);
    }
    expect((await admin.post(`/api/v1/api-keys/${old.body.id}/rotate`, {})).status).toBe(409);
    const audit = await auditActions(old.body.id);
    expect(audit.map((a) => a.action)).toEqual(['api_key.issued', 'api_key.rotated']);
  });

  it('rotate with the default overlap, within bounds, and never a revoked key', async () => {
    const admin = await server.as('kra.admin');
    const old = await admin.post('/api/v1/api-keys', { organisationCode: 'CMA', name: 'CMA EDI gateway', roles: ['carrier'] });
    const tooLong = await admin.post(`/api/v1/api-keys/${old.body.id}/rotate`, { overlapHours: 169 });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors[0].pointer).toBe('/overlapHours');
    const rotated = await admin.post(`/api/v1/api-keys/${old.body.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.previous.expiresAt).toBe('2026-06-16T08:00:00.000Z');
    expect((await admin.post(`/api/v1/api-keys/${rotated.body.id}/revoke`)).status).toBe(200);
    expect((await admin.post(`/api/v1/api-keys/${rotated.body.id}/rotate`)).status).toBe(409);
    expect((await server.key('demo-kcb-key').post(`/api/v1/api-keys/${old.body.id}/rotate`)).status).toBe(403);
  });
});

describe('password guessing', () => {
  it('cannot open fresh rate-limit buckets by padding, case or Unicode width', async () => {
    // 30 logins a minute per address and username; every spelling below is the same username.
    const spellings = ['lapsed.agent', ' lapsed.agent', 'LAPSED.AGENT ', '  Lapsed.Agent', 'ｌａｐｓｅｄ.agent'];
    // A control character is no spelling at all: refused before any password is hashed.
    expect((await login('\tLapsed.Agent', 'demo-password', '198.51.100.30')).status).toBe(422);
    for (let i = 0; i < 30; i++) {
      const res = await login(spellings[i % spellings.length]!, 'demo-password', '198.51.100.30');
      expect(res.status).toBe(200);
    }
    const padded = await login('   lapsed.agent   ', 'demo-password', '198.51.100.30');
    expect(padded.status).toBe(429);
    expect(padded.headers.get('retry-after')).not.toBeNull();
    // The limit is that username's from that address, not everyone's.
    expect((await login('bollore.agent', 'demo-password', '198.51.100.30')).status).toBe(200);
    expect((await login('lapsed.agent', 'demo-password', '198.51.100.31')).status).toBe(200);
  });

  it('locks a username after 10 failures from any addresses, saying the same for unknown usernames', async () => {
    const refusals: Res[] = [];
    for (const username of ['nmotors.owner', 'no.such.user']) {
      for (let i = 0; i < 10; i++) {
        // A different address each time, and the username spelt differently: still one account.
        const res = await login(i % 2 === 0 ? username : ` ${username.toUpperCase()}`, 'guess-number-' + i, `203.0.113.${i + 1}`);
        expect(res.status).toBe(401);
      }
      const locked = await login(username, username === 'nmotors.owner' ? 'demo-password' : 'anything', '203.0.113.99');
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBe(15 * 60);
      refusals.push(locked);
    }
    const [known, unknown] = refusals;
    expect(unknown!.body.detail).toBe(known!.body.detail);
    expect(unknown!.body.type).toBe(known!.body.type);
    // Other users are not affected; after the lock-out window the right password works again.
    expect((await login('siginon.agent', 'demo-password', '203.0.113.99')).status).toBe(200);
    server.clock.advance(15 * 60_000 + 1000);
    try {
      expect((await login('nmotors.owner', 'demo-password', '203.0.113.100')).status).toBe(200);
    } finally {
      server.clock.set(start);
    }
  });
});
