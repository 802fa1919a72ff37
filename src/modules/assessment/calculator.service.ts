// The public duty calculator: the same engine that assesses declarations, fed from the tariff,
// rates and settings in force on the date asked.
import { Dec, parseDecimal } from '#platform/money.ts';
import { FieldErrors } from '#platform/http/problem.ts';
import { isIsoDate, localDate, type Clock } from '#platform/clock.ts';
import { formatHsCode as formatHs, type TariffService } from '#modules/tariff/index.ts';
import type { ReferenceService } from '#modules/reference/index.ts';
import type { OriginService } from '#modules/origin/index.ts';
import { assess } from './assess.ts';
import { assessmentJson } from './assessment.json.ts';
import type { ExchangeRate, ItemInput, PreferenceGrant, RuleRef, TariffMeasure, UnitDef, VehicleInput } from './assessment.types.ts';
import type { LetterUse, ReliefPort } from './reliefs.ts';
import type { CrspSchedule } from './crsp.port.ts';
import { findCrsp, isPassengerCarLine, vehicleLineMismatch } from './vehicle-checks.ts';

export interface CalculatorItem {
  hsCode?: string;
  description?: string;
  originCountry?: string;
  preferentialOrigin?: boolean;
  fob?: string;
  freight?: string;
  insurance?: string;
  quantity?: string;
  /** Unit of the quantity; default the tariff line's supplementary unit. */
  unit?: string;
  netMassKg?: string;
  alcoholPercent?: string;
  vehicle?: CalculatorVehicle;
}

/**
 * A vehicle as declared. It is used when firstRegistration (YYYY-MM) is given: then make and model
 * name it in the CRSP schedule, which values it. crsp and firstRegistrationYear are refused: the
 * list is read by the system, and age counts months.
 */
export interface CalculatorVehicle {
  fuel: string;
  engineCc: number;
  make?: string;
  model?: string;
  body?: string;
  drive?: string;
  /** YYYY-MM: the vehicle is used and valued from the CRSP schedule. */
  firstRegistration?: string;
  /** Refused (kept so older drafts still read): see firstRegistration. */
  firstRegistrationYear?: number;
  /** Refused (kept so older drafts still read): the CRSP is read from the schedule. */
  crsp?: string;
}

export interface CalculatorRequest {
  date?: string;
  /** Supporting documents (code and reference) that reliefs and preferences may require. */
  documents?: { code: string; reference: string }[];
  /**
   * The declaration's importer (never from the public body): exemption letters are then looked
   * up and must be held by it; without it they are taken as presented.
   */
  importer?: { pin: string };
  currency: string;
  exchangeRate?: string;
  cpc?: string;
  freight?: string;
  insurance?: string;
  items: CalculatorItem[];
  /**
   * A used vehicle with no CRSP row: the public calculator refuses it (crsp_not_found); a lodged
   * declaration passes 'officer' to value it provisionally from the invoice for an officer to value.
   * Not part of the HTTP body: only the declaration module sets it.
   */
  noCrspRow?: 'refuse' | 'officer';
}

/** The calculator's fuel words mapped to the tariff's vehicle fuels. */
const fuelAliases: Record<string, string> = {
  petrol: 'petrol',
  gasoline: 'petrol',
  diesel: 'diesel',
  hybrid: 'hybrid-petrol',
  'hybrid-petrol': 'hybrid-petrol',
  'hybrid-diesel': 'hybrid-diesel',
  'plug-in-hybrid': 'plug-in-petrol',
  'plug-in-petrol': 'plug-in-petrol',
  'plug-in-diesel': 'plug-in-diesel',
  electric: 'electric',
};
export const calculatorFuels = Object.keys(fuelAliases);

export const defaultCpc = '4000000';

function decimalField(errors: FieldErrors, pointer: string, raw: string | undefined, opts: { positive?: boolean; max?: { value: Dec; why: string } } = {}): Dec | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const d = parseDecimal(raw);
  if (!d || d.isNegative() || (opts.positive && d.isZero())) {
    errors.add(pointer, 'invalid_decimal', `"${raw}" is not a ${opts.positive ? 'positive' : 'non-negative'} decimal number written as a string, e.g. "1250.50"`);
    return undefined;
  }
  if (opts.max && opts.max.value.lessThan(d)) {
    errors.add(pointer, 'out_of_range', `"${raw}" is more than ${opts.max.value.toString()}: ${opts.max.why}`);
    return undefined;
  }
  return d;
}

