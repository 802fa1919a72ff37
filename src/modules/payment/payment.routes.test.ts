// Bank confirmations, PRN visibility and the e-slip over real HTTP, as the demo bank (KCB, key
// demo-kcb-key), the declarant agent (Siginon), the importer (Nairobi Motors) and customs see them.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction } from '#platform/db/transaction.ts';
import type { Client } from '../../../test/server.ts';
import { paymentRoutes } from './payment.routes.ts';
import { paymentService, type PaymentService, type Settlement } from './payment.service.ts';
import { startModuleServer, type ModuleServer } from './payment.testkit.ts';
import { prnOf } from './prn.ts';

let server: ModuleServer;
let payments: PaymentService;
let settled: Settlement[] = [];
let bank: Client;
const org: Record<string, string> = {};

const slip = (importerName: string) => ({
  importer: { name: importerName, pin: 'P051234567A' },
  declarant: { name: 'Siginon Freight Ltd' },
  officeCode: 'MBA',
  items: [
    {
      index: 1,
      hsCode: '8708.99.00',
      description: 'Brake pads <b>ceramic</b>',
      customsValue: '100000.00',
      taxes: [
        { code: 'ID', name: 'Import duty', base: '100000.00', rate: '25', amount: '25000.00' },
        { code: 'VAT', name: 'Value added tax', base: '125000.00', rate: '16', amount: '20000.00' },
      ],
      total: '45000.00',
    },
    {
      index: 2,
      hsCode: '2203.00.00',
      customsValue: '10000.00',
      taxes: [{ code: 'EXD', name: 'Excise duty', base: '500', rate: null, specific: { amount: '121.85', currency: 'KES', unit: 'LTR', quantity: '500' }, amount: '60925.00' }],
      total: '60925.00',
    },
  ],
  totals: { ID: '25000.00', VAT: '20000.00', EXD: '60925.00' },
  total: '105925.00',
});

let seq = 0;
async function newPrn(amount: string, importerName = 'Nairobi Motors Ltd') {
  const declarationId = randomUUID();
  const declarationReference = `2026MBAIM4${String(++seq).padStart(6, '0')}`;
  const issued = await inTransaction(server.database.db, (tx) =>
    payments.issuePrn(tx, {
      declarationId,
      declarationReference,
      declarantOrgId: org.SIGINON as string,
      importerOrgId: org.NMOTORS as string,
      amount,
      slip: slip(importerName),
      actor: { id: 'u1', name: 'John Kamau', organisationId: org.SIGINON as string, role: 'agent' },
    }),
  );
  return { ...issued, declarationId, declarationReference };
}

let ref = 0;
const bankRef = () => `KCB${Date.now()}${++ref}`;
// The test clock stands at 08:00Z, when the PRNs are issued: paid at once, in Nairobi time.
const paidAt = '2026-06-15T11:00:00+03:00';
const confirm = (prn: string, amount: string, reference = bankRef(), opts: { idempotencyKey?: string } = {}) =>
  bank.post('/api/v1/payments', { prn, amount, bankReference: reference, paidAt }, opts);

const prnRow = (prn: string) => server.database.db.selectFrom('payment_reference').selectAll().where('prn', '=', prn).executeTakeFirstOrThrow();
const paymentCount = async (prn: string) => Number((await server.database.db.selectFrom('payment').select(sql<string>`count(*)`.as('n')).where('prn', '=', prn).executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  server = await startModuleServer(({ database, clock }) => {
    payments = paymentService({
      db: database.db,
      clock,
      onSettled: async (_tx, s) => {
        settled.push(s);
      },
    });
    return paymentRoutes({ db: database.db, clock, payments });
  });
  for (const o of await server.database.db.selectFrom('organisation').select(['id', 'code']).execute()) {
    org[o.code] = o.id;
  }
  bank = server.key('demo-kcb-key');
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  settled = [];
});

