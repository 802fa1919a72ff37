// Which clearing agent may act for which importer: granting, revoking, the rules the
// declaration module relies on (agentMayActFor), and that no organisation sees another's grants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';

let server: TestServer;
const ids = new Map<string, string>();

const org = (code: string): string => {
  const id = ids.get(code);
  if (!id) {
    throw new Error(`no demo organisation ${code}`);
  }
  return id;
};

const mayAct = (agent: string, client: string, date: string) =>
  server.app.services.parties.agentMayActFor(server.database.db, { agentOrgId: org(agent), clientOrgId: org(client), date });

beforeAll(async () => {
  server = await startTestServer();
  for (const o of await server.database.db.selectFrom('organisation').select(['id', 'code']).execute()) {
    ids.set(o.code, o.id);
  }
});

afterAll(async () => {
  await server.close();
});

describe('agentMayActFor (the demo authorisations)', () => {
  it('lets an authorised agent with a valid licence act', async () => {
    expect(await mayAct('SIGINON', 'NMOTORS', '2026-06-15')).toEqual({ ok: true });
    expect(await mayAct('BOLLORE', 'MTRADERS', '2026-12-31')).toEqual({ ok: true });
  });

  it('refuses an agent the client never authorised', async () => {
    const check = await mayAct('BOLLORE', 'NMOTORS', '2026-06-15');
    expect(check).toMatchObject({ ok: false, code: 'not_authorised' });
    expect(check.ok ? '' : check.message).toContain('Nairobi Motors Ltd');
  });

  it('refuses an authorised agent whose licence has expired, but not on a date its licence covered', async () => {
    expect(await mayAct('LAPSED', 'NMOTORS', '2026-06-15')).toMatchObject({ ok: false, code: 'licence_expired' });
    expect(await mayAct('LAPSED', 'NMOTORS', '2024-06-01')).toEqual({ ok: true });
    // Siginon's licence starts on 2026-01-01.
    expect(await mayAct('SIGINON', 'NMOTORS', '2025-12-31')).toMatchObject({ ok: false, code: 'licence_expired' });
  });

  it('refuses an organisation that is not a clearing agent', async () => {
    expect(await mayAct('MTRADERS', 'NMOTORS', '2026-06-15')).toMatchObject({ ok: false, code: 'not_an_agent' });
    expect(await mayAct('MAERSK', 'NMOTORS', '2026-06-15')).toMatchObject({ ok: false, code: 'not_an_agent' });
  });

  it('tells whether an organisation is an authorised economic operator', async () => {
    const parties = server.app.services.parties;
    expect(await parties.isAeo(server.database.db, org('MTRADERS'))).toBe(true);
    expect(await parties.isAeo(server.database.db, org('NMOTORS'))).toBe(false);
    expect((await parties.organisationByPin(server.database.db, 'P051234567A'))?.code).toBe('NMOTORS');
  });
});

