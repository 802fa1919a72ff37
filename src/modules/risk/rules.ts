// Selectivity criteria and how a declaration is matched against rules, watchlists and the
// prohibited-goods list. Pure functions over a compiled snapshot: matching a declaration
// against a few hundred rules takes microseconds and touches no database.
//
// A rule hits when every criterion it gives matches (lists mean any-of). Header criteria
// (parties, office, procedure, transport, departure) are checked on the declaration; item
// criteria (HS code, origin, value per kg or unit) must all hold for one and the same item, so
// "HS 6109 from CN below KES 150/kg" does not hit a declaration whose cheap item is from BD.
import { Dec, parseDecimal } from '#platform/money.ts';
import type { Channel, DeclarationForRisk } from './selectivity.ts';
import type { ProhibitedRow, RuleRow, WatchlistEntryRow, WatchlistKind, WatchlistRow } from './risk.tables.ts';

/** Customs value in KES per kg or per unit of quantity, below and/or above a threshold. */
export interface ValueBand {
  below?: string;
  above?: string;
}

export interface RuleCriteria {
  /** HS codes or prefixes (2 to 10 digits; dots ignored). */
  hsCodes?: string[];
  originCountries?: string[];
  departureCountries?: string[];
  /** Importer KRA PINs or organisation ids. */
  importers?: string[];
  /** Declarant (clearing agent) organisation ids. */
  declarants?: string[];
  /** Seller names, compared without regard to case and spacing. */
  sellers?: string[];
  offices?: string[];
  procedureCodes?: string[];
  transportModes?: string[];
  valuePerKg?: ValueBand;
  valuePerUnit?: ValueBand;
}

export const criterionKeys = [
  'hsCodes',
  'originCountries',
  'departureCountries',
  'importers',
  'declarants',
  'sellers',
  'offices',
  'procedureCodes',
  'transportModes',
  'valuePerKg',
  'valuePerUnit',
] as const satisfies readonly (keyof RuleCriteria)[];

export const channelRank: Record<Channel, number> = {
  green: 0,
  blue: 1,
  yellow: 2,
  red: 3,
};

export const digits = (hs: string): string => hs.replace(/[^0-9]/g, '');
export const sellerKey = (name: string): string => name.trim().replace(/\s+/g, ' ').toLowerCase();
const upper = (s: string): string => s.trim().toUpperCase();

interface Band {
  below: Dec | null;
  above: Dec | null;
}

export interface CompiledRule {
  id: string;
  version: number;
  code: string;
  name: string;
  reason: string;
  channel: Channel;
  priority: number;
  offices: Set<string>;
  validFrom: string;
  validTo: string | null;
  active: boolean;
  hsPrefixes: string[] | null;
  origins: Set<string> | null;
  departures: Set<string> | null;
  importers: Set<string> | null;
  declarants: Set<string> | null;
  sellers: Set<string> | null;
  officeCodes: Set<string> | null;
  cpcs: Set<string> | null;
  modes: Set<string> | null;
  perKg: Band | null;
  perUnit: Band | null;
}

const setOf = (list: string[] | undefined, norm: (s: string) => string): Set<string> | null => (list && list.length > 0 ? new Set(list.map(norm)) : null);

function band(b: ValueBand | undefined): Band | null {
  if (!b || (b.below === undefined && b.above === undefined)) {
    return null;
  }
  const num = (v: string | undefined) => (v === undefined ? null : (parseDecimal(v) ?? null));
  return { below: num(b.below), above: num(b.above) };
}

export function compileRule(row: RuleRow): CompiledRule {
  const c = row.criteria as RuleCriteria;
  return {
    id: row.id,
    version: row.version,
    code: row.code,
    name: row.name,
    reason: row.reason,
    channel: row.channel,
    priority: row.priority,
    offices: new Set(row.offices.map(upper)),
    validFrom: row.valid_from,
    validTo: row.valid_to,
    active: row.active,
    hsPrefixes: c.hsCodes && c.hsCodes.length > 0 ? c.hsCodes.map(digits) : null,
    origins: setOf(c.originCountries, upper),
    departures: setOf(c.departureCountries, upper),
    // PINs are upper case, organisation ids (uuids) lower case: keep both spellings comparable.
    importers: setOf(c.importers, (s) => s.trim().toLowerCase()),
    declarants: setOf(c.declarants, (s) => s.trim().toLowerCase()),
    sellers: setOf(c.sellers, sellerKey),
    officeCodes: setOf(c.offices, upper),
    cpcs: setOf(c.procedureCodes, (s) => s.trim()),
    modes: setOf(c.transportModes, (s) => s.trim().toLowerCase()),
    perKg: band(c.valuePerKg),
    perUnit: band(c.valuePerUnit),
  };
}

export const inForce = (from: string, to: string | null, date: string): boolean => from <= date && (to === null || to >= date);

type Item = DeclarationForRisk['items'][number];

/** Customs value (KES) per kg of net mass, or null when no mass is declared. */
export function valuePerKg(item: Item): Dec | null {
  const mass = parseDecimal(item.netMassKg);
  const value = parseDecimal(item.customsValue);
  return mass && value && mass.isPositive() ? value.div(mass) : null;
}

/** Customs value (KES) per unit of the declared quantity, or null when no quantity is declared. */
export function valuePerUnit(item: Item): Dec | null {
  const quantity = parseDecimal(item.quantity);
  const value = parseDecimal(item.customsValue);
  return quantity && value && quantity.isPositive() ? value.div(quantity) : null;
}

