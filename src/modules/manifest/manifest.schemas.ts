// Request shapes for the manifest API (they also document it at /docs). Business rules (codes,
// check digits, totals) are checked by the service, so every way in (HTTP, EDIFACT) meets the
// same rules with the same error codes; these schemas hold types and sizes.
import { Type } from 'typebox';
import { Count, FreeText, Integer, Text } from '#platform/http/schemas.ts';

const text = (description: string, maxLength = 200) => Text(maxLength, { description });
const nullableText = (description: string, maxLength = 200) => Type.Optional(Type.Union([Text(maxLength), Type.Null()], { description }));
/** A container ship carries some 24,000 boxes; one B/L of 500 is already rare. */
const maxContainersPerDocument = 500;
/** The largest vessels carry a few thousand bills of lading; 10,000 leaves room for house bills. */
const maxDocuments = 10_000;

export const ContainerBody = Type.Object(
  {
    number: text('ISO 6346 container number with its check digit, e.g. CSQU3054383', 20),
    sizeType: text('ISO 6346 size and type code, e.g. 22G1, 45G1', 8),
    seals: Type.Optional(Type.Array(Text(35), { maxItems: 10, description: 'Seal numbers' })),
  },
  { additionalProperties: false },
);

const documentFields = {
  kind: Type.Union([Type.Literal('BL'), Type.Literal('AWB'), Type.Literal('RCN')], { description: 'BL (sea), AWB (air), RCN consignment note (road, rail)' }),
  masterNumber: nullableText('For a house document: the number of its master document on this manifest', 35),
  shipperName: text('Shipper (consignor)'),
  consigneeName: text('Consignee'),
  consigneePin: nullableText('KRA PIN of the consignee, e.g. P051234567A', 11),
  notifyParty: nullableText('Notify party'),
  packages: Count('Number of packages'),
  packageKind: text('Kind of packages (UN/ECE Rec. 21 code such as CT, PK, CN, VN)', 35),
  grossMassKg: text('Gross mass in kg as a decimal string, e.g. "12500.5"', 20),
  description: FreeText(1000, { description: 'Description of the goods (marks, numbers and description, several lines allowed)' }),
  cargoCategory: Type.Union([Type.Literal('home_use'), Type.Literal('transit'), Type.Literal('transhipment'), Type.Literal('remaining_on_board')]),
  regimeShares: Type.Optional(
    Type.Union([
      Type.Array(
        Type.Object(
          {
            cargoCategory: Type.Union([Type.Literal('home_use'), Type.Literal('transit'), Type.Literal('transhipment'), Type.Literal('remaining_on_board')]),
            packages: Count('Packages of this regime'),
            grossMassKg: text('Gross mass of this regime in kg as a decimal string', 20),
          },
          { additionalProperties: false },
        ),
        { maxItems: 4, description: 'A B/L split between regimes: each regime once, adding up to the document\'s packages and mass; the cargoCategory is one of them' },
      ),
      Type.Null(),
    ]),
  ),
  containers: Type.Optional(Type.Array(ContainerBody, { maxItems: maxContainersPerDocument })),
};

export const DocumentBody = Type.Object({ number: text('B/L, AWB or consignment note number', 35), ...documentFields }, { additionalProperties: false });

export const LodgeBody = Type.Object(
  {
    mode: Type.Union([Type.Literal('sea'), Type.Literal('air'), Type.Literal('road'), Type.Literal('rail')]),
    conveyanceId: text('IMO number (sea), flight number (air), vehicle plate (road), train number (rail)', 35),
    conveyanceName: nullableText('Vessel name, airline, ...'),
    voyageNumber: text('Voyage, flight or trip number', 35),
    portOfLoading: text('UN/LOCODE, e.g. CNSHA', 5),
    portOfDischarge: text('UN/LOCODE, e.g. KEMBA', 5),
    officeCode: text('Customs office of the port of discharge, e.g. MBA', 3),
    expectedArrival: text('Expected time of arrival with its offset, e.g. 2026-12-01T06:00:00+03:00', 40),
    documents: Type.Array(DocumentBody, { maxItems: maxDocuments }),
  },
  { additionalProperties: false },
);

export const AmendmentEntryBody = Type.Object(
  {
    action: Type.Union([Type.Literal('add'), Type.Literal('change'), Type.Literal('remove')], {
      description: 'add a document (all fields), change the fields given, or remove it',
    }),
    number: text('The document number', 35),
    ...Type.Partial(Type.Object(documentFields)).properties,
  },
  { additionalProperties: false },
);

export const AmendmentBody = Type.Object(
  {
    reason: FreeText(500, { description: 'Why the manifest changes' }),
    expectedArrival: Type.Optional(text('A new expected time of arrival', 40)),
    documents: Type.Array(AmendmentEntryBody, { maxItems: maxDocuments }),
  },
  { additionalProperties: false },
);

export const SupplementaryBody = Type.Object(
  {
    reason: FreeText(500, { description: 'Why these documents were left off the manifest' }),
    documents: Type.Array(DocumentBody, { maxItems: maxDocuments }),
  },
  { additionalProperties: false },
);

export const ArrivalBody = Type.Object({ actualArrival: text('When the conveyance arrived, with its offset', 40) }, { additionalProperties: false });
export const CloseBody = Type.Object({ reason: FreeText(500, { description: 'Why the manifest is closed' }) }, { additionalProperties: false });

export const IdParams = Type.Object({ id: Text(64) });

export const ListQuery = Type.Object(
  {
    cursor: Type.Optional(Text(200)),
    limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
    status: Type.Optional(Type.Union([Type.Literal('lodged'), Type.Literal('arrived'), Type.Literal('closed')])),
    officeCode: Type.Optional(Text(3)),
  },
  { additionalProperties: false },
);
