// The only file that touches the risk tables: rules and their versions, watchlists and their
// entries, prohibited goods, dated settings, learned models, the engine's selections and the
// inspection outcomes that label them. Declaration data comes through the declaration module's
// index, never from its tables.
import { sql, type Insertable, type Kysely, type RawBuilder, type Updateable } from 'kysely';
import type { DB } from '../../schema.ts';
import { deferredBatch, sendWrites, type DeferredWrite, type Tx } from '#platform/db/transaction.ts';
import type { ModelRow, OutcomeRow, ProhibitedRow, RiskTables, RuleRow, SelectionRow, SettingRow, WatchlistEntryRow, WatchlistRow } from './risk.tables.ts';

type Q = Kysely<DB>;
type Insert<T extends keyof RiskTables> = Insertable<RiskTables[T]>;
type NewSelection = Insert<'risk_selection'> & { id: string; declaration_id: string; decided_at: Date };

function selectionWrites(tx: Tx, decisions: NewSelection[]): DeferredWrite[] {
  return [tx.insertInto('risk_selection').values(decisions)];
}

/** What the engine decides with: active rules, active watchlists with their entries, prohibited goods, settings. */
export interface EngineData {
  rules: RuleRow[];
  watchlists: WatchlistRow[];
  entries: WatchlistEntryRow[];
  prohibited: ProhibitedRow[];
  settings: SettingRow[];
}

/** Aggregates over selections and their outcomes, as PostgreSQL returns them (counts may be text). */
export interface RawCounts {
  selections: string | number;
  inspected: string | number;
  hits: string | number;
  revenue: string | null;
}

export type ModelSummary = Omit<ModelRow, 'model'>;

const forUpdateIf = <T extends { forUpdate(): T }>(query: T, lock: boolean): T => (lock ? query.forUpdate() : query);

