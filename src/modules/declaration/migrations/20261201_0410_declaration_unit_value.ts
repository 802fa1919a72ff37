import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

// Accepted unit values: one row per item of every declaration customs accepted (registered,
// paid, released, exited) and per basis (`per`: 'kg' for the customs value per kg of net mass,
// or the item's unit of quantity, upper case, for the value per unit), so the valuation
// reference reads the newest comparable values through an index instead of computing them
// from every declaration's items and assessment JSON at each lodgement. The declaration module
// keeps it (an outbox consumer of the declaration's status and value changes); risk reads it
// through the module's index (acceptedUnitValues).
//
// The indexes serve the three levels the reference tries, newest first, so a bounded window
// (the last N values since a date) reads N index entries (docs/history-plans.md).
// The backfill below fills it for the declarations accepted before this release, with the same
// expression the consumer uses (declaration.reads.ts acceptedValuesSql).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table declaration_unit_value (
      declaration_id uuid not null references declaration (id) on delete cascade,
      item_no integer not null,
      per text not null,
      hs_code text not null,
      hs6 text not null,
      hs4 text not null,
      origin text not null,
      unit text not null,
      customs_value numeric not null,
      unit_value numeric not null,
      accepted_on date not null,
      primary key (declaration_id, item_no, per)
    );
    create index declaration_unit_value_hs6_origin on declaration_unit_value (hs6, per, origin, accepted_on desc) include (unit_value);
    create index declaration_unit_value_hs6 on declaration_unit_value (hs6, per, accepted_on desc) include (unit_value);
    create index declaration_unit_value_hs4 on declaration_unit_value (hs4, per, accepted_on desc) include (unit_value);
    insert into declaration_unit_value (declaration_id, item_no, per, hs_code, hs6, hs4, origin, unit, customs_value, unit_value, accepted_on)
    select i.declaration_id, i.item_no, b.per, h.code, left(h.code, 6), left(h.code, 4), upper(i.origin_country), upper(i.unit), c.value, c.value / b.divisor,
           coalesce((d.registered_at at time zone 'Africa/Nairobi')::date, d.assessment_date, (d.created_at at time zone 'Africa/Nairobi')::date)
    from declaration d
    join declaration_item i on i.declaration_id = d.id
    cross join lateral (select regexp_replace(i.hs_code, '[^0-9]', '', 'g') as code) h
    cross join lateral (select (d.assessment -> 'items' -> (i.item_no - 1) ->> 'customsValue')::numeric as value) c
    cross join lateral (values ('kg', i.net_mass_kg::numeric), (upper(i.unit), i.quantity::numeric)) b (per, divisor)
    where d.status in ('registered', 'paid', 'released', 'exited') and b.divisor > 0 and c.value is not null
  `,
  );
}
