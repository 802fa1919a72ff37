// /api/v1/wco/declarations: WCO Data Model declarations in, WCO responses out.
//
// POST takes application/xml: the document is read by the strict reader (no DOCTYPE, no
// entities, bounded), mapped to a Forodha declaration and handed to the declaration service
// (create and lodge, amend, cancel) in one idempotent transaction. The answer is a WCO RES
// document: DMSACC + DMSTAX (+ DMSCTL when selected for control) for an accepted declaration,
// DMSRCV for a change that waits for an officer, DMSINV for a cancellation, DMSREJ with the XPath
// and a reason code for each error. A document that is not well-formed XML, refused XML or not a
// declaration is a 400 problem. GET .../notifications gives the declaration's steps so far.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { TSchema } from 'typebox';
import type { DB } from '../../../schema.ts';
import type { Clock } from '#platform/clock.ts';
import { localDate } from '#platform/clock.ts';
import { actorOf, principalOf } from '#platform/http/auth.ts';
import type { Tx } from '#platform/db/transaction.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { ProblemError, type Problem } from '#platform/http/problem.ts';
import { Text } from '#platform/http/schemas.ts';
import { type CreateBody, type DeclarationService, type DeclarationView, type Caller, type AmendBody } from '#modules/declaration/index.ts';
import type { PartiesService } from '#modules/parties/index.ts';
import type { ReferenceService } from '#modules/reference/index.ts';
import { parseXml, XmlError } from '../xml.ts';
import { exchangeRepository } from '../exchange.repository.ts';
import { NotADeclaration, readWcoDeclaration, type MappingContext, type Sources, type WcoError, type WcoMessage } from './wco.declaration.ts';
import { renderResponses, type ResponseInput, type TaxLine } from './wco.responses.ts';

export interface WcoRouteDeps {
  db: Kysely<DB>;
  clock: Clock;
  declarations: DeclarationService;
  parties: Pick<PartiesService, 'organisationByCode'>;
  reference: Pick<ReferenceService, 'sets'>;
}

/** A WCO declaration of 999 items with comments stays well under this. */
export const wcoBodyLimit = 1024 * 1024;
const declarants = ['agent', 'trader'] as const;
const readers = ['agent', 'trader', 'officer', 'supervisor', 'risk_analyst', 'admin'] as const;
const xmlType = 'application/xml; charset=utf-8';

/** A 400 problem: the bytes are not a declaration we can read. */
function unreadable(code: string, message: string): ProblemError {
  return new ProblemError({ type: 'wco-unreadable', title: 'Not a readable WCO declaration', status: 400, detail: message, errors: [{ pointer: '/', code, message }] });
}

/** The nearest source of a Forodha pointer: itself, else its parent field, else the declaration. */
function xpathOf(sources: Sources, pointer: string, fallback: string): string {
  for (let p = pointer; p !== ''; p = p.replace(/\/[^/]*$/, '')) {
    const found = sources.get(p);
    if (found !== undefined) {
      return found;
    }
  }
  return fallback;
}

