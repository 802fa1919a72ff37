// The risk API's shapes. Shapes are checked here; meaning (known countries, offices, procedure
// codes, dates in order) by the service, all at once with pointers.
import { Type, type Static } from 'typebox';
import { DecimalString, FreeText, Integer, IsoDate as IsoDateOf, Text, Uuid } from '#platform/http/schemas.ts';

const IsoDate = IsoDateOf();
const KesAmount = DecimalString({ digits: 15, places: 4, description: 'KES', examples: ['150.00'] });
const Codes = (description: string, pattern?: string) =>
  Type.Array(pattern ? Type.String({ minLength: 1, maxLength: 200, pattern }) : Text(200, { minLength: 1 }), { minItems: 1, maxItems: 500, description });

const ValueBand = Type.Object(
  {
    below: Type.Optional(KesAmount),
    above: Type.Optional(KesAmount),
  },
  {
    additionalProperties: false,
    description: 'Customs value in KES per kg (or per unit of quantity): hits below and/or above the threshold',
  },
);

export const Criteria = Type.Object(
  {
    hsCodes: Type.Optional(Codes('HS codes or prefixes, 2 to 10 digits (dots allowed), any of', '^[0-9.\\s]{2,14}$')),
    originCountries: Type.Optional(Codes('ISO 3166 alpha-2 countries of origin, any of')),
    departureCountries: Type.Optional(Codes('ISO 3166 alpha-2 countries of dispatch, any of')),
    importers: Type.Optional(Codes('Importers: KRA PIN, organisation id or organisation code, any of')),
    declarants: Type.Optional(Codes('Declarants (clearing agents): organisation id or code, any of')),
    sellers: Type.Optional(Codes('Seller names as on the invoice (case and spacing ignored), any of')),
    offices: Type.Optional(Codes('Customs offices of declaration, any of')),
    procedureCodes: Type.Optional(Codes('Customs procedure codes (7 digits), any of', '^\\d{7}$')),
    transportModes: Type.Optional(Type.Array(Type.Union([Type.Literal('sea'), Type.Literal('air'), Type.Literal('road'), Type.Literal('rail')]), { minItems: 1, maxItems: 4 })),
    valuePerKg: Type.Optional(ValueBand),
    valuePerUnit: Type.Optional(ValueBand),
  },
  {
    additionalProperties: false,
    description: 'Every criterion given must match; lists mean any of. Item criteria (HS, origin, value) must hold for one same item.',
  },
);
export type CriteriaBody = Static<typeof Criteria>;

const ChannelOfRule = Type.Union([Type.Literal('yellow'), Type.Literal('red'), Type.Literal('blue')], {
  description: 'yellow = documentary check, red = physical verification, blue = release now, post-clearance audit',
});

export const RuleBody = Type.Object(
  {
    name: Text(200, { minLength: 3 }),
    reason: FreeText(1000, { minLength: 3, description: 'Shown to the officer with the selection' }),
    channel: ChannelOfRule,
    priority: Integer({
      minimum: 1,
      maximum: 999,
      description: '1 comes first in the reasons; the most demanding channel of all hits decides',
    }),
    offices: Type.Optional(
      Type.Array(Text(3, { minLength: 3 }), {
        maxItems: 100,
        description: 'Offices where the rule is in force; empty = all',
      }),
    ),
    validFrom: IsoDate,
    validTo: Type.Optional(Type.Union([IsoDate, Type.Null()])),
    active: Type.Optional(Type.Boolean({ default: true })),
    criteria: Criteria,
    changeReason: Type.Optional(FreeText(1000, { minLength: 1, description: 'Why the rule is created or changed (audit)' })),
  },
  { additionalProperties: false },
);
export type RuleBody = Static<typeof RuleBody>;

export const RuleChangeBody = Type.Object(
  {
    ...RuleBody.properties,
    expectedVersion: Type.Optional(Integer({ minimum: 1, description: 'The version you changed; another current version is a 409' })),
  },
  { additionalProperties: false },
);
export type RuleChangeBody = Static<typeof RuleChangeBody>;

