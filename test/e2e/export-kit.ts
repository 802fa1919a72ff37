// Shared steps of the export tests: an export body (raw hides from Rift Valley Hides and Skins, or
// tea), lodging it as the exporter's agent, and an import of Nairobi Motors taken to release so
// that a re-export has something to write off.
import type { Client, TestServer } from '../server.ts';
import { blNumber, expectStatus, lodgeDeclaration, lodgeManifest } from './cargo.ts';

export const exporterPin = 'P051234570D';

/** Raw hides (HS 4101.50.00, export levy 80% of the FOB value in the sample data) to Italy, out at Mombasa. */
export function hidesExport(overrides: Record<string, unknown> = {}) {
  return {
    cpc: '1000100',
    officeCode: 'NBI',
    exporterPin,
    exitOfficeCode: 'MBA',
    destinationCountry: 'IT',
    goodsLocation: 'Rift Valley Hides warehouse, Nakuru',
    invoiceCurrency: 'USD',
    invoiceAmount: '30000.00',
    incoterm: 'FOB',
    documents: [{ code: 'N380', reference: 'RVH-INV-2026-0042' }],
    items: [
      {
        hsCode: '4101.50.00',
        description: 'Whole raw bovine hides, wet salted',
        originCountry: 'KE',
        quantity: '20000',
        unit: 'KGM',
        netMassKg: '20000',
        grossMassKg: '20400',
        packages: 40,
        itemPrice: '30000.00',
      },
    ],
    ...overrides,
  };
}

/** Black tea (no export charge) to Uganda by road, out at Malaba. */
export function teaExport(overrides: Record<string, unknown> = {}) {
  return hidesExport({
    exitOfficeCode: 'MAL',
    destinationCountry: 'UG',
    goodsLocation: 'Kericho tea factory store',
    invoiceAmount: '12000.00',
    items: [{ hsCode: '0902.40.00', description: 'Black tea in bulk (fermented)', originCountry: 'KE', quantity: '6000', unit: 'KGM', netMassKg: '6000', grossMassKg: '6150', packages: 100, itemPrice: '12000.00' }],
    ...overrides,
  });
}

export async function lodgeExport(client: Client, body: Record<string, unknown>) {
  const res = await client.post('/api/v1/exports', body);
  expectStatus(res, 201);
  return res.body as { id: string; reference: string; status: string; version: number; assessment: { total: string; totals: Record<string, string>; items: { taxes: { code: string; rate: string; base: string; amount: string }[] }[] }; selectivity: { channel: string } };
}

/** Registers (and pays through the bank when something is due): released for loading when green. */
export async function registerAndPay(server: TestServer, agent: Client, id: string): Promise<Record<string, unknown>> {
  const registered = await agent.post(`/api/v1/declarations/${id}/register`);
  expectStatus(registered, 200);
  const prn = registered.body.payment.prn as string | null;
  if (prn) {
    expectStatus(await server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: registered.body.payment.amountDue, bankReference: `KCB-${registered.body.reference as string}`, paidAt: server.clock.now().toISOString() }), 201);
  }
  return (await agent.get(`/api/v1/declarations/${id}`)).body;
}

/**
 * An import of Nairobi Motors released into Kenya (arrived, lodged, registered, paid): its three
 * items (laptops 100 NAR, smartphones 200 NAR, T-shirts) may then be re-exported.
 */
export async function releasedImport(server: TestServer, agent: Client) {
  const bl = blNumber('X');
  const manifest = await lodgeManifest(server, '2026-06-15T07:00:00+03:00', [{ number: bl, packages: 30, grossMassKg: '1200' }]);
  expectStatus(await server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2026-06-15T07:30:00+03:00' }), 200);
  const declared = await lodgeDeclaration(agent, bl);
  const released = await registerAndPay(server, agent, declared.id as string);
  return released as { id: string; reference: string; status: string; items: { itemNo: number; hsCode: string; quantity: string; unit: string; description: string; itemPrice: string; netMassKg: string; grossMassKg: string }[] };
}

/** A re-export (EX3, Nairobi Motors sending goods back to the supplier) of `quantity` of an import item. */
export function reExport(source: { reference: string; items: { itemNo: number; hsCode: string; unit: string; description: string }[] }, itemNo: number, quantity: string, overrides: Record<string, unknown> = {}) {
  const item = source.items.find((i) => i.itemNo === itemNo);
  if (!item) {
    throw new Error(`no item ${itemNo}`);
  }
  return {
    cpc: '3100000',
    officeCode: 'MBA',
    exporterPin: 'P051234567A',
    exitOfficeCode: 'MBA',
    destinationCountry: 'CN',
    goodsLocation: 'Nairobi Motors bonded store, Mombasa',
    invoiceCurrency: 'USD',
    invoiceAmount: '1000.00',
    incoterm: 'FOB',
    documents: [{ code: 'N380', reference: 'NM-RET-001' }],
    items: [
      {
        hsCode: item.hsCode,
        description: `${item.description} returned to the supplier`,
        originCountry: 'CN',
        quantity,
        unit: item.unit,
        netMassKg: '10',
        grossMassKg: '12',
        packages: 1,
        itemPrice: '1000.00',
        reExportOf: { declaration: source.reference, itemNo },
      },
    ],
    ...overrides,
  };
}
