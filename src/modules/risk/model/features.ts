/**
 * Feature construction for customs risk profiling.
 *
 * For every profile (a party, a commodity, a country, an office, or a pair of them) the
 * model gets the smoothed historical fraud rate and the number of declarations seen.
 * Numeric features describe the consignment itself (duty rate, mass, value, unit value
 * and how the unit value compares with the usual unit value for the HS6 code), and the
 * low-cardinality procedural codes enter as frequency-ranked numeric codes.
 */
import type { RiskInput, RiskTrainingRow } from './types.ts';
import {
  assignFolds,
  buildCountTable,
  countTableFromJSON,
  countTableToJSON,
  outOfFoldEncode,
  smoothedRate,
  type CountTable,
  type CountTableJSON,
} from './target-encoding.ts';
import { buildProfileLookups, resolveProfile, type ProfileLookup, type ValueIds } from './profile-index.ts';

/** Attributes from which profiles are built. */
export const KEY_PARTS = [
  'importer',
  'declarant',
  'seller',
  'courier',
  'hs6',
  'hs4',
  'hs2',
  'origin',
  'departure',
  'office',
  'taxType',
  'originIndicator',
  'importType',
  'importUse',
  'paymentType',
  'transportMode',
  'processType',
] as const;
export type KeyPart = (typeof KEY_PARTS)[number];

/** A numeric input as a number, NaN when absent or not finite. */
const num = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

const s = (v: string | null | undefined): string => (v === null || v === undefined ? '' : String(v).trim());

// HS prefixes are derived for every lookup; cache them per distinct code string.
const hsCache = new Map<string, [hs6: string, hs4: string, hs2: string]>();
function hsPrefixes(r: RiskInput): [string, string, string] {
  const code = r.hsCode ?? '';
  let e = hsCache.get(code);
  if (e === undefined) {
    const d = String(code).replace(/[^0-9]/g, '');
    e = [d.slice(0, 6), d.slice(0, 4), d.slice(0, 2)];
    if (hsCache.size >= 100_000) {
      hsCache.clear();
    }
    hsCache.set(code, e);
  }
  return e;
}

const PART_GETTERS: Record<KeyPart, (r: RiskInput) => string> = {
  importer: (r) => s(r.importerId),
  declarant: (r) => s(r.declarantId),
  seller: (r) => s(r.sellerId),
  courier: (r) => s(r.courierId),
  hs6: (r) => hsPrefixes(r)[0],
  hs4: (r) => hsPrefixes(r)[1],
  hs2: (r) => hsPrefixes(r)[2],
  origin: (r) => s(r.originCountry).toUpperCase(),
  departure: (r) => s(r.departureCountry).toUpperCase(),
  office: (r) => s(r.officeId),
  taxType: (r) => s(r.taxType),
  originIndicator: (r) => s(r.originIndicator),
  importType: (r) => s(r.importType),
  importUse: (r) => s(r.importUse),
  paymentType: (r) => s(r.paymentType),
  transportMode: (r) => s(r.transportMode),
  processType: (r) => s(r.processType),
};

/** How each attribute is named in explanations; `{v}` is replaced by the value. */
const PART_PHRASES: Record<KeyPart, [withValue: string, missing: string]> = {
  importer: ['importer {v}', 'declarations without an importer'],
  declarant: ['declarant {v}', 'declarations without a declarant'],
  seller: ['seller {v}', 'declarations without a seller'],
  courier: ['courier {v}', 'declarations not sent by courier'],
  hs6: ['HS6 {v}', 'declarations without an HS code'],
  hs4: ['HS heading {v}', 'declarations without an HS code'],
  hs2: ['HS chapter {v}', 'declarations without an HS code'],
  origin: ['origin {v}', 'declarations without an origin'],
  departure: ['shipped from {v}', 'declarations without a departure country'],
  office: ['office {v}', 'declarations without an office'],
  taxType: ['tax type {v}', 'declarations without a tax type'],
  originIndicator: ['origin indicator {v}', 'declarations without an origin indicator'],
  importType: ['import type {v}', 'declarations without an import type'],
  importUse: ['import use {v}', 'declarations without an import use'],
  paymentType: ['payment type {v}', 'declarations without a payment type'],
  transportMode: ['transport mode {v}', 'declarations without a transport mode'],
  processType: ['process type {v}', 'declarations without a process type'],
};

