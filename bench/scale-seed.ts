// npm run scale:seed -- --declarations N [--years 10] [--keep] [--check-unit-values]
//
// Bulk-loads N declarations of history into PostgreSQL (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/forodha_history, recreated unless --keep), with COPY rather
// than the API: vessel and flight manifests with one transport document per consignment (B/L
// numbers unique per carrier), declarations of 1-5 items with their stored assessments, PRNs and
// the bank's payment, release orders and gate-outs, every step's audit record in hash chains
// that `forodha audit verify` accepts, and the accepted unit values of the registered ones
// (declaration_unit_value, which the valuation reference reads at lodgement) as the declaration
// module's consumer would have written them (--check-unit-values then runs
// `forodha unit-values rebuild` and fails unless it writes exactly the rows the seeder wrote).
// Spread evenly over --years years up to yesterday; almost all released or exited, the last month still moving. Thousands of importers (a few big, many
// small), two hundred agents, twenty carriers; the demo parties (SIGINON, NMOTORS, MAERSK) carry a
// fair share, so the benchmark's keys see a big history.
//
// How it is fast: the schema comes from the server's own migrations; then the secondary indexes
// of the tables loaded are dropped and rebuilt once at the end, foreign keys are not checked row
// by row (session_replication_role = replica: the rows are consistent by construction), ids are
// time-ordered UUIDs so the primary keys append, and every table streams through its own COPY on
// its own connection, one transaction per year. The last line printed is a JSON summary.
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Writable } from 'node:stream';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, startServer } from './harness.ts';
import { Chain, acceptedUnitValues, assessment, between, items, kes, loadingPorts, offices, pick, reseed, rnd, skewed, usdRate, uuid7, type Office } from './history.model.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const total = Number(opt('declarations', '100000'));
const years = Number(opt('years', '10'));
const keep = args.includes('--keep');
const checkUnitValues = args.includes('--check-unit-values');
if (!Number.isInteger(total) || total < 1 || total > 100_000_000 || !Number.isInteger(years) || years < 1 || years > 50) {
  console.error('scale:seed: --declarations must be a whole number from 1 to 100000000, --years from 1 to 50');
  process.exit(2);
}
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/forodha_history';
const day = 86_400_000;

const importerCount = 5000;
const agentCount = 200;
const carrierCount = 18;
/** Declarations per vessel call (or flight): one manifest carries this many consignments. */
const perManifest = 40;

// --- COPY text format ------------------------------------------------------------------------

type Cell = string | number | boolean | null | undefined;
const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
const cell = (v: Cell): string => (v === null || v === undefined ? '\\N' : typeof v === 'string' ? escape(v) : String(v));
const row = (cells: Cell[]): string => `${cells.map(cell).join('\t')}\n`;
const json = (v: unknown): string => JSON.stringify(v);
const textArray = (xs: string[]): string => `{${xs.map((x) => `"${x}"`).join(',')}}`;
const iso = (ms: number): string => new Date(ms).toISOString();

