// Verification as the API takes it. Shapes are checked here; what depends on the declaration
// (item numbers, changed values, country codes, the re-assessment) is checked by the service,
// all at once with pointers.
import { Type, type Static } from 'typebox';
import { FreeText, Integer, Money, Quantity, Text, Uuid } from '#platform/http/schemas.ts';
import { taskStatuses } from './inspection.tables.ts';

export const DutyBody = Type.Object(
  {
    officeCode: Text(8, { minLength: 2, description: 'Customs office, e.g. MBA' }),
    onDuty: Type.Boolean({ description: 'true: on duty at the office, tasks are drawn for the officer; false: off duty, tasks awaiting their findings are drawn again' }),
    officerId: Type.Optional(Uuid('The officer a supervisor rosters (never themselves); leave it out only to go off duty yourself')),
  },
  { additionalProperties: false },
);
export type DutyBody = Static<typeof DutyBody>;

export const DutyQuery = Type.Object({ officeCode: Type.Optional(Text(8, { minLength: 2 })) }, { additionalProperties: false });
export type DutyQuery = Static<typeof DutyQuery>;

export const CorrectionBody = Type.Object(
  {
    itemNo: Integer({ minimum: 1, maximum: 9999, description: 'Item number on the declaration (1-based)' }),
    hsCode: Type.Optional(Text(14, { minLength: 1, description: 'Correct national tariff line, e.g. 8703.23.90' })),
    quantity: Type.Optional(Quantity('Correct quantity in the supplementary unit')),
    itemPrice: Type.Optional(Money('Correct value of the item in the invoice currency')),
    originCountry: Type.Optional(Text(2, { minLength: 2, description: 'Correct ISO 3166 alpha-2 country of origin' })),
  },
  { additionalProperties: false },
);

export const FindingsBody = Type.Object(
  {
    result: Type.Union([Type.Literal('no_discrepancy'), Type.Literal('discrepancy')], { description: 'no_discrepancy: control passed; discrepancy: give the corrections' }),
    corrections: Type.Optional(Type.Array(CorrectionBody, { maxItems: 999, description: 'With discrepancy: the corrected fields per item' })),
    remarks: Type.Optional(FreeText(4000, { minLength: 3, description: 'What the officer found; required with discrepancy' })),
  },
  { additionalProperties: false },
);
export type FindingsBody = Static<typeof FindingsBody>;

export const ResponseBody = Type.Object(
  {
    response: Type.Union([Type.Literal('accept'), Type.Literal('reject'), Type.Literal('pay_under_protest')], {
      description: 'accept: pay the difference; reject: a supervisor decides; pay_under_protest: pay now (release follows) and have the dispute reviewed',
    }),
    reason: Type.Optional(FreeText(4000, { minLength: 3, description: 'Why; required to reject or to pay under protest' })),
  },
  { additionalProperties: false },
);
export type ResponseBody = Static<typeof ResponseBody>;

export const ReassignBody = Type.Object(
  {
    officerId: Type.Optional(Uuid('An officer on duty at the office; omit to draw one at random among the others on duty')),
    reason: FreeText(2000, { minLength: 3 }),
  },
  { additionalProperties: false },
);
export type ReassignBody = Static<typeof ReassignBody>;

export const WithdrawBody = Type.Object({ reason: FreeText(2000, { minLength: 3, description: 'Why the check ends (goods re-exported, abandoned, ...)' }) }, { additionalProperties: false });
export type WithdrawBody = Static<typeof WithdrawBody>;

export const DecisionBody = Type.Object(
  {
    uphold: Type.Boolean({ description: "true: the officer's corrections stand; false: the declared assessment stands" }),
    reason: FreeText(4000, { minLength: 3 }),
  },
  { additionalProperties: false },
);
export type DecisionBody = Static<typeof DecisionBody>;

export const IdParams = Type.Object({ id: Uuid() });

export const TaskListQuery = Type.Object(
  {
    officeCode: Type.Optional(Text(8, { minLength: 2 })),
    status: Type.Optional(Type.Union(taskStatuses.map((s) => Type.Literal(s)))),
    assignedTo: Type.Optional(Type.String({ pattern: '^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$', description: 'me, or an officer id' })),
    limit: Type.Optional(Integer({ minimum: 1, maximum: 200 })),
    cursor: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);
export type TaskListQuery = Static<typeof TaskListQuery>;
