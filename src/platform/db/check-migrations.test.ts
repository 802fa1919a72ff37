import { describe, expect, it } from 'vitest';
import { checkAll, checkMigration } from './check-migrations.ts';

const rules = (source: string) => checkMigration('20270101_0100_test', source).map((f) => f.rule);

describe('the online migration check', () => {
  it('flags what would lock a busy table while the old release serves', () => {
    expect(rules('create index declaration_by_office on declaration (office_code)')).toEqual(['index-not-concurrent']);
    expect(rules('alter table declaration add column channel_note text not null')).toEqual(['not-null-without-default']);
    expect(rules('alter table declaration add constraint declaration_office_fk foreign key (office_code) references customs_office (code)')).toEqual(['constraint-validated']);
    expect(rules('alter table declaration add constraint positive check (invoice_amount > 0)')).toEqual(['constraint-validated']);
    expect(rules('alter table declaration alter column invoice_amount type numeric(20,2)')).toEqual(['column-type-change']);
    expect(rules('alter table declaration drop column seller_name')).toEqual(['drop']);
    expect(rules('drop table risk_draw')).toEqual(['drop']);
    expect(rules('alter table declaration rename column seller_name to seller')).toEqual(['rename']);
    expect(rules("await db.schema.alterTable('declaration').addColumn('note', 'text', (c) => c.notNull()).execute();")).toEqual(['not-null-without-default']);
    expect(rules("await db.schema.createIndex('declaration_note').on('declaration').column('note').execute();")).toEqual(['index-not-concurrent']);
  });

  it('lets the expand steps through', () => {
    expect(rules('create index concurrently declaration_by_office on declaration (office_code)')).toEqual([]);
    expect(rules('create table maintenance_notice (id uuid primary key, office text); create index maintenance_by_office on maintenance_notice (office)')).toEqual([]);
    expect(rules("alter table declaration add column channel_note text not null default ''")).toEqual([]);
    expect(rules('alter table declaration add column channel_note text')).toEqual([]);
    expect(rules('alter table declaration add constraint declaration_office_fk foreign key (office_code) references customs_office (code) not valid')).toEqual([]);
    expect(rules('alter table declaration validate constraint declaration_office_fk')).toEqual([]);
    expect(rules('-- migration-check: allow drop (unused since release 0.3)\nalter table declaration drop column seller_name')).toEqual([]);
  });

  it('passes every migration of this tree newer than the baseline', () => {
    expect(checkAll()).toEqual([]);
  });
});