/** A Forodha problem (validation with pointers, a wrong state, not found) as WCO errors. */
function errorsOf(problem: Problem, sources: Sources, fallback: string): WcoError[] {
  const code = problem.type.replace(/^.*\//, '');
  if (problem.errors && problem.errors.length > 0) {
    return problem.errors.map((e) => ({ xpath: xpathOf(sources, e.pointer, fallback), code: e.code, message: e.message }));
  }
  return [{ xpath: fallback, code, message: problem.detail }];
}

/** DMSTAX content from the declaration's assessment (amounts in KES). */
function taxOf(view: DeclarationView): ResponseInput['tax'] | undefined {
  const assessment = view.assessment as { items: { itemNo: number; taxes: TaxLine[] }[]; total: string } | null | undefined;
  if (!assessment) {
    return undefined;
  }
  const payment = view.payment as { prn: string | null } | undefined;
  return {
    currency: 'KES',
    total: assessment.total,
    prn: payment?.prn ?? null,
    items: assessment.items.map((i) => ({ itemNo: i.itemNo, lines: i.taxes.map((t) => ({ code: t.code, base: t.base, rate: t.rate, amount: t.amount })) })),
  };
}

const dateOf = (value: unknown, fallback: Date): Date => (typeof value === 'string' ? new Date(value) : fallback);

/** The declaration's steps as WCO responses: accepted, tax, under control, cleared, cancelled or rejected. */
export function notificationsOf(view: DeclarationView, lrn: string | null, now: Date): ResponseInput[] {
  const reference = typeof view.reference === 'string' ? view.reference : null;
  const base = { lrn, reference, version: view.version };
  const out: ResponseInput[] = [];
  if (view.lodgedAt) {
    out.push({ kind: 'DMSACC', at: dateOf(view.lodgedAt, now), ...base });
  }
  const tax = taxOf(view);
  if (tax) {
    out.push({ kind: 'DMSTAX', at: dateOf(view.registeredAt ?? view.assessedAt, now), ...base, tax });
  }
  const channel = (view.selectivity as { channel?: string } | null | undefined)?.channel;
  const control = (view.control as { status?: string } | undefined)?.status;
  if (channel === 'yellow' || channel === 'red' || (control !== undefined && control !== 'none')) {
    out.push({ kind: 'DMSCTL', at: dateOf(view.assessedAt, now), ...base, statement: `selected for ${channel === 'red' ? 'physical' : 'documentary'} control (${channel ?? 'control'} channel); control ${control ?? 'pending'}` });
  }
  if (view.status === 'released' || view.status === 'exited') {
    out.push({ kind: 'DMSCLE', at: dateOf(view.releasedAt, now), ...base, ...(typeof view.releaseOrderNumber === 'string' ? { statement: `released: release order ${view.releaseOrderNumber}` } : {}) });
  }
  if (view.status === 'cancelled') {
    out.push({ kind: 'DMSINV', at: dateOf(view.cancelledAt, now), ...base, ...(typeof view.statusReason === 'string' ? { statement: view.statusReason } : {}) });
  }
  if (view.status === 'rejected') {
    out.push({ kind: 'DMSREJ', at: dateOf(view.updatedAt, now), ...base, errors: [{ xpath: '/md:MetaData/Declaration', code: 'rejected', message: typeof view.statusReason === 'string' ? view.statusReason : 'rejected by customs' }] });
  }
  return out;
}

/** The declaration as a full body again (for an amendment that changes some items' fields). */
function bodyFromView(view: DeclarationView): AmendBody {
  const v = view as unknown as {
    cpc: string;
    officeCode: string;
    importer: { pin: string };
    transportDocument: { number: string; carrierCode: string | null; manifestReference: string | null };
    invoice: { currency: string; amount: string; incoterm: string; freight: string | null; insurance: string | null; exchangeRate: string | null };
    seller: { name: string | null; country: string | null };
    departureCountry: string | null;
    documents: { code: string; reference: string }[] | null;
    items: Record<string, unknown>[];
  };
  const opt = <K extends string>(key: K, value: string | null | undefined) => (value === null || value === undefined ? {} : ({ [key]: value } as Record<K, string>));
  return {
    cpc: v.cpc,
    officeCode: v.officeCode,
    importerPin: v.importer.pin,
    transportDocumentNumber: v.transportDocument.number,
    ...opt('carrierCode', v.transportDocument.carrierCode),
    ...opt('manifestReference', v.transportDocument.manifestReference),
    invoiceCurrency: v.invoice.currency,
    invoiceAmount: v.invoice.amount,
    incoterm: v.invoice.incoterm,
    ...opt('freight', v.invoice.freight),
    ...opt('insurance', v.invoice.insurance),
    ...opt('exchangeRate', v.invoice.exchangeRate),
    ...opt('sellerName', v.seller.name),
    ...opt('sellerCountry', v.seller.country),
    ...opt('departureCountry', v.departureCountry),
    ...(v.documents && v.documents.length > 0 ? { documents: v.documents } : {}),
    items: v.items.map((i) => {
      const { itemNo: _itemNo, cpc, ...rest } = i as Record<string, unknown> & { itemNo: number; cpc: string };
      const kept = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== null && value !== undefined));
      return { ...kept, ...(cpc !== v.cpc ? { cpc } : {}) };
    }) as AmendBody['items'],
  };
}

