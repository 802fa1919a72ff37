// Banks confirm payments against PRNs; declarants print e-slips; everyone entitled reads a PRN.
// What each caller sees is written once, in payment.views.ts.
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
import type { PrnRow } from './payment.repository.ts';
import { parseAmount, type PaymentService } from './payment.service.ts';
import { readSlip, renderEslip } from './payment.slip.ts';
import { prnFullView, prnView, receiptView, type PaymentAudience } from './payment.views.ts';
import { prnExample, prnPattern, requireValidPrn } from './prn.ts';

const PrnParams = Type.Object({ prn: Type.String({ pattern: prnPattern, description: `Payment registration number, e.g. ${prnExample}` }) });
const PrnQuery = Type.Object({
  amount: Type.Optional(Money('Banks: the amount the payer quotes, in KES. The PRN is shown only when it equals the amount due to the cent', { examples: ['125000.50'] })),
});

export const PaymentBody = Type.Object(
  {
    prn: Type.String({ pattern: prnPattern, description: 'The PRN the payer quoted', examples: [prnExample] }),
    // 15 digits: the PRN's paid total (numeric(18, 2)) must still hold it once added.
    amount: Money('Amount received in KES', { examples: ['125000.50'] }),
    bankReference: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,63}$',
      description: "The bank's own transaction reference; unique per bank. Sending it again is a harmless repeat.",
    }),
    paidAt: IsoDateTime(
      'When the payer paid at the bank (ISO 8601 with zone): not before the PRN was issued nor in the future (5 minutes of clock difference allowed either way)',
    ),
  },
  { additionalProperties: false },
);

const money = (v: string | Dec) => fixed(new Dec(v), 2);

function remaining(row: PrnRow): string {
  return row.status === 'open' || row.status === 'partly_paid' ? money(Dec.max(new Dec(row.amount).minus(row.paid_total), 0)) : money('0');
}

export interface PaymentRouteDeps {
  db: Kysely<DB>;
  clock: Clock;
  payments: PaymentService;
}

const unknownPrn = (prn: string) => notFound(`Payment registration number ${prn}`);

/**
 * Customs see everything, the declaration's own parties their PRN (trade), a bank what it needs
 * to take money (only when allowed here); anyone else is told the PRN does not exist.
 */
function audienceFor(request: FastifyRequest, row: PrnRow, allowBank: boolean): PaymentAudience {
  const p = principalOf(request);
  if (isCustoms(p)) {
    return 'customs';
  }
  if (p.organisationId === row.declarant_org_id || p.organisationId === row.importer_org_id) {
    return 'trade';
  }
  if (allowBank && p.roles.includes('bank')) {
    return 'bank';
  }
  throw unknownPrn(row.prn);
}

export function paymentRoutes(deps: PaymentRouteDeps): FastifyPluginAsyncTypebox {
  const readers = ['bank', 'agent', 'trader', ...customsRoles];
  const slipReaders = ['agent', 'trader', ...customsRoles];

  /**
   * The amount a bank quotes to look a PRN up. Checked before the PRN is looked for, so the answer
   * (422) says nothing about whether the PRN exists.
   */
  function bankQuote(request: FastifyRequest<{ Querystring: { amount?: string } }>): Dec | undefined {
    const p = principalOf(request);
    const amount = request.query.amount;
    if (amount === undefined) {
      if (p.roles.includes('bank') && !isCustoms(p)) {
        throw invalid([{ pointer: '/querystring/amount', code: 'required', message: 'a bank looks a PRN up with the amount the payer quotes, e.g. ?amount=125000.50' }]);
      }
      return undefined;
    }
    return parseAmount(amount, '/querystring/amount');
  }

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
            'Payment on a cancelled or expired PRN: 202, recorded as unallocated for refund. Unknown PRN: 404 (do not take money for it). ' +
            'A PRN whose check digit is wrong (mistyped) is a 422 on /prn; paidAt must lie between the PRN\'s issue and now (5 minutes of clock difference allowed), else a 422 on /paidAt.',
          body: PaymentBody,
        },
        bodyLimit: bodyLimits.small,
        config: { access: ['bank'] },
      },
      async (request, reply) => {
        const body = request.body;
        requireValidPrn(body.prn, '/prn');
        const paidAt = new Date(body.paidAt);
        if (Number.isNaN(paidAt.getTime())) {
          throw invalid([{ pointer: '/paidAt', code: 'format', message: 'must be a date-time with zone, e.g. 2026-06-15T10:30:00+03:00' }]);
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
          return { status, body: { ...receiptView('bank', receipt), replayed } };
        });
      },
    );

    app.get(
      '/api/v1/payment-references/:prn',
      {
        schema: {
          tags: ['payment'],
          summary: 'A PRN: the declarant, the importer and customs see it in full; a bank sees its amount due and status only by quoting that amount',
          description:
            'A bank must pass ?amount= (what the payer quotes): when it equals the amount due to the cent the answer is the PRN, amount due, status and validity; ' +
            'otherwise the same 404 as an unknown PRN, so a bank cannot read amounts of PRNs it was not given. Without ?amount= a bank gets a 422.',
          params: PrnParams,
          querystring: PrnQuery,
        },
        config: { access: readers },
      },
      async (request) => {
        requireValidPrn(request.params.prn, '/params/prn');
        const quoted = bankQuote(request);
        const found = await deps.payments.describe(deps.db, request.params.prn);
        if (!found) {
          throw unknownPrn(request.params.prn);
        }
        const row = found.prn;
        const status = deps.payments.effectiveStatus(row);
        const due = status === 'expired' ? money('0') : remaining(row);
        const audience = audienceFor(request, row, true);
        // A bank proves it was given the PRN by quoting what is due on it; a wrong amount learns nothing.
        if (audience === 'bank' && !quoted?.eq(due)) {
          throw unknownPrn(row.prn);
        }
        return prnView(audience, prnFullView(row, found.payments, status, due));
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
        requireValidPrn(request.params.prn, '/params/prn');
        const found = await deps.payments.describe(deps.db, request.params.prn);
        if (!found) {
          throw unknownPrn(request.params.prn);
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