describe('bank confirmations', () => {
  it('an exact payment settles the PRN once, with its audit record and outbox event', async () => {
    const p = await newPrn('105925.00');
    const res = await confirm(p.prn, '105925');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ prn: p.prn, outcome: 'exact', prnStatus: 'paid', amount: '105925.00', paidTotal: '105925.00', balance: '0.00', credit: '0.00', replayed: false });
    expect(res.body).not.toHaveProperty('declarationReference');
    expect(settled).toEqual([{ declarationId: p.declarationId, prn: p.prn, paidTotal: '105925.00', amount: '105925.00', outcome: 'paid' }]);
    const events = await server.database.db.selectFrom('outbox').select(['topic', 'payload']).where('key', '=', p.prn).execute();
    expect(events).toEqual([{ topic: 'payment.confirmed', payload: expect.objectContaining({ declarationReference: p.declarationReference, outcome: 'exact', prnStatus: 'paid' }) }]);
    const audit = await server.database.db.selectFrom('audit_event').select(['action', 'actor_name', 'role']).where('entity_id', '=', p.prn).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'prn.issued', actor_name: 'John Kamau', role: 'agent' },
      { action: 'payment.received', actor_name: 'KCB payments gateway', role: 'bank' },
    ]);
  });

  it('an underpayment leaves the PRN partly paid with its balance, and the rest settles it', async () => {
    const p = await newPrn('1000.00');
    const part = await confirm(p.prn, '600.50');
    expect(part.status).toBe(201);
    expect(part.body).toMatchObject({ outcome: 'under', prnStatus: 'partly_paid', paidTotal: '600.50', balance: '399.50' });
    expect(part.body.message).toMatch(/399\.50 remains/);
    expect(settled).toEqual([]);
    const view = await bank.get(`/api/v1/payment-references/${p.prn}?amount=399.50`);
    expect(view.body).toEqual({ prn: p.prn, currency: 'KES', amountDue: '399.50', status: 'partly_paid', validUntil: p.validUntil.toISOString() });
    const rest = await confirm(p.prn, '399.50');
    expect(rest.body).toMatchObject({ outcome: 'exact', prnStatus: 'paid', paidTotal: '1000.00', balance: '0.00' });
    expect(settled).toHaveLength(1);
  });

  it('an overpayment settles the PRN and keeps the excess as a credit; later money on a paid PRN is all credit', async () => {
    const p = await newPrn('1000.00');
    const over = await confirm(p.prn, '1250');
    expect(over.status).toBe(201);
    expect(over.body).toMatchObject({ outcome: 'over', prnStatus: 'paid', amount: '1250.00', paidTotal: '1250.00', credit: '250.00', balance: '0.00' });
    expect(settled).toEqual([{ declarationId: p.declarationId, prn: p.prn, paidTotal: '1250.00', amount: '1000.00', outcome: 'overpaid' }]);
    const again = await confirm(p.prn, '1000');
    expect(again.body).toMatchObject({ outcome: 'over', prnStatus: 'paid', credit: '1000.00', paidTotal: '2250.00' });
    expect(settled).toHaveLength(1);
    expect(await payments.balance(server.database.db, p.declarationId)).toMatchObject({ due: '1000.00', paid: '2250.00', balance: '0.00', credit: '1250.00' });
  });

  it('a repeated confirmation is answered again without counting twice; a reused reference with other content is a 409', async () => {
    const p = await newPrn('500.00');
    const reference = bankRef();
    const first = await confirm(p.prn, '200', reference);
    const repeat = await confirm(p.prn, '200.00', reference);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual({ ...first.body, replayed: true });
    const other = await confirm(p.prn, '300', reference);
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(other.body.detail).toMatch(/already used for a different payment \(amount 200\.00\)/);
    expect(await paymentCount(p.prn)).toBe(1);
    expect((await prnRow(p.prn)).paid_total).toBe('200.00');
  });

  it('honours the Idempotency-Key as well: the same key and body replay the first answer', async () => {
    const p = await newPrn('500.00');
    const reference = bankRef();
    const first = await confirm(p.prn, '500', reference, { idempotencyKey: `pay-${reference}` });
    const again = await confirm(p.prn, '500', reference, { idempotencyKey: `pay-${reference}` });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(settled).toHaveLength(1);
  });

  it('racing confirmations with different references are counted one after the other and settle once', async () => {
    const p = await newPrn('1000.00');
    const answers = await Promise.all(Array.from({ length: 8 }, () => confirm(p.prn, '125')));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(answers.filter((a) => a.body.outcome === 'exact')).toHaveLength(1);
    expect(answers.filter((a) => a.body.outcome === 'under')).toHaveLength(7);
    expect((await prnRow(p.prn)).paid_total).toBe('1000.00');
    expect(settled).toHaveLength(1);
  });

  it('the same reference sent several times at once is recorded once', async () => {
    const p = await newPrn('750.00');
    const reference = bankRef();
    const answers = await Promise.all(Array.from({ length: 6 }, () => confirm(p.prn, '750', reference)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.paymentId)).size).toBe(1);
    expect(await paymentCount(p.prn)).toBe(1);
    expect((await prnRow(p.prn)).paid_total).toBe('750.00');
    expect(settled).toHaveLength(1);
  });

  it('an unknown PRN is a 404 so the bank does not take the money', async () => {
    const unknown = prnOf('2026', '99999999999');
    const res = await confirm(unknown, '100');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 404, detail: `Payment registration number ${unknown} was not found` });
  });

  it('money on a cancelled PRN is recorded as unallocated for refund, never dropped', async () => {
    const p = await newPrn('300.00');
    await newPrn('300.00'); // another declaration: must not matter
    await inTransaction(server.database.db, (tx) =>
      payments.cancelPrn(tx, { declarationId: p.declarationId, reason: 'declaration cancelled', actor: { id: 's', name: 'Forodha', organisationId: null, role: 'system' } }),
    );
    const res = await confirm(p.prn, '300');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ outcome: 'unallocated', prnStatus: 'cancelled', credit: '300.00', balance: '0.00' });
    expect(res.body.message).toMatch(/unallocated/);
    expect(await paymentCount(p.prn)).toBe(1);
    expect((await prnRow(p.prn)).paid_total).toBe('0.00');
    expect(settled).toEqual([]);
    const events = await server.database.db.selectFrom('outbox').select('topic').where('key', '=', p.prn).execute();
    expect(events.map((e) => e.topic)).toEqual(['payment.unallocated']);
  });

  it('rejects malformed confirmations field by field, and callers without the bank role', async () => {
    const p = await newPrn('100.00');
    const bad = await bank.post('/api/v1/payments', { prn: 'PRN1', amount: '12.345', bankReference: '', paidAt: 'yesterday' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/amount', '/bankReference', '/paidAt', '/prn']);
    const zero = await confirm(p.prn, '0');
    expect(zero.status).toBe(422);
    expect(zero.body.errors).toEqual([expect.objectContaining({ pointer: '/amount', code: 'invalid_amount' })]);
    const future = await bank.post('/api/v1/payments', { prn: p.prn, amount: '100', bankReference: bankRef(), paidAt: '2026-06-16T10:00:00Z' });
    expect(future.status).toBe(422);
    expect(future.body.errors).toEqual([expect.objectContaining({ pointer: '/paidAt' })]);
    const trader = await server.as('nmotors.owner');
    expect((await trader.post('/api/v1/payments', { prn: p.prn, amount: '100', bankReference: bankRef(), paidAt })).status).toBe(403);
    expect((await server.anonymous().post('/api/v1/payments', { prn: p.prn, amount: '100', bankReference: bankRef(), paidAt })).status).toBe(401);
    expect(await paymentCount(p.prn)).toBe(0);
  });
});