const columns = {
  manifest: ['id', 'reference', 'carrier_org_id', 'mode', 'conveyance_id', 'conveyance_name', 'voyage_number', 'port_of_loading', 'port_of_discharge', 'office_code', 'expected_arrival', 'actual_arrival', 'status', 'version', 'lodging_deadline', 'deadline_rule_id', 'created_at', 'created_by', 'updated_at'],
  transport_document: ['id', 'manifest_id', 'line', 'carrier_org_id', 'number', 'kind', 'shipper_name', 'consignee_name', 'consignee_pin', 'packages', 'package_kind', 'gross_mass_kg', 'description', 'cargo_category', 'containers', 'packages_written_off', 'mass_written_off', 'added_in_version', 'status', 'created_at', 'updated_at'],
  declaration: ['id', 'reference', 'status', 'regime', 'cpc', 'office_code', 'declarant_org_id', 'declarant_user_id', 'importer_pin', 'importer_org_id', 'transport_document_id', 'transport_document_number', 'carrier_code', 'manifest_reference', 'invoice_currency', 'invoice_amount', 'incoterm', 'freight', 'insurance', 'exchange_rate', 'documents', 'assessment', 'assessment_date', 'assessment_basis', 'assessed_total', 'channel', 'risk_score', 'selectivity_version', 'prn', 'release_order_number', 'seller_name', 'seller_country', 'departure_country', 'version', 'created_at', 'updated_at', 'lodged_at', 'assessed_at', 'registered_at', 'paid_at', 'released_at', 'exited_at', 'cancelled_at', 'status_reason'],
  declaration_item: ['declaration_id', 'item_no', 'hs_code', 'description', 'origin_country', 'quantity', 'unit', 'net_mass_kg', 'gross_mass_kg', 'packages', 'item_price'],
  payment_reference: ['id', 'prn', 'declaration_id', 'declaration_reference', 'declarant_org_id', 'importer_org_id', 'amount', 'status', 'valid_until', 'slip', 'paid_total', 'created_at'],
  payment: ['id', 'prn', 'bank_org_id', 'bank_reference', 'amount', 'paid_at', 'received_at', 'outcome', 'prn_status_after', 'paid_total_after'],
  release_order: ['id', 'number', 'declaration_id', 'declaration_reference', 'declarant_org_id', 'importer_org_id', 'transport_document_id', 'transport_document_number', 'office_code', 'packages', 'gross_mass_kg', 'released_at', 'released_by', 'status', 'exited_at'],
  gate_out: ['id', 'release_order_id', 'at', 'gate_reference', 'packages', 'gross_mass_kg', 'recorded_by', 'recorded_at'],
  audit_event: ['stream', 'stream_seq', 'at', 'actor_id', 'actor_name', 'actor_org', 'role', 'action', 'entity_type', 'entity_id', 'subject_refs', 'before', 'after', 'reason', 'request_id', 'prev_hash', 'hash'],
  audit_stream: ['stream', 'seq', 'head_hash'],
  declaration_unit_value: ['declaration_id', 'item_no', 'per', 'hs_code', 'hs6', 'hs4', 'origin', 'unit', 'customs_value', 'unit_value', 'accepted_on'],
} as const;
type Table = keyof typeof columns;
const tables = Object.keys(columns) as Table[];

/** One COPY per table, each on its own connection, so the tables load side by side. */
class Loader {
  private clients = new Map<Table, pg.Client>();
  private streams = new Map<Table, Writable>();
  private buffers = new Map<Table, string[]>();
  rows = Object.fromEntries(tables.map((t) => [t, 0])) as Record<Table, number>;

  async open(): Promise<void> {
    for (const t of tables) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`set session_replication_role = replica; set synchronous_commit = off`);
      this.clients.set(t, client);
      this.buffers.set(t, []);
    }
  }

  async begin(): Promise<void> {
    for (const [t, client] of this.clients) {
      await client.query('begin');
      this.streams.set(t, client.query(copyFrom(`copy ${t} (${columns[t].join(', ')}) from stdin`)));
    }
  }

  add(t: Table, cells: Cell[]): void {
    const buffer = this.buffers.get(t)!;
    buffer.push(row(cells));
    this.rows[t]++;
  }

  /** Hands what was generated to the COPY streams, waiting where PostgreSQL is behind. */
  async flush(): Promise<void> {
    await Promise.all(
      tables.map(async (t) => {
        const buffer = this.buffers.get(t)!;
        if (buffer.length === 0) {
          return;
        }
        const chunk = buffer.join('');
        buffer.length = 0;
        const stream = this.streams.get(t)!;
        if (!stream.write(chunk)) {
          await new Promise((r) => stream.once('drain', r));
        }
      }),
    );
  }

  async commit(): Promise<void> {
    await this.flush();
    await Promise.all(
      tables.map(async (t) => {
        const stream = this.streams.get(t)!;
        await new Promise<void>((resolve, reject) => {
          stream.once('finish', resolve);
          stream.once('error', reject);
          stream.end();
        });
        await this.clients.get(t)!.query('commit');
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.end()));
  }
}

// --- Parties ------------------------------------------------------------------------------------

interface Org {
  id: string;
  code: string;
  name: string;
  pin?: string;
}

