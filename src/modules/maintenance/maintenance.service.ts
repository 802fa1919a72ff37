// Maintenance notices: an administrator announces a window (what, when, impact, offices), amends
// or withdraws it; every change is audited. The system stays up during a window: a notice only
// tells callers what to expect (the API names the window in a Forodha-Maintenance header).
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Clock } from '#platform/clock.ts';
import { newId } from '#platform/ids.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { FieldErrors, notFound } from '#platform/http/problem.ts';
import { recordAudit, transition, type Actor } from '#modules/audit/index.ts';
import { maintenanceRepository as repo, type NoticeRow } from './maintenance.repository.ts';
import { noticeLifecycle } from './maintenance.state.ts';

export interface NoticeInput {
  title: string;
  description: string;
  impact: NoticeRow['impact'];
  offices?: string[] | undefined;
  startsAt: string;
  endsAt: string;
}

export interface NoticeView {
  id: string;
  title: string;
  description: string;
  impact: NoticeRow['impact'];
  offices: string[];
  startsAt: string;
  endsAt: string;
  status: NoticeRow['status'];
  version: number;
  /** In force now: the window has started and not ended. */
  current: boolean;
}

export const view = (row: NoticeRow, now: Date): NoticeView => ({
  id: row.id,
  title: row.title,
  description: row.description,
  impact: row.impact,
  offices: row.offices,
  startsAt: row.starts_at.toISOString(),
  endsAt: row.ends_at.toISOString(),
  status: row.status,
  version: row.version,
  current: row.status === 'announced' && row.starts_at <= now && row.ends_at > now,
});

/** How long the list used by the response header is kept (it is read on every response). */
const cacheMs = 15_000;

export function maintenanceService(deps: { db: Kysely<DB>; clock: Clock }) {
  const { db, clock } = deps;
  let cached: { at: number; rows: NoticeRow[] } | undefined;

  function checked(input: NoticeInput): { startsAt: Date; endsAt: Date } {
    const errors = new FieldErrors();
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    if (!(endsAt > startsAt)) {
      errors.add('/endsAt', 'ends_before_start', 'must be after startsAt');
    }
    if (endsAt <= clock.now()) {
      errors.add('/endsAt', 'in_the_past', 'must be in the future: a notice announces a window to come or in progress');
    }
    errors.throwIfAny();
    return { startsAt, endsAt };
  }

  const audit = (tx: Tx, actor: Actor, action: string, before: NoticeView | null, after: NoticeView, reason: string | null = null) =>
    recordAudit(tx, { actor, action, entityType: 'maintenance_notice', entityId: after.id, before, after, reason });

  return {
    async announce(tx: Tx, actor: Actor, input: NoticeInput): Promise<NoticeView> {
      const { startsAt, endsAt } = checked(input);
      const row = await repo.insert(tx, { id: newId(), title: input.title, description: input.description, impact: input.impact, offices: input.offices ?? [], starts_at: startsAt, ends_at: endsAt, status: 'announced' });
      const after = view(row, clock.now());
      await audit(tx, actor, 'maintenance.announced', null, after);
      cached = undefined;
      return after;
    },

    async amend(tx: Tx, actor: Actor, id: string, input: NoticeInput & { reason?: string | undefined }): Promise<NoticeView> {
      const before = await repo.find(tx, id);
      if (!before) {
        throw notFound(`Maintenance notice ${id}`);
      }
      const { startsAt, endsAt } = checked(input);
      const now = clock.now();
      const row = await transition(tx, {
        lifecycle: noticeLifecycle,
        table: 'maintenance_notice',
        id,
        from: before.status,
        action: 'amend',
        set: { title: input.title, description: input.description, impact: input.impact, offices: input.offices ?? [], starts_at: startsAt, ends_at: endsAt, version: before.version + 1, updated_at: now },
        audit: (updated) => ({ actor, action: 'maintenance.amended', entityType: 'maintenance_notice', entityId: id, before: view(before, now), after: view(updated, now), reason: input.reason ?? null }),
      });
      cached = undefined;
      return view(row, now);
    },

    async withdraw(tx: Tx, actor: Actor, id: string, reason: string): Promise<NoticeView> {
      const before = await repo.find(tx, id);
      if (!before) {
        throw notFound(`Maintenance notice ${id}`);
      }
      const now = clock.now();
      const row = await transition(tx, {
        lifecycle: noticeLifecycle,
        table: 'maintenance_notice',
        id,
        from: before.status,
        action: 'withdraw',
        set: { withdrawn_reason: reason, version: before.version + 1, updated_at: now },
        audit: (updated) => ({ actor, action: 'maintenance.withdrawn', entityType: 'maintenance_notice', entityId: id, before: view(before, now), after: view(updated, now), reason }),
      });
      cached = undefined;
      return view(row, now);
    },

    /** Current and upcoming notices, soonest first (public). */
    async list(): Promise<NoticeView[]> {
      const now = clock.now();
      return (await repo.currentAndUpcoming(db, now)).map((r) => view(r, now));
    },

    /**
     * The notices in force now, from a list kept for a few seconds (every response asks); the
     * last list known is kept while the database is away.
     */
    async current(): Promise<NoticeView[]> {
      const now = clock.now();
      if (!cached || performance.now() - cached.at > cacheMs) {
        try {
          cached = { at: performance.now(), rows: await repo.currentAndUpcoming(db, now) };
        } catch {
          cached = { at: performance.now(), rows: cached?.rows ?? [] };
        }
      }
      return cached.rows.map((r) => view(r, now)).filter((n) => n.current);
    },
  };
}

export type MaintenanceService = ReturnType<typeof maintenanceService>;
