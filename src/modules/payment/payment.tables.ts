import type { ColumnType } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;

export type PrnStatus = 'open' | 'partly_paid' | 'paid' | 'cancelled' | 'expired';
/** exact/under/over: the money counts towards the PRN; unallocated: held for refund or reconciliation. */
export type PaymentOutcome = 'exact' | 'under' | 'over' | 'unallocated';

export interface PaymentTables {
  payment_reference: {
    id: string;
    prn: string;
    declaration_id: string;
    declaration_reference: string;
    declarant_org_id: string;
    importer_org_id: string;
    amount: Numeric;
    currency: ColumnType<string, string | undefined, never>;
    status: PrnStatus;
    valid_until: Date;
    /** What the e-slip prints: see PaymentSlip. */
    slip: ColumnType<unknown, string, string>;
    paid_total: ColumnType<Numeric, Numeric | undefined, Numeric>;
    /** Part payment carried over from the PRN this one superseded (already inside paid_total). */
    carried_over: ColumnType<Numeric, Numeric | undefined, never>;
    created_at: ColumnType<Date, Date | undefined, never>;
    cancelled_at: Date | null;
    cancel_reason: string | null;
    /** The PRN that replaced this one on re-assessment (its part payment moved there). */
    superseded_by: string | null;
  };
  payment: {
    id: string;
    prn: string;
    bank_org_id: string;
    bank_reference: string;
    amount: Numeric;
    paid_at: Date;
    received_at: Date;
    outcome: PaymentOutcome;
    /** Money beyond what the PRN still needed: an overpayment, or all of an unallocated payment. */
    credit: Numeric;
    prn_status_after: PrnStatus;
    paid_total_after: Numeric;
  };
}
