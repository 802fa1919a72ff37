// Shared steps of the cargo-to-release journey over HTTP: a Maersk manifest at Mombasa, an
// import declaration of three items on one of its bills of lading, and a way to wait for what
// the outbox worker does in the background.
import { expect } from 'vitest';
import { startTestServer, type Client, type Res, type TestServer } from '../server.ts';

export const pins = { nmotors: 'P051234567A', mtraders: 'P051234568B' } as const;

let serial = 0;
/** A B/L number no other test uses (numbers are unique per carrier and database). */
export function blNumber(tag: string): string {
  serial += 1;
  return `MAEU${tag}${String(Date.now() % 1_000_000).padStart(6, '0')}${serial}`;
}

export interface BlSpec {
  number: string;
  consigneePin?: string | null;
  packages?: number;
  grossMassKg?: string;
  cargoCategory?: 'home_use' | 'transit' | 'transhipment' | 'remaining_on_board';
}

export function manifestBody(expectedArrival: string, bls: BlSpec[]) {
  return {
    mode: 'sea',
    conveyanceId: '9074729',
    conveyanceName: 'MAERSK SELETAR',
    voyageNumber: '245W',
    portOfLoading: 'CNSHA',
    portOfDischarge: 'KEMBA',
    officeCode: 'MBA',
    expectedArrival,
    documents: bls.map((bl) => ({
      number: bl.number,
      kind: 'BL',
      shipperName: 'Shenzhen Electronics Export Co',
      consigneeName: 'Nairobi Motors Ltd',
      consigneePin: bl.consigneePin === undefined ? pins.nmotors : bl.consigneePin,
      notifyParty: 'Siginon Freight Ltd',
      packages: bl.packages ?? 30,
      packageKind: 'CT',
      grossMassKg: bl.grossMassKg ?? '1500',
      description: 'Laptops, smartphones and T-shirts',
      cargoCategory: bl.cargoCategory ?? 'home_use',
      containers: [],
    })),
  };
}

/** Three items: laptops (duty free), smartphones (excise 10%), T-shirts (35% duty). */
export function declarationBody(bl: string, overrides: Record<string, unknown> = {}) {
  return {
    cpc: '4000000',
    officeCode: 'MBA',
    importerPin: pins.nmotors,
    transportDocumentNumber: bl,
    invoiceCurrency: 'USD',
    invoiceAmount: '20000.00',
    incoterm: 'FOB',
    freight: '1200.00',
    insurance: '150.00',
    documents: [
      { code: 'N380', reference: 'INV-2026-0612' },
      { code: 'N705', reference: bl },
    ],
    items: [
      {
        hsCode: '8471.30.00',
        description: 'Laptop computers, 14 inch',
        originCountry: 'CN',
        quantity: '50',
        unit: 'NAR',
        netMassKg: '100',
        grossMassKg: '400',
        packages: 10,
        itemPrice: '12000.00',
      },
      {
        hsCode: '8517.13.00',
        description: 'Smartphones',
        originCountry: 'CN',
        quantity: '40',
        unit: 'NAR',
        netMassKg: '12',
        grossMassKg: '300',
        packages: 10,
        itemPrice: '6000.00',
      },
      {
        hsCode: '6109.10.00',
        description: 'T-shirts of cotton',
        originCountry: 'BD',
        quantity: '1000',
        unit: 'NAR',
        netMassKg: '200',
        grossMassKg: '500',
        packages: 10,
        itemPrice: '2000.00',
      },
    ],
    ...overrides,
  };
}

export function expectStatus(res: Res, status: number): void {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${res.text}`);
  }
  expect(res.status).toBe(status);
}

/** Lodges a manifest as Maersk and returns it. */
export async function lodgeManifest(server: TestServer, expectedArrival: string, bls: BlSpec[]) {
  const res = await server.key('demo-maersk-key').post('/api/v1/manifests', manifestBody(expectedArrival, bls));
  expectStatus(res, 201);
  return res.body as { id: string; reference: string; documents: { number: string; id?: string }[] };
}

/** Lodges a declaration in one request (lodge: true) and returns it. */
export async function lodgeDeclaration(client: Client, bl: string, overrides: Record<string, unknown> = {}) {
  const res = await client.post('/api/v1/declarations', { ...declarationBody(bl, overrides), lodge: true });
  expectStatus(res, 201);
  return res.body;
}

/** Polls until `check` returns a value (or the time is up); returns it with the time it took. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 5000, everyMs = 20): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return { value, ms: performance.now() - started };
    }
    if (performance.now() - started > timeoutMs) {
      throw new Error(`nothing after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the declaration reaches `status`. */
export async function untilStatus(client: Client, id: string, status: string, timeoutMs = 5000) {
  return waitFor(async () => {
    const res = await client.get(`/api/v1/declarations/${id}`);
    return res.body?.status === status ? res.body : undefined;
  }, timeoutMs);
}

/**
 * Puts a demo officer on (or off) duty at an office, as the roster does: a supervisor sets it
 * (kra.supervisor, or kra.supervisor2 for kra.supervisor itself), never the officer.
 */
export async function roster(server: TestServer, username: string, officeCode: string, onDuty = true) {
  const officerId = (await (await server.as(username)).get('/api/v1/me')).body.id as string;
  const by = await server.as(username === 'kra.supervisor' ? 'kra.supervisor2' : 'kra.supervisor');
  const res = await by.post('/api/v1/inspection/duty', { officeCode, onDuty, officerId });
  expectStatus(res, 200);
  return res.body as { duty: { officer: { id: string } }; allocated: string[]; handedBack: string[] };
}

export interface Journey {
  server: TestServer;
  /** The outbox worker runs in the background (always, now that it delivers outside transactions). */
  realWorker: boolean;
  /** Returns once every outbox event published so far has been delivered by the worker. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** A test server with its outbox worker running in the background, as in production. */
export async function startJourney(clock: string): Promise<Journey> {
  const server = await startTestServer({ clock });
  const outbox = server.app.services.outbox;
  outbox.start();
  // These journeys choose their channels themselves: the risk engine picks none at random.
  if ((server.app.services as unknown as Record<string, unknown>).risk !== undefined) {
    const analyst = await server.as('kra.risk');
    expectStatus(await analyst.post('/api/v1/risk/settings', { key: 'random.rate', value: 0, validFrom: clock.slice(0, 10), note: 'release-flow tests' }), 201);
  }
  const db = server.database.db;
  return {
    server,
    realWorker: true,
    async settle() {
      await waitFor(async () => {
        const pending = await db.selectFrom('outbox').select('id').where('delivered_at', 'is', null).execute();
        return pending.length === 0 ? true : undefined;
      }, 10_000);
    },
    async close() {
      await outbox.stop();
      await server.close();
    },
  };
}