describe('who sees a PRN', () => {
  it('the declarant, the importer and customs see everything; a bank sees the amount and status; others nothing', async () => {
    const p = await newPrn('2000.00');
    await confirm(p.prn, '500');
    for (const username of ['siginon.agent', 'nmotors.owner', 'kra.officer']) {
      const res = await (await server.as(username)).get(`/api/v1/payment-references/${p.prn}`);
      expect(res.status, username).toBe(200);
      expect(res.body).toMatchObject({ prn: p.prn, declarationReference: p.declarationReference, amount: '2000.00', paidTotal: '500.00', amountDue: '1500.00', status: 'partly_paid' });
      expect(res.body.payments).toEqual([expect.objectContaining({ amount: '500.00', outcome: 'under' })]);
      expect(res.body.slip.totals).toEqual({ ID: '25000.00', VAT: '20000.00', EXD: '60925.00' });
    }
    const banked = await bank.get(`/api/v1/payment-references/${p.prn}?amount=1500`);
    expect(Object.keys(banked.body).sort()).toEqual(['amountDue', 'currency', 'prn', 'status', 'validUntil']);
    expect((await (await server.as('mtraders.owner')).get(`/api/v1/payment-references/${p.prn}`)).status).toBe(404);
    expect((await (await server.as('bollore.agent')).get(`/api/v1/payment-references/${p.prn}`)).status).toBe(404);
    expect((await (await server.as('maersk.ops')).get(`/api/v1/payment-references/${p.prn}`)).status).toBe(403);
    expect((await bank.get(`/api/v1/payment-references/${prnOf('2026', '99999999998')}?amount=1500`)).status).toBe(404);
  });

  it('shows an open PRN past its validity as expired with nothing to pay', async () => {
    const p = await newPrn('100.00');
    server.clock.set('2026-07-15T08:00:00Z');
    try {
      // The declarant's system key (a login session would not last the month).
      const res = await server.key('demo-siginon-key').get(`/api/v1/payment-references/${p.prn}`);
      expect(res.body).toMatchObject({ status: 'expired', amountDue: '0.00' });
      // Nothing is due on it any more, so a bank quoting what the e-slip said is told nothing.
      expect((await bank.get(`/api/v1/payment-references/${p.prn}?amount=100`)).status).toBe(404);
    } finally {
      server.clock.set('2026-06-15T08:00:00Z');
    }
  });
});

