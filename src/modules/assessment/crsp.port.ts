// What the calculator asks of the CRSP schedule (kept by the vehicle module): the price of a
// declared vehicle in force on the assessment date. The declarant never types it.
import type { Dec } from '#platform/money.ts';
import type { RuleRef } from './assessment.types.ts';

export interface CrspQuery {
  make: string;
  model: string;
  /** Tariff fuel: petrol, diesel, hybrid-petrol, hybrid-diesel, plug-in-petrol, plug-in-diesel, electric. */
  fuel: string;
  engineCc: number;
  body?: string;
  drive?: string;
}

export type CrspMatch =
  | { ok: true; price: Dec; ref: RuleRef; variant: string }
  | { ok: false; code: 'crsp_not_found' | 'crsp_ambiguous'; message: string };

export interface CrspSchedule {
  find(query: CrspQuery, date: string): Promise<CrspMatch>;
}
