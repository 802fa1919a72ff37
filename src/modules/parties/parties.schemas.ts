import { Type } from 'typebox';
import { FreeText, Integer, IsoDate as IsoDateOf, Text, Uuid } from '#platform/http/schemas.ts';

const IsoDate = IsoDateOf();
const Kind = Type.Union([Type.Literal('customs'), Type.Literal('carrier'), Type.Literal('clearing_agent'), Type.Literal('trader'), Type.Literal('bank'), Type.Literal('terminal'), Type.Literal('tracker')]);

export const OrganisationReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  code: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  pin: Type.Union([Type.String(), Type.Null()]),
  licence: Type.Union([
    Type.Object({ number: Type.String(), validFrom: Type.Union([IsoDate, Type.Null()]), validTo: Type.Union([IsoDate, Type.Null()]), validToday: Type.Boolean() }),
    Type.Null(),
  ]),
  aeo: Type.Boolean({ description: 'Authorised economic operator' }),
  createdAt: Type.String({ format: 'date-time' }),
  officeCodes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Terminals: the customs offices they serve (e.g. ["MBA"]); null for other kinds' }),
});

export const NewOrganisationBody = Type.Object(
  {
    code: Text(16, { minLength: 2, description: 'Short code, capitals and digits, e.g. SIGINON' }),
    kind: Kind,
    name: Text(200, { minLength: 2 }),
    pin: Type.Optional(Text(20, { description: 'KRA PIN: letter, nine digits, letter (required for traders)' })),
    licenceNumber: Type.Optional(Text(40, { minLength: 1, description: 'Clearing agents only' })),
    licenceValidFrom: Type.Optional(IsoDate),
    licenceValidTo: Type.Optional(IsoDate),
    aeo: Type.Optional(Type.Boolean()),
    officeCodes: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9]{3}$' }), {
        minItems: 1,
        maxItems: 50,
        description: 'Terminals only, required: the customs offices it serves (codes of /api/v1/reference/offices, e.g. MBA)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const LicenceBody = Type.Object(
  { licenceNumber: Text(40, { minLength: 1 }), licenceValidFrom: IsoDate, licenceValidTo: IsoDate },
  { additionalProperties: false },
);

export const OrganisationListQuery = Type.Object({
  kind: Type.Optional(Kind),
  after: Type.Optional(Text(16, { description: 'Cursor: nextCursor of the previous page' })),
  limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
});

const PartyRef = Type.Object({ id: Type.String({ format: 'uuid' }), code: Type.String(), name: Type.String() });

export const AuthorisationReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  agent: PartyRef,
  client: PartyRef,
  validFrom: IsoDate,
  validTo: Type.Union([IsoDate, Type.Null()]),
  status: Type.Union([Type.Literal('in_force'), Type.Literal('not_yet_in_force'), Type.Literal('expired'), Type.Literal('revoked')]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const GrantBody = Type.Object(
  {
    agentCode: Type.Optional(Text(16, { minLength: 2, description: 'The clearing agent, by code (e.g. SIGINON)' })),
    agentId: Type.Optional(Uuid('Or by id')),
    validFrom: IsoDate,
    validTo: Type.Optional(Type.Union([IsoDate, Type.Null()], { description: 'Last day; omit or null for until further notice' })),
  },
  { additionalProperties: false },
);

export const AuthorisationListQuery = Type.Object({
  agentCode: Type.Optional(Text(16)),
  clientCode: Type.Optional(Text(16)),
  after: Type.Optional(Uuid('Cursor: nextCursor of the previous page')),
  limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
});

export const ReasonBody = Type.Object({ reason: Type.Optional(FreeText(500)) }, { additionalProperties: false });

export const IdParams = Type.Object({ id: Uuid() });