describe('the e-slip', () => {
  it('prints the PRN, the declaration, the importer, every tax line per item, totals, validity and how to pay', async () => {
    const p = await newPrn('105925.00');
    const res = await (await server.as('siginon.agent')).get(`/api/v1/payment-references/${p.prn}/eslip`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = res.text;
    for (const expected of [
      p.prn,
      p.declarationReference,
      'Nairobi Motors Ltd (PIN P051234567A)',
      'Siginon Freight Ltd',
      'KES 105925.00',
      '<td>ID</td><td>Import duty</td><td class="n">100000.00</td><td class="n">25%</td><td class="n">25000.00</td>',
      '<td>VAT</td><td>Value added tax</td><td class="n">125000.00</td><td class="n">16%</td><td class="n">20000.00</td>',
      '<td>EXD</td><td>Excise duty</td><td class="n">500</td><td class="n">KES 121.85/LTR</td><td class="n">60925.00</td>',
      'Item 2 &middot; HS 2203.00.00',
      '<tr><td>EXD</td><td class="n">60925.00</td></tr>',
      '<th class="n">105925.00</th>',
      '2026-06-29 23:59 EAT',
      'quoting the payment registration number',
    ]) {
      expect(page).toContain(expected);
    }
  });

  it('escapes every text it prints', async () => {
    const p = await newPrn('10.00', '<script>alert("x")</script> & Sons');
    const page = (await (await server.as('nmotors.owner')).get(`/api/v1/payment-references/${p.prn}/eslip`)).text;
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>ceramic</b>');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons');
    expect(page).toContain('Brake pads &lt;b&gt;ceramic&lt;/b&gt;');
  });

  it('warns on a cancelled PRN, and is not for banks or other parties', async () => {
    const p = await newPrn('10.00');
    await newPrn('10.00');
    const officer = await server.as('kra.officer');
    await inTransaction(server.database.db, (tx) =>
      payments.cancelPrn(tx, { declarationId: p.declarationId, reason: 'declaration cancelled', actor: { id: 's', name: 'Forodha', organisationId: null, role: 'system' } }),
    );
    expect((await officer.get(`/api/v1/payment-references/${p.prn}/eslip`)).text).toContain('This PRN is CANCELLED. Do not pay it.');
    expect((await bank.get(`/api/v1/payment-references/${p.prn}/eslip`)).status).toBe(403);
    expect((await (await server.as('mtraders.owner')).get(`/api/v1/payment-references/${p.prn}/eslip`)).status).toBe(404);
  });
});

/** The PRN with two neighbouring digits swapped (a typing slip), or one digit changed where they are equal. */
function mistyped(prn: string): string {
  const digits = prn.slice(7).split('');
  const i = digits.findIndex((d, k) => d !== digits[k + 1] && k + 1 < digits.length);
  if (i >= 0) {
    [digits[i], digits[i + 1]] = [digits[i + 1] as string, digits[i] as string];
  } else {
    digits[0] = String((Number(digits[0]) + 1) % 10);
  }
  return prn.slice(0, 7) + digits.join('');
}

