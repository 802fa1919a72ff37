import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { actorOf, customsRoles } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { notFound } from '#platform/http/problem.ts';
import { DecimalString, FreeText, Integer, IsoDate, Text, Uuid } from '#platform/http/schemas.ts';
import type { ReliefService } from './relief.service.ts';

const Patterned = (maxLength: number, minLength: number, pattern: string, description: string) => Type.String({ maxLength, minLength, pattern, description });
const Code = (max: number, description: string) => Patterned(max, 1, '^[A-Za-z0-9]+$', description);

export const NewLetterBody = Type.Object(
  {
    number: Patterned(40, 3, '^[A-Za-z0-9/._-]+$', 'Letter number as issued, e.g. TNT/EXM/2026/0142; declarations quote it as the document reference'),
    documentCode: Type.Optional(Code(8, 'Document code the letter is presented under: EXL (default) or DRL (duty remission letter)')),
    holderPin: Patterned(11, 11, '^[A-Za-z]\\d{9}[A-Za-z]$', "Holder's KRA PIN: only its declarations may use the letter"),
    holderName: Type.Optional(Text(200, { description: 'Organisation or project named in the letter' })),
    procedureCodes: Type.Array(Type.String({ pattern: '^\\d{7}$', maxLength: 7 }), { minItems: 1, maxItems: 20, description: 'Procedure codes the letter may be used with' }),
    charges: Type.Array(Code(10, 'Charge code, e.g. ID, VAT'), { minItems: 1, maxItems: 20, description: 'Charges the letter relieves (the relief rules of the CPC say how)' }),
    cover: Type.Union([Type.Literal('value'), Type.Literal('quantity')], { description: 'value: customs value in KES; quantity: in unit' }),
    limit: DecimalString({ digits: 14, places: 3, description: 'KES (value) or quantity the letter covers', examples: ['2500000.00'] }),
    unit: Type.Optional(Code(4, 'UN/ECE Rec 20 unit of a quantity cover, e.g. KGM')),
    hsPrefix: Type.Optional(Patterned(13, 2, '^[0-9.]+$', 'Goods covered: HS code start, e.g. 1701 or 17.01')),
    validFrom: IsoDate(),
    validTo: Type.Optional(IsoDate()),
    note: Type.Optional(FreeText(500)),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    holderPin: Type.Optional(Text(11, { minLength: 11 })),
    after: Type.Optional(Text(40)),
    limit: Type.Optional(Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

export function reliefRoutes(deps: { db: Kysely<DB>; relief: ReliefService }): FastifyPluginAsyncTypebox {
  const { db, relief } = deps;
  // Letters are customs' record of what the Treasury granted: customs registers and reads them;
  // a trader learns of its own letter from the letter itself and from its declarations.
  const writers = ['officer', 'supervisor', 'admin'] as const;
  return async (app) => {
    app.post(
      '/api/v1/exemption-letters',
      { schema: { tags: ['relief'], summary: 'Register an exemption letter (Treasury exemption, duty remission) with what it covers', body: NewLetterBody }, config: { access: writers } },
      async (request, reply) => idempotent(db, request, reply, async (tx) => ({ status: 201, body: await relief.createLetter(tx, actorOf(request), request.id, request.body) })),
    );
    app.get(
      '/api/v1/exemption-letters',
      { schema: { tags: ['relief'], summary: 'Exemption letters by number, with their balances', querystring: ListQuery }, config: { access: customsRoles } },
      async (request) => {
        const limit = request.query.limit ?? 50;
        const items = await relief.letters(db, { ...(request.query.holderPin ? { holderPin: request.query.holderPin.toUpperCase() } : {}), ...(request.query.after ? { after: request.query.after } : {}), limit });
        const last = items.at(-1);
        return { items, nextCursor: items.length === limit && last ? last.number : null };
      },
    );
    app.get(
      '/api/v1/exemption-letters/:id',
      { schema: { tags: ['relief'], summary: 'One exemption letter and its balance', params: Type.Object({ id: Uuid() }, { additionalProperties: false }) }, config: { access: customsRoles } },
      async (request) => {
        const letter = await relief.letter(db, request.params.id);
        if (!letter) {
          throw notFound(`Exemption letter ${request.params.id}`);
        }
        return letter;
      },
    );
  };
}