async function parties(admin: pg.Client) {
  const existing = new Map((await admin.query<{ id: string; code: string; name: string; pin: string | null }>(`select id, code, name, pin from organisation`)).rows.map((r) => [r.code, r]));
  const demo = (code: string): Org => {
    const o = existing.get(code);
    if (!o) {
      throw new Error(`demo organisation ${code} missing: start the server once with DEMO=true`);
    }
    return { id: o.id, code: o.code, name: o.name, ...(o.pin ? { pin: o.pin } : {}) };
  };
  const make = (kind: string, n: number, code: (i: number) => string, name: (i: number) => string, pin?: (i: number) => string): Org[] =>
    Array.from({ length: n }, (_, i) => ({ id: uuid7(Date.UTC(2015, 0, 1) + i), code: code(i), name: name(i), ...(pin ? { pin: pin(i) } : {}), kind }));
  const importers = make('trader', importerCount, (i) => `HT${String(i).padStart(6, '0')}`, (i) => `Importer ${i} Ltd`, (i) => `P06${String(i).padStart(7, '0')}Z`);
  const agents = make('clearing_agent', agentCount, (i) => `HA${String(i).padStart(4, '0')}`, (i) => `Clearing Agent ${i} Ltd`);
  const carriers = make('carrier', carrierCount, (i) => `HC${String(i).padStart(2, '0')}`, (i) => `Carrier ${i} Shipping`);
  const values = [...importers.map((o) => [o, 'trader'] as const), ...agents.map((o) => [o, 'clearing_agent'] as const), ...carriers.map((o) => [o, 'carrier'] as const)];
  for (let i = 0; i < values.length; i += 1000) {
    const chunk = values.slice(i, i + 1000);
    const params = chunk.flatMap(([o, kind]) => [o.id, o.code, kind, o.name, o.pin ?? null]);
    await admin.query(
      `insert into organisation (id, code, kind, name, pin) values ${chunk.map((_, j) => `($${j * 5 + 1}, $${j * 5 + 2}, $${j * 5 + 3}, $${j * 5 + 4}, $${j * 5 + 5})`).join(', ')} on conflict (code) do nothing`,
      params,
    );
  }
  // The demo parties take a big share: the benchmark reads and lodges as them.
  return {
    importers: [demo('NMOTORS'), demo('MTRADERS'), ...importers],
    agents: [demo('SIGINON'), demo('BOLLORE'), ...agents],
    carriers: [demo('MAERSK'), demo('CMA'), ...carriers],
    bank: demo('KCB'),
  };
}
type Parties = Awaited<ReturnType<typeof parties>>;

// --- Indexes: dropped during the load, rebuilt once ------------------------------------------------

