// /api/v1/exports and an export's exit and proof of exit. An export is a declaration (regime EX1
// or EX3): once lodged it is read, registered, paid, controlled and cancelled through
// /api/v1/declarations like an import. Every POST runs through idempotent(): one transaction,
// replayed for a repeated Idempotency-Key.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { actorOf, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import type { Caller, DeclarationService } from './declaration.service.ts';
import { ExitBody, ExportBody } from './declaration.export.schemas.ts';
import { IdParams } from './declaration.schemas.ts';

const declarants = ['agent', 'trader'] as const;
/** The terminal at the port of exit (goods loaded on the outbound manifest) or customs at the office of exit. */
const exitConfirmers = ['terminal', 'officer', 'supervisor'] as const;
const readers = ['agent', 'trader', 'officer', 'supervisor', 'risk_analyst', 'admin'] as const;
const exportBodyLimit = 4 * 1024 * 1024;
const keyNote = 'Send an Idempotency-Key header: a retry with the same key and body returns the first answer; another body with it is a 422.';

export function exportRoutes(deps: { db: Kysely<DB>; declarations: DeclarationService; officesServed: (organisationId: string) => Promise<readonly string[]> }): FastifyPluginAsyncTypebox {
  const { declarations } = deps;
  const caller = (request: FastifyRequest): Caller => ({ principal: principalOf(request), actor: actorOf(request), requestId: request.id });

  return async (app) => {
    app.post(
      '/api/v1/exports',
      {
        schema: {
          tags: ['declarations'],
          summary: 'Lodge an export declaration (EX1 direct export, EX3 re-export) before the goods reach the port or border',
          description: `Validated, assessed (export charges in force today, usually none) and given a channel by the risk engine in this request; all problems at once (422). The exporter is the consignor: a registered trader declaring itself, or a clearing agent it authorised. A re-export names on every item the import declaration item it re-exports; it may take no more than what remains of it. Then register (POST /api/v1/declarations/:id/register) and pay like an import; paid and cleared, it is released for loading. ${keyNote}`,
          body: ExportBody,
        },
        bodyLimit: exportBodyLimit,
        config: { access: declarants },
      },
      async (request, reply) => {
        const c = caller(request);
        await declarations.ready();
        const body = await idempotent(deps.db, request, reply, async (tx) => ({ status: 201, body: await declarations.lodgeExport(tx, c, request.body) }));
        void reply.header('etag', `"${body.version}"`);
        return body;
      },
    );

    app.post(
      '/api/v1/declarations/:id/exit',
      {
        schema: {
          tags: ['declarations'],
          summary: "Confirm an export's exit at its office of exit: released -> exited",
          description: `By the terminal at the office of exit (the goods were loaded on the outbound manifest: give its reference) or by a customs officer on duty there (a border crossing). Refused before release (409), a second time (409), at another office (403; a terminal of another office is answered 404), by anyone else (403). A re-export's exit writes off what it took of the import. ${keyNote}`,
          params: IdParams,
          body: ExitBody,
        },
        config: { access: exitConfirmers },
      },
      async (request, reply) => {
        const c = caller(request);
        // Read before the transaction: the embedded database has one connection.
        const offices = c.principal.roles.includes('terminal') ? await deps.officesServed(c.principal.organisationId) : [];
        const body = await idempotent(deps.db, request, reply, async (tx) => ({ status: 200, body: await declarations.confirmExit(tx, c, request.params.id, request.body, offices) }));
        void reply.header('etag', `"${body.version}"`);
        return body;
      },
    );

    app.get(
      '/api/v1/declarations/:id/proof-of-exit',
      {
        schema: {
          tags: ['declarations'],
          summary: 'The printable proof of exit (HTML) of an exited export, for its exporter, declarant and customs',
          params: IdParams,
        },
        config: { access: readers },
      },
      async (request, reply) => {
        const page = await declarations.proofOfExit(principalOf(request), request.params.id);
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'no-store')
          .send(page);
      },
    );
    return Promise.resolve();
  };
}
