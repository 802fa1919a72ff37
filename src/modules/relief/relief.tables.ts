import type { ColumnType, Generated } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;
type Json<T> = ColumnType<T, string, string>;

export type ReliefKind = 'full' | 'rate';
export type LetterCover = 'value' | 'quantity';

export interface ReliefTables {
  /** A relief by procedure code: one charge relieved, fully or to a rate, over a validity period. */
  relief: {
    id: Generated<string>;
    cpc: string;
    /** The exemption document that selects this relief (row ignored unless presented). */
    document_code: string | null;
    /** Goods the relief is for (HS code digits it starts with); null: every item of the CPC. */
    hs_prefix: string | null;
    charge: string;
    kind: ReliefKind;
    rate: Numeric | null;
    /** The supporting document that must be presented (422 document_required otherwise). */
    required_document: string | null;
    /** Whether a registered exemption letter (reference = letter number) must cover the item. */
    letter_required: boolean;
    name: string;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
    import_id: number;
  };
  /** An exemption letter issued to one holder, with what it covers and what is left of it. */
  exemption_letter: {
    id: string;
    number: string;
    document_code: string;
    holder_pin: string;
    holder_name: string | null;
    procedure_codes: Json<string[]>;
    charges: Json<string[]>;
    cover: LetterCover;
    cover_limit: Numeric;
    unit: string | null;
    hs_prefix: string | null;
    balance: Numeric;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
    created_by: string;
    created_at: Generated<Date>;
  };
  /** What each declaration item currently draws on a letter; replaced when it is re-assessed. */
  exemption_debit: {
    letter_id: string;
    declaration_id: string;
    item_no: number;
    amount: Numeric;
    debited_at: Date;
  };
}