export function wcoRoutes(deps: WcoRouteDeps): FastifyPluginAsyncTypebox {
  const { db, declarations } = deps;

  async function context(request: FastifyRequest): Promise<MappingContext> {
    const today = localDate(deps.clock.now());
    const refs = await deps.reference.sets();
    return {
      map: (kind, external) => exchangeRepository.mapped(db, kind, external, today),
      organisation: async (code) => {
        const org = await deps.parties.organisationByCode(db, code);
        return org ? { id: org.id, pin: org.pin } : undefined;
      },
      callerOrganisationId: principalOf(request).organisationId,
      knownCpc: (cpc) => refs.procedureCodes.has(cpc),
    };
  }

  const send = (reply: FastifyReply, status: number, responses: ResponseInput[]) => reply.status(status).type(xmlType).send(renderResponses(responses));

  /**
   * Reads what the change needs, then runs the change in one idempotent transaction; a business
   * refusal becomes a DMSREJ (and nothing is kept). The reads (`prepare`) are made before the
   * transaction, on the pool: on the embedded database (PGlite) there is one connection, which
   * the open transaction holds, so a read on the pool inside it would wait forever. The change
   * names the version it read (If-Match, as a JSON client may), so a declaration changed in
   * between is refused (412, a DMSREJ) instead of being overwritten with what was read.
   */
  async function run(request: FastifyRequest, reply: FastifyReply, message: WcoMessage, sources: Sources, fallback: string, prepare: (caller: Caller) => Promise<(tx: Tx, caller: Caller) => Promise<ResponseInput[]>>) {
    const caller: Caller = { principal: principalOf(request), actor: actorOf(request), requestId: request.id };
    await declarations.ready();
    try {
      const work = await prepare(caller);
      const xml = await idempotent(db, request, reply, async (tx) => ({ status: 200, body: renderResponses(await work(tx, caller)) }));
      return reply.type(xmlType).send(xml);
    } catch (err) {
      if (err instanceof ProblemError && err.status >= 400 && err.status < 500 && err.status !== 401 && err.problem.type.indexOf('idempotency') < 0) {
        const reference = message.kind === 'declaration' ? null : message.reference;
        return send(reply, err.status === 409 ? 409 : 422, [{ kind: 'DMSREJ', at: deps.clock.now(), lrn: message.lrn || null, reference, errors: errorsOf(err.problem, sources, fallback) }]);
      }
      throw err;
    }
  }

  return async (app) => {
    // The declaration's shape is the JSON API's own: the body schema of POST /api/v1/declarations
    // as the API describes it, so a mapped WCO declaration is held to exactly what a JSON client is.
    let createBody: Validator | undefined;
    const validator = (): Validator => {
      if (createBody === undefined) {
        const doc = app.swagger() as { paths?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: unknown }> } } }> };
        const schema = doc.paths?.['/api/v1/declarations']?.post?.requestBody?.content?.['application/json']?.schema;
        if (schema === undefined) {
          throw new Error('POST /api/v1/declarations is not described: the WCO adapter validates against it');
        }
        createBody = Compile(schema as TSchema);
      }
      return createBody;
    };
    app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string', bodyLimit: wcoBodyLimit }, (_request, body, done) => done(null, body));

    app.post(
      '/api/v1/wco/declarations',
      {
        schema: {
          tags: ['standards'],
          summary: 'Lodge, amend or cancel a declaration as a WCO Data Model (DMS) XML document; the answer is a WCO response',
          description:
            'Send content-type application/xml. FunctionCode 9: a new declaration, created and lodged (validated, assessed, selected): DMSACC with the Forodha reference as the declaration ID, DMSTAX, and DMSCTL when selected for control. ' +
            'FunctionCode 13 with TypeCode COR (amendment) or INV (cancellation), naming the Forodha reference as ID. A refusal is a DMSREJ (422) with one Error per problem: the XPath of the element and a reason code. ' +
            'XML that is not well-formed, holds a DOCTYPE or entities, or is not a declaration is a 400 problem. Traders\' identifiers, offices, goods locations and procedures are mapped through the administration\'s code table; an unknown one is a rejection. ' +
            'Send an Idempotency-Key header: a retry with the same key and body returns the first answer.',
          body: Type.String({ maxLength: wcoBodyLimit, description: 'The WCO DMS declaration (XML)' }),
          produces: ['application/xml'],
        },
        bodyLimit: wcoBodyLimit,
        config: { access: declarants },
      },
      async (request, reply) => {
        let root;
        try {
          root = parseXml(request.body);
        } catch (err) {
          if (err instanceof XmlError) {
            throw unreadable(err.code, `line ${err.line}: ${err.message}`);
          }
          throw err;
        }
        let message: WcoMessage;
        try {
          message = await readWcoDeclaration(root, await context(request));
        } catch (err) {
          if (err instanceof NotADeclaration) {
            throw unreadable('not_a_declaration', err.message);
          }
          throw err;
        }
        const declarationPath = root.local === 'Declaration' ? root.path : `${root.path}/Declaration`;
        if (message.errors.length > 0) {
          return send(reply, 422, [{ kind: 'DMSREJ', at: deps.clock.now(), lrn: message.lrn || null, reference: message.kind === 'declaration' ? null : message.reference, errors: message.errors }]);
        }
        if (message.kind === 'declaration') {
          const body = { ...message.body, lodge: true } as unknown as CreateBody;
          const createBody = validator();
          if (!createBody.Check(body)) {
            const errors = [...createBody.Errors(body)].slice(0, 50).map((e) => ({ xpath: xpathOf(message.sources, e.instancePath, declarationPath), code: e.keyword === 'required' ? 'required' : 'invalid', message: `${e.instancePath || 'declaration'} ${e.message}` }));
            return send(reply, 422, [{ kind: 'DMSREJ', at: deps.clock.now(), lrn: message.lrn, reference: null, errors }]);
          }
          return run(request, reply, message, message.sources, declarationPath, async () => async (tx, caller) => {
            const view = await declarations.create(tx, caller, body);
            return notificationsOf(view, message.lrn, deps.clock.now());
          });
        }
        if (message.kind === 'cancellation') {
          const fallback = message.referencePath;
          return run(request, reply, message, new Map(), fallback, async (caller) => {
            const current = await declarations.getByReference(caller.principal, message.reference);
            return async (tx) => {
              const done = await declarations.cancel(tx, { ...caller, expectedVersion: current.version }, current.id, message.reason.length >= 3 ? message.reason : `${message.reason} (WCO cancellation)`);
              const at = deps.clock.now();
              return done.requested
                ? [{ kind: 'DMSRCV', at, lrn: message.lrn, reference: message.reference, version: done.view.version, statement: 'cancellation requested: an officer decides, the declaration stands meanwhile' }]
                : [{ kind: 'DMSINV', at, lrn: message.lrn, reference: message.reference, version: done.view.version, statement: message.reason }];
            };
          });
        }
        return run(request, reply, message, message.sources, message.referencePath, async (caller) => {
          const current = await declarations.getByReference(caller.principal, message.reference);
          const body = bodyFromView(current);
          for (const change of message.items) {
            const item = body.items[change.itemNo - 1];
            if (!item) {
              throw new ProblemError({ type: 'validation', title: 'The request is not valid', status: 422, detail: `the declaration has no item ${change.itemNo}`, errors: [{ pointer: `/items/${change.itemNo - 1}`, code: 'unknown_item', message: `the declaration has no goods item ${change.itemNo}` }] });
            }
            Object.assign(item, change.fields);
          }
          return async (tx) => {
            const done = await declarations.amend(tx, { ...caller, expectedVersion: current.version }, current.id, { ...body, reason: message.reason.slice(0, 1000) });
            const at = deps.clock.now();
            return done.requested
              ? [{ kind: 'DMSRCV', at, lrn: message.lrn, reference: message.reference, version: done.view.version, statement: 'amendment requested: an officer decides, the declaration stands meanwhile' }]
              : notificationsOf(done.view, message.lrn, at);
          };
        });
      },
    );

    app.get(
      '/api/v1/wco/declarations/:reference/notifications',
      {
        schema: {
          tags: ['standards'],
          summary: "The declaration's steps so far as WCO responses (accepted, tax calculation, under control, cleared, cancelled, rejected)",
          params: Type.Object({ reference: Text(32, { minLength: 1 }) }),
          produces: ['application/xml'],
        },
        config: { access: readers },
      },
      async (request, reply) => {
        const view = await declarations.getByReference(principalOf(request), request.params.reference);
        return reply.type(xmlType).send(renderResponses(notificationsOf(view, null, deps.clock.now())));
      },
    );
  };
}
