/**
 * Neutral input types for the learned risk model, named in trade vocabulary so that
 * the rest of the system (declarations in PostgreSQL, the KCS benchmark files, ...)
 * can feed the model without knowing about its internals.
 *
 * Every field except the label is optional: a missing or empty value is treated as
 * "unknown" by the feature builder (its own category for identifiers, NaN for numbers).
 */
export interface RiskInput {
  /** Declaration reference; not used as a feature. */
  declarationId?: string | null | undefined;
  /** Acceptance date, ISO `YYYY-MM-DD`; not used as a feature (kept for audit / time splits). */
  date?: string | null | undefined;
  /** Customs office of declaration. */
  officeId?: string | null | undefined;
  /** Clearance process type (e.g. pre-arrival / post-arrival). */
  processType?: string | null | undefined;
  /** Import type (general import, bonded, ...). */
  importType?: string | null | undefined;
  /** Import use (domestic consumption, processing, ...). */
  importUse?: string | null | undefined;
  /** Payment type (duty payment arrangement). */
  paymentType?: string | null | undefined;
  /** Mode of transport code (sea, air, post, ...). */
  transportMode?: string | null | undefined;
  /** Customs broker / declarant. */
  declarantId?: string | null | undefined;
  /** Importer of record. */
  importerId?: string | null | undefined;
  /** Foreign seller / consignor. */
  sellerId?: string | null | undefined;
  /** Express courier, when the goods came by courier. */
  courierId?: string | null | undefined;
  /** Tariff classification, at least 6 digits (HS6). */
  hsCode?: string | null | undefined;
  /** ISO country code of departure (country of dispatch). */
  departureCountry?: string | null | undefined;
  /** ISO country code of origin. */
  originCountry?: string | null | undefined;
  /** Duty rate in percent. */
  taxRate?: number | null | undefined;
  /** Duty / preference type applied (e.g. MFN, FTA preference code). */
  taxType?: string | null | undefined;
  /** How origin was determined / indicated. */
  originIndicator?: string | null | undefined;
  /** Net mass in kilograms. */
  netMassKg?: number | null | undefined;
  /** Item (customs) value in the model's currency. */
  itemPrice?: number | null | undefined;
  /** Known outcome (1 = fraud found at inspection), when known. Ignored for scoring. */
  fraud?: 0 | 1 | null | undefined;
  /** 0 = none, 1 = fraud, 2 = critical fraud, when known. */
  criticalFraud?: 0 | 1 | 2 | null | undefined;
}

/** A declaration with a known inspection outcome, used to train the model. */
export interface RiskTrainingRow extends RiskInput {
  fraud: 0 | 1;
}

/** One reason behind a score. `contribution` is in log-odds (positive raises risk). */
export interface RiskReason {
  feature: string;
  contribution: number;
  text: string;
}
