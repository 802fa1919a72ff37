// The declaration as the API takes it and gives it back. Figures are decimal strings; the
// shape is checked here, the customs rules (reference data, tariff, arithmetic, the transport
// document, the agent's authority) when the declaration is lodged, all at once with pointers.
import { Type, type Static } from 'typebox';
import { measureAttributes, QuantityUnit, vehicleFields } from '#modules/assessment/index.ts';
import { Count, ExchangeRate, FreeText, Integer, IsoDate, MassKg, Money, Quantity, Text, Uuid } from '#platform/http/schemas.ts';
import { declarationStatuses } from './declaration.tables.ts';

export const incoterms = ['EXW', 'FCA', 'FAS', 'FOB', 'CFR', 'CIF', 'CPT', 'CIP', 'DAP', 'DPU', 'DDP'] as const;

export const DeclaredItem = Type.Object(
  {
    hsCode: Text(14, { minLength: 1, description: 'National tariff line, e.g. 8471.30.00' }),
    description: FreeText(512, { minLength: 3, description: 'Commercial description of the goods' }),
    originCountry: Text(2, { minLength: 2, description: 'ISO 3166 alpha-2 country of origin' }),
    preferentialOrigin: Type.Optional(Type.Boolean({ description: 'EAC preferential origin claimed (attach a CEAC certificate of origin)' })),
    quantity: Quantity('Quantity, in unit'),
    unit: QuantityUnit('UN/ECE Rec 20 unit of the quantity, e.g. NAR, KGM, PR, MIL, LTR: the supplementary unit of the tariff line or another unit of the same kind (items for a line in mille, ml for one in litres), converted for each charge'),
    ...measureAttributes,
    netMassKg: MassKg('Net mass in kg'),
    grossMassKg: MassKg('Gross mass in kg'),
    packages: Count('Packages of this item on the transport document', 10_000_000),
    itemPrice: Money('Price of the item in the invoice currency'),
    cpc: Type.Optional(Type.String({ pattern: '^\\d{7}$', description: 'Procedure code of this item; default the header CPC; must be of the same regime' })),
    vehicle: Type.Optional(
      Type.Object(
        {
          ...vehicleFields,
          chassisNumber: Type.Optional(Text(32, { minLength: 5 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const declarationFields = {
  regime: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{2,3}$', description: 'Regime, e.g. IM4; default: the regime of the CPC' })),
  cpc: Type.String({ pattern: '^\\d{7}$', description: 'Customs procedure code, e.g. 4000000 (home use)', examples: ['4000000'] }),
  officeCode: Text(3, { minLength: 3, description: 'Customs office where the goods are, e.g. MBA', examples: ['MBA'] }),
  importerPin: Text(20, { minLength: 1, description: "Importer's KRA PIN, e.g. P051234567A" }),
  transportDocumentNumber: Text(35, { minLength: 1, description: 'Bill of lading / air waybill number on the manifest' }),
  carrierCode: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9]{2,16}$', description: 'The carrier whose manifest lists the document (organisation code, e.g. MAERSK); needed when two carriers use the same number' }),
  ),
  manifestReference: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{4,32}$', description: 'Or the manifest that lists it (e.g. 2026MBAMF000123)' })),
  invoiceCurrency: Text(3, { minLength: 3, description: 'ISO 4217 currency of the invoice' }),
  invoiceAmount: Money('Invoice total; must equal the sum of the items prices to the cent'),
  incoterm: Text(3, { minLength: 3, description: `Incoterms 2020: ${incoterms.join(', ')}` }),
  freight: Type.Optional(Money('Freight to the port of import, invoice currency; required for EXW, FCA, FAS, FOB')),
  insurance: Type.Optional(Money('Insurance, invoice currency; default 1% of C&F when the price does not include it')),
  exchangeRate: Type.Optional(ExchangeRate('KES per unit of the invoice currency; default the rate in force on the assessment date')),
  sellerName: Type.Optional(Text(200, { minLength: 1, description: 'Seller (consignor) as named on the invoice' })),
  sellerCountry: Type.Optional(Text(2, { minLength: 2, description: 'ISO 3166 alpha-2 country of the seller' })),
  departureCountry: Type.Optional(Text(2, { minLength: 2, description: 'ISO 3166 alpha-2 country of dispatch (where the goods were shipped from)' })),
  documents: Type.Optional(
    Type.Array(
      Type.Object(
        {
          code: Text(4, { minLength: 2, description: 'Document code, e.g. N380 commercial invoice' }),
          reference: Text(70, { minLength: 1 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 99 },
    ),
  ),
  items: Type.Array(DeclaredItem, { minItems: 1, maxItems: 999 }),
};

export const DeclarationBody = Type.Object(declarationFields, { additionalProperties: false });
export type DeclarationBody = Static<typeof DeclarationBody>;

export const CreateBody = Type.Object(
  { ...declarationFields, lodge: Type.Optional(Type.Boolean({ description: 'Lodge at once (validate, assess, select) instead of keeping a draft' })) },
  { additionalProperties: false },
);
export type CreateBody = Static<typeof CreateBody>;

export const AmendBody = Type.Object(
  { ...declarationFields, reason: Type.Optional(FreeText(1000, { minLength: 1, description: 'Why it is amended (e.g. the answer to a query)' })) },
  { additionalProperties: false },
);
export type AmendBody = Static<typeof AmendBody>;

export const ReasonBody = Type.Object({ reason: FreeText(2000, { minLength: 3 }) }, { additionalProperties: false });
export type ReasonBody = Static<typeof ReasonBody>;

export const ControlBody = Type.Object(
  {
    result: Type.Union([Type.Literal('passed'), Type.Literal('failed')]),
    findings: FreeText(4000, { minLength: 3, description: 'What the officer found' }),
  },
  { additionalProperties: false },
);
export type ControlBody = Static<typeof ControlBody>;

export const IdParams = Type.Object({ id: Uuid() });
export const RequestParams = Type.Object({ id: Uuid(), requestId: Uuid() });

export const RequestDecisionBody = Type.Object(
  {
    approve: Type.Boolean({ description: 'true: the amendment or cancellation is made; false: it is refused and the declaration stands' }),
    reason: FreeText(2000, { minLength: 3, description: 'Why, for the declarant and the record' }),
  },
  { additionalProperties: false },
);
export type RequestDecisionBody = Static<typeof RequestDecisionBody>;
export const ReferenceParams = Type.Object({ reference: Text(32, { minLength: 1 }) });

export const ListQuery = Type.Object(
  {
    // An enum, so that a refusal lists the statuses there are (error-handler.ts).
    status: Type.Optional(Type.Enum([...declarationStatuses], { description: 'Only declarations in this status' })),
    pendingRequest: Type.Optional(Type.Boolean({ description: "Only declarations with a request to amend or cancel waiting for an officer (the officers' queue)" })),
    from: Type.Optional(IsoDate('Created on or after this date (Nairobi)')),
    to: Type.Optional(IsoDate('Created on or before this date (Nairobi)')),
    limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Text(200, { description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const TimelineQuery = Type.Object(
  {
    bl: Type.Optional(Text(35, { minLength: 1, description: 'Transport document (B/L, AWB) number' })),
    carrier: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{2,16}$', description: 'With bl: the carrier (organisation code) whose document it is, when the number is not unique' })),
    manifest: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{4,32}$', description: 'With bl: or the manifest reference' })),
    declaration: Type.Optional(Text(32, { minLength: 1, description: 'Declaration reference' })),
  },
  { additionalProperties: false },
);
export type TimelineQuery = Static<typeof TimelineQuery>;
