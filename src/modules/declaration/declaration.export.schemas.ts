// An export declaration as the API takes it (POST /api/v1/exports). Exports are lodged before the
// goods reach the port or border, so no transport document is named: the office of exit confirms
// the loading (outbound manifest) or the crossing later. The shape is checked here; the customs
// rules (reference data, tariff, arithmetic, the exporter's and agent's standing, what remains of
// the import a re-export cites) when it is lodged, all at once with pointers.
import { Type, type Static } from 'typebox';
import { QuantityUnit } from '#modules/assessment/index.ts';
import { Count, ExchangeRate, FreeText, Integer, MassKg, Money, Quantity, Text } from '#platform/http/schemas.ts';

export const ExportItem = Type.Object(
  {
    hsCode: Text(14, { minLength: 1, description: 'National tariff line, e.g. 0902.40.00' }),
    description: FreeText(512, { minLength: 3, description: 'Commercial description of the goods' }),
    originCountry: Text(2, { minLength: 2, description: 'ISO 3166 alpha-2 country of origin (KE for home-produced goods)' }),
    quantity: Quantity('Quantity, in unit'),
    unit: QuantityUnit('UN/ECE Rec 20 unit of the quantity, e.g. KGM, NAR; a re-exported item uses the unit of the import item it re-exports'),
    netMassKg: MassKg('Net mass in kg'),
    grossMassKg: MassKg('Gross mass in kg'),
    packages: Count('Packages of this item', 10_000_000),
    itemPrice: Money('Price of the item in the invoice currency (FOB)'),
    reExportOf: Type.Optional(
      Type.Object(
        {
          declaration: Text(32, { minLength: 1, description: 'Reference of the import declaration whose goods are re-exported, e.g. 2026MBAIM4000123' }),
          itemNo: Integer({ minimum: 1, maximum: 999, description: 'Its item number' }),
        },
        { additionalProperties: false, description: 'Re-export (EX3) only: the import declaration item these goods are; its remaining quantity is written off on exit' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ExportBody = Type.Object(
  {
    regime: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{2,3}$', description: 'EX1 or EX3; default: the regime of the CPC' })),
    cpc: Type.String({ pattern: '^\\d{7}$', description: 'Export procedure code, e.g. 1000100 (direct export of home-produced goods), 3100000 (re-export)', examples: ['1000100'] }),
    officeCode: Text(3, { minLength: 3, description: 'Customs office where the export is lodged and the goods examined, e.g. NBI or MBA' }),
    exporterPin: Text(20, { minLength: 1, description: "Exporter's (consignor's) KRA PIN, e.g. P051234567A" }),
    exitOfficeCode: Text(3, { minLength: 3, description: 'Office of exit: the port, airport or border office where the goods leave Kenya, e.g. MBA, JKA, MAL' }),
    destinationCountry: Text(2, { minLength: 2, description: 'ISO 3166 alpha-2 country of destination; not KE' }),
    goodsLocation: FreeText(200, { minLength: 3, description: 'Where the goods are and can be examined before loading (warehouse, CFS, factory)' }),
    invoiceCurrency: Text(3, { minLength: 3, description: 'ISO 4217 currency of the invoice' }),
    invoiceAmount: Money('Invoice total; must equal the sum of the items prices to the cent'),
    incoterm: Text(3, { minLength: 3, description: 'Incoterms 2020 of the sale' }),
    exchangeRate: Type.Optional(ExchangeRate('KES per unit of the invoice currency; only for a currency with no official rate in force')),
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
    items: Type.Array(ExportItem, { minItems: 1, maxItems: 999 }),
  },
  { additionalProperties: false },
);
export type ExportBody = Static<typeof ExportBody>;

export const ExitBody = Type.Object(
  {
    reference: Text(70, {
      minLength: 3,
      description: 'What proves the goods left: at a port or airport the outbound manifest or bill of lading / air waybill they were loaded on; at a border the crossing record',
    }),
    remarks: Type.Optional(FreeText(1000, { minLength: 1, description: 'What the officer or terminal noted' })),
  },
  { additionalProperties: false },
);
export type ExitBody = Static<typeof ExitBody>;
