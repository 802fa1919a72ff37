import type { ColumnType, Generated } from 'kysely';

export interface IdentityTables {
  app_user: {
    id: string;
    organisation_id: string;
    username: string;
    display_name: string;
    password_hash: string;
    roles: string[];
    active: Generated<boolean>;
    created_at: ColumnType<Date, Date | string | undefined, never>;
  };
  api_key: {
    id: string;
    organisation_id: string;
    name: string;
    /** The first 8 characters of the key, so admins can tell keys apart. */
    key_prefix: string;
    /** SHA-256 (hex) of the key; the key itself is shown once and never stored. */
    key_hash: string;
    roles: string[];
    created_at: ColumnType<Date, Date | string | undefined, never>;
    revoked_at: Date | null;
    /** After this instant the key is refused; rotation brings it forward to end the overlap. */
    expires_at: Date;
    /** The key issued to replace this one when it was rotated. */
    replaced_by: string | null;
  };
  user_session: {
    id: string;
    user_id: string;
    token_hash: string;
    created_at: ColumnType<Date, Date | string | undefined, never>;
    expires_at: Date;
    revoked_at: Date | null;
  };
}
