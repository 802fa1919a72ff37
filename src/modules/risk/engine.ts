// The risk engine: the channel of a declaration at lodgement, and why.
//
//   1. prohibited and restricted goods                     -> red, always (AEO or not, never random)
//      the consignment's earlier declarations (same B/L, or the same importer's same goods
//      cancelled or rejected within consignment.inheritDays) -> their highest channel
//   2. the analysts' rules, by priority                     -> the rule's channel
//   3. watchlists (importers, declarants, sellers, HS)      -> the list's channel (yellow or red)
//   4. valuation: a unit value below the usual range         -> yellow (setting)
//   5. the learned model's score against cut-offs set as target inspection rates
//      (AEO importers: the rates times aeo.factor)          -> red / yellow
//   6. otherwise green: a cryptographic random draw at lodgement, recorded (AEO: rate times
//      aeo.factor)                                          -> yellow / red, marked random
//
// The declaration goes to the most demanding channel any step asks for (red > yellow > blue >
// green); every hit is recorded (rule id and version, list entry, valuation figures, model
// version and score) so monitoring can tell what each rule and model catches. Rules, lists and
// settings are cached (snapshotSeconds, refreshed at once after a change in this process); the
// active model is parsed once and kept in memory. The flows other modules start are in flows/:
// the selection at lodgement (select-at-lodgement.ts) and the inspection outcome
// (record-outcome.ts); risk.repository.ts is the module's only SQL.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { Clock } from '#platform/clock.ts';
import type { AssignOptions, Channel, DeclarationForRisk, PriorDeclaration, Selectivity, SelectivityResult } from './selectivity.ts';
import {
  channelRank,
  compileProhibited,
  compileRule,
  compileWatchlist,
  matchProhibited,
  matchRule,
  matchWatchlist,
  type CompiledProhibited,
  type CompiledRule,
  type CompiledWatchlist,
} from './rules.ts';
import { settingsOn, type RiskSettings } from './risk.settings.ts';
import type { SettingRow } from './risk.tables.ts';
import { ValuationReferences, type ValuationFlag } from './valuation.ts';
import { ActiveModelCache, type ActiveModel } from './model-store.ts';
import { cutoffsFor } from './thresholds.ts';
import { riskInputs } from './risk-input.ts';
import { riskRepository as repo } from './risk.repository.ts';
import { recordDecision, selectAtLodgement } from './flows/select-at-lodgement.ts';
import { cryptoDraw, randomSelection, type Draw, type RandomSelection } from './random.ts';

type Q = Kysely<DB>;

export type Source = 'prohibited' | 'consignment' | 'rule' | 'watchlist' | 'valuation' | 'model' | 'random';

export interface RuleHitRecord {
  id: string;
  version: number;
  code: string;
  channel: Channel;
  items: number[];
}

export interface WatchlistHitRecord {
  id: string;
  code: string;
  entryId: string;
  value: string;
  channel: Channel;
  items: number[];
}

export interface ProhibitedHitRecord {
  id: string;
  hsPrefix: string;
  items: number[];
}

export interface Decision {
  channel: Channel;
  score: number | null;
  model: {
    id: string;
    version: number;
    cutoffs: { red: number | null; yellow: number | null };
    item: number;
  } | null;
  rules: RuleHitRecord[];
  watchlists: WatchlistHitRecord[];
  prohibited: ProhibitedHitRecord[];
  valuation: ValuationFlag[];
  /** Earlier declarations of the consignment whose channel this one inherits. */
  consignment: PriorDeclaration[];
  random: boolean;
  /** The draw, when one was made (otherwise green): selection < rate selects, channel < redShare makes it red. */
  draw: RandomSelection['draw'] | null;
  aeo: boolean;
  selectedBy: Source[];
  reasons: string[];
  version: string;
}

interface Ask {
  source: Source;
  channel: Channel;
  lines: string[];
}

interface Snapshot {
  rules: CompiledRule[];
  watchlists: CompiledWatchlist[];
  prohibited: CompiledProhibited[];
  settings: SettingRow[];
  /** Settings in force per date, worked out once per snapshot. */
  settingsByDate: Map<string, RiskSettings>;
  loadedAt: number;
}