describe('granting and revoking', () => {
  it('an importer authorises an agent for a period; it counts only inside that period; revoking ends it', async () => {
    const mtraders = await server.as('mtraders.owner');
    const granted = await mtraders.post('/api/v1/authorisations', { agentCode: 'SIGINON', validFrom: '2026-07-01', validTo: '2026-09-30' });
    expect(granted.status).toBe(201);
    expect(granted.body).toMatchObject({ agent: { code: 'SIGINON' }, client: { code: 'MTRADERS' }, validFrom: '2026-07-01', validTo: '2026-09-30', status: 'not_yet_in_force', revokedAt: null });
    expect(await mayAct('SIGINON', 'MTRADERS', '2026-06-30')).toMatchObject({ ok: false, code: 'not_authorised' });
    expect(await mayAct('SIGINON', 'MTRADERS', '2026-07-01')).toEqual({ ok: true });
    expect(await mayAct('SIGINON', 'MTRADERS', '2026-09-30')).toEqual({ ok: true });
    expect(await mayAct('SIGINON', 'MTRADERS', '2026-10-01')).toMatchObject({ ok: false, code: 'not_authorised' });

    // Read (and cached, PARTIES_CACHE_MS) just before the revocation: the revocation must clear it.
    expect(await mayAct('SIGINON', 'MTRADERS', '2026-08-01')).toEqual({ ok: true });
    const revoked = await mtraders.post(`/api/v1/authorisations/${granted.body.id}/revoke`, { reason: 'changed agent' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    expect(await mayAct('SIGINON', 'MTRADERS', '2026-08-01')).toMatchObject({ ok: false, code: 'not_authorised' });
    const twice = await mtraders.post(`/api/v1/authorisations/${granted.body.id}/revoke`);
    expect(twice.status).toBe(409);
  });

  it('refuses an agent whose licence has lapsed, a company that is not an agent, and a period that ends before it starts', async () => {
    const nmotors = await server.as('nmotors.owner');
    const lapsed = await nmotors.post('/api/v1/authorisations', { agentCode: 'LAPSED', validFrom: '2026-07-01' });
    expect(lapsed.status).toBe(422);
    expect(lapsed.body.errors[0]).toMatchObject({ pointer: '/agentCode', code: 'licence_expired' });
    const notAgent = await nmotors.post('/api/v1/authorisations', { agentCode: 'MAERSK', validFrom: '2026-07-01' });
    expect(notAgent.body.errors[0]).toMatchObject({ pointer: '/agentCode', code: 'unknown_agent' });
    const backwards = await nmotors.post('/api/v1/authorisations', { agentCode: 'BOLLORE', validFrom: '2026-07-01', validTo: '2026-06-30' });
    expect(backwards.status).toBe(422);
    expect(backwards.body.errors[0]).toMatchObject({ pointer: '/validTo', code: 'before_valid_from' });
    const both = await nmotors.post('/api/v1/authorisations', { agentCode: 'BOLLORE', agentId: org('BOLLORE'), validFrom: '2026-07-01' });
    expect(both.status).toBe(422);
  });

  it('refuses a second authorisation overlapping one in force', async () => {
    const nmotors = await server.as('nmotors.owner');
    const res = await nmotors.post('/api/v1/authorisations', { agentId: org('SIGINON'), validFrom: '2026-08-01', validTo: '2026-08-31' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('already authorised');
  });

  it('is for importers only: an agent cannot authorise itself', async () => {
    const agent = await server.as('bollore.agent');
    const res = await agent.post('/api/v1/authorisations', { agentCode: 'BOLLORE', validFrom: '2026-07-01' });
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain('trader');
  });

  it('replays an idempotent grant instead of granting twice', async () => {
    const nmotors = await server.as('nmotors.owner');
    const body = { agentCode: 'BOLLORE', validFrom: '2026-07-01', validTo: '2026-12-31' };
    const first = await nmotors.post('/api/v1/authorisations', body, { idempotencyKey: 'nmotors-bollore-h2' });
    const again = await nmotors.post('/api/v1/authorisations', body, { idempotencyKey: 'nmotors-bollore-h2' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const rows = await server.database.db.selectFrom('agent_authorisation').select('id').where('agent_org_id', '=', org('BOLLORE')).where('client_org_id', '=', org('NMOTORS')).execute();
    expect(rows).toHaveLength(1);
    const different = await nmotors.post('/api/v1/authorisations', { ...body, validTo: '2026-11-30' }, { idempotencyKey: 'nmotors-bollore-h2' });
    expect(different.status).toBe(422);
  });

  it('audits every grant and revocation with who did it', async () => {
    const events = await server.database.db
      .selectFrom('audit_event')
      .select(['action', 'actor_name', 'actor_org', 'role', 'subject_refs', 'reason'])
      .where('entity_type', '=', 'agent_authorisation')
      .execute();
    expect(events.map((e) => e.action).sort()).toEqual(['agent_authorisation.granted', 'agent_authorisation.granted', 'agent_authorisation.revoked']);
    const revocation = events.find((e) => e.action === 'agent_authorisation.revoked');
    expect(revocation).toMatchObject({ actor_name: 'Fatma Said', actor_org: org('MTRADERS'), role: 'trader', reason: 'changed agent' });
    expect(revocation?.subject_refs).toEqual(['MTRADERS', 'SIGINON']);
  });
});

describe('isolation', () => {
  it('an importer lists only the authorisations it granted, whatever filter it passes', async () => {
    const nmotors = await server.as('nmotors.owner');
    const list = await nmotors.get('/api/v1/authorisations');
    expect(list.status).toBe(200);
    expect(new Set(list.body.items.map((a: { client: { code: string } }) => a.client.code))).toEqual(new Set(['NMOTORS']));
    expect(list.body.items.map((a: { agent: { code: string } }) => a.agent.code).sort()).toEqual(['BOLLORE', 'LAPSED', 'SIGINON']);
    const widened = await nmotors.get('/api/v1/authorisations?clientCode=MTRADERS');
    expect(widened.body.items).toEqual([]);
  });

  it('an agent lists only the authorisations it received', async () => {
    const siginon = await server.as('siginon.agent');
    const list = await siginon.get('/api/v1/authorisations');
    expect(list.body.items.map((a: { agent: { code: string }; client: { code: string } }) => `${a.client.code}->${a.agent.code}`).sort()).toEqual(['MTRADERS->SIGINON', 'NMOTORS->SIGINON', 'RVHIDES->SIGINON']);
    const viaKey = await server.key('demo-siginon-key').get('/api/v1/authorisations');
    expect(viaKey.body.items).toHaveLength(3);
  });

  it("another organisation's authorisation is not found, to read or to revoke", async () => {
    const nmotors = await server.as('nmotors.owner');
    const theirs = (await nmotors.get('/api/v1/authorisations?agentCode=SIGINON')).body.items.find((a: { status: string }) => a.status === 'in_force');
    expect(theirs).toBeDefined();
    expect((await nmotors.get(`/api/v1/authorisations/${theirs.id}`)).body.agent.code).toBe('SIGINON');
    expect((await (await server.as('siginon.agent')).get(`/api/v1/authorisations/${theirs.id}`)).status).toBe(200);
    const mtraders = await server.as('mtraders.owner');
    expect((await mtraders.get(`/api/v1/authorisations/${theirs.id}`)).status).toBe(404);
    expect((await mtraders.post(`/api/v1/authorisations/${theirs.id}/revoke`)).status).toBe(404);
    const bollore = await server.as('bollore.agent');
    expect((await bollore.get(`/api/v1/authorisations/${theirs.id}`)).status).toBe(404);
    expect((await server.key('demo-maersk-key').get(`/api/v1/authorisations/${theirs.id}`)).status).toBe(403);
    // Untouched by the attempts.
    expect(await mayAct('SIGINON', 'NMOTORS', '2026-06-15')).toEqual({ ok: true });
  });

  it('customs see every authorisation', async () => {
    const officer = await server.as('kra.officer');
    const all = await officer.get('/api/v1/authorisations');
    expect(all.body.items.length).toBeGreaterThanOrEqual(5);
    const lapsed = await officer.get('/api/v1/authorisations?agentCode=LAPSED');
    expect(lapsed.body.items).toHaveLength(1);
    expect(lapsed.body.items[0]).toMatchObject({ client: { code: 'NMOTORS' }, status: 'in_force' });
  });
});

describe('licence renewal', () => {
  it('lets an agent act again once customs record its renewed licence', async () => {
    const agent = await server.as('lapsed.agent');
    expect((await agent.post(`/api/v1/organisations/${org('LAPSED')}/licence`, { licenceNumber: 'CA/2026/1200', licenceValidFrom: '2026-06-01', licenceValidTo: '2027-05-31' })).status).toBe(403);
    const admin = await server.as('kra.admin');
    const backwards = await admin.post(`/api/v1/organisations/${org('LAPSED')}/licence`, { licenceNumber: 'CA/2026/1200', licenceValidFrom: '2026-06-01', licenceValidTo: '2026-05-31' });
    expect(backwards.body.errors[0]).toMatchObject({ pointer: '/licenceValidTo', code: 'before_valid_from' });
    const renewed = await admin.post(`/api/v1/organisations/${org('LAPSED')}/licence`, { licenceNumber: 'CA/2026/1200', licenceValidFrom: '2026-06-01', licenceValidTo: '2027-05-31' });
    expect(renewed.status).toBe(200);
    expect(renewed.body.licence).toEqual({ number: 'CA/2026/1200', validFrom: '2026-06-01', validTo: '2027-05-31', validToday: true });
    expect(await mayAct('LAPSED', 'NMOTORS', '2026-06-15')).toEqual({ ok: true });
    expect(await mayAct('LAPSED', 'NMOTORS', '2025-06-15')).toMatchObject({ ok: false, code: 'licence_expired' });
    const notAgent = await admin.post(`/api/v1/organisations/${org('KCB')}/licence`, { licenceNumber: 'X', licenceValidFrom: '2026-06-01', licenceValidTo: '2027-05-31' });
    expect(notAgent.body.errors[0]).toMatchObject({ code: 'licence_not_applicable' });
  });
});
