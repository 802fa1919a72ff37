import type { ColumnType, Generated } from 'kysely';

export interface OriginTables {
  preference_agreement: {
    code: string;
    name: string;
    /** Charge codes the preference removes, e.g. ["ID"]. */
    removes: ColumnType<string[], string, string>;
    /** Document code (reference document_code) that proves origin under the agreement. */
    proof_document: string;
    /** Lower wins when a country is a member of several agreements in force. */
    precedence: number;
    source: string;
    note: string | null;
    import_id: number;
  };
  agreement_member: {
    id: Generated<string>;
    agreement: string;
    country: string;
    /** Dates arrive as YYYY-MM-DD text. */
    valid_from: string;
    valid_to: string | null;
    note: string | null;
    import_id: number;
  };
}