export const riskRepository = {
  // --- what the engine reads -------------------------------------------------------------

  async engineData(q: Q): Promise<EngineData> {
    const rules = await q.selectFrom('risk_rule').selectAll().where('superseded_at', 'is', null).where('active', '=', true).execute();
    const watchlists = await q.selectFrom('risk_watchlist').selectAll().where('active', '=', true).execute();
    const entries =
      watchlists.length === 0
        ? []
        : await q
            .selectFrom('risk_watchlist_entry')
            .selectAll()
            .where(
              'watchlist_id',
              'in',
              watchlists.map((l) => l.id),
            )
            .execute();
    const prohibited = await q.selectFrom('risk_prohibited_goods').selectAll().execute();
    const settings = await riskRepository.settings(q);
    return { rules, watchlists, entries, prohibited, settings };
  },

  // --- selections and outcomes ---------------------------------------------------------------

  /**
   * Stores a decision; the declaration's earlier decision (before an amendment) is superseded,
   * at once. The new decision is written with the transaction's other deferred writes just before
   * COMMIT (nothing in a lodgement's transaction reads its own decision back). `supersedes: false`
   * says the declaration has had no decision before (its first lodgement), so there is nothing to
   * supersede: should there be one after all, the unique index on the current decision refuses
   * the insert, and the transaction with it.
   */
  async recordSelection(tx: Tx, row: NewSelection, options: { supersedes: boolean } = { supersedes: true }): Promise<void> {
    if (options.supersedes) {
      await tx.updateTable('risk_selection').set({ superseded_at: row.decided_at }).where('declaration_id', '=', row.declaration_id).where('superseded_at', 'is', null).execute();
    }
    const batch = deferredBatch(tx, 'risk_selection', selectionWrites);
    if (!batch) {
      await sendWrites(tx, selectionWrites(tx, [row]));
      return;
    }
    // A decision of this transaction not yet written is superseded here, before it is written.
    for (const earlier of batch) {
      if (earlier.declaration_id === row.declaration_id && (earlier.superseded_at ?? null) === null) {
        earlier.superseded_at = row.decided_at;
      }
    }
    batch.push(row);
  },

  /** Every decision on a declaration, newest first (the current one has superseded_at null). */
  selectionsOf(q: Q, declarationId: string): Promise<SelectionRow[]> {
    return q.selectFrom('risk_selection').selectAll().where('declaration_id', '=', declarationId).orderBy('decided_at', 'desc').execute();
  },

  /** The declaration reference of the current decision, for the timeline of an outcome. */
  async currentSelectionReference(q: Q, declarationId: string): Promise<string | undefined> {
    const row = await q.selectFrom('risk_selection').select('reference').where('declaration_id', '=', declarationId).where('superseded_at', 'is', null).executeTakeFirst();
    return row?.reference;
  },

  outcomeOf(q: Q, declarationId: string, options: { forUpdate?: boolean } = {}): Promise<OutcomeRow | undefined> {
    return forUpdateIf(q.selectFrom('risk_outcome').selectAll().where('declaration_id', '=', declarationId), options.forUpdate ?? false).executeTakeFirst();
  },

  /** One outcome per declaration: a later one replaces it (recorded_at stays the first). */
  async upsertOutcome(tx: Tx, row: Insert<'risk_outcome'> & { updated_at: Date }): Promise<void> {
    const { declaration_id: _key, recorded_at: _first, ...change } = row;
    await tx
      .insertInto('risk_outcome')
      .values(row)
      .onConflict((oc) => oc.column('declaration_id').doUpdateSet(change))
      .execute();
  },

  /** The facts seen at selection of every inspected declaration, with whether a discrepancy was found. */
  labelledSelections(q: Q): Promise<{ input: unknown; discrepancy: boolean }[]> {
    return q
      .selectFrom('risk_selection as s')
      .innerJoin('risk_outcome as o', 'o.declaration_id', 's.declaration_id')
      .select(['s.input', 'o.discrepancy'])
      .where('s.superseded_at', 'is', null)
      .where('o.inspected', '=', true)
      .orderBy('s.decided_at')
      .execute();
  },

  /** Scores a model gave current decisions since a time. */
  async recentScores(q: Q, modelId: string, since: Date): Promise<number[]> {
    const rows = await q
      .selectFrom('risk_selection')
      .select('score')
      .where('model_id', '=', modelId)
      .where('superseded_at', 'is', null)
      .where('decided_at', '>=', since)
      .where('score', 'is not', null)
      .execute();
    return rows.map((r) => r.score ?? 0);
  },

  // --- monitoring: what the selections caught ---------------------------------------------------

  /** Hits and revenue per rule version, watchlist, model version and channel, and for any other condition on a selection. */
  monitoring(q: Q, range: { from: string; to: string }) {
    const within = sql`s.superseded_at is null and s.decision_date between ${range.from}::date and ${range.to}::date`;
    const aggregates = sql`count(*) as selections,
      count(*) filter (where o.inspected) as inspected,
      count(*) filter (where o.discrepancy) as hits,
      coalesce(sum(o.extra_revenue) filter (where o.discrepancy), 0) as revenue`;
    const run = async <T>(query: RawBuilder<T>) => (await query.execute(q)).rows;
    const where = async (condition: RawBuilder<unknown>) =>
      (
        await run(sql<RawCounts>`
          select ${aggregates}
          from risk_selection s left join risk_outcome o on o.declaration_id = s.declaration_id
          where ${within} and ${condition}`)
      )[0];
    return {
      rules: () =>
        run(sql<
          RawCounts & {
            id: string;
            version: number;
            code: string;
            name: string | null;
            channel: string | null;
          }
        >`
          select h.id, h.version, h.code, r.name, r.channel, ${aggregates}
          from (
            select s.declaration_id, e ->> 'id' as id, (e ->> 'version')::int as version, e ->> 'code' as code
            from risk_selection s cross join lateral jsonb_array_elements(s.rules) e
            where ${within}
          ) h
          left join risk_outcome o on o.declaration_id = h.declaration_id
          left join risk_rule r on r.id = h.id::uuid and r.version = h.version
          group by h.id, h.version, h.code, r.name, r.channel
          order by h.code, h.version`),
      watchlists: () =>
        run(sql<RawCounts & { id: string; code: string }>`
          select h.id, h.code, ${aggregates}
          from (
            select distinct s.declaration_id, e ->> 'id' as id, e ->> 'code' as code
            from risk_selection s cross join lateral jsonb_array_elements(s.watchlists) e
            where ${within}
          ) h
          left join risk_outcome o on o.declaration_id = h.declaration_id
          group by h.id, h.code
          order by h.code`),
      models: () =>
        run(sql<
          RawCounts & {
            model_id: string;
            model_version: number;
            scored: string | number;
          }
        >`
          select s.model_id, s.model_version, count(*) as scored,
            count(*) filter (where 'model' = any(s.selected_by)) as selections,
            count(*) filter (where 'model' = any(s.selected_by) and o.inspected) as inspected,
            count(*) filter (where 'model' = any(s.selected_by) and o.discrepancy) as hits,
            coalesce(sum(o.extra_revenue) filter (where 'model' = any(s.selected_by) and o.discrepancy), 0) as revenue
          from risk_selection s left join risk_outcome o on o.declaration_id = s.declaration_id
          where ${within} and s.model_id is not null
          group by s.model_id, s.model_version
          order by s.model_version`),
      channels: () =>
        run(sql<RawCounts & { channel: string }>`
          select s.channel, ${aggregates}
          from risk_selection s left join risk_outcome o on o.declaration_id = s.declaration_id
          where ${within}
          group by s.channel`),
      all: () => where(sql`true`),
      random: () => where(sql`s.random`),
      valuation: () => where(sql`jsonb_array_length(s.valuation) > 0`),
      prohibited: () => where(sql`jsonb_array_length(s.prohibited) > 0`),
    };
  },

  // --- rules ----------------------------------------------------------------------------------

  currentRules(q: Q, options: { includeInactive?: boolean }): Promise<RuleRow[]> {
    let query = q.selectFrom('risk_rule').selectAll().where('superseded_at', 'is', null);
    if (!options.includeInactive) {
      query = query.where('active', '=', true);
    }
    return query.orderBy('priority').orderBy('code').execute();
  },

  currentRule(q: Q, id: string, options: { forUpdate?: boolean } = {}): Promise<RuleRow | undefined> {
    return forUpdateIf(q.selectFrom('risk_rule').selectAll().where('id', '=', id).where('superseded_at', 'is', null), options.forUpdate ?? false).executeTakeFirst();
  },

  ruleVersions(q: Q, id: string): Promise<RuleRow[]> {
    return q.selectFrom('risk_rule').selectAll().where('id', '=', id).orderBy('version', 'desc').execute();
  },

  ruleVersion(q: Q, id: string, version: number): Promise<RuleRow | undefined> {
    return q.selectFrom('risk_rule').selectAll().where('id', '=', id).where('version', '=', version).executeTakeFirst();
  },

  insertRule(tx: Tx, row: Insert<'risk_rule'>): Promise<RuleRow> {
    return tx.insertInto('risk_rule').values(row).returningAll().executeTakeFirstOrThrow();
  },

  /** A change is a new version: the current one is kept, superseded, so past selections still name it. */
  async supersedeRule(tx: Tx, id: string, version: number, at: Date): Promise<void> {
    await tx.updateTable('risk_rule').set({ superseded_at: at }).where('id', '=', id).where('version', '=', version).execute();
  },

  // --- watchlists -----------------------------------------------------------------------------

  watchlists(q: Q): Promise<WatchlistRow[]> {
    return q.selectFrom('risk_watchlist').selectAll().orderBy('code').execute();
  },

  watchlist(q: Q, id: string, options: { forUpdate?: boolean } = {}): Promise<WatchlistRow | undefined> {
    return forUpdateIf(q.selectFrom('risk_watchlist').selectAll().where('id', '=', id), options.forUpdate ?? false).executeTakeFirst();
  },

  insertWatchlist(tx: Tx, row: Insert<'risk_watchlist'>): Promise<WatchlistRow> {
    return tx.insertInto('risk_watchlist').values(row).returningAll().executeTakeFirstOrThrow();
  },

  updateWatchlist(tx: Tx, id: string, change: Updateable<RiskTables['risk_watchlist']>): Promise<WatchlistRow> {
    return tx.updateTable('risk_watchlist').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  },

  entriesOf(q: Q, watchlistId: string): Promise<WatchlistEntryRow[]> {
    return q.selectFrom('risk_watchlist_entry').selectAll().where('watchlist_id', '=', watchlistId).orderBy('created_at').orderBy('id').execute();
  },

  entry(tx: Tx, watchlistId: string, entryId: string): Promise<WatchlistEntryRow | undefined> {
    return tx.selectFrom('risk_watchlist_entry').selectAll().where('id', '=', entryId).where('watchlist_id', '=', watchlistId).forUpdate().executeTakeFirst();
  },

  insertEntry(tx: Tx, row: Insert<'risk_watchlist_entry'>): Promise<WatchlistEntryRow> {
    return tx.insertInto('risk_watchlist_entry').values(row).returningAll().executeTakeFirstOrThrow();
  },

  endEntry(tx: Tx, entryId: string, validTo: string): Promise<WatchlistEntryRow> {
    return tx.updateTable('risk_watchlist_entry').set({ valid_to: validTo }).where('id', '=', entryId).returningAll().executeTakeFirstOrThrow();
  },

  // --- prohibited goods -----------------------------------------------------------------------

  prohibitedGoods(q: Q): Promise<ProhibitedRow[]> {
    return q.selectFrom('risk_prohibited_goods').selectAll().orderBy('hs_prefix').orderBy('valid_from').execute();
  },

  lockProhibited(tx: Tx, id: string): Promise<ProhibitedRow | undefined> {
    return tx.selectFrom('risk_prohibited_goods').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },

  insertProhibited(tx: Tx, row: Insert<'risk_prohibited_goods'>): Promise<ProhibitedRow> {
    return tx.insertInto('risk_prohibited_goods').values(row).returningAll().executeTakeFirstOrThrow();
  },

  endProhibited(tx: Tx, id: string, validTo: string): Promise<ProhibitedRow> {
    return tx.updateTable('risk_prohibited_goods').set({ valid_to: validTo }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  },

  // --- settings -------------------------------------------------------------------------------

  /** Every dated value of every setting, by key and date. */
  settings(q: Q): Promise<SettingRow[]> {
    return q.selectFrom('risk_setting').selectAll().orderBy('key').orderBy('valid_from').execute();
  },

  async settingStartsOn(tx: Tx, key: string, validFrom: string): Promise<boolean> {
    return (await tx.selectFrom('risk_setting').select('id').where('key', '=', key).where('valid_from', '=', validFrom).executeTakeFirst()) !== undefined;
  },

  /** The value of the key in force on the day before validFrom (open-ended or running past it), locked. */
  settingInForceBefore(tx: Tx, key: string, validFrom: string): Promise<SettingRow | undefined> {
    return tx
      .selectFrom('risk_setting')
      .selectAll()
      .where('key', '=', key)
      .where('valid_from', '<', validFrom)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', validFrom)]))
      .orderBy('valid_from', 'desc')
      .forUpdate()
      .executeTakeFirst();
  },

  /** The first start of the key's values after validFrom. */
  async nextSettingStart(tx: Tx, key: string, validFrom: string): Promise<string | undefined> {
    const later = await tx.selectFrom('risk_setting').select('valid_from').where('key', '=', key).where('valid_from', '>', validFrom).orderBy('valid_from').executeTakeFirst();
    return later?.valid_from;
  },

  async endSetting(tx: Tx, id: number, validTo: string): Promise<void> {
    await tx.updateTable('risk_setting').set({ valid_to: validTo }).where('id', '=', id).execute();
  },

  insertSetting(tx: Tx, row: Insert<'risk_setting'>): Promise<SettingRow> {
    return tx.insertInto('risk_setting').values(row).returningAll().executeTakeFirstOrThrow();
  },

  // --- models ---------------------------------------------------------------------------------

  async lastModelVersion(tx: Tx): Promise<number> {
    const last = await tx
      .selectFrom('risk_model')
      .select((eb) => eb.fn.max('version').as('version'))
      .executeTakeFirst();
    return Number(last?.version ?? 0);
  },

  async insertModel(tx: Tx, row: Insert<'risk_model'>): Promise<void> {
    await tx.insertInto('risk_model').values(row).execute();
  },

  model(q: Q, id: string, options: { forUpdate?: boolean } = {}): Promise<ModelRow | undefined> {
    return forUpdateIf(q.selectFrom('risk_model').selectAll().where('id', '=', id), options.forUpdate ?? false).executeTakeFirst();
  },

  async modelThresholds(q: Q, id: string): Promise<unknown> {
    return (await q.selectFrom('risk_model').select('thresholds').where('id', '=', id).executeTakeFirst())?.thresholds;
  },

  /** Which model scores lodgements, and its cut-offs: a cheap query, without the model itself. */
  activeModel(q: Q, options: { forUpdate?: boolean } = {}): Promise<Pick<ModelRow, 'id' | 'version' | 'thresholds'> | undefined> {
    return forUpdateIf(q.selectFrom('risk_model').select(['id', 'version', 'thresholds']).where('active', '=', true), options.forUpdate ?? false).executeTakeFirst();
  },

  async modelJson(q: Q, id: string): Promise<unknown> {
    return (await q.selectFrom('risk_model').select('model').where('id', '=', id).executeTakeFirstOrThrow()).model;
  },

  async deactivateModel(tx: Tx, id: string): Promise<void> {
    await tx.updateTable('risk_model').set({ active: false }).where('id', '=', id).execute();
  },

  activateModel(tx: Tx, id: string, at: Date): Promise<ModelRow> {
    return tx.updateTable('risk_model').set({ active: true, activated_at: at }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  },

  setModelThresholds(tx: Tx, id: string, thresholds: unknown): Promise<ModelRow> {
    return tx
      .updateTable('risk_model')
      .set({ thresholds: JSON.stringify(thresholds) })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Every model without its (large) trees, newest first. */
  models(q: Q): Promise<ModelSummary[]> {
    return q.selectFrom('risk_model').select(['id', 'version', 'created_at', 'created_by', 'trained_on', 'metrics', 'active', 'activated_at', 'thresholds']).orderBy('version', 'desc').execute();
  },
};

export type RiskRepository = typeof riskRepository;
