// PRN issue, supersession, expiry and balances against a real database (PGlite, or PostgreSQL
// with TEST_DATABASE_URL). Bank confirmations over HTTP are in payment.routes.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction } from '#platform/db/transaction.ts';
import { sql } from 'kysely';
import { verifyAudit, type Actor } from '#modules/audit/index.ts';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { mutableClock } from '../../../test/server.ts';
import { paymentService, prnValidUntil, type PaymentService, type Settlement } from './payment.service.ts';
import { dammCheckDigit, isValidPrn, prnOf } from './prn.ts';

const clock = mutableClock('2026-06-15T08:00:00Z');
const officer: Actor = { id: 'u-officer', name: 'Achieng Otieno', organisationId: null, role: 'officer' };
const bank: Actor = { id: 'k-kcb', name: 'KCB payments gateway', organisationId: null, role: 'bank' };
const bankOrgId = randomUUID();

let database: TestDatabase;
let payments: PaymentService;
let settled: Settlement[] = [];

interface Declaration {
  id: string;
  reference: string;
}
let seq = 0;
/** Audited actions filed under a business reference, oldest first. */
const actionsFor = async (subject: string) =>
  (await database.db.selectFrom('audit_event').select('action').where(sql<boolean>`${subject} = any(subject_refs)`).orderBy('id').execute()).map((e) => e.action);
const newDeclaration = (): Declaration => ({ id: randomUUID(), reference: `2026MBAIM4${String(++seq).padStart(6, '0')}` });

const issue = (d: Declaration, amount: string) =>
  inTransaction(database.db, (tx) =>
    payments.issuePrn(tx, {
      declarationId: d.id,
      declarationReference: d.reference,
      declarantOrgId: randomUUID(),
      importerOrgId: randomUUID(),
      amount,
      slip: { items: [], totals: {}, total: amount },
      actor: officer,
    }),
  );

let bankRef = 0;
const pay = (prn: string, amount: string, paidAt = clock.now()) =>
  inTransaction(database.db, (tx) => payments.confirmPayment(tx, { prn, bankOrgId, bankReference: `FT${++bankRef}`, amount, paidAt, actor: bank }));

beforeAll(async () => {
  database = await testDatabase();
  payments = paymentService({
    db: database.db,
    clock,
    onSettled: async (_tx, s) => {
      settled.push(s);
    },
  });
});

afterAll(async () => {
  await database.close();
});

beforeEach(() => {
  settled = [];
  clock.set('2026-06-15T08:00:00Z');
});