const PARTIES = new Set<KeyPart>(['importer', 'declarant', 'seller', 'courier']);

/** Low-cardinality fields that may enter as numeric codes. */
export const CODE_FIELDS = [
  'processType',
  'importType',
  'importUse',
  'paymentType',
  'transportMode',
  'taxType',
  'originIndicator',
] as const;
export type CodeField = (typeof CODE_FIELDS)[number];

const CODE_LABELS: Record<CodeField, string> = {
  processType: 'process type',
  importType: 'import type',
  importUse: 'import use',
  paymentType: 'payment type',
  transportMode: 'mode of transport',
  taxType: 'tax type',
  originIndicator: 'origin indicator',
};

/** Numeric consignment features. */
export const NUMERIC_FEATURES = [
  'taxRate',
  'logNetMass',
  'logItemPrice',
  'logUnitValue',
  'unitValueRatio',
  'originIsDeparture',
] as const;
export type NumericFeature = (typeof NUMERIC_FEATURES)[number];

export interface FeatureOptions {
  /** Profiles, each a part name or parts joined by 'x' (e.g. 'importer', 'importer x hs6'). */
  profiles: string[];
  /** Also give the number of declarations seen for each profile. */
  profileCounts: boolean;
  /** m of the m-estimate: weight of the global rate, in declarations. */
  smoothing: number;
  /** Folds for the out-of-fold training encodings. */
  folds: number;
  codes: CodeField[];
  numeric: NumericFeature[];
  /** Currency of itemPrice, for explanations. */
  currency: string;
}

export const DEFAULT_PROFILES = [
  'importer',
  'declarant',
  'seller',
  'courier',
  'hs6',
  'hs4',
  'hs2',
  'origin',
  'departure',
  'office',
  'importer x hs6',
  'declarant x importer',
  'seller x origin',
  'hs6 x origin',
  'office x hs6',
  'hs6 x departure',
  'hs6 x taxType',
  // Tariff line x route x claimed origin x duty/preference type: the strongest profile.
  'hs6 x departure x origin x taxType',
];

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = {
  profiles: DEFAULT_PROFILES,
  profileCounts: true,
  smoothing: 5,
  folds: 5,
  codes: [...CODE_FIELDS],
  numeric: [...NUMERIC_FEATURES],
  currency: 'KRW',
};

function parseProfile(name: string): KeyPart[] {
  const parts = name.split(/\s+x\s+|\s*[×*|+]\s*/).filter((p) => p !== '');
  for (const p of parts) {
    if (!(KEY_PARTS as readonly string[]).includes(p)) {
      throw new Error(`unknown profile part "${p}" in "${name}"`);
    }
  }
  if (parts.length === 0) {
    throw new Error('empty profile');
  }
  return parts as KeyPart[];
}

interface UnitValueRef {
  /** Median log unit value. */
  median: number;
  n: number;
}

export interface FeatureBuilderJSON {
  options: FeatureOptions;
  prior: number;
  tables: CountTableJSON[];
  unitValue: { hs6: [string, number, number][]; hs4: [string, number, number][]; global: number };
  codes: string[][];
}

const MIN_UV_REFERENCE = 5;

function logUnitValue(r: RiskInput): number {
  const price = num(r.itemPrice);
  const mass = num(r.netMassKg);
  return price > 0 && mass > 0 ? Math.log(price / mass) : NaN;
}

function median(a: number[]): number {
  const b = a.slice().sort((x, y) => x - y);
  const m = b.length >> 1;
  return b.length % 2 ? b[m]! : (b[m - 1]! + b[m]!) / 2;
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;
const fmt = (x: number): string =>
  Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(3)).toString();

export class FeatureBuilder {
  readonly options: FeatureOptions;
  /** Global fraud rate of the training data. */
  readonly prior: number;
  /** Feature names, in vector order. */
  readonly names: string[];
  /** Explanation group of each feature (profile name, 'unitValue', code field ...). */
  readonly groups: string[];
  private readonly profileParts: KeyPart[][];
  private readonly usedParts: number[]; // KEY_PARTS indices needed
  private readonly usedGetters: ((r: RiskInput) => string)[];
  private readonly tables: CountTable[];
  private readonly valueIds: ValueIds[];
  private readonly lookups: ProfileLookup[];
  private readonly idBuf: Int32Array;
  private readonly uvHs6: Map<string, UnitValueRef>;
  private readonly uvHs4: Map<string, UnitValueRef>;
  private readonly uvGlobal: number;
  private readonly codeMaps: Map<string, number>[];

