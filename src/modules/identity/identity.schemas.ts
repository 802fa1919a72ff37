import { Type } from 'typebox';

export const OrganisationRef = Type.Object({
  id: Type.String({ format: 'uuid' }),
  code: Type.String(),
  name: Type.String(),
  kind: Type.String(),
});

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
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