async function secondaryIndexes(admin: pg.Client): Promise<{ name: string; definition: string }[]> {
  const { rows } = await admin.query<{ name: string; definition: string }>(
    `select i.indexname as name, i.indexdef as definition from pg_indexes i
     where i.schemaname = 'public' and i.tablename = any($1)
       and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    [tables],
  );
  return rows;
}

// --- History ------------------------------------------------------------------------------------

const serials = new Map<string, number>();
const nextSerial = (scope: string): number => {
  const n = (serials.get(scope) ?? 0) + 1;
  serials.set(scope, n);
  return n;
};
const reference = (year: number, office: string, kind: string, serial: number) => `${year}${office}${kind}${String(serial).padStart(6, '0')}`;
/** A PRN with a valid shape; its check digit is not recomputed here (history is read, not paid again). */
const prn = (year: number, serial: number) => `${year}PRN${String(serial).padStart(12, '0')}`;

const system = { actor_id: 'system', actor_name: 'Forodha', actor_org: null, role: 'system' };

function audit(loader: Loader, chain: Chain, at: number, who: { actor_id: string; actor_name: string; actor_org: string | null; role: string }, action: string, entity: [string, string], subjects: string[], after: unknown) {
  const e = chain.append({ at: new Date(at), ...who, action, entity_type: entity[0], entity_id: entity[1], subject_refs: subjects, before: null, after, reason: null, request_id: null });
  loader.add('audit_event', [e.stream, e.stream_seq, iso(at), e.actor_id, e.actor_name, e.actor_org, e.role, e.action, e.entity_type, e.entity_id, textArray(e.subject_refs), 'null', json(e.after), null, null, e.prev_hash, e.hash]);
}

function closeChain(loader: Loader, chain: Chain) {
  const s = chain.state;
  loader.add('audit_stream', [s.stream, s.seq, s.head]);
}

interface Voyage {
  id: string;
  reference: string;
  carrier: Org;
  office: Office;
  arrival: number;
  line: number;
  chain: Chain;
  documents: string[];
}

function openVoyage(loader: Loader, p: Parties, office: Office, at: number, year: number): Voyage {
  const carrier = office.mode === 'air' ? p.carriers[2 + skewed(carrierCount)]! : p.carriers[skewed(p.carriers.length)]!;
  const id = uuid7(at - 3 * day);
  const ref = reference(year, office.code, 'MF', nextSerial(`manifest_${year}_${office.code}`));
  return { id, reference: ref, carrier, office, arrival: at - day, line: 0, chain: new Chain(`manifest:${id}`), documents: [] };
}

function closeVoyage(loader: Loader, v: Voyage) {
  const created = v.arrival - 2 * day;
  loader.add('manifest', [v.id, v.reference, v.carrier.id, v.office.mode, String(9_000_000 + Math.floor(rnd() * 999_999)), `${v.carrier.name.toUpperCase()} ${v.office.mode === 'air' ? 'FLIGHT' : 'VESSEL'}`, `V${v.reference.slice(-4)}`, pick(loadingPorts[v.office.mode]), v.office.discharge, v.office.code, iso(v.arrival), iso(v.arrival), 'arrived', 1, iso(v.arrival - 2 * day), 1, iso(created), `carrier:${v.carrier.code}`, iso(v.arrival)]);
  const carrierActor = { actor_id: `key:${v.carrier.code}`, actor_name: `${v.carrier.name} gateway`, actor_org: v.carrier.id, role: 'carrier' };
  audit(loader, v.chain, created, carrierActor, 'manifest.lodged', ['manifest', v.id], [v.reference, ...v.documents], { reference: v.reference, mode: v.office.mode, officeCode: v.office.code, status: 'lodged', version: 1, documents: v.documents.length });
  audit(loader, v.chain, v.arrival, system, 'manifest.arrived', ['manifest', v.id], [v.reference, ...v.documents], { status: 'arrived', actualArrival: iso(v.arrival) });
  closeChain(loader, v.chain);
}

type Status = 'lodged' | 'assessed' | 'registered' | 'paid' | 'released' | 'exited' | 'cancelled' | 'rejected';

/** Where a declaration of this age stands: old ones finished long ago, the last weeks still move. */
function statusFor(ageDays: number): Status {
  const r = rnd();
  if (ageDays > 30) {
    return r < 0.88 ? 'exited' : r < 0.95 ? 'released' : r < 0.98 ? 'cancelled' : 'rejected';
  }
  const steps: Status[] = ['lodged', 'assessed', 'registered', 'paid', 'released', 'exited'];
  return steps[Math.min(steps.length - 1, Math.floor(r * steps.length + ageDays / 6))]!;
}

const reached = (s: Status, step: Status) => {
  const order: Status[] = ['lodged', 'assessed', 'registered', 'paid', 'released', 'exited'];
  return order.indexOf(s) >= order.indexOf(step) && s !== 'cancelled' && s !== 'rejected';
};

function declaration(loader: Loader, p: Parties, v: Voyage, at: number, now: number) {
  const year = new Date(at).getUTCFullYear();
  const status = statusFor((now - at) / day);
  const importer = p.importers[skewed(p.importers.length)]!;
  const agent = p.agents[skewed(p.agents.length)]!;
  const lines = items();
  const packages = lines.reduce((s, i) => s + i.packages, 0);
  const grossKg = lines.reduce((s, i) => s + i.grossKg, 0);
  const invoiceCents = lines.reduce((s, i) => s + i.priceCents, 0);
  const freightCents = Math.round(invoiceCents * between(0.03, 0.09));
  const insuranceCents = Math.round(invoiceCents * 0.01);
  const rate = usdRate[year] ?? '129.10';
  const date = iso(at).slice(0, 10);
  const { json: assessed, totalCents } = assessment(lines, rate, freightCents, insuranceCents, date);

  // The transport document: one consignment per B/L, numbered per carrier.
  const documentId = uuid7(v.arrival - 2 * day);
  const number = `${v.carrier.code}${v.office.kind === 'AWB' ? 'A' : 'B'}${String(nextSerial(`bl_${v.carrier.code}`)).padStart(9, '0')}`;
  const td = `td:${documentId}`;
  v.documents.push(td);
  const exited = status === 'exited';
  loader.add('transport_document', [documentId, v.id, ++v.line, v.carrier.id, number, v.office.kind, `Shipper ${Math.floor(rnd() * 9000)} Co`, importer.name, importer.pin ?? null, packages, 'CT', `${grossKg}.000`, lines[0]!.goods.description, 'home_use', '[]', exited ? packages : 0, exited ? `${grossKg}.000` : '0', 1, 'active', iso(v.arrival - 2 * day), iso(at)]);

  const id = uuid7(at);
  const ref = reference(year, v.office.code, 'IM4', nextSerial(`dec_${year}_${v.office.code}_IM4`));
  const t = { assessed: at + 2_000, registered: at + 3_600_000, paid: at + 5 * 3_600_000, released: at + 6 * 3_600_000, exited: at + 2 * day };
  const channel = rnd() < 0.8 ? 'green' : rnd() < 0.75 ? 'yellow' : 'red';
  const prnNumber = reached(status, 'registered') ? prn(year, nextSerial(`prn_${year}`)) : null;
  const roNumber = reached(status, 'released') ? reference(year, v.office.code, 'RO', nextSerial(`ro_${year}_${v.office.code}`)) : null;
  const endedAt = status === 'cancelled' || status === 'rejected' ? at + day : null;
  const agentActor = { actor_id: `key:${agent.code}`, actor_name: `${agent.name} declarations system`, actor_org: agent.id, role: 'agent' };
  const version = 2 + ['registered', 'paid', 'released', 'exited'].filter((s) => reached(status, s as Status)).length + (endedAt ? 1 : 0);
  const last = Math.max(at, ...Object.entries(t).filter(([k]) => reached(status, k as Status)).map(([, v2]) => v2), endedAt ?? 0);

  loader.add('declaration', [
    id, ref, status, 'IM4', '4000000', v.office.code, agent.id, `key:${agent.code}`, importer.pin ?? null, importer.id, documentId, number, v.carrier.code, v.reference,
    'USD', kes(invoiceCents), 'FOB', kes(freightCents), kes(insuranceCents), rate, json([{ code: 'N380', reference: `INV-${ref.slice(-6)}` }]),
    json(assessed), date, 'expected-arrival', kes(totalCents), channel, Math.round(rnd() * 1000) / 1000, 'v1', prnNumber, roNumber,
    `Seller ${Math.floor(rnd() * 5000)} Trading`, lines[0]!.origin, lines[0]!.origin, version, iso(at), iso(last), iso(at), iso(t.assessed),
    prnNumber ? iso(t.registered) : null, reached(status, 'paid') ? iso(t.paid) : null, roNumber ? iso(t.released) : null, exited ? iso(t.exited) : null,
    status === 'cancelled' ? iso(endedAt!) : null, endedAt ? `${status} at the declarant's request` : null,
  ]);
  lines.forEach((i, n) => loader.add('declaration_item', [id, n + 1, i.goods.hs, i.goods.description, i.origin, String(i.quantity), i.goods.unit, String(i.netKg), String(i.grossKg), i.packages, kes(i.priceCents)]));
  if (prnNumber) {
    // Registered or later: customs accepted its values, and the valuation reference reads them.
    for (const r of acceptedUnitValues(id, lines, assessed.items.map((i) => i.customsValue), t.registered)) {
      loader.add('declaration_unit_value', r);
    }
  }

  const chain = new Chain(`declaration:${id}`);
  const subjects = (...more: (string | null)[]) => [ref, td, ...more].filter((s): s is string => s !== null);
  audit(loader, chain, at, agentActor, 'declaration.lodged', ['declaration', id], subjects(), { status: 'lodged', version: 2, reference: ref, importerPin: importer.pin, packages, grossMassKg: String(grossKg), items: lines.length });
  audit(loader, chain, t.assessed, system, 'declaration.assessed', ['declaration', id], subjects(), { status: 'assessed', version: 2, assessmentDate: date, total: kes(totalCents), channel });
  if (prnNumber) {
    audit(loader, chain, t.registered, agentActor, 'declaration.registered', ['declaration', id], subjects(prnNumber), { status: 'registered', version: 3, prn: prnNumber, amount: kes(totalCents) });
    const prnChain = new Chain(`payment_reference:${prnNumber}`);
    const paid = reached(status, 'paid');
    loader.add('payment_reference', [uuid7(t.registered), prnNumber, id, ref, agent.id, importer.id, kes(totalCents), paid ? 'paid' : 'open', iso(t.registered + 30 * day), json({ prn: prnNumber, amount: kes(totalCents), declaration: ref }), paid ? kes(totalCents) : '0', iso(t.registered)]);
    audit(loader, prnChain, t.registered, agentActor, 'prn.issued', ['payment_reference', prnNumber], [ref, prnNumber], { prn: prnNumber, amount: kes(totalCents), currency: 'KES', status: 'open' });
    if (paid) {
      const bankRef = `KCB-${prnNumber}`;
      loader.add('payment', [uuid7(t.paid), prnNumber, p.bank.id, bankRef, kes(totalCents), iso(t.paid), iso(t.paid), 'exact', 'paid', kes(totalCents)]);
      audit(loader, prnChain, t.paid, { actor_id: 'key:KCB', actor_name: 'KCB payments gateway', actor_org: p.bank.id, role: 'bank' }, 'payment.received', ['payment_reference', prnNumber], [ref, prnNumber], { status: 'paid', paidTotal: kes(totalCents) });
      audit(loader, chain, t.paid, system, 'declaration.paid', ['declaration', id], subjects(prnNumber), { status: 'paid', version: 4, amount: kes(totalCents) });
    }
    closeChain(loader, prnChain);
  }
  if (roNumber) {
    const roId = uuid7(t.released);
    const roChain = new Chain(`release_order:${roNumber}`);
    loader.add('release_order', [roId, roNumber, id, ref, agent.id, importer.id, documentId, number, v.office.code, packages, `${grossKg}.000`, iso(t.released), 'system', exited ? 'exited' : 'released', exited ? iso(t.exited) : null]);
    audit(loader, roChain, t.released, system, 'release_order.issued', ['release_order', roNumber], [ref, td, roNumber], { status: 'released', releaseOrderNumber: roNumber, packages, grossMassKg: String(grossKg) });
    audit(loader, chain, t.released, system, 'declaration.released', ['declaration', id], subjects(prnNumber, roNumber), { status: 'released', version: 5, releaseOrderNumber: roNumber });
    if (exited) {
      loader.add('gate_out', [uuid7(t.exited), roId, iso(t.exited), `GATE-${roNumber.slice(-6)}`, packages, `${grossKg}.000`, 'key:KPA', iso(t.exited)]);
      audit(loader, roChain, t.exited, { actor_id: 'key:KPA', actor_name: 'KPA terminal system', actor_org: null, role: 'terminal' }, 'release_order.exited', ['release_order', roNumber], [ref, td, roNumber], { status: 'exited', at: iso(t.exited), packages, grossMassKg: String(grossKg), gateReference: `GATE-${roNumber.slice(-6)}` });
      audit(loader, chain, t.exited, system, 'declaration.exited', ['declaration', id], subjects(prnNumber, roNumber), { status: 'exited', version: 6 });
    }
    closeChain(loader, roChain);
  }
  if (endedAt) {
    audit(loader, chain, endedAt, status === 'cancelled' ? agentActor : { actor_id: 'officer-1', actor_name: 'Customs officer', actor_org: null, role: 'officer' }, `declaration.${status}`, ['declaration', id], subjects(prnNumber), { status, version });
  }
  closeChain(loader, chain);
}

