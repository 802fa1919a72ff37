// npm run test:chaos [-- --short] — lodgements under faults, against the local production topology
// (npm run cluster:up; ops/chaos/run.sh starts it when needed). Clients lodge, in a loop, one
// consignment each time: a manifest of one bill of lading (carrier), a declaration against it
// (agent), its registration (PRN) and the bank's payment, every POST with an Idempotency-Key and
// retried with the same key after a cut connection, a 5xx or a timeout, as the API tells clients
// to do. Meanwhile, in turn:
//   1. rolling restart: every app process stopped gracefully (SIGTERM) and started again, one at a time;
//   2. an app process killed with SIGKILL, started again a few seconds later;
//   3. database failover: the primary's keeper and postgres killed with SIGKILL; pg_auto_failover
//      promotes the standby; the old primary comes back as the new standby;
//   4. an online schema change on the declaration table (a column, an index built concurrently,
//      lock_timeout set), removed again at the end;
//   5. the whole formation stopped for longer than the app's hold on a database that is away, then
//      started again: lodgements are journalled (202 receipts) when the application journals them,
//      otherwise clients keep retrying until the database is back.
// Then it checks, in the database, that every request acknowledged (200/201, or 202 with a
// receipt that is applied by the end) exists exactly once, and nothing twice, that the outbox
// worker took every event published, and prints one JSON
// line: counts, errors by kind, the longest stall a client saw, and the measured failover time.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const short = process.argv.includes('--short');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;
const httpUrl = env.HTTP_URL ?? `http://127.0.0.1:${env.HTTP_PORT ?? 8080}`;
const databaseUrl = env.DATABASE_URL_CLUSTER ?? `postgres://postgres@127.0.0.1:${env.PG_PROXY_PORT ?? 6432}/${env.PG_DBNAME ?? 'forodha'}`;
const apps = Number(env.APPS ?? 3);
const clients = Number(env.CHAOS_CLIENTS ?? (short ? 3 : 6));
/** How long the whole formation stays away: longer than the app's hold (about 20 s). */
const outageSeconds = Number(env.CHAOS_OUTAGE_SECONDS ?? (short ? 30 : 60));
/** A client gives a request up after this long (then it counts as failed). */
const requestDeadlineMs = Number(env.CHAOS_DEADLINE_SECONDS ?? outageSeconds + 90) * 1000;
const attemptTimeoutMs = 30_000;
const runId = Date.now().toString(36).toUpperCase();