export const IdParams = Type.Object({ id: Uuid() });
export const RuleVersionParams = Type.Object({
  id: Uuid(),
  version: Integer({ minimum: 1 }),
});
export const EntryParams = Type.Object({
  id: Uuid(),
  entryId: Uuid(),
});
export const DeclarationParams = Type.Object({
  declarationId: Uuid(),
});

export const RuleListQuery = Type.Object({
  includeInactive: Type.Optional(
    Type.Boolean({
      description: 'Also rules switched off (current version inactive)',
    }),
  ),
});

export const WatchlistBody = Type.Object(
  {
    name: Text(200, { minLength: 3 }),
    kind: Type.Union([Type.Literal('importer'), Type.Literal('declarant'), Type.Literal('seller'), Type.Literal('hs')]),
    channel: Type.Optional(
      Type.Union([Type.Literal('yellow'), Type.Literal('red')], {
        description: 'At least yellow; default yellow',
      }),
    ),
    reason: FreeText(1000, { minLength: 3 }),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type WatchlistBody = Static<typeof WatchlistBody>;

export const WatchlistChangeBody = Type.Object(
  {
    name: Type.Optional(Text(200, { minLength: 3 })),
    channel: Type.Optional(Type.Union([Type.Literal('yellow'), Type.Literal('red')])),
    reason: Type.Optional(FreeText(1000, { minLength: 3 })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type WatchlistChangeBody = Static<typeof WatchlistChangeBody>;

export const EntryBody = Type.Object(
  {
    value: Text(200, {
      minLength: 1,
      description: 'importer: PIN, organisation id or code; declarant: organisation id or code; seller: name; hs: HS prefix',
    }),
    note: Type.Optional(FreeText(1000)),
    validFrom: IsoDate,
    validTo: Type.Optional(Type.Union([IsoDate, Type.Null()])),
  },
  { additionalProperties: false },
);
export type EntryBody = Static<typeof EntryBody>;

export const EndBody = Type.Object(
  {
    validTo: IsoDate,
    reason: Type.Optional(FreeText(1000)),
  },
  { additionalProperties: false },
);
export type EndBody = Static<typeof EndBody>;

export const ProhibitedBody = Type.Object(
  {
    hsPrefix: Type.String({
      pattern: '^[0-9.\\s]{2,14}$',
      description: 'HS prefix, 2 to 10 digits, e.g. 9302',
    }),
    reason: FreeText(1000, { minLength: 3 }),
    validFrom: IsoDate,
    validTo: Type.Optional(Type.Union([IsoDate, Type.Null()])),
  },
  { additionalProperties: false },
);
export type ProhibitedBody = Static<typeof ProhibitedBody>;

export const SettingBody = Type.Object(
  {
    key: Text(100, { minLength: 1 }),
    value: Type.Unknown({
      description: 'JSON value; each key says what it accepts',
    }),
    validFrom: IsoDate,
    note: Type.Optional(FreeText(1000)),
  },
  { additionalProperties: false },
);
export type SettingBody = Static<typeof SettingBody>;

export const SettingsQuery = Type.Object({ date: Type.Optional(IsoDate) });

export const ThresholdsBody = Type.Object(
  {
    targetRates: Type.Optional(
      Type.Object(
        {
          red: Type.Number({ minimum: 0, maximum: 1 }),
          yellow: Type.Number({ minimum: 0, maximum: 1 }),
        },
        {
          additionalProperties: false,
          description: 'Shares of declarations the model sends to red and yellow, e.g. 0.03 and 0.07',
        },
      ),
    ),
    source: Type.Optional(
      Type.Union([Type.Literal('validation'), Type.Literal('recent')], {
        description: "Scores the cut-offs are read from: the model's held-out set, or recent declarations",
      }),
    ),
    days: Type.Optional(Integer({ minimum: 1, maximum: 365, description: 'For source=recent: how far back (default 30)' })),
  },
  { additionalProperties: false },
);
export type ThresholdsBody = Static<typeof ThresholdsBody>;

export const MonitoringQuery = Type.Object({ from: IsoDate, to: IsoDate });
export const ValuationQuery = Type.Object({
  hsCode: Type.String({ pattern: '^[0-9.\\s]{4,14}$' }),
  origin: Text(2, { minLength: 2 }),
  unit: Type.Optional(Text(4, { minLength: 1, description: 'For a per-unit reference (default per kg)' })),
});
