import type { ColumnType, Generated } from 'kysely';

/** numeric columns arrive as exact decimal text. */
type Numeric = string;

export type ReleaseStatus = 'released' | 'exited';
export type TerminalMessageKind = 'release' | 'cancel';

export interface ReleaseTables {
  release_order: {
    id: string;
    number: string;
    declaration_id: string;
    declaration_reference: string;
    declarant_org_id: string;
    importer_org_id: string;
    transport_document_id: string;
    transport_document_number: string;
    office_code: string;
    packages: number;
    gross_mass_kg: Numeric;
    released_at: Date;
    released_by: string;
    status: ReleaseStatus;
    exited_at: Date | null;
  };
  gate_out: {
    id: string;
    release_order_id: string;
    at: Date;
    gate_reference: string;
    packages: number;
    gross_mass_kg: Numeric;
    recorded_by: string;
    recorded_at: Date;
  };
  /** The port's inbox: release messages the terminal pulls and acknowledges. */
  terminal_message: {
    /** bigserial, text in JS: the pull cursor. */
    id: Generated<string>;
    release_order_number: string;
    kind: TerminalMessageKind;
    payload: ColumnType<unknown, string, string>;
    created_at: Generated<Date>;
    delivered_at: Date | null;
    acknowledged_at: Date | null;
  };
}
