// The valuation reference's history (declaration_unit_value), kept by its outbox consumer on a
// real server: a declaration's unit values join when customs accept it (registration), are
// replaced when an officer's corrections or an approved amendment change them, and leave when it
// is cancelled. Risk reads them through the declaration module's index (/api/v1/risk/valuation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/platform/db/transaction.ts';
import { Dec } from '../../src/platform/money.ts';
import type { Actor } from '../../src/platform/http/auth.ts';
import type { Client } from '../server.ts';
import { rebuildAcceptedValues } from '../../src/modules/declaration/index.ts';
import { blNumber, declarationBody, expectStatus, lodgeDeclaration, lodgeManifest, startJourney, type Journey } from './cargo.ts';

let journey: Journey;
let agent: Client;
let officer: Client;
let supervisor: Client;
const bl = blNumber('U');
const inspector: Actor = { id: 'officer-1', name: 'Achieng Otieno', organisationId: null, role: 'officer' };

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  await lodgeManifest(journey.server, '2026-06-15T14:00:00+03:00', [{ number: bl, packages: 300, grossMassKg: '12000' }]);
  agent = await journey.server.as('siginon.agent');
  officer = await journey.server.as('kra.officer');
  supervisor = await journey.server.as('kra.supervisor');
});

afterAll(async () => {
  await journey.close();
});

const db = () => journey.server.database.db;

/** The declaration's accepted unit values once the outbox has delivered everything so far. */
async function valuesOf(declarationId: string) {
  await journey.settle();
  const rows = await db()
    .selectFrom('declaration_unit_value')
    .select(['item_no', 'per', 'hs6', 'origin', 'customs_value', 'unit_value', 'accepted_on'])
    .where('declaration_id', '=', declarationId)
    .orderBy('item_no')
    .orderBy('per')
    .execute();
  return rows.map((r) => ({ ...r, customs_value: new Dec(r.customs_value).toFixed(2), unit_value: new Dec(r.unit_value).toDecimalPlaces(4).toString() }));
}

/** Customs value of an item per kg and per unit, from the declaration as the API shows it. */
function expected(declaration: { assessment: { items: { customsValue: string }[] } }, itemNo: number, body: { items: unknown[] } = declarationBody(bl)) {
  const item = (body.items as { netMassKg: string; quantity: string; unit: string }[])[itemNo - 1]!;
  const value = new Dec(declaration.assessment.items[itemNo - 1]!.customsValue);
  return [
    { item_no: itemNo, per: item.unit, unit_value: value.div(item.quantity).toDecimalPlaces(4).toString() },
    { item_no: itemNo, per: 'kg', unit_value: value.div(item.netMassKg).toDecimalPlaces(4).toString() },
  ];
}

describe('accepted unit values', () => {
  it('join the reference at registration, not before, with the customs value per kg and per unit of each item', async () => {
    const declared = await lodgeDeclaration(agent, bl);
    expect(declared.status).toBe('assessed');
    expect(await valuesOf(declared.id)).toEqual([]);

    expectStatus(await agent.post(`/api/v1/declarations/${declared.id}/register`), 200);
    const values = await valuesOf(declared.id);
    expect(values).toHaveLength(6);
    expect(values).toEqual([1, 2, 3].flatMap((n) => expected(declared, n)).map((e) => expect.objectContaining(e)));
    expect(values[0]).toMatchObject({ hs6: '847130', origin: 'CN', accepted_on: '2026-06-15' });

    // An officer's valuation reference reads them (through the declaration module's index), once the
    // reference cached at lodgement (none then) is older than valuation.cacheSeconds (300).
    journey.server.clock.advance(301_000);
    const reference = await officer.get('/api/v1/risk/valuation?hsCode=8471.30&origin=CN&unit=NAR');
    expectStatus(reference, 200);
    expect(reference.body.reference).toMatchObject({ level: 'HS6 and origin', entries: 1, basis: 'unit', unit: 'NAR', low: expected(declared, 1)[0]!.unit_value });
  });

  it('are replaced by an officer\'s corrections at verification', async () => {
    const declared = await lodgeDeclaration(agent, bl);
    expectStatus(await agent.post(`/api/v1/declarations/${declared.id}/register`), 200);
    const before = await valuesOf(declared.id);
    await inTransaction(db(), (tx) =>
      journey.server.app.services.declarations.applyCorrection(tx, declared.id, [{ itemNo: 1, itemPrice: '15000.00' }], { actor: inspector, requestId: null, reason: 'auction sheet value' }),
    );
    const corrected = (await agent.get(`/api/v1/declarations/${declared.id}`)).body;
    const after = await valuesOf(declared.id);
    expect(after).toEqual([1, 2, 3].flatMap((n) => expected(corrected, n)).map((e) => expect.objectContaining(e)));
    // Item 1 is dearer now (the others' share of freight and insurance moves with it).
    expect(new Dec(after[0]!.unit_value).gt(before[0]!.unit_value)).toBe(true);
  });

  it('are replaced by an approved amendment, and leave the reference when the declaration is cancelled', async () => {
    const declared = await lodgeDeclaration(agent, bl);
    expectStatus(await agent.post(`/api/v1/declarations/${declared.id}/register`), 200);
    expect(await valuesOf(declared.id)).toHaveLength(6);

    const items = declarationBody(bl).items as Record<string, unknown>[];
    const amended = { ...declarationBody(bl), invoiceAmount: '21000.00', items: [{ ...items[0], itemPrice: '13000.00' }, items[1], items[2]], reason: 'laptop price per the final invoice' };
    const asked = await agent.post(`/api/v1/declarations/${declared.id}/amend`, amended);
    expectStatus(asked, 202);
    // Asked is not approved: the values stand.
    expect(await valuesOf(declared.id)).toEqual([1, 2, 3].flatMap((n) => expected(declared, n)).map((e) => expect.objectContaining(e)));
    expectStatus(await supervisor.post(`/api/v1/declarations/${declared.id}/requests/${asked.body.pendingRequest.id}/decision`, { approve: true, reason: 'final invoice seen' }), 200);
    const approved = (await agent.get(`/api/v1/declarations/${declared.id}`)).body;
    expect(approved.assessment.items[0].customsValue).not.toBe(declared.assessment.items[0].customsValue);
    expect(await valuesOf(declared.id)).toEqual([1, 2, 3].flatMap((n) => expected(approved, n, amended)).map((e) => expect.objectContaining(e)));

    const cancel = await agent.post(`/api/v1/declarations/${declared.id}/cancel`, { reason: 'goods to be re-exported' });
    expectStatus(cancel, 202);
    expectStatus(await supervisor.post(`/api/v1/declarations/${declared.id}/requests/${cancel.body.pendingRequest.id}/decision`, { approve: true, reason: 're-export permit seen' }), 200);
    expect(await valuesOf(declared.id)).toEqual([]);
  });

  it('are rebuilt from the declarations in batches (forodha unit-values rebuild), as the consumer wrote them', async () => {
    await journey.settle();
    const all = () => db().selectFrom('declaration_unit_value').selectAll().orderBy('declaration_id').orderBy('item_no').orderBy('per').execute();
    const kept = await all();
    expect(kept.length).toBeGreaterThanOrEqual(12);
    await db().deleteFrom('declaration_unit_value').execute();
    const declarations = await db().selectFrom('declaration').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const done = await rebuildAcceptedValues(db(), { batch: 2 });
    expect(done).toEqual({ declarations: Number(declarations.n), rows: kept.length });
    expect(await all()).toEqual(kept);
  });
});