describe('issuing a PRN', () => {
  it('gives a trade-style number, valid to the end of the Nairobi day 14 days on, and audits it under the declaration', async () => {
    const d = newDeclaration();
    const issued = await issue(d, '125000.5');
    expect(issued.prn).toMatch(/^2026PRN\d{12}$/);
    expect(isValidPrn(issued.prn)).toBe(true);
    expect(issued.amount).toBe('125000.50');
    expect(issued.status).toBe('open');
    // 15 June 11:00 in Nairobi + 14 days -> 29 June 23:59:59.999 EAT = 20:59:59.999 UTC.
    expect(issued.validUntil.toISOString()).toBe('2026-06-29T20:59:59.999Z');
    expect(await actionsFor(d.reference)).toEqual(['prn.issued']);
    expect(await actionsFor(issued.prn)).toEqual(['prn.issued']);
    expect(await payments.balance(database.db, d.id)).toMatchObject({ due: '125000.50', paid: '0.00', balance: '125000.50', credit: '0.00', prn: issued.prn });
  });

  it('counts the validity from the Nairobi date, not the UTC one', () => {
    // 22:30 UTC on 15 June is already 16 June in Nairobi.
    expect(prnValidUntil(new Date('2026-06-15T22:30:00Z'), 14).toISOString()).toBe('2026-06-30T20:59:59.999Z');
  });

  it('takes its validity from the setting', async () => {
    const short = paymentService({ db: database.db, clock, prnValidityDays: 3, onSettled: async () => undefined });
    const d = newDeclaration();
    const issued = await inTransaction(database.db, (tx) =>
      short.issuePrn(tx, { declarationId: d.id, declarationReference: d.reference, declarantOrgId: randomUUID(), importerOrgId: randomUUID(), amount: '10', slip: {}, actor: officer }),
    );
    expect(issued.validUntil.toISOString()).toBe('2026-06-18T20:59:59.999Z');
    expect(() => paymentService({ db: database.db, clock, prnValidityDays: 0, onSettled: async () => undefined })).toThrow(/prnValidityDays/);
  });

  it('refuses a zero or malformed amount: a zero assessment needs no PRN', async () => {
    const d = newDeclaration();
    await expect(issue(d, '0')).rejects.toThrow(/positive/);
    await expect(issue(d, '12.345')).rejects.toThrow(/two decimals/);
    expect(await payments.balance(database.db, d.id)).toEqual({ due: '0.00', paid: '0.00', balance: '0.00', credit: '0.00' });
  });

  it('supersedes the open PRN on re-assessment so only one is payable', async () => {
    const d = newDeclaration();
    const first = await issue(d, '1000');
    const second = await issue(d, '1200');
    expect(second.superseded).toEqual([first.prn]);
    const old = await payments.describe(database.db, first.prn);
    expect(old?.prn).toMatchObject({ status: 'cancelled', cancel_reason: 'superseded by re-assessment', superseded_by: second.prn });
    expect(await payments.balance(database.db, d.id)).toMatchObject({ due: '1200.00', paid: '0.00', balance: '1200.00', prn: second.prn });
    expect(await actionsFor(d.reference)).toEqual(['prn.issued', 'prn.cancelled', 'prn.issued']);
    // The superseded PRN takes no more money: a payment on it is held for refund.
    const late = await pay(first.prn, '1000');
    expect(late.receipt).toMatchObject({ outcome: 'unallocated', credit: '1000.00', prnStatus: 'cancelled' });
    expect(settled).toEqual([]);
  });

  it('carries part payment over to the PRN that supersedes it', async () => {
    const d = newDeclaration();
    const first = await issue(d, '1000');
    await pay(first.prn, '400');
    const second = await issue(d, '1500');
    expect(second).toMatchObject({ status: 'partly_paid', paidTotal: '400.00' });
    expect(await payments.balance(database.db, d.id)).toMatchObject({ due: '1500.00', paid: '400.00', balance: '1100.00', credit: '0.00', prn: second.prn });
    const rest = await pay(second.prn, '1100');
    expect(rest.receipt).toMatchObject({ outcome: 'exact', prnStatus: 'paid', balance: '0.00' });
    expect(settled).toEqual([{ declarationId: d.id, prn: second.prn, paidTotal: '1500.00', amount: '1500.00', outcome: 'paid' }]);
  });

  it('is born paid when the carried money already covers a lower re-assessment', async () => {
    const d = newDeclaration();
    const first = await issue(d, '1000');
    await pay(first.prn, '900');
    const second = await issue(d, '800');
    expect(second).toMatchObject({ status: 'paid', paidTotal: '900.00' });
    expect(await payments.balance(database.db, d.id)).toMatchObject({ due: '800.00', paid: '900.00', balance: '0.00', credit: '100.00' });
    expect(settled).toEqual([]);
  });
});

describe('PRN numbers', () => {
  /** Every PRN one wrong digit or one swap of neighbours away from `prn`. */
  function slipsOf(prn: string): string[] {
    const digits = prn.slice(0, 4) + prn.slice(7);
    const asPrn = (d: string) => `${d.slice(0, 4)}PRN${d.slice(4)}`;
    const slips: string[] = [];
    for (let i = 0; i < digits.length; i++) {
      for (let v = 0; v <= 9; v++) {
        if (String(v) !== digits[i]) {
          slips.push(asPrn(digits.slice(0, i) + String(v) + digits.slice(i + 1)));
        }
      }
      const next = digits[i + 1];
      if (next !== undefined && next !== digits[i]) {
        slips.push(asPrn(digits.slice(0, i) + next + digits[i] + digits.slice(i + 2)));
      }
    }
    return slips;
  }

  it('computes the Damm check digit as published (572 -> 4)', () => {
    expect(dammCheckDigit('572')).toBe(4);
    expect(isValidPrn(prnOf('2026', '00000000000'))).toBe(true);
    expect(() => prnOf('2026', '123')).toThrow(RangeError);
  });

  it('issues many PRNs: all random-looking, well-formed, checked and different', async () => {
    const issued: string[] = [];
    for (let i = 0; i < 200; i++) {
      issued.push((await issue(newDeclaration(), '10')).prn);
    }
    expect(new Set(issued).size).toBe(200);
    for (const prn of issued) {
      expect(prn).toMatch(/^2026PRN\d{12}$/);
      expect(isValidPrn(prn)).toBe(true);
    }
    // Not a sequence: consecutive issues are far apart (a serial would differ by 1).
    const gaps = issued.slice(1).map((prn, i) => Math.abs(Number(prn.slice(7, 18)) - Number((issued[i] as string).slice(7, 18))));
    expect(gaps.filter((g) => g < 1000).length).toBeLessThan(5);
  });

  it('catches every single wrong digit and every swap of two neighbouring digits', async () => {
    const prn = (await issue(newDeclaration(), '10')).prn;
    const slips = slipsOf(prn);
    expect(slips.length).toBeGreaterThanOrEqual(16 * 9);
    expect(slips.filter(isValidPrn)).toEqual([]);
  });

  it('draws again when the number drawn is already issued', async () => {
    const draws = ['11111111111', '11111111111', '11111111111', '22222222222'];
    const scripted = paymentService({ db: database.db, clock, onSettled: async () => undefined, randomDigits: () => draws.shift() ?? '33333333333' });
    const first = await inTransaction(database.db, (tx) =>
      scripted.issuePrn(tx, { declarationId: randomUUID(), declarationReference: 'X1', declarantOrgId: randomUUID(), importerOrgId: randomUUID(), amount: '10', slip: {}, actor: officer }),
    );
    const second = await inTransaction(database.db, (tx) =>
      scripted.issuePrn(tx, { declarationId: randomUUID(), declarationReference: 'X2', declarantOrgId: randomUUID(), importerOrgId: randomUUID(), amount: '10', slip: {}, actor: officer }),
    );
    expect(first.prn).toBe(prnOf('2026', '11111111111'));
    expect(second.prn).toBe(prnOf('2026', '22222222222'));
    expect(draws).toEqual([]);
  });
});

