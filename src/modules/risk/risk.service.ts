// What risk analysts manage: rules (every change a new version, the old ones kept), watchlists
// and their dated entries, prohibited goods and the engine's dated settings. Every change is
// audited in its transaction and makes the engine re-read its snapshot.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { Clock } from '#platform/clock.ts';
import { addDays, localDate } from '#platform/clock.ts';
import { newId, nextSerial } from '#platform/ids.ts';
import { conflict, FieldErrors, notFound } from '#platform/http/problem.ts';
import { parseDecimal } from '#platform/money.ts';
import { recordAudit, type Actor, type AuditEntry } from '#modules/audit/index.ts';
import type { RuleCriteria } from './rules.ts';
import { criterionKeys, digits } from './rules.ts';
import type { CriteriaBody, EndBody, EntryBody, ProhibitedBody, RuleBody, RuleChangeBody, SettingBody, WatchlistBody, WatchlistChangeBody } from './risk.schemas.ts';
import type { ProhibitedRow, RuleRow, SettingRow, WatchlistEntryRow, WatchlistKind, WatchlistRow } from './risk.tables.ts';
import { isSettingKey, parseSetting, settingKeys, settingsOn } from './risk.settings.ts';
import { riskRepository as repo } from './risk.repository.ts';
import type { RiskEngine } from './engine.ts';

type Q = Kysely<DB>;

export interface Caller {
  actor: Actor;
  requestId: string | null;
}

export interface RiskReferenceSets {
  countries: Set<string>;
  offices: Set<string>;
  procedureCodes: Map<string, unknown>;
}

export interface RiskPartiesPort {
  organisation(q: Q, id: string): Promise<{ id: string; code: string; name: string } | undefined>;
  organisationByCode(q: Q, code: string): Promise<{ id: string; code: string; name: string } | undefined>;
}

