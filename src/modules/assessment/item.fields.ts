// The attributes a tariff measure may ask of an item, defined once for the calculator and the
// declaration, so anything the calculator can compute can also be declared.
import { Type } from 'typebox';
import { DecimalString, Text } from '#platform/http/schemas.ts';

/** Alcoholic strength: excise on spirits, wine and beer is per litre (or centilitre) of pure alcohol. */
export const AlcoholPercent = () =>
  DecimalString({ digits: 3, places: 2, description: 'Alcoholic strength in % vol (e.g. "40" for whisky, "5" for beer); required where a charge is per litre of pure alcohol', examples: ['40'] });

/** The unit a quantity is declared in, converted to whatever unit a charge is levied per. */
export const QuantityUnit = (description: string) => Text(4, { minLength: 1, description });

export const measureAttributes = {
  alcoholPercent: Type.Optional(AlcoholPercent()),
};