describe('when a payment was made', () => {
  it('refuses a paidAt more than 5 minutes before the PRN was issued, or more than 5 minutes ahead of now, and records nothing', async () => {
    const d = newDeclaration();
    const issued = await issue(d, '100');
    for (const at of ['2026-06-15T07:54:59.999Z', '2026-06-15T08:05:00.001Z', '2000-01-01T00:00:00Z']) {
      const problem = await pay(issued.prn, '100', new Date(at)).catch((err: unknown) => err);
      expect(problem, at).toMatchObject({ status: 422, problem: { errors: [expect.objectContaining({ pointer: '/paidAt', code: 'paid_at_out_of_range' })] } });
    }
    expect(await actionsFor(issued.prn)).toEqual(['prn.issued']);
    const edge = await pay(issued.prn, '100', new Date('2026-06-15T07:55:00Z'));
    expect(edge.receipt).toMatchObject({ outcome: 'exact', prnStatus: 'paid' });
  });
});

describe('expiry, cancellation and balances', () => {
  it('records money paid after an open PRN expired as unallocated, and the debt stands until a new PRN', async () => {
    const d = newDeclaration();
    const issued = await issue(d, '5000');
    clock.set('2026-07-01T08:00:00Z');
    const late = await pay(issued.prn, '5000', clock.now());
    expect(late.receipt).toMatchObject({ outcome: 'unallocated', prnStatus: 'expired', credit: '5000.00' });
    expect(settled).toEqual([]);
    expect(await payments.balance(database.db, d.id)).toMatchObject({ due: '5000.00', paid: '0.00', balance: '5000.00' });
    const fresh = await issue(d, '5000');
    expect(await payments.balance(database.db, d.id)).toMatchObject({ due: '5000.00', balance: '5000.00', prn: fresh.prn });
    expect(await actionsFor(d.reference)).toEqual(['prn.issued', 'prn.expired', 'payment.unallocated', 'prn.issued']);
  });

  it('honours a payment made before the end of validity even when the bank confirms it later', async () => {
    const d = newDeclaration();
    const issued = await issue(d, '700');
    clock.set('2026-07-02T08:00:00Z');
    const paid = await pay(issued.prn, '700', new Date('2026-06-29T18:00:00Z'));
    expect(paid.receipt).toMatchObject({ outcome: 'exact', prnStatus: 'paid' });
    expect(settled).toHaveLength(1);
  });

  it('does not expire a part-paid PRN: the rest can still be paid', async () => {
    const d = newDeclaration();
    const issued = await issue(d, '700');
    await pay(issued.prn, '300');
    clock.set('2026-07-02T08:00:00Z');
    const rest = await pay(issued.prn, '400', clock.now());
    expect(rest.receipt).toMatchObject({ outcome: 'exact', prnStatus: 'paid' });
  });

  it('turns money on a PRN cancelled with its declaration into a refundable credit', async () => {
    const d = newDeclaration();
    const issued = await issue(d, '2000');
    await pay(issued.prn, '500');
    const cancelled = await inTransaction(database.db, (tx) => payments.cancelPrn(tx, { declarationId: d.id, reason: 'declaration cancelled', actor: officer }));
    expect(cancelled.cancelled).toEqual([issued.prn]);
    expect(await payments.balance(database.db, d.id)).toEqual({ due: '0.00', paid: '0.00', balance: '0.00', credit: '500.00' });
  });

  it('keeps the audit chains intact', async () => {
    expect((await verifyAudit(database.db)).problems).toEqual([]);
  });
});
