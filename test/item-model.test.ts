// One item model: everything the public calculator can compute on an item, a declaration item can
// declare. The calculator's item fields are compared with the declaration's, so a measure
// attribute added to one and not the other (as alcoholPercent once was) fails here.
import { describe, expect, it } from 'vitest';
import { CalculatorBody } from '../src/modules/assessment/calculator.routes.ts';
import { DeclaredItem } from '../src/modules/declaration/declaration.schemas.ts';

/** Calculator fields a declaration names differently or holds at another level. */
const declaredAs: Record<string, string | null> = {
  fob: 'itemPrice',
  // Freight and insurance are declared for the consignment and apportioned to items by price.
  freight: null,
  insurance: null,
};

/** A schema's constraints without its wording (a declaration may describe a field for its own readers). */
const shape = (schema: unknown) => JSON.stringify(schema, (key, value: unknown) => (key === 'description' || key === 'examples' ? undefined : value));

describe('the calculator and the declaration share one item model', () => {
  const calculatorItem = CalculatorBody.properties.items.items.properties as Record<string, { type?: string; properties?: object }>;
  const declared = DeclaredItem.properties as Record<string, { type?: string; properties?: object; anyOf?: unknown }>;

  it('every calculator item field can be declared', () => {
    const missing = Object.keys(calculatorItem).filter((k) => {
      const name = k in declaredAs ? declaredAs[k] : k;
      return name !== null && !((name ?? k) in declared);
    });
    expect(missing).toEqual([]);
  });

  it('the measure attributes are the same schema in both', () => {
    for (const field of ['alcoholPercent', 'unit'] as const) {
      expect(shape(declared[field]), field).toBe(shape(calculatorItem[field]));
    }
    // A declared vehicle may say more (its chassis number), never less.
    const calculatorVehicle = calculatorItem.vehicle?.properties as Record<string, unknown>;
    const declaredVehicle = declared.vehicle?.properties as Record<string, unknown>;
    for (const [field, schema] of Object.entries(calculatorVehicle)) {
      expect(shape(declaredVehicle[field]), `vehicle.${field}`).toBe(shape(schema));
    }
  });
});
