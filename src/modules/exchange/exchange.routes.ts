// The exchange module's routes: WCO Data Model declarations (wco/), UN/EDIFACT interchanges in
// (CUSCAR cargo reports become manifests, answered by a CONTRL) and CUSRES out to terminals.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import { localDate, type Clock } from '#platform/clock.ts';
import { actorOf, principalOf } from '#platform/http/auth.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { ProblemError } from '#platform/http/problem.ts';
import { Integer } from '#platform/http/schemas.ts';
import type { DeclarationService } from '#modules/declaration/index.ts';
import type { LodgementInput, ManifestService } from '#modules/manifest/index.ts';
import type { PartiesService } from '#modules/parties/index.ts';
import type { ReferenceService } from '#modules/reference/index.ts';
import { exchangeRepository } from './exchange.repository.ts';
import { wcoRoutes } from './wco/wco.routes.ts';
import { checkInterchange, renderContrl, type MessageProblem } from './edifact/edifact.check.ts';
import { readCuscar, type Source } from './edifact/cuscar.ts';

export interface ExchangeRouteDeps {
  db: Kysely<DB>;
  clock: Clock;
  declarations: DeclarationService;
  manifests: ManifestService;
  parties: Pick<PartiesService, 'organisationByCode'>;
  reference: Pick<ReferenceService, 'sets'>;
  officesServed: (organisationId: string) => Promise<readonly string[]>;
}

const edifactBodyLimit = 2 * 1024 * 1024;
/** As the platform's Idempotency-Key (src/platform/http/idempotency.ts). */
const keyPattern = /^[\w.:-]{1,200}$/;
const edifactType = 'application/edifact';

/** The nearest EDIFACT source of a manifest pointer (/documents/0/grossMassKg -> MEA of CNI 1). */
function sourceOf(sources: Map<string, Source>, pointer: string): Source | undefined {
  for (let p = pointer; p !== ''; p = p.replace(/\/[^/]*$/, '')) {
    const found = sources.get(p);
    if (found) {
      return found;
    }
  }
  return undefined;
}