/** Sequences the app draws serials from, set past what the history used, so new references never repeat. */
async function advanceSequences(admin: pg.Client) {
  for (const [scope, n] of serials) {
    if (scope.startsWith('dec_') || scope.startsWith('manifest_')) {
      const name = `serial_${scope.toLowerCase()}`;
      await admin.query(`create sequence if not exists ${name}`);
      await admin.query(`select setval($1, $2)`, [name, n]);
    }
  }
  const ro = [...serials].filter(([k]) => k.startsWith('ro_')).reduce((s, [, n]) => Math.max(s, n), 0);
  if (ro > 0) {
    await admin.query(`select setval('serial_release_order', greatest($1::bigint, (select last_value from serial_release_order)))`, [ro]);
  }
}

/**
 * The seeder's accepted unit values against the declaration module's own: snapshots the table,
 * runs `forodha unit-values rebuild` (which writes it again from the declarations with the
 * consumer's SQL), and compares the two as text, so a value of another scale is a difference too.
 */
async function checkAgainstRebuild(admin: pg.Client): Promise<{ rows: number; onlySeeded: number; onlyRebuilt: number }> {
  await admin.query(`drop table if exists seeded_unit_value; create table seeded_unit_value as select * from declaration_unit_value`);
  const rebuild = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'src/cli.ts'), 'unit-values', 'rebuild', '--batch', '5000'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  if (rebuild.status !== 0) {
    throw new Error(`forodha unit-values rebuild failed: ${rebuild.stderr}`);
  }
  console.log(rebuild.stdout.trim().split('\n').at(-1));
  const asText = (table: string) => `select declaration_id::text, item_no, per, hs_code, hs6, hs4, origin, unit, customs_value::text, unit_value::text, accepted_on::text from ${table}`;
  const count = async (text: string) => Number((await admin.query<{ n: string }>(`select count(*) as n from (${text}) x`)).rows[0]!.n);
  const result = {
    rows: await count('select * from seeded_unit_value'),
    onlySeeded: await count(`${asText('seeded_unit_value')} except all ${asText('declaration_unit_value')}`),
    onlyRebuilt: await count(`${asText('declaration_unit_value')} except all ${asText('seeded_unit_value')}`),
  };
  await admin.query(`drop table seeded_unit_value`);
  return result;
}