/** Alcoholic strength is a share of the volume: the schema's three digits allow up to 999.99. */
const maxAlcoholPercent = { value: new Dec(100), why: 'the alcoholic strength is in % vol, e.g. "40" for whisky' };

type UnitRows = ReadonlyMap<string, { code: string; kind: string; factor: string | null }>;
/** Built once per load of the reference sets (they are cached until reload()), not per request. */
const unitsByDefs = new WeakMap<UnitRows, ReadonlyMap<string, UnitDef>>();

/** The units table as the engine converts with it: units without a factor cannot be converted. */
function unitsFrom(defs: UnitRows): ReadonlyMap<string, UnitDef> {
  const cached = unitsByDefs.get(defs);
  if (cached) {
    return cached;
  }
  const units = new Map<string, UnitDef>();
  for (const d of defs.values()) {
    if (d.factor !== null) {
      units.set(d.code, { code: d.code, kind: d.kind, factor: new Dec(d.factor) });
    }
  }
  unitsByDefs.set(defs, units);
  return units;
}

/** What each item draws on exemption letters: its customs value (KES) or its declared quantity. */
function letterDraws(letters: LetterUse[], customsValue: string, quantity: string | undefined) {
  return letters.map((l) => ({ number: l.number, cover: l.cover, unit: l.cover === 'value' ? 'KES' : l.unit, amount: l.cover === 'value' ? customsValue : (quantity ?? '0') }));
}

const ruleJsonOf = (r: RuleRef) => ({ kind: r.kind, id: r.id, key: r.key, validFrom: r.validFrom, validTo: r.validTo, ...(r.value === undefined ? {} : { value: r.value }) });

/**
 * Each claimed preference resolved from the origin data in force on the date and the documents
 * presented: a grant for the item, or a field error (proof missing, no agreement in force).
 */
async function resolvePreferences(origin: OriginService, req: CalculatorRequest, date: string, countries: ReadonlySet<string>, errors: FieldErrors): Promise<(PreferenceGrant | undefined)[]> {
  const documents = (req.documents ?? []).map((d) => d.code);
  const outcomes = await origin.resolvePreferences(
    req.items.map((item, index) => {
      const country = item.originCountry?.toUpperCase();
      // An unknown country is reported by the item checks; it earns nothing here.
      const known = country !== undefined && countries.has(country);
      return { pointer: `/items/${index}`, originCountry: known ? country : undefined, preferentialOrigin: known && item.preferentialOrigin, documents, date };
    }),
  );
  return outcomes.map((outcome) => {
    if ('error' in outcome) {
      errors.add(outcome.error.pointer, outcome.error.code, outcome.error.message);
    }
    return 'grant' in outcome ? outcome.grant : undefined;
  });
}

/** Refuses what a vehicle may no longer carry, and finds the CRSP row of a used one. */
async function usedVehicle(
  deps: { crsp: CrspSchedule },
  errors: FieldErrors,
  p: string,
  vehicle: CalculatorVehicle,
  fuel: string,
  date: string,
  noCrspRow: 'refuse' | 'officer',
): Promise<VehicleInput['crsp'] | undefined> {
  if (vehicle.crsp !== undefined) {
    errors.add(`${p}/vehicle/crsp`, 'crsp_not_declared', 'is not declared: a used vehicle is valued from the CRSP schedule in force (GET /api/v1/vehicles/crsp); declare make, model and firstRegistration instead');
  }
  if (vehicle.firstRegistrationYear !== undefined) {
    errors.add(`${p}/vehicle/firstRegistrationYear`, 'use_first_registration', 'is replaced by firstRegistration, the year and month of first registration written YYYY-MM (e.g. "2021-03"): age counts months');
  }
  if (vehicle.firstRegistration === undefined) {
    return undefined;
  }
  const found = await findCrsp(deps.crsp, { ...vehicle, fuel }, date);
  if ('missing' in found) {
    for (const field of found.missing) {
      errors.add(`${p}/vehicle/${field}`, 'required', 'is required for a used vehicle (firstRegistration given): it is valued from the CRSP schedule by make, model, fuel and engine size');
    }
    return undefined;
  }
  if (found.ok) {
    return { price: found.price, ref: found.ref, variant: found.variant };
  }
  if (found.code === 'crsp_ambiguous' || noCrspRow === 'refuse') {
    errors.add(`${p}/vehicle`, found.code, found.message);
  }
  return undefined;
}