export interface RiskEngineDeps {
  db: Q;
  clock: Clock;
  /** How long rules, lists and settings are reused before they are read again. */
  snapshotSeconds?: number;
  /** How often the engine asks which model is active. */
  modelCheckSeconds?: number;
  /** Names organisations in explanations (the model knows declarants by id). */
  organisationName?: (q: Q, id: string) => Promise<string | undefined>;
  /** The random draw: cryptographic by default; tests pass a seeded one. */
  draw?: Draw;
}

const sourceOrder: Source[] = ['prohibited', 'consignment', 'rule', 'watchlist', 'valuation', 'model', 'random'];
const itemsText = (items: number[], all: number): string => (items.length === 0 || items.length === all ? '' : ` (item${items.length > 1 ? 's' : ''} ${items.join(', ')})`);
const pct = (x: number): string => `${Number((x * 100).toPrecision(3))}%`;
const score3 = (x: number): string => x.toFixed(3);

async function loadSnapshot(q: Q, now: number): Promise<Snapshot> {
  const { rules, watchlists: lists, entries, prohibited, settings } = await repo.engineData(q);
  return {
    rules: rules.map(compileRule).sort((a, b) => a.priority - b.priority || (a.code < b.code ? -1 : 1)),
    watchlists: lists.map((l) =>
      compileWatchlist(
        l,
        entries.filter((e) => e.watchlist_id === l.id),
      ),
    ),
    prohibited: prohibited.map(compileProhibited),
    settings,
    settingsByDate: new Map(),
    loadedAt: now,
  };
}