async function main() {
  const started = performance.now();
  reseed(20261129);
  if (!keep) {
    const adminUrl = new URL(databaseUrl);
    const name = adminUrl.pathname.slice(1);
    adminUrl.pathname = '/postgres';
    const c = new pg.Client({ connectionString: adminUrl.toString() });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
    await c.end();
    // The schema, reference data and demo parties exactly as the server sets them up.
    const server = await startServer({ DATABASE_URL: databaseUrl, DEMO: 'true' }, 3950);
    await server.stop();
  }
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const p = await parties(admin);
  const indexes = await secondaryIndexes(admin);
  for (const i of indexes) {
    await admin.query(`drop index ${i.name}`);
  }
  const loader = new Loader();
  await loader.open();

  // Evenly spread from `years` years ago to yesterday, a voyage per office every perManifest consignments.
  const now = Date.now();
  const end = now - day;
  const start = end - years * 365.25 * day;
  const step = (end - start) / total;
  const voyages = new Map<string, Voyage>();
  let currentYear = new Date(start).getUTCFullYear();
  await loader.begin();
  for (let n = 0; n < total; n++) {
    const at = start + n * step;
    const year = new Date(at).getUTCFullYear();
    if (year !== currentYear) {
      for (const v of voyages.values()) {
        closeVoyage(loader, v);
      }
      voyages.clear();
      await loader.commit();
      console.log(`${currentYear} loaded: ${n} declarations so far, ${Math.round((performance.now() - started) / 1000)} s`);
      currentYear = year;
      await loader.begin();
    }
    const r = rnd();
    const office = r < offices[0].share ? offices[0] : r < offices[0].share + offices[1].share ? offices[1] : offices[2];
    let v = voyages.get(office.code);
    if (!v || v.line >= perManifest) {
      if (v) {
        closeVoyage(loader, v);
      }
      v = openVoyage(loader, p, office, at, year);
      voyages.set(office.code, v);
    }
    declaration(loader, p, v, at, now);
    if (n % 2000 === 1999) {
      await loader.flush();
    }
  }
  for (const v of voyages.values()) {
    closeVoyage(loader, v);
  }
  await loader.commit();
  await loader.close();
  const loadedSeconds = (performance.now() - started) / 1000;
  console.log(`rows loaded in ${Math.round(loadedSeconds)} s; rebuilding ${indexes.length} indexes`);

  await admin.query(`set maintenance_work_mem = '1GB'`);
  for (const i of indexes) {
    const t = performance.now();
    await admin.query(i.definition);
    console.log(`  ${i.name}: ${Math.round((performance.now() - t) / 1000)} s`);
  }
  await advanceSequences(admin);
  await admin.query('vacuum analyze');
  const size = (await admin.query<{ size: string }>(`select pg_size_pretty(pg_database_size(current_database())) as size`)).rows[0]?.size;
  const seconds = Math.round((performance.now() - started) / 1000);
  const check = checkUnitValues ? await checkAgainstRebuild(admin) : undefined;
  await admin.end();
  console.log(JSON.stringify({ declarations: total, years, rows: loader.rows, seconds, loadSeconds: Math.round(loadedSeconds), declarationsPerSecond: Math.round(total / seconds), databaseSize: size, ...(check ? { unitValuesAgainstRebuild: check } : {}) }));
  // No rows at all would compare equal and prove nothing.
  if (check && (check.rows === 0 || check.onlySeeded > 0 || check.onlyRebuilt > 0)) {
    console.error('the seeded accepted unit values differ from what `forodha unit-values rebuild` writes (or there are none)');
    process.exitCode = 1;
  }
}

await main();
