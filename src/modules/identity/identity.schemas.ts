import { Type } from 'typebox';
import { FreeText, Integer, IsoDateTime, Text, Uuid } from '#platform/http/schemas.ts';

export const OrganisationRef = Type.Object({
  id: Type.String({ format: 'uuid' }),
  code: Type.String(),
  name: Type.String(),
  kind: Type.String(),
});

export const LoginBody = Type.Object(
  {
    username: Text(64, { minLength: 1 }),
    // Any characters a person may type (the input guard still refuses NUL and the like).
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const LoginReply = Type.Object({
  token: Type.String({ description: 'Send as Authorization: Bearer <token>; valid for 8 hours' }),
  expiresAt: Type.String({ format: 'date-time' }),
  user: Type.Object({
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    displayName: Type.String(),
    roles: Type.Array(Type.String()),
    organisation: OrganisationRef,
  }),
});

export const MeReply = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('api-key')]),
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  organisation: OrganisationRef,
});

const OrganisationChoice = {
  organisationCode: Type.Optional(Text(16, { minLength: 2, description: 'The organisation, by code (e.g. MAERSK)' })),
  organisationId: Type.Optional(Uuid('Or by id')),
};

const RoleList = Type.Array(Text(32), { minItems: 1, maxItems: 9, description: 'Roles that suit the organisation kind (a carrier: carrier; the administration: officer, supervisor, risk_analyst, admin...)' });

export const NewUserBody = Type.Object(
  {
    ...OrganisationChoice,
    username: Text(64, { minLength: 3 }),
    displayName: Text(200, { minLength: 1 }),
    password: Type.String({ minLength: 1, maxLength: 256, description: 'At least 12 characters' }),
    roles: RoleList,
  },
  { additionalProperties: false },
);

export const UserReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  displayName: Type.String(),
  roles: Type.Array(Type.String()),
  active: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  organisation: OrganisationRef,
});

export const UserListQuery = Type.Object({
  organisationCode: Type.Optional(Text(16)),
  after: Type.Optional(Text(64, { description: 'Cursor: nextCursor of the previous page' })),
  limit: Type.Optional(Integer({ minimum: 1, maximum: 200, default: 50 })),
});

const KeyExpiry = Type.Optional(IsoDateTime('When the key stops working; default API_KEY_DAYS from now, at most API_KEY_MAX_DAYS'));

export const NewApiKeyBody = Type.Object(
  { ...OrganisationChoice, name: Text(100, { minLength: 2, description: 'What system uses it, e.g. "Maersk manifest gateway"' }), roles: RoleList, expiresAt: KeyExpiry },
  { additionalProperties: false },
);

export const RotateApiKeyBody = Type.Object(
  {
    overlapHours: Type.Optional(Integer({ minimum: 0, maximum: 168, description: 'Hours the old key keeps working beside the new one; default API_KEY_ROTATION_OVERLAP_HOURS' })),
    expiresAt: KeyExpiry,
    reason: Type.Optional(FreeText(500)),
  },
  { additionalProperties: false },
);

const ApiKeyFields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  keyPrefix: Type.String({ description: 'First 8 characters of the key, to tell keys apart' }),
  roles: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time', description: 'After this the key is refused (401, saying it expired)' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  replacedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The key issued when this one was rotated' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  organisation: Type.Object({ id: Type.String({ format: 'uuid' }), code: Type.String() }),
};

export const ApiKeyReply = Type.Object(ApiKeyFields);

export const IssuedApiKeyReply = Type.Object({
  ...ApiKeyFields,
  key: Type.Union([Type.String(), Type.Null()], { description: 'The key, shown this once (send it as X-API-Key). Null on an idempotent replay: only its hash is kept.' }),
});

export const RotatedApiKeyReply = Type.Object({
  ...IssuedApiKeyReply.properties,
  previous: Type.Object(ApiKeyFields, { description: 'The old key, now expiring at the end of the overlap' }),
});

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
    newPassword: Type.String({ minLength: 1, maxLength: 256, description: 'At least 12 characters, not the current one' }),
  },
  { additionalProperties: false },
);

export const ChangePasswordReply = Type.Object({
  passwordChangedAt: Type.String({ format: 'date-time' }),
  otherSessionsEnded: Type.Integer({ description: 'Your other sessions, ended; this one goes on' }),
});

export const ResetPasswordBody = Type.Object(
  { newPassword: Type.String({ minLength: 1, maxLength: 256, description: 'At least 12 characters' }), reason: Type.Optional(FreeText(500)) },
  { additionalProperties: false },
);

export const ResetPasswordReply = Type.Object({ user: UserReply, sessionsEnded: Type.Integer() });

export const OrganisationQuery = Type.Object({ organisationCode: Type.Optional(Text(16)) });

export const IdParams = Type.Object({ id: Uuid() });

export const ReasonBody = Type.Object({ reason: Type.Optional(FreeText(500)) }, { additionalProperties: false });
