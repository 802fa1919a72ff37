// Every state change writes its audit record in the same transaction: who (actor, role,
// organisation), what (action, before, after), why (reason), and the request it came from.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';

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

export async function recordAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  const stream = `${entry.entityType}:${entry.entityId}`;
  // The stream's head row is locked for the rest of the transaction: events of one entity are
  // chained in commit order, while different entities never wait for each other.
  const head = await tx
    .insertInto('audit_stream')
    .values({ stream, seq: 0, head_hash: genesis })
    .onConflict((oc) => oc.column('stream').doUpdateSet({ seq: (eb) => eb('audit_stream.seq', '+', 0) }))
    .returning(['seq', 'head_hash'])
    .executeTakeFirstOrThrow();
  const at = entry.at ?? new Date();
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
    prev_hash: head.head_hash,
  };
  const hash = eventHash(record);
  await tx
    .insertInto('audit_event')
    .values({ ...record, before: JSON.stringify(record.before), after: JSON.stringify(record.after), hash })
    .execute();
  await tx.updateTable('audit_stream').set({ seq: record.stream_seq, head_hash: hash }).where('stream', '=', stream).execute();
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
