// A consignment the risk engine sends red, set up through the API for the browser tests that then
// work it on the officer's side: an analyst's rule for the goods, a manifest with the B/L, and the
// demo agent's declaration of them lodged (and found red).
import { expect } from 'vitest';
import type { TestServer } from '../server.ts';
import { blNumber, declarationBody, expectStatus, lodgeManifest } from '../e2e/cargo.ts';

export interface RedGoods {
  /** The rule's name and the reason officers will read. */
  rule: { name: string; reason: string; changeReason?: string };
  hsCode: string;
  description: string;
  originCountry: string;
  quantity: string;
  itemPrice: string;
  /** A tag for the B/L number, so each test's consignment is told apart. */
  tag: string;
  expectedArrival: string;
}

export async function lodgeRedConsignment(server: TestServer, goods: RedGoods) {
  const analyst = await server.as('kra.risk');
  expectStatus(
    await analyst.post('/api/v1/risk/rules', {
      name: goods.rule.name,
      reason: goods.rule.reason,
      channel: 'red',
      priority: 5,
      validFrom: '2026-01-01',
      criteria: { hsCodes: [goods.hsCode.replace(/\./g, '').slice(0, 4)], originCountries: [goods.originCountry] },
      changeReason: goods.rule.changeReason ?? 'browser test of the officer workbench',
    }),
    201,
  );
  const bl = blNumber(goods.tag);
  const manifest = await lodgeManifest(server, goods.expectedArrival, [{ number: bl, packages: 10, grossMassKg: '500' }]);
  const agent = await server.as('siginon.agent');
  const lodged = await agent.post('/api/v1/declarations', {
    ...declarationBody(bl, {
      invoiceAmount: goods.itemPrice,
      items: [{ hsCode: goods.hsCode, description: goods.description, originCountry: goods.originCountry, quantity: goods.quantity, unit: 'NAR', netMassKg: '200', grossMassKg: '500', packages: 10, itemPrice: goods.itemPrice }],
    }),
    lodge: true,
  });
  expectStatus(lodged, 201);
  expect(lodged.body.selectivity.channel).toBe('red');
  return { agent, manifest, bl, declaration: lodged.body as { id: string; reference: string } };
}
