// Every state change writes its audit record in the same transaction: who (actor, role,
// organisation), what (action, before, after), why (reason), and the request it came from.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { deferOrWrite, type DeferredWrite, type Tx } from '#platform/db/transaction.ts';

import type { Actor } from '#platform/http/auth.ts';
export type { Actor };

export const systemActor: Actor = { id: 'system', name: 'Forodha', organisationId: null, role: 'system' };

export interface AuditEntry {
  actor: Actor;
  action: string;
  entityType: string;
  entityId: string;
  /** Business references this event belongs to (declaration reference, B/L number...), for timelines. */
  subjects?: string[];
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  requestId?: string | null;
  /** Time of the event; defaults to the database's now(). */
  at?: Date;
  /**
   * The entity was created in this transaction (a new id): its stream cannot exist yet, so there
   * is no head to lock; the head is inserted with the records. Should the stream exist after all,
   * that insert fails (unique violation) and the transaction with it: a chain is never forked.
   */
  opensStream?: boolean;
}

export const genesis = '0'.repeat(64);

/** Canonical JSON: keys sorted, so the same content always hashes the same. */
export function canonical(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (value instanceof Date) {
    return JSON.stringify(value.toISOString());
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface Hashed {
  stream: string;
  stream_seq: number;
  at: Date;
  actor_id: string;
  actor_name: string;
  actor_org: string | null;
  role: string;
  action: string;
  entity_type: string;
  entity_id: string;
  subject_refs: string[];
  before: unknown;
  after: unknown;
  reason: string | null;
  request_id: string | null;
  prev_hash: string;
}

export function eventHash(e: Hashed): string {
  return createHash('sha256').update(canonical({ ...e, at: new Date(e.at).toISOString() })).digest('hex');
}

/** Strips values that JSON cannot carry faithfully (Decimal, Date) down to plain JSON. */
const plain = (v: unknown): unknown => (v === undefined ? null : (JSON.parse(JSON.stringify(v)) as unknown));

/**
 * Records the entry in the caller's transaction. In a transaction run by inTransaction the records
 * are written together just before COMMIT (see deferredBatch): one statement locks every existing
 * stream head they extend, and their writes (the records, the moved heads) go with the
 * transaction's other deferred writes. Elsewhere, at once.
 */
export async function recordAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await deferOrWrite(tx, 'audit', auditWrites, { entry, at: entry.at ?? new Date() });
}

interface PendingAudit {
  entry: AuditEntry;
  at: Date;
}

interface Head {
  seq: number;
  hash: string;
}

const streamOf = (entry: AuditEntry) => `${entry.entityType}:${entry.entityId}`;

/**
 * Chains the records onto their streams' heads, in the order they were recorded, and answers
 * the writes: the records, and each stream's new head (inserted for a stream the records open,
 * moved for one that exists).
 */
async function auditWrites(tx: Tx, pending: PendingAudit[]): Promise<DeferredWrite[]> {
  const streams = [...new Set(pending.map((p) => streamOf(p.entry)))].sort();
  const opened = new Set(pending.filter((p) => p.entry.opensStream === true).map((p) => streamOf(p.entry)));
  const heads = await lockHeads(
    tx,
    streams.filter((s) => !opened.has(s)),
  );
  const rows = pending.map(({ entry, at }) => {
    const stream = streamOf(entry);
    const head = heads.get(stream) ?? { seq: 0, hash: genesis };
    const record: Hashed = {
      stream,
      stream_seq: head.seq + 1,
      at,
      actor_id: entry.actor.id,
      actor_name: entry.actor.name,
      actor_org: entry.actor.organisationId,
      role: entry.actor.role,
      action: entry.action,
      entity_type: entry.entityType,
      entity_id: entry.entityId,
      subject_refs: [...new Set(entry.subjects ?? [])],
      before: plain(entry.before),
      after: plain(entry.after),
      reason: entry.reason ?? null,
      request_id: entry.requestId ?? null,
      prev_hash: head.hash,
    };
    const hash = eventHash(record);
    heads.set(stream, { seq: record.stream_seq, hash });
    return { ...record, before: JSON.stringify(record.before), after: JSON.stringify(record.after), hash };
  });
  const headOf = (stream: string) => heads.get(stream) ?? { seq: 0, hash: genesis };
  const writes: DeferredWrite[] = [tx.insertInto('audit_event').values(rows)];
  const newStreams = streams.filter((s) => opened.has(s));
  if (newStreams.length > 0) {
    writes.push(tx.insertInto('audit_stream').values(newStreams.map((stream) => ({ stream, seq: headOf(stream).seq, head_hash: headOf(stream).hash }))));
  }
  for (const stream of streams.filter((s) => !opened.has(s))) {
    writes.push(tx.updateTable('audit_stream').set({ seq: headOf(stream).seq, head_hash: headOf(stream).hash }).where('stream', '=', stream));
  }
  return writes;
}

/**
 * Locks the heads of existing streams (creating those never written) for the rest of the
 * transaction: events of one entity are chained in commit order, while different entities never
 * wait for each other. Heads are taken in name order, so two transactions touching the same
 * streams cannot deadlock on them.
 */
async function lockHeads(tx: Tx, streams: string[]): Promise<Map<string, Head>> {
  if (streams.length === 0) {
    return new Map();
  }
  const locked = await tx
    .insertInto('audit_stream')
    .values(streams.map((stream) => ({ stream, seq: 0, head_hash: genesis })))
    .onConflict((oc) => oc.column('stream').doUpdateSet({ seq: (eb) => eb('audit_stream.seq', '+', 0) }))
    .returning(['stream', 'seq', 'head_hash'])
    .execute();
  return new Map(locked.map((h) => [h.stream, { seq: h.seq, hash: h.head_hash }]));
}

export interface TimelineEvent {
  at: Date;
  action: string;
  entityType: string;
  entityId: string;
  actor: { name: string; role: string; organisationId: string | null };
  reason: string | null;
  after: unknown;
}

/** Every audited step of a consignment, oldest first, found by any of its references. */
export async function timeline(db: Kysely<DB>, subjects: string[]): Promise<TimelineEvent[]> {
  if (subjects.length === 0) {
    return [];
  }
  // PostgreSQL cannot estimate an overlap with references that occur a handful of times each: it
  // guesses 0.5% of the trail per reference, and on years of history that guess crosses the JIT
  // threshold, which then spends ~75 ms compiling a plan that reads a dozen rows
  // (docs/history-plans.md). The timeline's one query runs without JIT.
  const rows = await db.transaction().execute(async (tx) => {
    await sql`set local jit = off`.execute(tx);
    return tx
      .selectFrom('audit_event')
      .select(['at', 'action', 'entity_type', 'entity_id', 'actor_name', 'role', 'actor_org', 'reason', 'after', 'id'])
      .where(sql<boolean>`subject_refs && ${sql.val(subjects)}::text[]`)
      .orderBy('at')
      .orderBy('id')
      .execute();
  });
  return rows.map((r) => ({
    at: r.at,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    actor: { name: r.actor_name, role: r.role, organisationId: r.actor_org },
    reason: r.reason,
    after: r.after,
  }));
}