describe('PRNs as the bank types them', () => {
  it('refuses a mistyped PRN with a 422 naming the field, on every route, and records nothing', async () => {
    const p = await newPrn('100.00');
    const typo = mistyped(p.prn);
    expect(typo).not.toBe(p.prn);
    const paid = await confirm(typo, '100');
    expect(paid.status).toBe(422);
    expect(paid.body.errors).toEqual([expect.objectContaining({ pointer: '/prn', code: 'prn_check_digit' })]);
    expect(paid.body.errors[0].message).toContain(typo);
    const read = await (await server.as('nmotors.owner')).get(`/api/v1/payment-references/${typo}`);
    expect(read.status).toBe(422);
    expect(read.body.errors).toEqual([expect.objectContaining({ pointer: '/params/prn', code: 'prn_check_digit' })]);
    const slipOf = await (await server.as('nmotors.owner')).get(`/api/v1/payment-references/${typo}/eslip`);
    expect(slipOf.status).toBe(422);
    expect(await paymentCount(p.prn)).toBe(0);
    expect((await prnRow(p.prn)).paid_total).toBe('0.00');
  });
});

describe("a bank's look-up of a PRN", () => {
  it('shows the amount due and status only to a bank quoting the amount due to the cent', async () => {
    const p = await newPrn('2000.00');
    await confirm(p.prn, '500');
    const right = await bank.get(`/api/v1/payment-references/${p.prn}?amount=1500`);
    expect(right.status).toBe(200);
    expect(right.body).toEqual({ prn: p.prn, currency: 'KES', amountDue: '1500.00', status: 'partly_paid', validUntil: p.validUntil.toISOString() });
    expect((await bank.get(`/api/v1/payment-references/${p.prn}?amount=1500.00`)).status).toBe(200);
  });

  it('answers a wrong amount exactly as it answers an unknown PRN', async () => {
    const p = await newPrn('2000.00');
    const unknown = prnOf('2026', '12345678901');
    for (const wrong of ['1999.99', '2000.01', '2000000', '1']) {
      const res = await bank.get(`/api/v1/payment-references/${p.prn}?amount=${wrong}`);
      expect(res.status, wrong).toBe(404);
      expect({ ...res.body, instance: undefined, detail: undefined }).toEqual({ ...(await bank.get(`/api/v1/payment-references/${unknown}?amount=${wrong}`)).body, instance: undefined, detail: undefined });
      expect(res.body.detail).toBe(`Payment registration number ${p.prn} was not found`);
      expect(JSON.stringify(res.body)).not.toContain('2000.00');
    }
  });

  it('without an amount, a bank gets the same 422 whether the PRN exists or not', async () => {
    const p = await newPrn('2000.00');
    const known = await bank.get(`/api/v1/payment-references/${p.prn}`);
    const unknown = await bank.get(`/api/v1/payment-references/${prnOf('2026', '12345678902')}`);
    for (const res of [known, unknown]) {
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([expect.objectContaining({ pointer: '/querystring/amount', code: 'required' })]);
    }
    expect(known.body.detail).toBe(unknown.body.detail);
    const zero = await bank.get(`/api/v1/payment-references/${p.prn}?amount=0`);
    expect(zero.status).toBe(422);
    expect(zero.body.errors).toEqual([expect.objectContaining({ pointer: '/querystring/amount', code: 'invalid_amount' })]);
  });

  it('lets the declarant, the importer and customs read the PRN without quoting an amount', async () => {
    const p = await newPrn('2000.00');
    for (const username of ['siginon.agent', 'nmotors.owner', 'kra.officer']) {
      const res = await (await server.as(username)).get(`/api/v1/payment-references/${p.prn}`);
      expect(res.status, username).toBe(200);
      expect(res.body).toMatchObject({ prn: p.prn, amount: '2000.00', amountDue: '2000.00' });
    }
  });
});

