// Shared steps of the transit tests over HTTP: a Maersk manifest at Mombasa with transit B/Ls,
// its arrival, a guarantee for Siginon, officers on duty at Mombasa and Malaba, and a movement body.
import type { Client, TestServer } from '../server.ts';
import { expectStatus, manifestBody, roster, type BlSpec } from './cargo.ts';

export interface TransitBl extends BlSpec {
  regimeShares?: { cargoCategory: string; packages: number; grossMassKg: string }[];
}

/** Lodges the manifest (transit B/Ls by default) and confirms the vessel's arrival. */
export async function transitManifest(server: TestServer, bls: TransitBl[], arrival = '2026-06-15T07:30:00+03:00') {
  const body = manifestBody('2026-06-15T14:00:00+03:00', bls.map((b) => ({ cargoCategory: 'transit', consigneePin: null, ...b })));
  body.documents.forEach((d, i) => {
    const shares = bls[i]?.regimeShares;
    if (shares) {
      (d as Record<string, unknown>).regimeShares = shares;
    }
    d.consigneeName = 'Kampala Hardware Ltd';
  });
  const maersk = server.key('demo-maersk-key');
  const res = await maersk.post('/api/v1/manifests', body);
  expectStatus(res, 201);
  const manifest = res.body as { id: string; reference: string; documents: { id: string; number: string; regimeShares: unknown[] }[] };
  expectStatus(await maersk.post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: arrival }), 200);
  return manifest;
}

/** Officers on duty: kra.officer at Mombasa (departure), kra.officer2 at Malaba (exit). */
export async function onDuty(server: TestServer) {
  await roster(server, 'kra.officer', 'MBA');
  await roster(server, 'kra.officer2', 'MAL');
  return { mombasa: await server.as('kra.officer'), malaba: await server.as('kra.officer2') };
}

export async function registerGuarantee(customs: Client, amount: string, opts: { holder?: string; kind?: 'bond' | 'regional'; validTo?: string } = {}) {
  const res = await customs.post('/api/v1/transit/guarantees', {
    kind: opts.kind ?? 'bond',
    holder: opts.holder ?? 'SIGINON',
    guarantor: 'Jubilee Insurance',
    amount,
    validFrom: '2026-01-01',
    validTo: opts.validTo ?? '2026-12-31',
  });
  expectStatus(res, 201);
  return res.body as { reference: string; balance: string };
}

let sealSerial = 0;
export function sealId(): string {
  sealSerial += 1;
  return `RECTS-${String(Date.now() % 1_000_000).padStart(6, '0')}${sealSerial}`;
}

/** An IM8 movement to Uganda via Malaba: 10 laptops and 20 smartphones (duties at stake a few hundred thousand KES). */
export function movementBody(bl: string, guaranteeReference: string, overrides: Record<string, unknown> = {}) {
  return {
    kind: 'IM8',
    guaranteeReference,
    transportDocumentNumber: bl,
    officeOfDeparture: 'MBA',
    officeOfExit: 'MAL',
    destinationCountry: 'UG',
    currency: 'USD',
    items: [
      { hsCode: '8471.30.00', description: 'Laptop computers', quantity: '10', unit: 'NAR', value: '5000.00', originCountry: 'CN' },
      { hsCode: '8517.13.00', description: 'Smartphones', quantity: '20', unit: 'NAR', value: '4000.00', originCountry: 'CN' },
    ],
    seals: [sealId()],
    ...overrides,
  };
}