export function riskEngine(deps: RiskEngineDeps) {
  const snapshotMs = (deps.snapshotSeconds ?? 30) * 1000;
  const valuation = new ValuationReferences();
  const models = new ActiveModelCache(deps.modelCheckSeconds ?? 30);
  const names = new Map<string, string>();
  const drawNumbers = deps.draw ?? cryptoDraw;
  let snapshot: Snapshot | null = null;
  let stale = true;

  async function rulesSnapshot(q: Q | undefined, now: number): Promise<Snapshot> {
    if (q && (stale || !snapshot || now - snapshot.loadedAt > snapshotMs)) {
      snapshot = await loadSnapshot(q, now);
      stale = false;
    }
    return (
      snapshot ?? {
        rules: [],
        watchlists: [],
        prohibited: [],
        settings: [],
        settingsByDate: new Map(),
        loadedAt: now,
      }
    );
  }

  async function nameOf(q: Q | undefined, id: string): Promise<string | undefined> {
    const known = names.get(id);
    if (known !== undefined || !q || !deps.organisationName) {
      return known;
    }
    const name = await deps.organisationName(q, id);
    if (name !== undefined) {
      names.set(id, name);
    }
    return name;
  }

  /**
   * Selection follows the consignment: a declaration on a transport document that an earlier
   * declaration already took to a channel inherits it (cancelled, rejected or live), and so does
   * the same importer's same goods declared again after a cancellation or rejection, within the
   * setting's days. Cancelling a red declaration and lodging it again gains nothing.
   */
  function inherited(d: DeclarationForRisk, settings: RiskSettings, decision: Decision, asks: Ask[]): void {
    const since = Date.parse(`${d.date}T00:00:00Z`) - settings['consignment.inheritDays'] * 86_400_000;
    const followed = (d.consignment ?? []).filter((p) => p.channel !== 'green' && (p.relation === 'same_document' || Date.parse(p.at) >= since));
    for (const prior of followed) {
      decision.consignment.push(prior);
      const on = prior.relation === 'same_document' ? `on the same transport document ${d.transportDocumentNumber}` : 'for the same goods of the same importer';
      asks.push({
        source: 'consignment',
        channel: prior.channel,
        lines: [`channel ${prior.channel} of declaration ${prior.reference} (${prior.status}) ${on}: selection follows the consignment`],
      });
    }
  }

  function hardRules(d: DeclarationForRisk, snap: Snapshot, decision: Decision, asks: Ask[]): void {
    const all = d.items.length;
    for (const goods of snap.prohibited) {
      const items = matchProhibited(goods, d);
      if (items) {
        decision.prohibited.push({
          id: goods.id,
          hsPrefix: goods.prefix,
          items,
        });
        asks.push({
          source: 'prohibited',
          channel: 'red',
          lines: [`prohibited or restricted goods, HS ${goods.prefix}${itemsText(items, all)}: ${goods.reason}`],
        });
      }
    }
    for (const rule of snap.rules) {
      const items = matchRule(rule, d);
      if (items) {
        decision.rules.push({
          id: rule.id,
          version: rule.version,
          code: rule.code,
          channel: rule.channel,
          items,
        });
        asks.push({
          source: 'rule',
          channel: rule.channel,
          lines: [`rule ${rule.code} v${rule.version} "${rule.name}"${itemsText(items, all)}: ${rule.reason}`],
        });
      }
    }
    for (const list of snap.watchlists) {
      for (const hit of matchWatchlist(list, d)) {
        decision.watchlists.push({
          id: list.id,
          code: list.code,
          entryId: hit.entryId,
          value: hit.value,
          channel: list.channel,
          items: hit.items,
        });
        asks.push({
          source: 'watchlist',
          channel: list.channel,
          lines: [`watchlist ${list.code} "${list.name}" (${list.kind} ${hit.value})${itemsText(hit.items, all)}: ${list.reason}`],
        });
      }
    }
  }

  async function modelStep(q: Q | undefined, d: DeclarationForRisk, active: ActiveModel, settings: RiskSettings, decision: Decision, asks: Ask[]): Promise<void> {
    const inputs = riskInputs(d);
    let best = -1;
    let score = Number.NEGATIVE_INFINITY;
    inputs.forEach((input, i) => {
      const s = active.model.score(input);
      if (s > score) {
        score = s;
        best = i;
      }
    });
    if (best < 0 || !Number.isFinite(score)) {
      return;
    }
    const factor = d.importerAeo ? settings['aeo.factor'] : 1;
    const cut = cutoffsFor(active.thresholds.sample, active.thresholds.targetRates, factor);
    const itemNo = d.items[best]?.itemNo ?? best + 1;
    decision.score = score;
    decision.model = {
      id: active.id,
      version: active.version,
      cutoffs: {
        red: Number.isFinite(cut.red) ? cut.red : null,
        yellow: Number.isFinite(cut.yellow) ? cut.yellow : null,
      },
      item: itemNo,
    };
    const channel: Channel | null = score >= cut.red ? 'red' : score >= cut.yellow ? 'yellow' : null;
    if (channel === null) {
      return;
    }
    const rate = channel === 'red' ? active.thresholds.targetRates.red * factor : (active.thresholds.targetRates.red + active.thresholds.targetRates.yellow) * factor;
    const lines = [
      `risk model v${active.version}: score ${score3(score)} of item ${itemNo} is in the top ${pct(rate)} of declarations (${channel} cut-off ${score3(channel === 'red' ? cut.red : cut.yellow)}${d.importerAeo ? `, AEO rate x${settings['aeo.factor']}` : ''})`,
    ];
    const explained = active.model.explain(inputs[best]!, settings['model.explain'], { direction: 'raise' });
    for (const reason of explained) {
      lines.push(await readable(q, d, reason.text));
    }
    asks.push({ source: 'model', channel, lines });
  }

  /** Puts names on the organisation ids the model knows parties by. */
  async function readable(q: Q | undefined, d: DeclarationForRisk, text: string): Promise<string> {
    let out = text;
    for (const id of [d.declarantOrgId, d.importerOrgId]) {
      if (out.includes(id)) {
        const name = await nameOf(q, id);
        if (name) {
          out = out.split(id).join(name);
        }
      }
    }
    return out;
  }

  function finish(d: DeclarationForRisk, settings: RiskSettings, decision: Decision, asks: Ask[], active: ActiveModel | null): Decision {
    let channel: Channel = 'green';
    for (const ask of asks) {
      if (channelRank[ask.channel] > channelRank[channel]) {
        channel = ask.channel;
      }
    }
    if (channel === 'green') {
      const draw = randomSelection({
        draw: drawNumbers(),
        rate: settings['random.rate'],
        redShare: settings['random.redShare'],
        factor: d.importerAeo ? settings['aeo.factor'] : 1,
      });
      decision.draw = draw.draw;
      if (draw.selected && draw.channel) {
        channel = draw.channel;
        decision.random = true;
        asks.push({
          source: 'random',
          channel,
          lines: [`selected at random (${pct(draw.rate)} of otherwise-green declarations${d.importerAeo ? ', AEO rate' : ''}): an unbiased sample that keeps the risk model honest`],
        });
      }
    }
    decision.channel = channel;
    decision.selectedBy = sourceOrder.filter((s) => asks.some((a) => a.source === s && a.channel === channel));
    // What asked for the final channel first, then the other hits; prohibited goods are never cut.
    const ordered = [...asks.filter((a) => a.channel === channel), ...asks.filter((a) => a.channel !== channel)];
    const max = settings['reasons.max'];
    const reasons: string[] = [];
    for (const ask of ordered) {
      for (const line of ask.lines) {
        if (reasons.length < max || ask.source === 'prohibited') {
          reasons.push(line);
        }
      }
    }
    if (asks.length === 0) {
      const m = decision.model;
      reasons.push(
        m && decision.score !== null
          ? `no rule, watchlist or valuation flag; risk model v${m.version} score ${score3(decision.score)} below the yellow cut-off${m.cutoffs.yellow === null ? '' : ` ${score3(m.cutoffs.yellow)}`}`
          : 'no rule, watchlist or valuation flag; no risk model is active',
      );
    }
    decision.reasons = reasons;
    const ruleVersions = decision.rules.map((r) => `${r.code} v${r.version}`);
    decision.version = [
      active ? `model v${active.version}` : 'no model',
      ruleVersions.length > 0 ? `rules ${ruleVersions.slice(0, 5).join(', ')}${ruleVersions.length > 5 ? ', ...' : ''}` : 'no rule hit',
    ].join('; ');
    return decision;
  }

  const engine = {
    valuation,
    models,

    /** Decides without recording anything. Reads through q when given, else uses the caches only. */
    async evaluate(d: DeclarationForRisk, q?: Q): Promise<Decision> {
      const now = deps.clock.now().getTime();
      const snap = await rulesSnapshot(q, now);
      let settings = snap.settingsByDate.get(d.date);
      if (!settings) {
        settings = settingsOn(snap.settings, d.date);
        snap.settingsByDate.set(d.date, settings);
      }
      const decision: Decision = {
        channel: 'green',
        score: null,
        model: null,
        rules: [],
        watchlists: [],
        prohibited: [],
        valuation: [],
        consignment: [],
        random: false,
        draw: null,
        aeo: d.importerAeo,
        selectedBy: [],
        reasons: [],
        version: '',
      };
      const asks: Ask[] = [];
      inherited(d, settings, decision, asks);
      hardRules(d, snap, decision, asks);
      decision.valuation = await valuation.check(
        q,
        d,
        {
          percentile: settings['valuation.percentile'],
          minEntries: settings['valuation.minEntries'],
          ttlSeconds: settings['valuation.cacheSeconds'],
          windowDays: settings['valuation.windowDays'],
          windowEntries: settings['valuation.windowEntries'],
        },
        now,
      );
      for (const flag of decision.valuation) {
        asks.push({
          source: 'valuation',
          channel: settings['valuation.channel'],
          lines: [`valuation: ${flag.reason}`],
        });
      }
      const active = await models.get(q, now);
      if (active) {
        await modelStep(q, d, active, settings, decision, asks);
      }
      return finish(d, settings, decision, asks, active);
    },

    /** Selectivity.assign: decides and, inside the lodgement's transaction, records the decision (flows/select-at-lodgement.ts). */
    async assign(d: DeclarationForRisk, tx?: Tx, options?: AssignOptions): Promise<SelectivityResult> {
      return selectAtLodgement({ clock: deps.clock, engine }, d, tx, options);
    },

    /** Stores the decision; an earlier decision on the same declaration (before an amendment) is superseded. */
    async record(tx: Tx, d: DeclarationForRisk, decision: Decision): Promise<string> {
      return recordDecision(deps.clock, tx, d, decision);
    },

    /** Re-reads rules, lists, settings and the active model (call it outside any transaction). */
    async refresh(): Promise<void> {
      stale = true;
      models.invalidate();
      const now = deps.clock.now().getTime();
      await rulesSnapshot(deps.db, now);
      await models.get(deps.db, now);
    },

    /** Marks the cached rules and model out of date: the next decision with a transaction reads them again. */
    invalidate(): void {
      stale = true;
      models.invalidate();
    },
  };
  return engine satisfies Selectivity;
}

export type RiskEngine = ReturnType<typeof riskEngine>;