  private constructor(
    options: FeatureOptions,
    prior: number,
    tables: CountTable[],
    uvHs6: Map<string, UnitValueRef>,
    uvHs4: Map<string, UnitValueRef>,
    uvGlobal: number,
    codeMaps: Map<string, number>[],
  ) {
    this.options = options;
    this.prior = prior;
    this.tables = tables;
    this.uvHs6 = uvHs6;
    this.uvHs4 = uvHs4;
    this.uvGlobal = uvGlobal;
    this.codeMaps = codeMaps;
    this.profileParts = options.profiles.map(parseProfile);
    const built = buildProfileLookups(
      KEY_PARTS.length,
      this.profileParts.map((parts, p) => ({
        parts: Int32Array.from(parts.map((q) => KEY_PARTS.indexOf(q))),
        table: tables[p]!,
      })),
    );
    this.valueIds = built.ids;
    this.lookups = built.lookups;
    this.idBuf = new Int32Array(KEY_PARTS.length).fill(-1);
    const used = new Set<number>();
    for (const ps of this.profileParts) {
      for (const q of ps) {
        used.add(KEY_PARTS.indexOf(q));
      }
    }
    this.usedParts = [...used].sort((a, b) => a - b);
    this.usedGetters = this.usedParts.map((i) => PART_GETTERS[KEY_PARTS[i]!]);
    const names: string[] = [];
    const groups: string[] = [];
    options.profiles.forEach((p) => {
      names.push(`${p}:rate`);
      groups.push(p);
      if (options.profileCounts) {
        names.push(`${p}:count`);
        groups.push(p);
      }
    });
    for (const f of options.numeric) {
      names.push(f);
      groups.push(
        f === 'logUnitValue' || f === 'unitValueRatio'
          ? 'unitValue'
          : f === 'logNetMass'
            ? 'netMass'
            : f === 'logItemPrice'
              ? 'itemPrice'
              : f,
      );
    }
    for (const c of options.codes) {
      names.push(`${c}:code`);
      groups.push(c);
    }
    this.names = names;
    this.groups = groups;
  }

  get size(): number {
    return this.names.length;
  }