const log = (msg: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a function of ops/cluster/env.sh (start_app, stop_node, stop_keeper, ...) in bash. */
function ops(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', `set -uo pipefail; source "${root}/ops/cluster/env.sh"; ${script}`], { cwd: root, timeout: 300_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${script}: ${err.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// The clients

type Step = 'manifest' | 'declaration' | 'register' | 'payment';
interface Sent {
  step: Step;
  key: string;
  /** What identifies the row in the database: BL number, bank reference, declaration id. */
  ref: string;
  outcome: 'acknowledged' | 'journalled' | 'failed';
  receipt?: string;
}

const sent: Sent[] = [];
const errors: Record<string, number> = {};
const failures: string[] = [];
let longestStallMs = 0;
let stopping = false;

const keys = { manifest: 'demo-maersk-key', declaration: 'demo-siginon-key', register: 'demo-siginon-key', payment: 'demo-kcb-key' } as const;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** One request as a careful client sends it: the same key until it is answered, or the deadline. */
async function post(step: Step, pathname: string, body: unknown, key: string, ref: string): Promise<Answer | undefined> {
  const started = performance.now();
  let delay = 250;
  const record: Sent = { step, key, ref, outcome: 'failed' };
  sent.push(record);
  for (;;) {
    let kind: string;
    try {
      const res = await fetch(httpUrl + pathname, {
        method: 'POST',
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-api-key': keys[step], 'idempotency-key': key },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(attemptTimeoutMs),
      });
      const text = await res.text();
      const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      if (res.status < 300) {
        longestStallMs = Math.max(longestStallMs, performance.now() - started);
        const given = json.receipt ?? json.receiptNumber;
        const receipt = res.status !== 202 ? undefined : typeof given === 'object' && given !== null ? (given as { number?: unknown }).number : given;
        if (typeof receipt === 'string') {
          record.outcome = 'journalled';
          record.receipt = receipt;
        } else {
          record.outcome = 'acknowledged';
        }
        return { status: res.status, body: json };
      }
      kind = `http_${res.status}`;
      // 5xx (the database away, a process draining), 429 and 409 (the same key still in progress) are worth another try.
      if (!(res.status >= 500 || res.status === 429 || res.status === 409)) {
        errors[kind] = (errors[kind] ?? 0) + 1;
        failures.push(`${step} ${key}: ${res.status} ${text.slice(0, 300)}`);
        longestStallMs = Math.max(longestStallMs, performance.now() - started);
        return undefined;
      }
    } catch (err) {
      kind = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? 'timeout' : 'network';
    }
    errors[kind] = (errors[kind] ?? 0) + 1;
    if (performance.now() - started > requestDeadlineMs) {
      errors.deadline = (errors.deadline ?? 0) + 1;
      failures.push(`${step} ${key}: no answer within ${requestDeadlineMs / 1000} s (last: ${kind})`);
      longestStallMs = Math.max(longestStallMs, performance.now() - started);
      return undefined;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }
}

/** One consignment, manifest to payment; stops at a step that is journalled or fails. */
async function consignment(client: number, n: number): Promise<void> {
  const id = `${runId}C${client}N${n}`;
  const bl = `CHAOS${id}`;
  const arrival = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const manifest = await post(
    'manifest',
    '/api/v1/manifests',
    {
      mode: 'sea', conveyanceId: '9074729', conveyanceName: 'MAERSK SELETAR', voyageNumber: `X${id}`.slice(0, 20), portOfLoading: 'CNSHA', portOfDischarge: 'KEMBA',
      officeCode: 'MBA', expectedArrival: arrival,
      documents: [{ number: bl, kind: 'BL', shipperName: 'Shenzhen Electronics Export Co', consigneeName: 'Nairobi Motors Ltd', consigneePin: 'P051234567A', notifyParty: 'Siginon Freight Ltd', packages: 10, packageKind: 'CT', grossMassKg: '1000', description: 'General cargo', cargoCategory: 'home_use', containers: [] }],
    },
    `chaos-${id}-manifest`,
    bl,
  );
  if (manifest?.status !== 201 && manifest?.status !== 200) {
    return;
  }
  const declared = await post(
    'declaration',
    '/api/v1/declarations',
    {
      lodge: true, cpc: '4000000', officeCode: 'MBA', importerPin: 'P051234567A', transportDocumentNumber: bl, invoiceCurrency: 'USD', invoiceAmount: '2000.00', incoterm: 'FOB', freight: '120.00', insurance: '15.00',
      documents: [{ code: 'N380', reference: 'INV-CHAOS' }],
      items: [{ hsCode: '6109.10.00', description: 'T-shirts of cotton', originCountry: 'BD', quantity: '1000', unit: 'NAR', netMassKg: '200', grossMassKg: '500', packages: 10, itemPrice: '2000.00' }],
    },
    `chaos-${id}-declaration`,
    bl,
  );
  const declaration = declared?.body as { id?: string; assessment?: { total?: string } } | undefined;
  if ((declared?.status !== 201 && declared?.status !== 200) || !declaration?.id) {
    return;
  }
  const registered = await post('register', `/api/v1/declarations/${declaration.id}/register`, undefined, `chaos-${id}-register`, declaration.id);
  const prn = (registered?.body.payment as { prn?: string } | undefined)?.prn;
  if (registered?.status !== 200 || !prn || !declaration.assessment?.total) {
    return;
  }
  await post('payment', '/api/v1/payments', { prn, amount: declaration.assessment.total, bankReference: `KCB-${id}`, paidAt: new Date().toISOString() }, `chaos-${id}-payment`, `KCB-${id}`);
}

async function client(index: number): Promise<void> {
  for (let n = 1; !stopping; n++) {
    await consignment(index, n);
  }
}

// ---------------------------------------------------------------------------------------------
// The faults

interface Phase {
  name: string;
  ms: number;
  failoverMs?: number;
}
const phases: Phase[] = [];

async function phase(name: string, work: () => Promise<Partial<Phase> | void>): Promise<void> {
  log(`${name}: begins`);
  const started = performance.now();
  const extra = (await work()) ?? {};
  const ms = Math.round(performance.now() - started);
  phases.push({ name, ms, ...extra });
  log(`${name}: done in ${(ms / 1000).toFixed(1)} s${extra.failoverMs ? ` (failover ${extra.failoverMs} ms)` : ''}`);
}

/** Milliseconds until a write through haproxy's primary port succeeds again. */
async function untilWritable(since: number, limitMs: number): Promise<number> {
  for (;;) {
    const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 1000, query_timeout: 2000 });
    try {
      await c.connect();
      await c.query('create temporary table chaos_probe (x int); insert into chaos_probe values (1)');
      return Math.round(performance.now() - since);
    } catch {
      if (performance.now() - since > limitMs) {
        throw new Error(`the database took no write for ${limitMs / 1000} s`);
      }
      await sleep(200);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/** Until the formation has a primary and a secondary again (the old primary rejoined). */
async function untilFormationSteady(limitMs = 180_000): Promise<void> {
  const since = performance.now();
  for (;;) {
    const states = await ops(
      `as_pg psql -X -qtA -h "$PG_HOST" -p "$PG_MONITOR_PORT" -U autoctl_node -d pg_auto_failover -c "select string_agg(reportedstate || '/' || goalstate, ' ' order by nodeid) from pgautofailover.node" 2>/dev/null || true`,
    );
    const parts = states.split(' ');
    if (parts.includes('primary/primary') && parts.includes('secondary/secondary')) {
      return;
    }
    if (performance.now() - since > limitMs) {
      throw new Error(`the formation is not steady after ${limitMs / 1000} s: ${states}`);
    }
    await sleep(1000);
  }
}

async function rollingRestart(): Promise<void> {
  for (let i = 1; i <= apps; i++) {
    await ops(`stop_node app${i} TERM && start_app ${i} && wait_app ${i} "$READY_PATH" && sleep 2`);
  }
}

async function killApp(): Promise<void> {
  const i = 1 + Math.floor(Math.random() * apps);
  log(`  SIGKILL app${i}`);
  await ops(`stop_node app${i} KILL`);
  await sleep(3000);
  await ops(`start_app ${i} && wait_app ${i} "$READY_PATH"`);
}

async function failover(): Promise<Partial<Phase>> {
  const primary = await ops('current_primary');
  if (!primary) {
    throw new Error('no primary in the formation');
  }
  log(`  SIGKILL ${primary} (keeper and postgres)`);
  const since = performance.now();
  await ops(`stop_keeper ${primary} kill`);
  const failoverMs = await untilWritable(since, 120_000);
  log(`  writable again after ${failoverMs} ms; ${primary} rejoins as standby`);
  await ops(`start_keeper ${primary}`);
  await untilFormationSteady();
  return { failoverMs };
}

/** Expand: a nullable column and a concurrently built index, each under a lock_timeout, retried. */
async function onlineSchemaChange(): Promise<void> {
  const statements = [
    'alter table declaration add column if not exists chaos_note text',
    'create index concurrently if not exists declaration_chaos_note on declaration (chaos_note) where chaos_note is not null',
  ];
  await ddl(statements);
}

async function ddl(statements: string[]): Promise<void> {
  for (const statement of statements) {
    for (let attempt = 1; ; attempt++) {
      const c = new pg.Client({ connectionString: databaseUrl });
      try {
        await c.connect();
        await c.query("set lock_timeout = '2s'");
        await c.query(statement);
        break;
      } catch (err) {
        // A lock not granted in time (55P03) gives way to the lodgements, and is tried again.
        if (attempt >= 10) {
          throw err;
        }
        log(`  ${statement.slice(0, 40)}...: ${(err as Error).message}; again`);
        await sleep(1000);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
  }
}

async function formationOutage(): Promise<void> {
  log(`  stopping every data node for ${outageSeconds} s`);
  await ops('for n in $(node_names); do stop_keeper "$n" & done; wait');
  await sleep(outageSeconds * 1000);
  // The node that was primary last starts first: it has every committed transaction.
  await ops('for n in $(node_names); do start_keeper "$n"; done');
  await untilWritable(performance.now(), 180_000);
  await untilFormationSteady();
}

// ---------------------------------------------------------------------------------------------
// The check

async function verify(db: pg.Client) {
  const count = async (sql: string, refs: string[]) => {
    const { rows } = await db.query<{ ref: string; n: string }>(sql, [refs]);
    return new Map(rows.map((r) => [r.ref, Number(r.n)]));
  };
  const byStep = (step: Step) => sent.filter((s) => s.step === step);
  const counts: Record<Step, Map<string, number>> = {
    manifest: await count('select number as ref, count(*) as n from transport_document where number = any($1) group by number', byStep('manifest').map((s) => s.ref)),
    declaration: await count('select transport_document_number as ref, count(*) as n from declaration where transport_document_number = any($1) group by 1', byStep('declaration').map((s) => s.ref)),
    register: await count("select id::text as ref, count(*) as n from declaration where id::text = any($1) and prn is not null group by 1", byStep('register').map((s) => s.ref)),
    payment: await count('select bank_reference as ref, count(*) as n from payment where bank_reference = any($1) group by 1', byStep('payment').map((s) => s.ref)),
  };
  let lost = 0;
  let duplicated = 0;
  for (const s of sent) {
    const n = counts[s.step].get(s.ref) ?? 0;
    if (n > 1) {
      duplicated++;
      failures.push(`${s.step} ${s.key}: ${n} rows`);
    }
    if (s.outcome !== 'failed' && n === 0) {
      lost++;
      failures.push(`${s.step} ${s.key}: acknowledged (${s.outcome}) but absent`);
    }
  }
  return { lost, duplicated };
}

/**
 * The outbox worker is a process of its own (the app processes run with OUTBOX_WORKER=false):
 * every event published during the run is taken by it (tried at least once) within a minute.
 */
async function outboxDrained(db: pg.Client, limitMs = 60_000): Promise<{ neverTried: number; undelivered: number }> {
  const since = performance.now();
  for (;;) {
    const { rows } = await db.query<{ never: string; undelivered: string }>(
      'select count(*) filter (where attempts = 0) as never, count(*) as undelivered from outbox where delivered_at is null',
    );
    const neverTried = Number(rows[0]?.never ?? 0);
    if (neverTried === 0 || performance.now() - since > limitMs) {
      return { neverTried, undelivered: Number(rows[0]?.undelivered ?? 0) };
    }
    await sleep(1000);
  }
}

/** Journal receipts (202): each must reach `applied`. */
async function receiptsApplied(limitMs = 120_000): Promise<{ replayed: number; notApplied: string[] }> {
  const pending = sent.filter((s) => s.receipt !== undefined);
  const since = performance.now();
  const notApplied = new Set(pending.map((s) => s.receipt as string));
  while (notApplied.size > 0 && performance.now() - since < limitMs) {
    for (const receipt of [...notApplied]) {
      const s = pending.find((p) => p.receipt === receipt);
      const res = await fetch(`${httpUrl}/api/v1/receipts/${encodeURIComponent(receipt)}`, { headers: { 'x-api-key': keys[s?.step ?? 'manifest'] } }).catch(() => undefined);
      const body = res?.ok ? ((await res.json()) as { status?: string }) : undefined;
      if (body?.status === 'applied') {
        notApplied.delete(receipt);
      }
    }
    if (notApplied.size > 0) {
      await sleep(1000);
    }
  }
  return { replayed: pending.length - notApplied.size, notApplied: [...notApplied] };
}

// ---------------------------------------------------------------------------------------------

const readyPath = env.READY_PATH ?? '/ready';
process.env.READY_PATH = readyPath;
log(`lodging through ${httpUrl} with ${clients} clients; ${short ? 'short' : 'full'} run ${runId}; formation outage ${outageSeconds} s`);
const started = performance.now();
const running = Array.from({ length: clients }, (_, i) => client(i + 1));
let faultError: unknown;
try {
  await sleep(short ? 5000 : 15_000);
  await phase('rolling restart', rollingRestart);
  await sleep(short ? 3000 : 10_000);
  await phase('app SIGKILL', killApp);
  await sleep(short ? 3000 : 10_000);
  await phase('database failover', failover);
  await sleep(short ? 3000 : 10_000);
  await phase('online schema change', onlineSchemaChange);
  await sleep(short ? 3000 : 10_000);
  await phase('formation outage', formationOutage);
  await sleep(short ? 5000 : 15_000);
} catch (err) {
  faultError = err;
  log(`fault injection failed: ${String(err)}`);
}
stopping = true;
await Promise.all(running);
const receipts = await receiptsApplied();
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const { lost, duplicated } = await verify(db);
const outbox = await outboxDrained(db);
await db.end();
// Contract: the expand step is taken back so the next run starts from the application's schema.
await ddl(['drop index concurrently if exists declaration_chaos_note', 'alter table declaration drop column if exists chaos_note']).catch((err: unknown) => log(`cleanup: ${String(err)}`));

const acknowledged = sent.filter((s) => s.outcome !== 'failed').length;
const failed = sent.filter((s) => s.outcome === 'failed').length;
for (const f of failures.slice(0, 20)) {
  log(`  ${f}`);
}
for (const r of receipts.notApplied.slice(0, 10)) {
  log(`  receipt ${r} not applied`);
}
const failoverMs = phases.find((p) => p.failoverMs !== undefined)?.failoverMs ?? null;
const summary = {
  sent: sent.length,
  acknowledged,
  failed,
  duplicated,
  lost,
  longestStallMs: Math.round(longestStallMs),
  journalled: sent.filter((s) => s.receipt !== undefined).length,
  replayed: receipts.replayed,
  failoverMs,
  outboxNeverTried: outbox.neverTried,
  outboxUndelivered: outbox.undelivered,
  consignmentsPaid: sent.filter((s) => s.step === 'payment' && s.outcome !== 'failed').length,
  errors,
  phases,
  short,
  seconds: Math.round((performance.now() - started) / 1000),
  ...(faultError ? { faultError: faultError instanceof Error ? faultError.message : JSON.stringify(faultError) } : {}),
};
console.log(JSON.stringify(summary));
if (outbox.neverTried > 0) {
  log(`  ${outbox.neverTried} outbox events never taken by the worker`);
}
const ok = failed === 0 && duplicated === 0 && lost === 0 && receipts.notApplied.length === 0 && outbox.neverTried === 0 && !faultError;
process.exit(ok ? 0 : 1);
