import type { Generated } from 'kysely';

/** The CRSP schedule: the published current retail selling price of each vehicle variant, by validity period. */
export interface VehicleTables {
  crsp_entry: {
    id: Generated<string>;
    make: string;
    model: string;
    body: string | null;
    engine_cc: number;
    /** One of the tariff's vehicle fuels (petrol, diesel, hybrid-petrol, ..., electric). */
    fuel: string;
    drive: string | null;
    /** numeric(18,2): arrives as exact decimal text. */
    price_kes: string;
    valid_from: string;
    valid_to: string | null;
    note: string | null;
    import_id: number;
  };
}