  /** Fit profile tables, unit-value references and code maps on training rows. */
  static fit(rows: readonly RiskTrainingRow[], options: Partial<FeatureOptions> = {}): FeatureBuilder {
    const opts: FeatureOptions = { ...DEFAULT_FEATURE_OPTIONS, ...options };
    const y = Float64Array.from(rows, (r) => (r.fraud ? 1 : 0));
    let pos = 0;
    for (const v of y) {
      pos += v;
    }
    const prior = rows.length > 0 ? pos / rows.length : 0;
    const tables = opts.profiles.map((p) => buildCountTable(profileKeys(rows, parseProfile(p)), y));

    const byHs6 = new Map<string, number[]>();
    const byHs4 = new Map<string, number[]>();
    const all: number[] = [];
    for (const r of rows) {
      const lu = logUnitValue(r);
      if (Number.isNaN(lu)) {
        continue;
      }
      all.push(lu);
      const h6 = PART_GETTERS.hs6(r);
      const h4 = PART_GETTERS.hs4(r);
      (byHs6.get(h6) ?? byHs6.set(h6, []).get(h6)!).push(lu);
      (byHs4.get(h4) ?? byHs4.set(h4, []).get(h4)!).push(lu);
    }
    const refs = (m: Map<string, number[]>): Map<string, UnitValueRef> => {
      const out = new Map<string, UnitValueRef>();
      for (const [k, v] of m) {
        if (v.length >= MIN_UV_REFERENCE) {
          out.set(k, { median: median(v), n: v.length });
        }
      }
      return out;
    };
    const codeMaps = opts.codes.map((c) => {
      const counts = new Map<string, number>();
      for (const r of rows) {
        const v = s(r[c]);
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      return new Map(sorted.map(([k], i) => [k, i]));
    });
    return new FeatureBuilder(opts, prior, tables, refs(byHs6), refs(byHs4), all.length ? median(all) : NaN, codeMaps);
  }

  /** Reference log unit value for a row: HS6 median, else HS4 median, else global median. */
  private unitValueRef(r: RiskInput): { median: number; level: 'HS6' | 'HS4' | 'all goods'; n: number } {
    const a = this.uvHs6.get(PART_GETTERS.hs6(r));
    if (a) {
      return { median: a.median, level: 'HS6', n: a.n };
    }
    const b = this.uvHs4.get(PART_GETTERS.hs4(r));
    if (b) {
      return { median: b.median, level: 'HS4', n: b.n };
    }
    return { median: this.uvGlobal, level: 'all goods', n: 0 };
  }

  /** Writes the non-profile features of r into out[offset...]. */
  private fillConsignment(r: RiskInput, out: Float64Array, offset: number): void {
    let k = offset;
    for (const f of this.options.numeric) {
      let v = NaN;
      switch (f) {
        case 'taxRate':
          v = num(r.taxRate);
          break;
        case 'logNetMass':
          v = num(r.netMassKg) >= 0 ? Math.log1p(num(r.netMassKg)) : NaN;
          break;
        case 'logItemPrice':
          v = num(r.itemPrice) >= 0 ? Math.log1p(num(r.itemPrice)) : NaN;
          break;
        case 'logUnitValue':
          v = logUnitValue(r);
          break;
        case 'unitValueRatio':
          v = logUnitValue(r);
          if (!Number.isNaN(v)) {
            v -= this.unitValueRef(r).median;
          }
          break;
        case 'originIsDeparture': {
          const o = PART_GETTERS.origin(r);
          const d = PART_GETTERS.departure(r);
          v = o === '' || d === '' ? NaN : o === d ? 1 : 0;
          break;
        }
      }
      out[k++] = v;
    }
    const codes = this.options.codes;
    for (let i = 0; i < codes.length; i++) {
      out[k++] = this.codeMaps[i]!.get(s(r[codes[i]!])) ?? NaN;
    }
  }

  /** Feature vector for scoring (profiles from the full training tables). */
  encode(r: RiskInput, out: Float64Array = new Float64Array(this.size)): Float64Array {
    const ids = this.idBuf;
    for (let j = 0; j < this.usedParts.length; j++) {
      const i = this.usedParts[j]!;
      ids[i] = this.valueIds[i]!.get(this.usedGetters[j]!(r)) ?? -1;
    }
    const m = this.options.smoothing;
    const prior = this.prior;
    const counts = this.options.profileCounts;
    let k = 0;
    for (let p = 0; p < this.lookups.length; p++) {
      const l = this.lookups[p]!;
      const id = resolveProfile(l, ids);
      const n = id >= 0 ? l.n[id]! : 0;
      out[k++] = n > 0 ? smoothedRate(l.pos[id]!, n, prior, m) : prior;
      if (counts) {
        out[k++] = n;
      }
    }
    this.fillConsignment(r, out, k);
    return out;
  }

  /**
   * Row-major training matrix with out-of-fold profile encodings (the rows must be the
   * ones the builder was fitted on).
   */
  trainingMatrix(rows: readonly RiskTrainingRow[], seed: number): Float64Array {
    const n = rows.length;
    const nf = this.size;
    const X = new Float64Array(n * nf);
    const y = Float64Array.from(rows, (r) => (r.fraud ? 1 : 0));
    const K = this.options.folds;
    const folds = assignFolds(n, K, seed);
    const stride = this.options.profileCounts ? 2 : 1;
    this.profileParts.forEach((parts, p) => {
      const { rate, count } = outOfFoldEncode(
        profileKeys(rows, parts),
        y,
        folds,
        K,
        this.prior,
        this.options.smoothing,
      );
      for (let i = 0; i < n; i++) {
        X[i * nf + p * stride] = rate[i]!;
        if (stride === 2) {
          X[i * nf + p * stride + 1] = count[i]!;
        }
      }
    });
    const off = this.profileParts.length * stride;
    const tmp = new Float64Array(nf);
    for (let i = 0; i < n; i++) {
      this.fillConsignment(rows[i]!, tmp, off);
      X.set(tmp.subarray(off), i * nf + off);
    }
    return X;
  }

  /** Human-readable description of one explanation group for row r. */
  describe(group: string, r: RiskInput): string {
    const p = this.options.profiles.indexOf(group);
    if (p >= 0) {
      const parts = this.profileParts[p]!;
      const values = parts.map((q) => PART_GETTERS[q](r));
      const key = values.join('\u0001');
      const e = this.tables[p]!.get(key);
      const label =
        parts.length === 1 && values[0] === ''
          ? PART_PHRASES[parts[0]!][1]
          : parts.map((q, i) => PART_PHRASES[q][0].replace('{v}', values[i] || '(none)')).join(', ');
      const glob = `global ${pct(this.prior)}`;
      if (!e) {
        return `${label}: no history (${glob})`;
      }
      const party = parts.length === 1 && values[0] !== '' && PARTIES.has(parts[0]!);
      const possessive = party ? `${label}'s` : `${label}:`;
      return `${possessive} past fraud rate ${pct(e.pos / e.n)} over ${e.n} inspected declaration${
        e.n === 1 ? '' : 's'
      } (${glob})`;
    }
    const cur = this.options.currency;
    switch (group) {
      case 'unitValue': {
        const lu = logUnitValue(r);
        if (Number.isNaN(lu)) {
          return 'unit value unknown (no value or no mass declared)';
        }
        const ref = this.unitValueRef(r);
        const ratio = Math.exp(lu - ref.median);
        return `unit value ${fmt(Math.exp(lu))} ${cur}/kg vs ${ref.level} median ${fmt(Math.exp(ref.median))} ${cur}/kg (${fmt(ratio)}x)`;
      }
      case 'netMass':
        return Number.isNaN(num(r.netMassKg)) ? 'net mass not declared' : `net mass ${fmt(num(r.netMassKg))} kg`;
      case 'itemPrice':
        return Number.isNaN(num(r.itemPrice)) ? 'value not declared' : `declared value ${fmt(num(r.itemPrice))} ${cur}`;
      case 'taxRate':
        return Number.isNaN(num(r.taxRate)) ? 'duty rate unknown' : `duty rate ${fmt(num(r.taxRate))}%`;
      case 'originIsDeparture': {
        const o = PART_GETTERS.origin(r);
        const d = PART_GETTERS.departure(r);
        return o === d
          ? `shipped from the country of origin (${o || 'unknown'})`
          : `origin ${o || 'unknown'} shipped via ${d || 'unknown'}`;
      }
      default:
        if ((CODE_FIELDS as readonly string[]).includes(group)) {
          const v = s(r[group as CodeField]);
          return `${CODE_LABELS[group as CodeField]} ${v || '(none)'}`;
        }
        return group;
    }
  }

  toJSON(): FeatureBuilderJSON {
    const uv = (m: Map<string, UnitValueRef>): [string, number, number][] => [...m].map(([k, v]) => [k, v.median, v.n]);
    return {
      options: this.options,
      prior: this.prior,
      tables: this.tables.map(countTableToJSON),
      unitValue: { hs6: uv(this.uvHs6), hs4: uv(this.uvHs4), global: this.uvGlobal },
      codes: this.codeMaps.map((m) => [...m].sort((a, b) => a[1] - b[1]).map(([k]) => k)),
    };
  }

  static fromJSON(j: FeatureBuilderJSON): FeatureBuilder {
    const uv = (a: [string, number, number][]): Map<string, UnitValueRef> =>
      new Map(a.map(([k, median, n]) => [k, { median, n }]));
    if (j.tables.length !== j.options.profiles.length || j.codes.length !== j.options.codes.length) {
      throw new Error('feature builder JSON is inconsistent');
    }
    return new FeatureBuilder(
      j.options,
      j.prior,
      j.tables.map(countTableFromJSON),
      uv(j.unitValue.hs6),
      uv(j.unitValue.hs4),
      j.unitValue.global ?? NaN,
      j.codes.map((c) => new Map(c.map((k, i) => [k, i]))),
    );
  }
}

function profileKeys(rows: readonly RiskInput[], parts: KeyPart[]): string[] {
  const getters = parts.map((p) => PART_GETTERS[p]);
  return rows.map((r) => getters.map((g) => g(r)).join('\u0001'));
}