export function exchangeRoutes(deps: ExchangeRouteDeps): FastifyPluginAsyncTypebox {
  const { db } = deps;
  return async (app) => {
    await app.register(wcoRoutes(deps));
    await app.register(async (plain) => {
      const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
      scope.addContentTypeParser([edifactType, 'application/edifact; charset=utf-8', 'text/plain'], { parseAs: 'string', bodyLimit: edifactBodyLimit }, (_request, body, done) => done(null, body));

      scope.post(
        '/api/v1/edifact',
        {
          schema: {
            tags: ['standards'],
            summary: 'Take a UN/EDIFACT interchange (CUSCAR cargo reports become manifests); the answer is a CONTRL acknowledgement',
            description:
              'Send content-type application/edifact. The envelope is checked (UNA, UNB..UNZ, UNG..UNE, UNH..UNT: references, counts, release character escapes); each CUSCAR D:03B is lodged as a manifest by the calling carrier. ' +
              'The answer is a CONTRL 4:1: UCI 7 (acknowledged) or 4 (rejected, with the syntax error code and segment), a UCM per message (4 with the error of UNH/UNT, an unknown type or version, or a UCS/UCD naming the segment and element the manifest rules refused). ' +
              'Status 200 when everything was taken, 422 when anything was rejected; the references of the manifests lodged are in the header forodha-manifests. Each CUSCAR is lodged in its own transaction; the manifest module refuses a second lodgement of the same voyage. ' +
              'A retry gets the first answer again (header idempotent-replayed) and lodges nothing: the same bytes under the same Idempotency-Key, or without one under the same sender and interchange control reference (UNB 0004, 0020). The same key with a different interchange is a 422 problem; under UNB 0020 alone a different interchange (a corrected resend) is taken anew.',
            body: Type.String({ maxLength: edifactBodyLimit, description: 'The interchange' }),
            produces: [edifactType],
          },
          bodyLimit: edifactBodyLimit,
          config: { access: ['carrier'] },
        },
        async (request, reply) => {
          const result = checkInterchange(request.body);
          const now = deps.clock.now();
          if (!result.readable) {
            throw new ProblemError({ type: 'edifact-unreadable', title: 'Not a readable EDIFACT interchange', status: 400, detail: result.interchangeErrors[0]?.message ?? 'not an interchange', errors: result.interchangeErrors.map((e) => ({ pointer: '/', code: `edifact_${e.code}`, message: e.message })) });
          }
          const principal = principalOf(request);
          // A retry (same Idempotency-Key, else same sender and control reference, and the same
          // bytes) gets the first answer again and lodges nothing.
          const idempotencyKey = request.headers['idempotency-key'];
          if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !keyPattern.test(idempotencyKey))) {
            throw new ProblemError({ type: 'validation', title: 'The request is not valid', status: 422, detail: 'Idempotency-Key must be 1 to 200 letters, digits or . _ : -', errors: [{ pointer: '/headers/idempotency-key', code: 'pattern', message: 'must be 1 to 200 letters, digits or . _ : -' }] });
          }
          const interchangeKey = idempotencyKey !== undefined ? `key:${idempotencyKey}` : `unb:${(result.interchange?.sender ?? []).join(':')}:${result.interchange?.ref ?? ''}`.slice(0, 250);
          const requestHash = createHash('sha256').update(request.body).digest('hex');
          const previous = await exchangeRepository.interchangeAnswer(db, principal.organisationId, interchangeKey);
          if (previous?.requestHash === requestHash) {
            if (previous.manifests !== null) {
              void reply.header('forodha-manifests', previous.manifests);
            }
            return reply.status(previous.status).header('idempotent-replayed', 'true').type(edifactType).send(previous.answer);
          }
          if (previous && idempotencyKey !== undefined) {
            throw new ProblemError({ type: 'idempotency-key-reused', title: 'Idempotency-Key reused', status: 422, detail: `Idempotency-Key "${idempotencyKey}" was already used for a different interchange; use a new key for a new interchange` });
          }
          const today = localDate(now);
          const ctx = {
            map: (kind: Parameters<typeof exchangeRepository.mapped>[1], external: string) => exchangeRepository.mapped(db, kind, external, today),
            organisation: async (code: string) => {
              const org = await deps.parties.organisationByCode(db, code);
              return org ? { id: org.id, pin: org.pin } : undefined;
            },
            callerOrganisationId: principal.organisationId,
          };
          const problems: MessageProblem[] = [];
          const lodged: string[] = [];
          const toProblem = (ref: string, source: Source | undefined, code: string, message: string): MessageProblem => ({
            messageRef: ref,
            code,
            message,
            ...(source ? { segment: { tag: source.segment.tag, positionInMessage: source.segment.position - ((result.interchange?.messages.find((m) => m.ref === ref)?.segments[0]?.position ?? 1) - 1) }, element: { position: source.element, ...(source.component !== undefined ? { component: source.component } : {}) } } : {}),
          });
          // Each message stands or falls alone: one transaction per message, so a refused one leaves the others lodged.
          for (const message of result.accepted) {
            const mapped = await readCuscar(message, ctx);
            if (mapped.problems.length > 0) {
              problems.push(...mapped.problems.map((p) => toProblem(message.ref, p.source, p.code, p.message)));
              continue;
            }
            try {
              const view = await deps.manifests.lodge({ principal, actor: actorOf(request), requestId: request.id }, mapped.input as unknown as LodgementInput, async (work) =>
                (await inTransaction(db, work)).body,
              );
              const reference = (view as { reference?: unknown }).reference;
              lodged.push(typeof reference === 'string' ? reference : view.id);
            } catch (err) {
              if (err instanceof ProblemError && err.status < 500 && err.status !== 401) {
                const errors = err.problem.errors ?? [{ pointer: '', code: err.problem.type, message: err.problem.detail }];
                problems.push(...errors.map((e) => toProblem(message.ref, sourceOf(mapped.sources, e.pointer), '12', `${e.pointer || 'manifest'}: ${e.message}`)));
              } else {
                throw err;
              }
            }
          }
          const rejected = result.interchangeErrors.length > 0 || result.messageProblems.length > 0 || problems.length > 0;
          const status = rejected ? 422 : 200;
          const answer = renderContrl(result, problems, now);
          const manifests = lodged.length > 0 ? lodged.join(',') : null;
          // Under the interchange's own reference a different interchange (a corrected resend)
          // replaces the answer; under an Idempotency-Key the first answer stands.
          await exchangeRepository.storeInterchangeAnswer(db, { organisationId: principal.organisationId, key: interchangeKey, requestHash, status, answer, manifests, answeredAt: now }, idempotencyKey === undefined);
          if (manifests !== null) {
            void reply.header('forodha-manifests', manifests);
          }
          return reply.status(status).type(edifactType).send(answer);

        },
      );

      scope.get(
        '/api/v1/edifact/terminal-messages',
        {
          schema: {
            tags: ['standards'],
            summary: "The terminal's release messages as CUSRES interchanges (beside the JSON inbox), oldest first",
            description: 'Pass the `next` of the previous answer as `after`. Only the offices the terminal serves.',
            querystring: Type.Object({
              after: Type.Optional(Type.String({ pattern: '^\\d{1,18}$', description: 'Cursor: the `next` of the previous answer' })),
              limit: Type.Optional(Integer({ minimum: 1, maximum: 500, default: 100 })),
            }),
          },
          config: { access: ['terminal'] },
        },
        async (request) => {
          const offices = await deps.officesServed(principalOf(request).organisationId);
          const messages = await exchangeRepository.edifactMessages(db, { offices, ...(request.query.after === undefined ? {} : { after: request.query.after }), limit: request.query.limit ?? 100 });
          return { messages, next: messages.at(-1)?.id ?? request.query.after ?? null };
        },
      );
    });
  };
}
