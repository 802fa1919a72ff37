// Maintenance notices: administrators announce, amend and withdraw windows (audited); anyone can
// list them and see them on /status; during a window every API answer names it, and the system
// keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from './server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T08:00:00Z' });
});
afterAll(async () => {
  await server.close();
});

const window = (startsAt: string, endsAt: string) => ({
  title: 'Database upgrade',
  description: 'PostgreSQL moves to new hardware; lodgements keep being accepted',
  impact: 'lodging-delayed',
  offices: ['MBA'],
  startsAt,
  endsAt,
});

describe('maintenance notices', () => {
  it('are announced by administrators only, listed publicly, and shown on /status', async () => {
    const admin = await server.as('kra.admin');
    const agent = await server.as('siginon.agent');
    expect((await agent.post('/api/v1/maintenance', window('2026-06-20T19:00:00Z', '2026-06-20T23:00:00Z'), { idempotencyKey: 'm-agent' })).status).toBe(403);
    expect((await server.anonymous().post('/api/v1/maintenance', window('2026-06-20T19:00:00Z', '2026-06-20T23:00:00Z'))).status).toBe(401);
    const bad = await admin.post('/api/v1/maintenance', window('2026-06-20T23:00:00Z', '2026-06-20T19:00:00Z'), { idempotencyKey: 'm-bad' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].pointer).toBe('/endsAt');

    const res = await admin.post('/api/v1/maintenance', window('2026-06-20T19:00:00Z', '2026-06-20T23:00:00Z'), { idempotencyKey: 'm-1' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'announced', current: false, impact: 'lodging-delayed', version: 1 });
    const list = await server.anonymous().get('/api/v1/maintenance');
    expect(list.body.notices.map((n: { id: string }) => n.id)).toContain(res.body.id);
    const status = await server.anonymous().get('/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: 'operational', database: 'up' });
    expect(status.body.maintenance.map((n: { id: string }) => n.id)).toContain(res.body.id);
    // Not yet in force: no header.
    expect(list.headers.get('forodha-maintenance')).toBeNull();
  });

  it('name the window in force on every answer, while the system keeps serving', async () => {
    const admin = await server.as('kra.admin');
    const res = await admin.post('/api/v1/maintenance', window('2026-06-15T07:00:00Z', '2026-06-15T10:00:00Z'), { idempotencyKey: 'm-now' });
    expect(res.status).toBe(201);
    expect(res.body.current).toBe(true);
    const answer = await server.anonymous().get('/api/v1/maintenance');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('forodha-maintenance')).toContain(res.body.id);
    expect(answer.headers.get('link')).toContain('rel="notice"');
    // Lodging still works during the window.
    const calc = await server.anonymous().post('/api/v1/calculator', { date: '2026-06-15', currency: 'USD', exchangeRate: '130', items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob: '1500', quantity: '10' }] });
    expect(calc.status).toBe(200);
    expect(calc.headers.get('forodha-maintenance')).toContain(res.body.id);

    // Withdrawn: audited with its reason, gone from the list; a second withdrawal is a 409.
    const withdrawn = await admin.post(`/api/v1/maintenance/${String(res.body.id)}/withdraw`, { reason: 'Upgrade postponed' }, { idempotencyKey: 'm-now-w' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe('withdrawn');
    expect((await admin.post(`/api/v1/maintenance/${String(res.body.id)}/withdraw`, { reason: 'again' }, { idempotencyKey: 'm-now-w2' })).status).toBe(409);
    const after = await server.anonymous().get('/api/v1/maintenance');
    expect(after.body.notices.map((n: { id: string }) => n.id)).not.toContain(res.body.id);
    const audit = await sql<{ action: string; reason: string | null }>`select action, reason from audit_event where entity_type = 'maintenance_notice' and entity_id = ${res.body.id} order by stream_seq`.execute(server.database.db);
    expect(audit.rows.map((r) => r.action)).toEqual(['maintenance.announced', 'maintenance.withdrawn']);
    expect(audit.rows[1]?.reason).toBe('Upgrade postponed');
  });

  it('are amended with a new version, audited', async () => {
    const admin = await server.as('kra.admin');
    const res = await admin.post('/api/v1/maintenance', window('2026-07-01T19:00:00Z', '2026-07-01T21:00:00Z'), { idempotencyKey: 'm-2' });
    const amended = await admin.post(`/api/v1/maintenance/${String(res.body.id)}/amend`, { ...window('2026-07-01T20:00:00Z', '2026-07-01T22:00:00Z'), impact: 'degraded', reason: 'Vendor slot moved' }, { idempotencyKey: 'm-2-a' });
    expect(amended.status).toBe(200);
    expect(amended.body).toMatchObject({ version: 2, impact: 'degraded', startsAt: '2026-07-01T20:00:00.000Z' });
  });
});
