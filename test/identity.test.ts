// Logging in, sessions and API keys over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
