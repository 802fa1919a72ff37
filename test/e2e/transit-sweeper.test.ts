// The overdue sweep on a tick (TRANSIT_OVERDUE_SWEEP_SECONDS): a departed movement past its
// deadline is flagged overdue, audited once, without anyone reading movements or alerts; a
// movement still within its deadline is left alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server.ts';
import { blNumber, expectStatus, waitFor } from './cargo.ts';
import { movementBody, onDuty, registerGuarantee, transitManifest } from './transit-kit.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ clock: '2026-06-15T05:00:00Z', env: { TRANSIT_OVERDUE_SWEEP_SECONDS: '1' } });
});

afterAll(async () => {
  await server.close();
});

async function departedMovement(guarantee: string) {
  const bl = blNumber('S');
  await transitManifest(server, [{ number: bl, packages: 20, grossMassKg: '800' }]);
  const agent = await server.as('siginon.agent');
  const lodged = await agent.post('/api/v1/transit/movements', movementBody(bl, guarantee));
  expectStatus(lodged, 201);
  const { mombasa } = await onDuty(server);
  expectStatus(await mombasa.post(`/api/v1/transit/movements/${lodged.body.id as string}/departure`, {}), 200);
  return { id: lodged.body.id as string, reference: lodged.body.reference as string };
}

/** Read from the table, not through the API: reading movements sweeps too, and would hide the tick. */
const statusOf = async (id: string) => (await server.database.db.selectFrom('transit_movement').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('the overdue sweep', () => {
  it('flags a movement past its deadline on its own, once', async () => {
    const guarantee = (await registerGuarantee(await server.as('kra.supervisor'), '50000000.00')).reference;
    const { id, reference } = await departedMovement(guarantee);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await statusOf(id)).toBe('departed');
    server.clock.advance(30 * 86_400_000 + 60_000);
    await waitFor(async () => ((await statusOf(id)) === 'overdue' ? true : undefined), 10_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    const audited = await server.database.db.selectFrom('audit_event').select('id').where('action', '=', 'transit.overdue').where('entity_id', '=', reference).execute();
    expect(audited).toHaveLength(1);
  });
});