describe('when a payment was made', () => {
  it('refuses a paidAt before the PRN was issued (beyond 5 minutes of clock difference) or in the future, naming both bounds', async () => {
    const p = await newPrn('100.00');
    const at = (paidAtIso: string) => bank.post('/api/v1/payments', { prn: p.prn, amount: '100', bankReference: bankRef(), paidAt: paidAtIso });
    for (const early of ['2000-01-01T00:00:00Z', '2026-06-15T07:54:59Z']) {
      const res = await at(early);
      expect(res.status, early).toBe(422);
      expect(res.body.errors).toEqual([expect.objectContaining({ pointer: '/paidAt', code: 'paid_at_out_of_range' })]);
      expect(res.body.errors[0].message).toContain('2026-06-15T07:55:00.000Z');
      expect(res.body.errors[0].message).toContain('2026-06-15T08:05:00.000Z');
    }
    const late = await at('2026-06-15T08:05:01Z');
    expect(late.status).toBe(422);
    expect(late.body.errors).toEqual([expect.objectContaining({ pointer: '/paidAt', code: 'paid_at_out_of_range' })]);
    expect(await paymentCount(p.prn)).toBe(0);
    // Within the clock difference either way is accepted.
    expect((await bank.post('/api/v1/payments', { prn: p.prn, amount: '40', bankReference: bankRef(), paidAt: '2026-06-15T07:55:00Z' })).status).toBe(201);
    expect((await bank.post('/api/v1/payments', { prn: p.prn, amount: '60', bankReference: bankRef(), paidAt: '2026-06-15T08:05:00Z' })).status).toBe(201);
    expect((await prnRow(p.prn)).status).toBe('paid');
  });

  it('honours a payment made within the validity that the bank confirms after it ended', async () => {
    const p = await newPrn('100.00');
    server.clock.set('2026-07-02T08:00:00Z');
    try {
      const res = await bank.post('/api/v1/payments', { prn: p.prn, amount: '100', bankReference: bankRef(), paidAt: '2026-06-29T20:00:00Z' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ outcome: 'exact', prnStatus: 'paid' });
    } finally {
      server.clock.set('2026-06-15T08:00:00Z');
    }
  });
});

describe('what each audience sees (payment.views.ts)', () => {
  const prnKeys = [
    'amount',
    'amountDue',
    'cancelReason',
    'cancelledAt',
    'carriedOver',
    'createdAt',
    'currency',
    'declarantOrgId',
    'declarationId',
    'declarationReference',
    'importerOrgId',
    'paidTotal',
    'payments',
    'prn',
    'slip',
    'status',
    'supersededBy',
    'validUntil',
  ];

  it('a bank: the PRN it quotes the amount of, and the receipt of its own confirmation', async () => {
    const p = await newPrn('300.00');
    const receipt = await confirm(p.prn, '100');
    expect(Object.keys(receipt.body).sort()).toEqual([
      'amount',
      'balance',
      'bankReference',
      'credit',
      'currency',
      'message',
      'outcome',
      'paidAt',
      'paidTotal',
      'paymentId',
      'prn',
      'prnAmount',
      'prnStatus',
      'receivedAt',
      'replayed',
    ]);
    const view = await bank.get(`/api/v1/payment-references/${p.prn}?amount=200`);
    expect(Object.keys(view.body).sort()).toEqual(['amountDue', 'currency', 'prn', 'status', 'validUntil']);
  });

  it('the trade (declarant and importer): the PRN in full, its payments without the bank internals', async () => {
    const p = await newPrn('300.00');
    await confirm(p.prn, '100');
    for (const username of ['siginon.agent', 'nmotors.owner']) {
      const view = await (await server.as(username)).get(`/api/v1/payment-references/${p.prn}`);
      expect(Object.keys(view.body).sort(), username).toEqual(prnKeys);
      expect(Object.keys(view.body.payments[0]).sort(), username).toEqual(['amount', 'bankReference', 'credit', 'currency', 'outcome', 'paidAt', 'paymentId', 'prn', 'receivedAt']);
    }
  });

  it('customs: everything, the paying bank and where the PRN stood after each payment included', async () => {
    const p = await newPrn('300.00');
    await confirm(p.prn, '100');
    const view = await (await server.as('kra.officer')).get(`/api/v1/payment-references/${p.prn}`);
    expect(Object.keys(view.body).sort()).toEqual(prnKeys);
    expect(Object.keys(view.body.payments[0]).sort()).toEqual([
      'amount',
      'balance',
      'bankOrgId',
      'bankReference',
      'credit',
      'currency',
      'message',
      'outcome',
      'paidAt',
      'paidTotal',
      'paymentId',
      'prn',
      'prnAmount',
      'prnStatus',
      'receivedAt',
    ]);
    expect(view.body.payments[0]).toMatchObject({ bankOrgId: org.KCB, amount: '100.00', prnStatus: 'partly_paid', paidTotal: '100.00', balance: '200.00' });
  });
});