function inBand(value: Dec | null, b: Band): boolean {
  if (value === null) {
    return false;
  }
  return (b.below === null || value.lessThan(b.below)) && (b.above === null || value.greaterThan(b.above));
}

function headerMatches(rule: CompiledRule, d: DeclarationForRisk): boolean {
  const importer = rule.importers;
  if (importer && !importer.has(d.importerPin.trim().toLowerCase()) && !importer.has(d.importerOrgId.toLowerCase())) {
    return false;
  }
  if (rule.declarants && !rule.declarants.has(d.declarantOrgId.toLowerCase())) {
    return false;
  }
  if (rule.sellers && !(d.sellerName && rule.sellers.has(sellerKey(d.sellerName)))) {
    return false;
  }
  if (rule.departures && !(d.departureCountry && rule.departures.has(upper(d.departureCountry)))) {
    return false;
  }
  if (rule.officeCodes && !rule.officeCodes.has(upper(d.officeCode))) {
    return false;
  }
  if (rule.cpcs && !rule.cpcs.has(d.cpc)) {
    return false;
  }
  return !rule.modes || (d.transportMode !== null && rule.modes.has(d.transportMode.toLowerCase()));
}

function itemMatches(rule: CompiledRule, item: Item): boolean {
  if (rule.hsPrefixes) {
    const hs = digits(item.hsCode);
    if (!rule.hsPrefixes.some((p) => hs.startsWith(p))) {
      return false;
    }
  }
  if (rule.origins && !rule.origins.has(upper(item.originCountry))) {
    return false;
  }
  if (rule.perKg && !inBand(valuePerKg(item), rule.perKg)) {
    return false;
  }
  return !rule.perUnit || inBand(valuePerUnit(item), rule.perUnit);
}

const hasItemCriteria = (rule: CompiledRule): boolean => rule.hsPrefixes !== null || rule.origins !== null || rule.perKg !== null || rule.perUnit !== null;

/**
 * The items on which the rule hits (all items when it has only header criteria), or null when
 * it does not apply: inactive, not in force on the date, another office, or a criterion fails.
 */
export function matchRule(rule: CompiledRule, d: DeclarationForRisk): number[] | null {
  if (!rule.active || !inForce(rule.validFrom, rule.validTo, d.date)) {
    return null;
  }
  if (rule.offices.size > 0 && !rule.offices.has(upper(d.officeCode))) {
    return null;
  }
  if (!headerMatches(rule, d)) {
    return null;
  }
  if (!hasItemCriteria(rule)) {
    return d.items.map((i) => i.itemNo);
  }
  const items = d.items.filter((i) => itemMatches(rule, i)).map((i) => i.itemNo);
  return items.length > 0 ? items : null;
}

export interface CompiledWatchlist {
  id: string;
  code: string;
  name: string;
  kind: WatchlistKind;
  channel: Channel;
  reason: string;
  entries: {
    id: string;
    value: string;
    key: string;
    validFrom: string;
    validTo: string | null;
  }[];
}

export function compileWatchlist(list: WatchlistRow, entries: WatchlistEntryRow[]): CompiledWatchlist {
  const key = (v: string): string => (list.kind === 'seller' ? sellerKey(v) : list.kind === 'hs' ? digits(v) : v.trim().toLowerCase());
  return {
    id: list.id,
    code: list.code,
    name: list.name,
    kind: list.kind,
    channel: list.channel,
    reason: list.reason,
    entries: entries.map((e) => ({
      id: e.id,
      value: e.value,
      key: key(e.value),
      validFrom: e.valid_from,
      validTo: e.valid_to,
    })),
  };
}

export interface WatchlistHit {
  list: CompiledWatchlist;
  entryId: string;
  value: string;
  items: number[];
}

/** Entries of the list in force on the declaration's date that name its party or one of its goods. */
export function matchWatchlist(list: CompiledWatchlist, d: DeclarationForRisk): WatchlistHit[] {
  const hits: WatchlistHit[] = [];
  for (const e of list.entries) {
    if (!inForce(e.validFrom, e.validTo, d.date)) {
      continue;
    }
    let items: number[] | null = null;
    switch (list.kind) {
      case 'importer':
        items = e.key === d.importerPin.trim().toLowerCase() || e.key === d.importerOrgId.toLowerCase() ? [] : null;
        break;
      case 'declarant':
        items = e.key === d.declarantOrgId.toLowerCase() ? [] : null;
        break;
      case 'seller':
        items = d.sellerName && sellerKey(d.sellerName) === e.key ? [] : null;
        break;
      case 'hs': {
        const matched = d.items.filter((i) => digits(i.hsCode).startsWith(e.key)).map((i) => i.itemNo);
        items = matched.length > 0 ? matched : null;
        break;
      }
    }
    if (items !== null) {
      hits.push({ list, entryId: e.id, value: e.value, items });
    }
  }
  return hits;
}

export interface CompiledProhibited {
  id: string;
  prefix: string;
  reason: string;
  validFrom: string;
  validTo: string | null;
}

export const compileProhibited = (row: ProhibitedRow): CompiledProhibited => ({
  id: row.id,
  prefix: row.hs_prefix,
  reason: row.reason,
  validFrom: row.valid_from,
  validTo: row.valid_to,
});

export function matchProhibited(goods: CompiledProhibited, d: DeclarationForRisk): number[] | null {
  if (!inForce(goods.validFrom, goods.validTo, d.date)) {
    return null;
  }
  const items = d.items.filter((i) => digits(i.hsCode).startsWith(goods.prefix)).map((i) => i.itemNo);
  return items.length > 0 ? items : null;
}