/**
 * The procedure codes that may pass an over-age vehicle (returning residents) are for used
 * vehicles: a vehicle declared under one must give its first registration, so it cannot be
 * passed off as new and valued from its invoice.
 */
function usedUnderExemptCpc(exemptCpcs: string[], cpc: string, items: CalculatorItem[], errors: FieldErrors): void {
  if (!exemptCpcs.includes(cpc)) {
    return;
  }
  items.forEach((item, index) => {
    if (item.vehicle && item.vehicle.firstRegistration === undefined) {
      errors.add(`/items/${index}/vehicle/firstRegistration`, 'required', `is required under procedure code ${cpc}: it is for used vehicles, valued from the CRSP schedule by age`);
    }
  });
}

export function calculatorService(deps: { tariff: TariffService; reference: ReferenceService; clock: Clock; reliefs?: ReliefPort; origin: OriginService; crsp: CrspSchedule }) {
  /** An 87.03 line needs the vehicle, and must fit its fuel and engine size. */
  async function checkCarLine(errors: FieldErrors, p: string, row: { hs_code: string } & Parameters<typeof vehicleLineMismatch>[1], vehicle: CalculatorVehicle | undefined, fuel: string | undefined, date: string) {
    if (!isPassengerCarLine(row.hs_code)) {
      return;
    }
    if (!vehicle) {
      errors.add(`${p}/vehicle`, 'required', `is required: ${formatHs(row.hs_code)} is a motor car line (87.03); declare vehicle.fuel and vehicle.engineCc`);
      return;
    }
    if (!fuel) {
      return;
    }
    const mismatch = await vehicleLineMismatch(deps.tariff, row, fuel, vehicle.engineCc, date);
    if (mismatch) {
      errors.add(`${p}/hsCode`, 'hs_code_does_not_match_vehicle', mismatch);
    }
  }

  return {
    async calculate(req: CalculatorRequest) {
      const errors = new FieldErrors();
      const ref = await deps.reference.sets();
      const date = req.date ?? localDate(deps.clock.now());
      if (!isIsoDate(date)) {
        errors.add('/date', 'invalid_date', `"${date}" is not a calendar date written YYYY-MM-DD`);
        errors.throwIfAny();
      }
      const currency = req.currency.toUpperCase();
      if (!ref.currencies.has(currency)) {
        errors.add('/currency', 'unknown_currency', `"${req.currency}" is not an ISO 4217 currency code (e.g. USD, EUR, KES)`);
      }
      const cpc = req.cpc ?? defaultCpc;
      if (!ref.procedureCodes.has(cpc)) {
        errors.add('/cpc', 'unknown_cpc', `"${cpc}" is not a customs procedure code; see GET /api/v1/reference/procedure-codes`);
      }
      const declaredRate = decimalField(errors, '/exchangeRate', req.exchangeRate, { positive: true });
      const freight = decimalField(errors, '/freight', req.freight);
      const insurance = decimalField(errors, '/insurance', req.insurance);

      // Resolve each item's tariff line: by HS code, or for a car by fuel and engine size.
      const codes = req.items.map((i) => i.hsCode).filter((c): c is string => c !== undefined);
      const lookups = await deps.tariff.linesInForce(codes, date);
      const measures: (TariffMeasure | undefined)[] = [];
      const crspRows: (VehicleInput['crsp'] | undefined)[] = [];
      for (const [index, item] of req.items.entries()) {
        const p = `/items/${index}`;
        const vehicleFuel = item.vehicle ? fuelAliases[item.vehicle.fuel.toLowerCase()] : undefined;
        if (item.vehicle) {
          if (vehicleFuel) {
            crspRows[index] = await usedVehicle(deps, errors, p, item.vehicle, vehicleFuel, date, req.noCrspRow ?? 'refuse');
          } else {
            errors.add(`${p}/vehicle/fuel`, 'invalid_fuel', `"${item.vehicle.fuel}" is not allowed; use one of ${calculatorFuels.join(', ')}`);
          }
        }
        if (item.hsCode !== undefined) {
          const found = lookups.get(item.hsCode);
          if (found?.ok) {
            measures.push(found.measure);
            await checkCarLine(errors, p, found.row, item.vehicle, vehicleFuel, date);
          } else {
            errors.add(`${p}/hsCode`, found?.code ?? 'unknown_hs_code', found?.message ?? 'unknown');
            measures.push(undefined);
          }
        } else if (item.vehicle) {
          if (!vehicleFuel) {
            measures.push(undefined);
            continue;
          }
          const found = await deps.tariff.vehicleLine(vehicleFuel, item.vehicle.engineCc, date);
          measures.push(found.ok ? found.measure : undefined);
          if (!found.ok) {
            errors.add(`${p}/hsCode`, found.code, found.message);
          }
        } else {
          errors.add(`${p}/hsCode`, 'required', 'is required (or give vehicle with fuel and engineCc to pick the 87.03 line)');
          measures.push(undefined);
        }
        if (item.unit !== undefined && !ref.units.has(item.unit.toUpperCase())) {
          errors.add(`${p}/unit`, 'unknown_unit', `"${item.unit}" is not a unit of quantity; use a UN/ECE Rec 20 code such as ${[...ref.units].slice(0, 8).join(', ')} (GET /api/v1/reference/units)`);
        }
        if (item.originCountry !== undefined && !ref.countries.has(item.originCountry.toUpperCase())) {
          errors.add(`${p}/originCountry`, 'unknown_country', `"${item.originCountry}" is not an ISO 3166 alpha-2 country code (e.g. CN, UG)`);
        }
        if (item.fob === undefined && crspRows[index] === undefined) {
          errors.add(`${p}/fob`, 'required', 'is required (the FOB value in the invoice currency), unless a used vehicle is valued from the CRSP schedule');
        }
      }

      const preferences = await resolvePreferences(deps.origin, req, date, ref.countries, errors);

      const schedule = await deps.tariff.chargeSchedule(date);
      if (schedule.types.length === 0) {
        errors.add('/date', 'rules_missing', `no charge types (tax heads) are in force on ${date}; load them with "forodha charges import"`);
      }
      // Exchange rates: the invoice currency, and any currency a specific charge is set in.
      const specificCurrencies = [
        ...measures.flatMap((m) => [m?.importDuty.specific?.currency, m?.excise.specific?.currency]),
        ...schedule.rates.map((r) => r.specific?.currency),
      ].filter((c): c is string => c !== undefined);
      const wanted = declaredRate ? specificCurrencies : [currency, ...specificCurrencies];
      const { rates, missing } = errors.empty || ref.currencies.has(currency) ? await deps.tariff.exchangeRates(wanted, date) : { rates: new Map<string, ExchangeRate>(), missing: [] };
      for (const m of missing) {
        errors.add(m.currency === currency && !declaredRate ? '/exchangeRate' : '/date', 'exchange_rate_missing', m.message);
      }
      const national = await deps.tariff.nationalRules(date);
      if ('missing' in national) {
        errors.add('/date', 'rules_missing', `no national settings are in force on ${date} for: ${national.missing.join(', ')}`);
      } else {
        usedUnderExemptCpc(national.rules.vehicleAgeExemptCpcs.value, cpc, req.items, errors);
      }
      errors.throwIfAny();
      if ('missing' in national) {
        throw new Error('unreachable');
      }
      // Reliefs by procedure code and documents, per item; the engine only applies them.
      const reliefs = deps.reliefs
        ? await deps.reliefs.resolve({
            cpc,
            date,
            documents: req.documents ?? [],
            ...(req.importer ? { importerPin: req.importer.pin } : {}),
            items: req.items.map((item, index) => ({
              hsCode: (measures[index] as TariffMeasure).hsCode,
              ...(item.quantity === undefined ? {} : { quantity: item.quantity }),
              ...(item.unit === undefined ? {} : { unit: item.unit }),
            })),
          })
        : undefined;
      if (reliefs && !reliefs.ok) {
        reliefs.errors.forEach((e) => errors.add(e.pointer, e.code, e.message));
        errors.throwIfAny();
      }
      const granted = reliefs?.ok ? reliefs : undefined;

      const items: ItemInput[] = req.items.map((item, index) => {
        const p = `/items/${index}`;
        const input: ItemInput = {
          measure: measures[index] as TariffMeasure,
          fob: decimalField(errors, `${p}/fob`, item.fob) ?? new Dec(0),
        };
        const optional = {
          freight: decimalField(errors, `${p}/freight`, item.freight),
          insurance: decimalField(errors, `${p}/insurance`, item.insurance),
          quantity: decimalField(errors, `${p}/quantity`, item.quantity),
          netMassKg: decimalField(errors, `${p}/netMassKg`, item.netMassKg),
          alcoholPercent: decimalField(errors, `${p}/alcoholPercent`, item.alcoholPercent, { max: maxAlcoholPercent }),
        };
        for (const [k, v] of Object.entries(optional)) {
          if (v !== undefined) {
            (input as unknown as Record<string, Dec>)[k] = v;
          }
        }
        if (item.unit !== undefined) {
          input.unit = item.unit.toUpperCase();
        }
        const grants = granted?.items[index]?.grants ?? [];
        if (grants.length > 0) {
          input.reliefs = grants;
        }
        if (item.originCountry !== undefined) {
          input.originCountry = item.originCountry.toUpperCase();
        }
        if (item.preferentialOrigin !== undefined) {
          input.preferentialOrigin = item.preferentialOrigin;
        }
        const preference = preferences[index];
        if (preference) {
          input.preference = preference;
        }
        if (item.vehicle) {
          const { make, model, firstRegistration } = item.vehicle;
          const crsp = crspRows[index];
          input.vehicle = {
            fuel: fuelAliases[item.vehicle.fuel.toLowerCase()] ?? item.vehicle.fuel,
            engineCc: item.vehicle.engineCc,
            ...(make === undefined ? {} : { make }),
            ...(model === undefined ? {} : { model }),
            ...(firstRegistration === undefined ? {} : { firstRegistration }),
            ...(crsp === undefined ? {} : { crsp }),
          };
        }
        return input;
      });
      errors.throwIfAny();

      const exchangeRate: ExchangeRate = declaredRate
        ? { currency, rate: declaredRate, ref: { kind: 'declared' } }
        : (rates.get(currency) as ExchangeRate);
      const result = assess({
        date,
        cpc,
        currency,
        exchangeRate,
        specificRates: rates,
        ...(freight === undefined ? {} : { freight }),
        ...(insurance === undefined ? {} : { insurance }),
        items,
        rules: national.rules,
        schedule,
        units: unitsFrom(ref.unitDefs),
      });
      if (!result.ok) {
        result.errors.forEach((e) => errors.add(e.pointer, e.code, e.message));
        errors.throwIfAny();
        throw new Error('unreachable');
      }
      const scale = national.rules.rounding.value.scale;
      const json = assessmentJson(result.assessment, scale);
      const letters = granted?.items.flatMap((i) => i.letters) ?? [];
      const letterRules = [...new Map(letters.map((l) => [l.letterId, ruleJsonOf(l.ref)])).values()];
      return {
        currency,
        cpc,
        exchangeRate: {
          rate: exchangeRate.rate.toString(),
          source: exchangeRate.ref.kind === 'declared' ? 'declared' : 'tariff',
          ...(exchangeRate.ref.kind === 'declared' ? {} : { validFrom: exchangeRate.ref.validFrom, validTo: exchangeRate.ref.validTo }),
        },
        ...json,
        rulesUsed: [...json.rulesUsed, ...letterRules],
        warnings: [...json.warnings, ...(granted?.warnings ?? [])],
        items: json.items.map((i) => ({
          ...i,
          description: (measures[i.index] as TariffMeasure).description,
          exemptionLetters: letterDraws(granted?.items[i.index]?.letters ?? [], i.customsValue, req.items[i.index]?.quantity),
        })),
      };
    },
  };
}

export type CalculatorService = ReturnType<typeof calculatorService>;