export interface RiskServiceDeps {
  clock: Clock;
  engine: RiskEngine;
  parties: RiskPartiesPort;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const pinPattern = /^[A-Z]\d{9}[A-Z]$/;

export function ruleView(r: RuleRow) {
  return {
    id: r.id,
    version: r.version,
    code: r.code,
    name: r.name,
    reason: r.reason,
    channel: r.channel,
    priority: r.priority,
    offices: r.offices,
    criteria: r.criteria as RuleCriteria,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    active: r.active,
    current: r.superseded_at === null,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    changeReason: r.change_reason,
    supersededAt: r.superseded_at ? r.superseded_at.toISOString() : null,
  };
}

const watchlistView = (w: WatchlistRow, entries: WatchlistEntryRow[], today: string) => ({
  id: w.id,
  code: w.code,
  name: w.name,
  kind: w.kind,
  channel: w.channel,
  reason: w.reason,
  active: w.active,
  createdAt: w.created_at.toISOString(),
  createdBy: w.created_by,
  updatedAt: w.updated_at.toISOString(),
  entries: entries.map((e) => entryView(e, today)),
});

const status = (from: string, to: string | null, today: string): 'in_force' | 'not_yet_in_force' | 'expired' =>
  from > today ? 'not_yet_in_force' : to !== null && to < today ? 'expired' : 'in_force';

const entryView = (e: WatchlistEntryRow, today: string) => ({
  id: e.id,
  value: e.value,
  note: e.note,
  validFrom: e.valid_from,
  validTo: e.valid_to,
  status: status(e.valid_from, e.valid_to, today),
  createdAt: e.created_at.toISOString(),
  createdBy: e.created_by,
});

const prohibitedView = (p: ProhibitedRow, today: string) => ({
  id: p.id,
  hsPrefix: p.hs_prefix,
  reason: p.reason,
  validFrom: p.valid_from,
  validTo: p.valid_to,
  status: status(p.valid_from, p.valid_to, today),
  createdAt: p.created_at.toISOString(),
  createdBy: p.created_by,
});

const settingView = (s: SettingRow) => ({
  key: s.key,
  value: s.value,
  validFrom: s.valid_from,
  validTo: s.valid_to,
  note: s.note,
  createdAt: s.created_at.toISOString(),
  createdBy: s.created_by,
});

function checkPeriod(errors: FieldErrors, validFrom: string, validTo: string | null | undefined): void {
  if (validTo !== undefined && validTo !== null && validTo < validFrom) {
    errors.add('/validTo', 'before_valid_from', `must be on or after validFrom (${validFrom})`);
  }
}

export function riskService(deps: RiskServiceDeps) {
  const { clock, engine, parties } = deps;
  const today = () => localDate(clock.now());

  /** Every analyst change: its audit record, by the caller, in the change's transaction; then the engine reads the new state. */
  async function recorded(tx: Tx, caller: Caller, entry: Omit<AuditEntry, 'actor' | 'requestId'>): Promise<void> {
    await recordAudit(tx, { ...entry, actor: caller.actor, requestId: caller.requestId });
    engine.invalidate();
  }

  /** An organisation given by id, code or (importers) KRA PIN, as the engine will compare it. */
  async function party(q: Q, errors: FieldErrors, pointer: string, value: string, allowPin: boolean): Promise<string> {
    const v = value.trim();
    if (allowPin && pinPattern.test(v.toUpperCase())) {
      return v.toUpperCase();
    }
    if (uuidPattern.test(v)) {
      if (!(await parties.organisation(q, v.toLowerCase()))) {
        errors.add(pointer, 'unknown_organisation', `no organisation has the id ${v}`);
      }
      return v.toLowerCase();
    }
    const org = await parties.organisationByCode(q, v);
    if (!org) {
      errors.add(pointer, 'unknown_organisation', `${v} is not ${allowPin ? 'a KRA PIN (e.g. P051234567A), ' : ''}an organisation id or a known organisation code (e.g. SIGINON)`);
      return v;
    }
    return org.id;
  }

  function checkCountries(errors: FieldErrors, sets: RiskReferenceSets, pointer: string, list: string[] | undefined): string[] | undefined {
    if (!list) {
      return undefined;
    }
    return list.map((c, i) => {
      const code = c.trim().toUpperCase();
      if (!sets.countries.has(code)) {
        errors.add(`${pointer}/${i}`, 'unknown_country', `${c} is not an ISO 3166 alpha-2 country code, e.g. CN`);
      }
      return code;
    });
  }

  function checkBand(errors: FieldErrors, pointer: string, band: { below?: string; above?: string } | undefined): { below?: string; above?: string } | undefined {
    if (!band) {
      return undefined;
    }
    if (band.below === undefined && band.above === undefined) {
      errors.add(pointer, 'empty_band', 'give below, above or both (KES of customs value)');
      return band;
    }
    if (band.below !== undefined && band.above !== undefined && !parseDecimal(band.above)!.lessThan(parseDecimal(band.below)!)) {
      errors.add(`${pointer}/above`, 'empty_range', `above ${band.above} and below ${band.below} can never both hold: above must be less than below`);
    }
    return band;
  }

  /** Checks the criteria against reference data; organisation codes become ids. */
  async function checkCriteria(q: Q, errors: FieldErrors, sets: RiskReferenceSets, c: CriteriaBody): Promise<RuleCriteria> {
    const given = criterionKeys.filter((k) => c[k] !== undefined);
    if (given.length === 0) {
      errors.add('/criteria', 'no_criteria', `give at least one criterion: ${criterionKeys.join(', ')}`);
    }
    const out: RuleCriteria = {};
    if (c.hsCodes) {
      out.hsCodes = c.hsCodes.map((h, i) => {
        const d = digits(h);
        if (d.length < 2 || d.length > 10) {
          errors.add(`/criteria/hsCodes/${i}`, 'hs_prefix', `${h}: an HS code or prefix has 2 to 10 digits, e.g. 6109 or 8703.23`);
        }
        return d;
      });
    }
    const origins = checkCountries(errors, sets, '/criteria/originCountries', c.originCountries);
    if (origins) {
      out.originCountries = origins;
    }
    const departures = checkCountries(errors, sets, '/criteria/departureCountries', c.departureCountries);
    if (departures) {
      out.departureCountries = departures;
    }
    if (c.importers) {
      out.importers = [];
      for (const [i, v] of c.importers.entries()) {
        out.importers.push(await party(q, errors, `/criteria/importers/${i}`, v, true));
      }
    }
    if (c.declarants) {
      out.declarants = [];
      for (const [i, v] of c.declarants.entries()) {
        out.declarants.push(await party(q, errors, `/criteria/declarants/${i}`, v, false));
      }
    }
    if (c.sellers) {
      out.sellers = c.sellers.map((s) => s.trim());
    }
    if (c.offices) {
      out.offices = c.offices.map((o, i) => {
        const code = o.trim().toUpperCase();
        if (!sets.offices.has(code)) {
          errors.add(`/criteria/offices/${i}`, 'unknown_office', `${o} is not a customs office code, e.g. MBA`);
        }
        return code;
      });
    }
    if (c.procedureCodes) {
      out.procedureCodes = c.procedureCodes.map((p, i) => {
        if (!sets.procedureCodes.has(p)) {
          errors.add(`/criteria/procedureCodes/${i}`, 'unknown_cpc', `${p} is not a procedure code in the reference list, e.g. 4000000`);
        }
        return p;
      });
    }
    if (c.transportModes) {
      out.transportModes = c.transportModes;
    }
    const perKg = checkBand(errors, '/criteria/valuePerKg', c.valuePerKg);
    if (perKg) {
      out.valuePerKg = perKg;
    }
    const perUnit = checkBand(errors, '/criteria/valuePerUnit', c.valuePerUnit);
    if (perUnit) {
      out.valuePerUnit = perUnit;
    }
    return out;
  }

  /** The columns of a rule version from its body, checked (a new rule and a changed one alike). */
  async function checkedRule(q: Q, sets: RiskReferenceSets, body: RuleBody) {
    const errors = new FieldErrors();
    checkPeriod(errors, body.validFrom, body.validTo);
    const offices = (body.offices ?? []).map((o, i) => {
      const code = o.trim().toUpperCase();
      if (!sets.offices.has(code)) {
        errors.add(`/offices/${i}`, 'unknown_office', `${o} is not a customs office code, e.g. MBA`);
      }
      return code;
    });
    const criteria = await checkCriteria(q, errors, sets, body.criteria);
    errors.throwIfAny();
    return {
      name: body.name.trim(),
      reason: body.reason.trim(),
      channel: body.channel,
      priority: body.priority,
      offices: [...new Set(offices)],
      criteria: JSON.stringify(criteria),
      valid_from: body.validFrom,
      valid_to: body.validTo ?? null,
      active: body.active ?? true,
      change_reason: body.changeReason ?? null,
    };
  }

  async function currentRule(q: Q, id: string, forUpdate = false): Promise<RuleRow> {
    const row = await repo.currentRule(q, id, { forUpdate });
    if (!row) {
      throw notFound(`Risk rule ${id}`);
    }
    return row;
  }

  async function watchlist(q: Q, id: string, forUpdate = false): Promise<WatchlistRow> {
    const row = await repo.watchlist(q, id, { forUpdate });
    if (!row) {
      throw notFound(`Watchlist ${id}`);
    }
    return row;
  }

  async function watchlistWithEntries(q: Q, list: WatchlistRow) {
    const entries = await repo.entriesOf(q, list.id);
    return watchlistView(list, entries, today());
  }

  async function entryValue(q: Q, errors: FieldErrors, kind: WatchlistKind, value: string): Promise<string> {
    switch (kind) {
      case 'importer':
        return party(q, errors, '/value', value, true);
      case 'declarant':
        return party(q, errors, '/value', value, false);
      case 'seller':
        return value.trim().replace(/\s+/g, ' ');
      case 'hs': {
        const d = digits(value);
        if (d.length < 2 || d.length > 10) {
          errors.add('/value', 'hs_prefix', 'an HS code or prefix has 2 to 10 digits, e.g. 6109');
        }
        return d;
      }
    }
  }

  const service = {
    today,

    async listRules(q: Q, options: { includeInactive?: boolean }) {
      return (await repo.currentRules(q, options)).map(ruleView);
    },

    async rule(q: Q, id: string) {
      const versions = await repo.ruleVersions(q, id);
      const current = versions.find((v) => v.superseded_at === null);
      if (!current) {
        throw notFound(`Risk rule ${id}`);
      }
      return { ...ruleView(current), versions: versions.map(ruleView) };
    },

    async ruleVersion(q: Q, id: string, version: number) {
      const row = await repo.ruleVersion(q, id, version);
      if (!row) {
        throw notFound(`Version ${version} of risk rule ${id}`);
      }
      return ruleView(row);
    },

    async createRule(tx: Tx, caller: Caller, sets: RiskReferenceSets, body: RuleBody) {
      const checked = await checkedRule(tx, sets, body);
      const id = newId();
      const code = `R${String(await nextSerial(tx, 'risk_rule')).padStart(4, '0')}`;
      const row = await repo.insertRule(tx, {
        id,
        version: 1,
        code,
        ...checked,
        created_at: clock.now(),
        created_by: caller.actor.name,
      });
      const view = ruleView(row);
      await recorded(tx, caller, {
        action: 'risk.rule_created',
        entityType: 'risk_rule',
        entityId: id,
        subjects: [`risk-rule-${code}`],
        after: view,
        reason: body.changeReason ?? null,
        at: clock.now(),
      });
      return view;
    },

    /** A change is a new version; the old one is kept (superseded) so past selections still name it. */
    async changeRule(tx: Tx, caller: Caller, sets: RiskReferenceSets, id: string, body: RuleChangeBody) {
      const before = await currentRule(tx, id, true);
      if (body.expectedVersion !== undefined && body.expectedVersion !== before.version) {
        throw conflict(`You changed version ${body.expectedVersion} of rule ${before.code} but version ${before.version} is current; reload it and try again`, { version: before.version });
      }
      const checked = await checkedRule(tx, sets, body);
      const now = clock.now();
      await repo.supersedeRule(tx, id, before.version, now);
      const row = await repo.insertRule(tx, {
        id,
        version: before.version + 1,
        code: before.code,
        ...checked,
        created_at: now,
        created_by: caller.actor.name,
      });
      const view = ruleView(row);
      await recorded(tx, caller, {
        action: 'risk.rule_changed',
        entityType: 'risk_rule',
        entityId: id,
        subjects: [`risk-rule-${before.code}`],
        before: ruleView(before),
        after: view,
        reason: body.changeReason ?? null,
        at: now,
      });
      return view;
    },

    async listWatchlists(q: Q) {
      const lists = await repo.watchlists(q);
      const out = [];
      for (const list of lists) {
        out.push(await watchlistWithEntries(q, list));
      }
      return out;
    },

    async watchlist(q: Q, id: string) {
      return watchlistWithEntries(q, await watchlist(q, id));
    },

    async createWatchlist(tx: Tx, caller: Caller, body: WatchlistBody) {
      const id = newId();
      const code = `WL${String(await nextSerial(tx, 'risk_watchlist')).padStart(4, '0')}`;
      const now = clock.now();
      const row = await repo.insertWatchlist(tx, {
        id,
        code,
        name: body.name.trim(),
        kind: body.kind,
        channel: body.channel ?? 'yellow',
        reason: body.reason.trim(),
        active: body.active ?? true,
        created_at: now,
        created_by: caller.actor.name,
        updated_at: now,
      });
      const view = watchlistView(row, [], today());
      await recorded(tx, caller, {
        action: 'risk.watchlist_created',
        entityType: 'risk_watchlist',
        entityId: id,
        subjects: [`risk-watchlist-${code}`],
        after: view,
        at: now,
      });
      return view;
    },

    async changeWatchlist(tx: Tx, caller: Caller, id: string, body: WatchlistChangeBody) {
      const before = await watchlist(tx, id, true);
      const now = clock.now();
      const row = await repo.updateWatchlist(tx, id, {
        ...(body.name === undefined ? {} : { name: body.name.trim() }),
        ...(body.channel === undefined ? {} : { channel: body.channel }),
        ...(body.reason === undefined ? {} : { reason: body.reason.trim() }),
        ...(body.active === undefined ? {} : { active: body.active }),
        updated_at: now,
      });
      const pick = (w: WatchlistRow) => ({
        name: w.name,
        channel: w.channel,
        reason: w.reason,
        active: w.active,
      });
      await recorded(tx, caller, {
        action: 'risk.watchlist_changed',
        entityType: 'risk_watchlist',
        entityId: id,
        subjects: [`risk-watchlist-${row.code}`],
        before: pick(before),
        after: pick(row),
        at: now,
      });
      return watchlistWithEntries(tx, row);
    },

    async addEntry(tx: Tx, caller: Caller, id: string, body: EntryBody) {
      const list = await watchlist(tx, id, true);
      const errors = new FieldErrors();
      checkPeriod(errors, body.validFrom, body.validTo);
      const value = await entryValue(tx, errors, list.kind, body.value);
      errors.throwIfAny();
      const now = clock.now();
      const entry = await repo.insertEntry(tx, {
        id: newId(),
        watchlist_id: id,
        value,
        note: body.note ?? null,
        valid_from: body.validFrom,
        valid_to: body.validTo ?? null,
        created_at: now,
        created_by: caller.actor.name,
      });
      const view = entryView(entry, today());
      await recorded(tx, caller, {
        action: 'risk.watchlist_entry_added',
        entityType: 'risk_watchlist',
        entityId: id,
        subjects: [`risk-watchlist-${list.code}`],
        after: view,
        reason: body.note ?? null,
        at: now,
      });
      return view;
    },

    async endEntry(tx: Tx, caller: Caller, id: string, entryId: string, body: EndBody) {
      const list = await watchlist(tx, id, true);
      const entry = await repo.entry(tx, id, entryId);
      if (!entry) {
        throw notFound(`Entry ${entryId} of watchlist ${list.code}`);
      }
      const errors = new FieldErrors();
      checkPeriod(errors, entry.valid_from, body.validTo);
      errors.throwIfAny();
      const ended = await repo.endEntry(tx, entryId, body.validTo);
      const view = entryView(ended, today());
      await recorded(tx, caller, {
        action: 'risk.watchlist_entry_ended',
        entityType: 'risk_watchlist',
        entityId: id,
        subjects: [`risk-watchlist-${list.code}`],
        before: entryView(entry, today()),
        after: view,
        reason: body.reason ?? null,
        at: clock.now(),
      });
      return view;
    },

    async listProhibited(q: Q) {
      const rows = await repo.prohibitedGoods(q);
      return rows.map((r) => prohibitedView(r, today()));
    },

    async addProhibited(tx: Tx, caller: Caller, body: ProhibitedBody) {
      const errors = new FieldErrors();
      const prefix = digits(body.hsPrefix);
      if (prefix.length < 2 || prefix.length > 10) {
        errors.add('/hsPrefix', 'hs_prefix', 'an HS prefix has 2 to 10 digits, e.g. 9302');
      }
      checkPeriod(errors, body.validFrom, body.validTo);
      errors.throwIfAny();
      const now = clock.now();
      const row = await repo.insertProhibited(tx, {
        id: newId(),
        hs_prefix: prefix,
        reason: body.reason.trim(),
        valid_from: body.validFrom,
        valid_to: body.validTo ?? null,
        created_at: now,
        created_by: caller.actor.name,
      });
      const view = prohibitedView(row, today());
      await recorded(tx, caller, {
        action: 'risk.prohibited_added',
        entityType: 'risk_prohibited_goods',
        entityId: row.id,
        subjects: [`hs-${prefix}`],
        after: view,
        at: now,
      });
      return view;
    },

    async endProhibited(tx: Tx, caller: Caller, id: string, body: EndBody) {
      const before = await repo.lockProhibited(tx, id);
      if (!before) {
        throw notFound(`Prohibited goods entry ${id}`);
      }
      const errors = new FieldErrors();
      checkPeriod(errors, before.valid_from, body.validTo);
      errors.throwIfAny();
      const row = await repo.endProhibited(tx, id, body.validTo);
      const view = prohibitedView(row, today());
      await recorded(tx, caller, {
        action: 'risk.prohibited_ended',
        entityType: 'risk_prohibited_goods',
        entityId: id,
        subjects: [`hs-${row.hs_prefix}`],
        before: prohibitedView(before, today()),
        after: view,
        reason: body.reason ?? null,
        at: clock.now(),
      });
      return view;
    },

    /** The settings in force on a date, and every dated value of each key. */
    async settings(q: Q, date: string) {
      const rows = await repo.settings(q);
      return {
        date,
        inForce: settingsOn(rows, date),
        history: rows.map(settingView),
        keys: settingKeys,
      };
    },

    /** A new dated value; the open-ended value before it now ends the day before. */
    async addSetting(tx: Tx, caller: Caller, body: SettingBody) {
      const errors = new FieldErrors();
      if (!isSettingKey(body.key)) {
        errors.add('/key', 'unknown_setting', `not a risk setting; one of ${settingKeys.join(', ')}`);
        errors.throwIfAny();
      }
      let value: unknown;
      try {
        value = parseSetting(body.key as (typeof settingKeys)[number], body.value);
      } catch (err) {
        errors.add('/value', 'invalid_setting', `${body.key} ${(err as Error).message}`);
      }
      errors.throwIfAny();
      if (await repo.settingStartsOn(tx, body.key, body.validFrom)) {
        throw conflict(`${body.key} already has a value from ${body.validFrom}; choose another date`);
      }
      const previous = await repo.settingInForceBefore(tx, body.key, body.validFrom);
      if (previous) {
        await repo.endSetting(tx, previous.id, addDays(body.validFrom, -1));
      }
      const later = await repo.nextSettingStart(tx, body.key, body.validFrom);
      const now = clock.now();
      const row = await repo.insertSetting(tx, {
        key: body.key,
        value: JSON.stringify(value),
        valid_from: body.validFrom,
        valid_to: later === undefined ? null : addDays(later, -1),
        note: body.note ?? null,
        created_at: now,
        created_by: caller.actor.name,
      });
      const view = settingView(row);
      await recorded(tx, caller, {
        action: 'risk.setting_added',
        entityType: 'risk_setting',
        entityId: String(row.id),
        subjects: [`risk-setting-${body.key}`],
        before: previous ? settingView(previous) : null,
        after: view,
        reason: body.note ?? null,
        at: now,
      });
      return view;
    },

    /** The engine's decision on a declaration (customs only), with its history after amendments. */
    async selection(q: Q, declarationId: string) {
      const rows = await repo.selectionsOf(q, declarationId);
      const current = rows.find((r) => r.superseded_at === null);
      if (!current) {
        throw notFound(`Risk selection of declaration ${declarationId}`);
      }
      const outcome = await repo.outcomeOf(q, declarationId);
      const view = (r: (typeof rows)[number]) => ({
        id: r.id,
        declarationId: r.declaration_id,
        reference: r.reference,
        decidedAt: r.decided_at.toISOString(),
        channel: r.channel,
        score: r.score,
        model: r.model_id ? { id: r.model_id, version: r.model_version } : null,
        rules: r.rules,
        watchlists: r.watchlists,
        prohibited: r.prohibited,
        valuation: r.valuation,
        random: r.random,
        randomDraw: r.random_draw,
        consignment: r.consignment,
        aeo: r.aeo,
        selectedBy: r.selected_by,
        reasons: r.reasons,
        supersededAt: r.superseded_at ? r.superseded_at.toISOString() : null,
      });
      return {
        ...view(current),
        outcome: outcome
          ? {
              inspected: outcome.inspected,
              discrepancy: outcome.discrepancy,
              extraRevenue: outcome.extra_revenue,
              findings: outcome.findings,
              officerId: outcome.officer_id,
              recordedAt: outcome.recorded_at.toISOString(),
            }
          : null,
        earlier: rows.filter((r) => r !== current).map(view),
      };
    },
  };
  return service;
}

export type RiskService = ReturnType<typeof riskService>;
