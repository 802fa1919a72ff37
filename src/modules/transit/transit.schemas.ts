// Request bodies of the transit routes: every string, list and decimal bounded.
import { Type } from 'typebox';
import { Count, FreeText, Integer, IsoDate, IsoDateTime, MassKg, Money, Quantity, Text } from '#platform/http/schemas.ts';
import { maxItems, maxSeals } from './transit.service.ts';

const Office = (description: string) => Text(5, { minLength: 2, description });
const Reason = FreeText(500, { minLength: 3, description: 'Why, in words (kept in the audit trail)' });

export const GuaranteeBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('bond'), Type.Literal('regional')], { description: "bond: the agent's customs bond account; regional: a regional customs transit guarantee (COMESA/EAC RCTG)" }),
    holder: Text(20, { minLength: 2, description: "The clearing agent's organisation code, e.g. SIGINON" }),
    guarantor: Text(120, { minLength: 2, description: 'The insurer or bank that stands behind it' }),
    amount: Money('Face amount in KES'),
    currency: Type.Optional(Type.Literal('KES')),
    validFrom: IsoDate('First day the guarantee is valid'),
    validTo: IsoDate('Last day the guarantee is valid'),
  },
  { additionalProperties: false },
);

export const TopUpBody = Type.Object({ amount: Money('KES added to the guarantee'), reason: Reason }, { additionalProperties: false });

const Item = Type.Object(
  {
    hsCode: Text(12, { minLength: 4, description: 'HS code of the national tariff, e.g. 7208.51.00' }),
    description: Text(200, { minLength: 2 }),
    quantity: Quantity('Quantity in the unit given'),
    unit: Text(5, { minLength: 1, description: 'UN/ECE Rec 20 unit code, e.g. KGM, NAR' }),
    value: Money('Customs (CIF) value of the item in the currency given'),
    originCountry: Text(2, { minLength: 2, description: 'ISO 3166 alpha-2' }),
  },
  { additionalProperties: false },
);

const movementFields = {
  kind: Type.Union([Type.Literal('IM8'), Type.Literal('TR')], { description: 'IM8: regional transit to a partner state; TR: national transfer to an inland depot' }),
  guaranteeReference: Text(40, { minLength: 3, description: "The agent's guarantee that secures the duties at stake" }),
  transportDocumentNumber: Text(35, { minLength: 3, description: 'The B/L with transit cargo' }),
  manifestReference: Type.Optional(Text(40, { description: 'Which manifest, when two carriers used the same B/L number' })),
  packages: Type.Optional(Count('Packages moved; default all transit packages of the B/L not yet on a movement')),
  grossMassKg: Type.Optional(MassKg('Kilograms moved; default all transit cargo of the B/L not yet on a movement')),
  officeOfDeparture: Office('Customs office of departure, e.g. MBA'),
  officeOfExit: Type.Optional(Office('IM8: border office of exit, e.g. MAL (Malaba), BUS (Busia)')),
  officeOfDestination: Type.Optional(Office('TR: inland depot of destination, e.g. NBI (Nairobi ICD), NAV (Naivasha ICD)')),
  destinationCountry: Text(2, { minLength: 2, description: 'ISO 3166 alpha-2: UG, RW, SS, CD, BI... (KE for a national transfer)' }),
  currency: Text(3, { minLength: 3, description: 'ISO 4217 currency of the item values' }),
  items: Type.Array(Item, { minItems: 1, maxItems }),
  seals: Type.Array(Text(30, { minLength: 4 }), { maxItems: maxSeals, description: 'Electronic seal ids to be affixed' }),
};

export const MovementBody = Type.Object(movementFields, { additionalProperties: false });
export const AmendBody = Type.Object({ ...movementFields, reason: Reason }, { additionalProperties: false });
export const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const DepartureBody = Type.Object(
  { seals: Type.Optional(Type.Array(Text(30, { minLength: 4 }), { minItems: 1, maxItems: maxSeals, description: 'The seals actually affixed; default those lodged' })) },
  { additionalProperties: false },
);
export const ConclusionBody = Type.Object({ remarks: Type.Optional(FreeText(500)) }, { additionalProperties: false });
export const AcknowledgeBody = Type.Object({ note: FreeText(500, { minLength: 3, description: 'What the officer did about it' }) }, { additionalProperties: false });

export const SealEventBody = Type.Object(
  {
    eventId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$', description: "The operator's own event id: the same id again is a replay" }),
    sealId: Text(30, { minLength: 4 }),
    kind: Type.Union([Type.Literal('position'), Type.Literal('speed'), Type.Literal('seal_opened'), Type.Literal('seal_tampered'), Type.Literal('off_route'), Type.Literal('stopped')]),
    at: IsoDateTime('When the seal reported it'),
    latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    speedKmh: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })),
    officeCode: Type.Optional(Office('seal_opened: the customs office where it was opened, if at one')),
    deviationMetres: Type.Optional(Integer({ minimum: 0, maximum: 10_000_000, description: 'off_route: distance from the approved route' })),
    stoppedMinutes: Type.Optional(Integer({ minimum: 0, maximum: 100_000, description: 'stopped: for how long' })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Text(40, { minLength: 1, description: 'Movement id or reference, e.g. 2026MBAIM8000001' }) });
export const ReferenceParams = Type.Object({ reference: Text(40, { minLength: 3, description: 'Guarantee reference, e.g. 2026HQNGB000001' }) });
export const ListQuery = Type.Object({
  status: Type.Optional(Type.Union(['lodged', 'departed', 'arrived', 'exited', 'discharged', 'cancelled', 'overdue', 'called'].map((s) => Type.Literal(s)))),
  limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export const AlertQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged')])),
  limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
});
