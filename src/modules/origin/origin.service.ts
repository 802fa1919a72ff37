// Which tariff preference an item earns: the agreements its origin country applies on the date,
// best precedence first (EAC Customs Union before COMESA FTA), and only with the agreement's
// proof of origin among the documents presented. A claim without the proof, or for a country in
// no agreement in force, is refused rather than quietly charged in full: the declarant learns
// which certificate is missing or why there is no preference, and no false claim is recorded.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { FieldError } from '#platform/http/problem.ts';
import type { PreferenceGrant, RuleRef } from '#modules/assessment/index.ts';
import { originRepository, type MembershipInForce } from './origin.repository.ts';

export interface PreferenceClaim {
  /** Pointer of the item, e.g. /items/2, for errors. */
  pointer: string;
  originCountry?: string | undefined;
  preferentialOrigin?: boolean | undefined;
  /** Codes of the documents presented with the goods (header documents of a declaration). */
  documents: readonly string[];
  /** The date whose rules apply (arrival). */
  date: string;
}

export type PreferenceOutcome = { grant?: PreferenceGrant } | { error: FieldError };

function grantOf(m: MembershipInForce): PreferenceGrant {
  const ref: RuleRef = {
    kind: 'preference',
    id: String(m.id),
    key: `${m.agreement}:${m.country}`,
    validFrom: m.valid_from,
    validTo: m.valid_to,
    value: { agreement: m.agreement, name: m.name, country: m.country, proofDocument: m.proof_document, removes: m.removes },
  };
  return { agreement: m.agreement, charges: m.removes, ref };
}

export function originService(db: Kysely<DB> | Tx) {
  const repo = originRepository(db);

  /**
   * Each claim's outcome, in order. A consignment's items mostly share an origin: the country's
   * memberships are read once per country and date, not once per item.
   */
  async function resolvePreferences(claims: readonly PreferenceClaim[]): Promise<PreferenceOutcome[]> {
    const best = new Map<string, Promise<MembershipInForce | undefined>>();
    let agreements: Promise<string> | undefined;
    const outcomes: PreferenceOutcome[] = [];
    for (const claim of claims) {
      if (claim.preferentialOrigin !== true || claim.originCountry === undefined) {
        outcomes.push({});
        continue;
      }
      const country = claim.originCountry.toUpperCase();
      const key = `${country}|${claim.date}`;
      let found = best.get(key);
      if (!found) {
        found = repo.membershipsInForce(country, claim.date).then((rows) => rows[0]);
        best.set(key, found);
      }
      outcomes.push(await outcomeOf(claim, country, await found, () => (agreements ??= repo.agreements().then((all) => all.map((a) => a.code).join(', ')))));
    }
    return outcomes;
  }

  return {
    resolvePreferences,
    async resolvePreference(claim: PreferenceClaim): Promise<PreferenceOutcome> {
      return (await resolvePreferences([claim]))[0] as PreferenceOutcome;
    },
    agreements: () => repo.agreements(),
  };
}

async function outcomeOf(claim: PreferenceClaim, country: string, best: MembershipInForce | undefined, known: () => Promise<string>): Promise<PreferenceOutcome> {
  if (!best) {
    return {
      error: {
        pointer: `${claim.pointer}/preferentialOrigin`,
        code: 'no_preference',
        message: `goods of ${country} earn no preference on ${claim.date}: ${country} applies none of the preference agreements (${await known()}) on that date (DR Congo and Somalia, for instance, are EAC members not yet applying the Customs Union); drop the claim, full duty applies`,
      },
    };
  }
  const presented = new Set(claim.documents.map((d) => d.toUpperCase()));
  if (!presented.has(best.proof_document)) {
    return {
      error: {
        pointer: `${claim.pointer}/preferentialOrigin`,
        code: 'document_required',
        message: `${best.name} (${best.agreement}) preference for goods of ${country} needs its proof of origin: add document code ${best.proof_document} to documents, or drop the claim`,
      },
    };
  }
  return { grant: grantOf(best) };
}

export type OriginService = ReturnType<typeof originService>;
