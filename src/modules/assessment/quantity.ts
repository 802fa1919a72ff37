// The quantity a specific charge is levied on, in that charge's unit, from what the item declares.
// The declared quantity is in the tariff line's supplementary unit unless the item names another;
// the units table says how to convert (its kind and how many of the kind's base unit each holds):
// items to mille, ml to l, g to kg, and litres at a strength to litres or centilitres of pure alcohol.
import { Dec } from '#platform/money.ts';
import type { FieldError } from '#platform/http/problem.ts';
import type { ItemInput, UnitDef } from './assessment.types.ts';

export type QuantityResult = { quantity: Dec } | { error: FieldError };

const required = (field: string, message: string): QuantityResult => ({ error: { pointer: `/${field}`, code: 'required', message } });

function notConvertible(hsCode: string, from: UnitDef, to: UnitDef): QuantityResult {
  return {
    error: {
      pointer: '/unit',
      code: 'unit_not_convertible',
      message: `a quantity in ${from.code} (${from.kind}) cannot be converted to ${to.code} (${to.kind}), the unit ${hsCode} is charged per; ${
        to.kind === 'alcohol' ? 'declare the quantity in litres (LTR, or another volume unit) with alcoholPercent' : `declare the quantity in a unit of ${to.kind}`
      }`,
    },
  };
}

export function chargeableQuantity(chargeUnit: string, item: ItemInput, units: ReadonlyMap<string, UnitDef>): QuantityResult {
  const hsCode = item.measure.hsCode;
  const to = units.get(chargeUnit);
  const declaredUnit = item.unit ?? item.measure.unit;
  const from = units.get(declaredUnit);
  if (!to) {
    // A tariff row names a unit the units table does not know: the data is wrong, not the declaration.
    throw new Error(`unit ${chargeUnit} of ${hsCode} is not in the units table`);
  }
  if (!from) {
    return { error: { pointer: '/unit', code: 'unknown_unit', message: `"${declaredUnit}" is not a unit of quantity; see GET /api/v1/reference/units` } };
  }
  if (to.kind === 'mass' && (from.kind !== 'mass' || !item.quantity)) {
    // Specific duties per kg or tonne are levied on net mass when no quantity by mass is declared.
    return item.netMassKg ? { quantity: item.netMassKg.div(to.factor) } : required('netMassKg', `is required: ${hsCode} has a specific charge per ${chargeUnit} of net mass`);
  }
  if (!item.quantity) {
    return required('quantity', `is required: ${hsCode} has a specific charge per ${chargeUnit}; declare the quantity in ${declaredUnit}`);
  }
  const inBase = item.quantity.times(from.factor);
  if (from.kind === to.kind) {
    return { quantity: inBase.div(to.factor) };
  }
  if (to.kind === 'alcohol' && from.kind === 'volume') {
    if (!item.alcoholPercent) {
      return required('alcoholPercent', `is required: ${hsCode} is charged per ${chargeUnit} of pure alcohol; declare the alcoholic strength in % vol`);
    }
    return { quantity: inBase.percent(item.alcoholPercent).div(to.factor) };
  }
  return notConvertible(hsCode, from, to);
}
