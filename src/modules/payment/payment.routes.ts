// Banks confirm payments against PRNs; declarants print e-slips; everyone entitled reads a PRN.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import type { Clock } from '#platform/clock.ts';
import { actorOf, customsRoles, isCustoms, principalOf } from '#platform/http/auth.ts';
import { idempotent } from '#platform/http/idempotency.ts';
import { invalid, notFound } from '#platform/http/problem.ts';
import { bodyLimits } from '#platform/http/input-guard.ts';
import { IsoDateTime, Money } from '#platform/http/schemas.ts';
import { Dec, fixed } from '#platform/money.ts';
import type { PaymentRow, PrnRow } from './payment.repository.ts';
import type { PaymentService } from './payment.service.ts';
import { readSlip, renderEslip } from './payment.slip.ts';

const prnPattern = '^\\d{4}PRN\\d{10}$';
const PrnParams = Type.Object({ prn: Type.String({ pattern: prnPattern, description: 'Payment registration number, e.g. 2026PRN0000012345' }) });

export const PaymentBody = Type.Object(
  {
    prn: Type.String({ pattern: prnPattern, description: 'The PRN the payer quoted', examples: ['2026PRN0000012345'] }),
    // 15 digits: the PRN's paid total (numeric(18, 2)) must still hold it once added.
    amount: Money('Amount received in KES', { examples: ['125000.50'] }),
    bankReference: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,63}$',
      description: "The bank's own transaction reference; unique per bank. Sending it again is a harmless repeat.",
    }),
    paidAt: IsoDateTime('When the payer paid at the bank (ISO 8601 with zone)'),
  },
  { additionalProperties: false },
);

const money = (v: string | Dec) => fixed(new Dec(v), 2);
/** Banks may send a few minutes of clock skew, not payments from tomorrow. */
const futureToleranceMs = 5 * 60 * 1000;

function remaining(row: PrnRow): string {
  return row.status === 'open' || row.status === 'partly_paid' ? money(Dec.max(new Dec(row.amount).minus(row.paid_total), 0)) : money('0');
}

export interface PaymentRouteDeps {
  db: Kysely<DB>;
  clock: Clock;
  payments: PaymentService;
}

type Audience = 'full' | 'bank';

/** Customs and the declaration's own parties see everything; a bank sees what it needs to take money; anyone else, nothing. */
function audienceFor(request: FastifyRequest, row: PrnRow, allowBank: boolean): Audience {
  const p = principalOf(request);
  if (isCustoms(p) || p.organisationId === row.declarant_org_id || p.organisationId === row.importer_org_id) {
    return 'full';
  }
  if (allowBank && p.roles.includes('bank')) {
    return 'bank';
  }
  throw notFound(`Payment registration number ${row.prn}`);
}

function paymentJson(p: PaymentRow) {
  return {
    paymentId: p.id,
    bankOrgId: p.bank_org_id,
    bankReference: p.bank_reference,
    amount: money(p.amount),
    paidAt: p.paid_at.toISOString(),
    receivedAt: p.received_at.toISOString(),
    outcome: p.outcome,
    credit: money(p.credit),
  };
}

export function paymentRoutes(deps: PaymentRouteDeps): FastifyPluginAsyncTypebox {
  const readers = ['bank', 'agent', 'trader', ...customsRoles];
  const slipReaders = ['agent', 'trader', ...customsRoles];
  return (app) => {
    app.post(
      '/api/v1/payments',
      {
        schema: {
          tags: ['payment'],
          summary: 'A bank confirms money received for a PRN',
          description:
            'Idempotent on the bank reference (and on Idempotency-Key): the same confirmation again answers 200 with replayed: true; the same reference for a different payment is a 409. ' +
            'Exact payment: 201, PRN paid. Underpayment: 201, PRN partly paid, balance shown. Overpayment: 201, PRN paid, the excess held as a credit. ' +
            'Payment on a cancelled or expired PRN: 202, recorded as unallocated for refund. Unknown PRN: 404 (do not take money for it).',
          body: PaymentBody,
        },
        bodyLimit: bodyLimits.small,
        config: { access: ['bank'] },
      },
      async (request, reply) => {
        const body = request.body;
        const paidAt = new Date(body.paidAt);
        if (Number.isNaN(paidAt.getTime()) || paidAt.getTime() > deps.clock.now().getTime() + futureToleranceMs) {
          throw invalid([{ pointer: '/paidAt', code: 'paid_in_future', message: 'must be a date-time with zone, not in the future' }]);
        }
        const principal = principalOf(request);
        return idempotent(deps.db, request, reply, async (tx) => {
          const { receipt, replayed } = await deps.payments.confirmPayment(tx, {
            prn: body.prn,
            bankOrgId: principal.organisationId,
            bankReference: body.bankReference,
            amount: body.amount,
            paidAt,
            actor: actorOf(request),
            requestId: request.id,
          });
          const status = replayed ? 200 : receipt.outcome === 'unallocated' ? 202 : 201;
          return { status, body: { ...receipt, replayed } };
        });
      },
    );

    app.get(
      '/api/v1/payment-references/:prn',
      {
        schema: {
          tags: ['payment'],
          summary: 'A PRN: banks see the amount to pay and the status; the declarant, the importer and customs see everything',
          params: PrnParams,
        },
        config: { access: readers },
      },
      async (request) => {
        const found = await deps.payments.describe(deps.db, request.params.prn);
        if (!found) {
          throw notFound(`Payment registration number ${request.params.prn}`);
        }
        const row = found.prn;
        const status = deps.payments.effectiveStatus(row);
        const due = status === 'expired' ? money('0') : remaining(row);
        if (audienceFor(request, row, true) === 'bank') {
          return { prn: row.prn, currency: 'KES', amountDue: due, status, validUntil: row.valid_until.toISOString() };
        }
        return {
          prn: row.prn,
          declarationId: row.declaration_id,
          declarationReference: row.declaration_reference,
          declarantOrgId: row.declarant_org_id,
          importerOrgId: row.importer_org_id,
          currency: 'KES',
          amount: money(row.amount),
          paidTotal: money(row.paid_total),
          carriedOver: money(row.carried_over),
          amountDue: due,
          status,
          validUntil: row.valid_until.toISOString(),
          createdAt: row.created_at.toISOString(),
          cancelledAt: row.cancelled_at?.toISOString() ?? null,
          cancelReason: row.cancel_reason,
          supersededBy: row.superseded_by,
          slip: readSlip(row.slip),
          payments: found.payments.map(paymentJson),
        };
      },
    );

    app.get(
      '/api/v1/payment-references/:prn/eslip',
      {
        schema: {
          tags: ['payment'],
          summary: 'The printable e-slip (HTML): PRN, declaration, importer, every tax line per item, totals, validity and how to pay',
          params: PrnParams,
        },
        config: { access: slipReaders },
      },
      async (request, reply) => {
        const found = await deps.payments.describe(deps.db, request.params.prn);
        if (!found) {
          throw notFound(`Payment registration number ${request.params.prn}`);
        }
        const row = found.prn;
        audienceFor(request, row, false);
        const status = deps.payments.effectiveStatus(row);
        const page = renderEslip({
          prn: row.prn,
          status,
          declarationReference: row.declaration_reference,
          amount: money(row.amount),
          paidTotal: money(row.paid_total),
          balance: status === 'expired' ? money('0') : remaining(row),
          currency: 'KES',
          validUntil: row.valid_until,
          issuedAt: row.created_at,
          slip: readSlip(row.slip),
        });
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
