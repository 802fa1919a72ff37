// Shared pieces of the risk tests: a risk engine and its management service on a fresh
// database, synthetic declarations as the engine sees them, and accepted declarations seeded
// straight into the declaration tables (and their accepted unit values, as the outbox consumer
// writes them) for the valuation reference.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../src/schema.ts';
import { fixedClock, type Clock } from '../src/platform/clock.ts';
import { inTransaction, type Tx } from '../src/platform/db/transaction.ts';
import { referenceService } from '../src/modules/reference/index.ts';
import { partiesService } from '../src/modules/parties/index.ts';
import { refreshAcceptedValues } from '../src/modules/declaration/index.ts';
import { riskEngine, riskService, type DeclarationForRisk, type Draw, type RiskEngine, type RiskService } from '../src/modules/risk/index.ts';
import { Rng } from '../src/modules/risk/model/prng.ts';
import { testDatabase, type TestDatabase } from './db.ts';

export const analyst = {
  actor: {
    id: 'u-risk',
    name: 'Hassan Abdi',
    organisationId: null,
    role: 'risk_analyst',
  },
  requestId: null,
};

export interface RiskBench {
  database: TestDatabase;
  db: Kysely<DB>;
  clock: Clock;
  engine: RiskEngine;
  risk: RiskService;
  orgs: Record<string, string>;
  sets: Awaited<ReturnType<ReturnType<typeof referenceService>['sets']>>;
  /** Runs a change as the analyst, then lets the engine read it. */
  change<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A seeded stand-in for the cryptographic draw, so counts over many declarations are the same every run. */
export function seededDraw(seed: number): Draw {
  const rng = new Rng(seed);
  return () => [rng.next(), rng.next()];
}

export async function riskBench(at = '2026-06-15T08:00:00Z'): Promise<RiskBench> {
  const database = await testDatabase();
  const db = database.db;
  const clock = fixedClock(at);
  const parties = partiesService(db, clock);
  const engine = riskEngine({
    db,
    clock,
    organisationName: async (q, id) => (await parties.organisation(q, id))?.name,
    draw: seededDraw(2026),
  });
  const risk = riskService({ clock, engine, parties });
  const sets = await referenceService(db).sets();
  const rows = await db.selectFrom('organisation').select(['id', 'code']).execute();
  const orgs = Object.fromEntries(rows.map((r) => [r.code, r.id]));
  return {
    database,
    db,
    clock,
    engine,
    risk,
    orgs,
    sets,
    async change(work) {
      const out = await inTransaction(db, work);
      await engine.refresh();
      return out;
    },
    close: () => database.close(),
  };
}

type Item = DeclarationForRisk['items'][number];

let serial = 0;
/** A declaration id that is the same on every run. */
export const fixedId = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/**
 * A laptop import by Nairobi Motors through Siginon at Mombasa: KES 1,500 per kg, nothing a
 * rule of these tests looks for. Tests change one fact at a time.
 */
export function declaration(orgs: Record<string, string>, over: Partial<DeclarationForRisk> = {}, item: Partial<Item> = {}): DeclarationForRisk {
  serial += 1;
  return {
    declarationId: randomUUID(),
    reference: `2026MBAIM4${String(900000 + serial)}`,
    date: '2026-06-15',
    regime: 'IM4',
    cpc: '4000000',
    officeCode: 'MBA',
    declarantOrgId: orgs.SIGINON!,
    importerOrgId: orgs.NMOTORS!,
    importerPin: 'P051234567A',
    importerAeo: false,
    transportDocumentNumber: `MAEU${serial}`,
    transportMode: 'sea',
    preArrival: true,
    invoiceCurrency: 'USD',
    invoiceAmount: '1000.00',
    incoterm: 'FOB',
    exchangeRate: '130',
    assessedTotal: '0.00',
    sellerName: 'Shenzhen Electronics Export Co',
    sellerCountry: 'CN',
    departureCountry: 'CN',
    items: [
      {
        itemNo: 1,
        hsCode: '8471.30.00',
        originCountry: 'CN',
        preferentialOrigin: false,
        quantity: '10',
        unit: 'NAR',
        netMassKg: '100',
        grossMassKg: '120',
        itemPrice: '1000.00',
        customsValue: '150000.00',
        dutyRate: '0',
        ...item,
      },
    ],
    ...over,
  };
}

/** Accepted past declarations straight into the declaration tables (one item each). */
export async function seedAccepted(
  db: Kysely<DB>,
  declarantOrgId: string,
  entries: {
    hsCode: string;
    origin: string;
    netMassKg: string;
    customsValue: string;
    quantity?: string;
    unit?: string;
    status?: 'registered' | 'paid' | 'released' | 'exited' | 'cancelled' | 'rejected';
    /** When customs registered it (ISO date); the assessment date 2026-05-01 stands in without one. */
    registeredOn?: string;
  }[],
): Promise<void> {
  for (const e of entries) {
    serial += 1;
    const id = randomUUID();
    await db
      .insertInto('declaration')
      .values({
        id,
        reference: `2026MBAIM4${String(500000 + serial)}`,
        status: e.status ?? 'released',
        regime: 'IM4',
        cpc: '4000000',
        office_code: 'MBA',
        declarant_org_id: declarantOrgId,
        declarant_user_id: 'seed',
        importer_pin: 'P051234567A',
        importer_org_id: null,
        transport_document_id: null,
        transport_document_number: `SEED${serial}`,
        invoice_currency: 'KES',
        invoice_amount: e.customsValue,
        incoterm: 'CIF',
        freight: null,
        insurance: null,
        exchange_rate: null,
        assessment: JSON.stringify({
          items: [{ index: 0, hsCode: e.hsCode, customsValue: e.customsValue }],
        }),
        assessment_date: '2026-05-01',
        assessment_basis: null,
        assessed_total: '0',
        additional_due: null,
        refund_due: null,
        channel: 'green',
        channel_reasons: null,
        risk_score: null,
        selectivity_version: null,
        control: null,
        prn: null,
        release_order_number: null,
        query: null,
        status_reason: null,
        registered_at: e.registeredOn ? new Date(`${e.registeredOn}T09:00:00+03:00`) : null,
      } as never)
      .execute();
    await db
      .insertInto('declaration_item')
      .values({
        declaration_id: id,
        item_no: 1,
        hs_code: e.hsCode,
        description: 'seeded',
        origin_country: e.origin,
        quantity: e.quantity ?? '1',
        unit: e.unit ?? 'KGM',
        net_mass_kg: e.netMassKg,
        gross_mass_kg: e.netMassKg,
        packages: 1,
        item_price: e.customsValue,
        cpc: null,
        vehicle: null,
      })
      .execute();
    // What the outbox consumer does when a declaration is accepted: its unit values join the reference.
    await refreshAcceptedValues(db, id);
  }
}

/** Binomial check: the observed count lies within z standard deviations of n*p. */
export function withinBinomial(observed: number, n: number, p: number, z = 3.29): { low: number; high: number; ok: boolean } {
  const sd = Math.sqrt(n * p * (1 - p));
  const low = n * p - z * sd;
  const high = n * p + z * sd;
  return { low, high, ok: observed >= low && observed <= high };
}
