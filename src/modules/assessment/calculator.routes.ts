import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DecimalString, Integer, IsoDate, Text, patternMessages } from '#platform/http/schemas.ts';
import type { CalculatorService } from './calculator.service.ts';
import { measureAttributes, QuantityUnit } from './item.fields.ts';

// Nothing the calculator computes is stored, so its figures are bounded for the arithmetic alone:
// 15 digits before the point and 6 after, surrounding spaces tolerated.
const Decimal = (description: string, digits = 15) => DecimalString({ digits, places: 6, padded: true, description, examples: ['1250.50'] });

/** Year and month of first registration, e.g. 2021-03. */
const firstRegistrationPattern = '^(19|20|21)\\d{2}-(0[1-9]|1[0-2])$';
export const FirstRegistration = Type.String({ pattern: firstRegistrationPattern, maxLength: 7, description: 'Year and month of first registration, YYYY-MM: the vehicle is used and valued from the CRSP schedule', examples: ['2021-03'] });

patternMessages.set(firstRegistrationPattern, { code: 'invalid_month', message: 'must be the year and month of first registration written YYYY-MM, e.g. "2021-03"' });

/** A vehicle, shared by the calculator and declaration items. */
export const vehicleFields = {
  fuel: Text(20, { description: 'petrol, diesel, hybrid, hybrid-diesel, plug-in-petrol, plug-in-diesel or electric' }),
  engineCc: Integer({ minimum: 0, maximum: 20000 }),
  make: Type.Optional(Text(60, { minLength: 1, description: 'Make as in the CRSP schedule, e.g. TOYOTA (required with firstRegistration)' })),
  model: Type.Optional(Text(80, { minLength: 1, description: 'Model as in the CRSP schedule, e.g. HARRIER (required with firstRegistration)' })),
  body: Type.Optional(Text(40, { minLength: 1, description: 'Body type, e.g. SUV; picks between CRSP rows of the same model' })),
  drive: Type.Optional(Text(10, { minLength: 1, description: 'Drive, e.g. 2WD or 4WD; picks between CRSP rows of the same model' })),
  firstRegistration: Type.Optional(FirstRegistration),
  // Refused with a clear message (not dropped silently): the list is read by the system; age counts months.
  firstRegistrationYear: Type.Optional(Integer({ minimum: 1900, maximum: 2100, description: 'Refused: declare firstRegistration (YYYY-MM)' })),
  crsp: Type.Optional(Decimal('Refused: used vehicles are valued from the CRSP schedule in force (GET /api/v1/vehicles/crsp)')),
};

const VehicleBody = Type.Object(vehicleFields, { additionalProperties: false });

export const CalculatorBody = Type.Object(
  {
    date: Type.Optional(IsoDate('Date whose rules apply (arrival of the vessel); default today in Nairobi')),
    currency: Text(3, { minLength: 3, description: 'ISO 4217 currency of FOB, freight and insurance', examples: ['USD'] }),
    exchangeRate: Type.Optional(Decimal('KES per unit of currency; default: the rate in force on the date', 9)),
    cpc: Type.Optional(Type.String({ pattern: '^\\d{7}$', description: 'Customs procedure code; default 4000000 (home use)' })),
    documents: Type.Optional(
      Type.Array(
        Type.Object(
          {
            code: Text(4, { minLength: 2, description: 'Document code (GET /api/v1/reference/document-codes), e.g. DIPN diplomatic note, EXL exemption letter, CEAC EAC or CCOM COMESA certificate of origin' }),
            reference: Text(70, { minLength: 1, description: 'Its number, e.g. an exemption letter number' }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 99, description: 'Supporting documents presented: reliefs by procedure code and preferences need theirs; exemption letters are taken as presented here and checked at lodgement' },
      ),
    ),
    freight: Type.Optional(Decimal('Freight for the whole consignment, apportioned to items by FOB')),
    insurance: Type.Optional(Decimal('Insurance for the whole consignment, apportioned by FOB; default 1% of C&F')),
    items: Type.Array(
      Type.Object(
        {
          hsCode: Type.Optional(Text(14, { description: 'National tariff line, e.g. 8703.23.00 or 87032300' })),
          originCountry: Type.Optional(Text(2, { minLength: 2, description: 'ISO 3166 alpha-2' })),
          preferentialOrigin: Type.Optional(Type.Boolean({ description: 'Preferential origin claimed (EAC Customs Union, COMESA FTA): the agreement follows from the origin country and date, and its certificate must be in documents' })),
          fob: Type.Optional(Decimal('Free-on-board value in the invoice currency')),
          freight: Type.Optional(Decimal('Freight for this item')),
          insurance: Type.Optional(Decimal('Insurance for this item; default 1% of C&F')),
          quantity: Type.Optional(Decimal('Quantity, in unit (default the supplementary unit of the tariff line)')),
          unit: Type.Optional(QuantityUnit('Unit of the quantity (UN/ECE Rec 20, e.g. NAR, MIL, LTR, MLT, KGM); default the tariff line\'s supplementary unit; converted to the unit each charge is levied per')),
          netMassKg: Type.Optional(Decimal('Net mass in kg', 11)),
          ...measureAttributes,
          vehicle: Type.Optional(VehicleBody),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 999 },
    ),
  },
  { additionalProperties: false },
);

export function calculatorRoutes(deps: { calculator: CalculatorService; rateLimit: number }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api/v1/calculator',
      {
        schema: {
          tags: ['calculator'],
          summary: 'Public duty calculator: customs value and every tax line, from the rules in force on the date',
          description: 'No login. Rate limited per client address. Amounts are decimal strings in KES.',
          body: CalculatorBody,
        },
        // 999 items of a few hundred bytes each.
        bodyLimit: 1024 * 1024,
        config: { rateLimit: { max: deps.rateLimit, timeWindow: '1 minute' }, access: 'public' },
      },
      async (request) => deps.calculator.calculate(request.body),
    );
  };
}
