import type { Kysely } from 'kysely';
import { runScript } from '#platform/db/script.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table country (
      code char(2) primary key,
      alpha3 char(3) not null,
      numeric char(3) not null,
      name text not null
    );
    create table currency (
      code char(3) primary key,
      numeric char(3),
      name text not null,
      minor_units int not null default 2
    );
    create table locode (
      code char(5) primary key,
      name text not null,
      country char(2) not null references country(code),
      subdivision text,
      functions text not null default '',
      kind text not null,
      note text
    );
    create table customs_office (
      code text primary key,
      name text not null,
      locode char(5) references locode(code),
      country char(2) not null references country(code),
      kind text not null,
      note text
    );
    create table regime (
      code text primary key,
      name text not null,
      direction text not null,
      description text not null default ''
    );
    create table procedure_code (
      code char(7) primary key,
      regime text references regime(code),
      description text not null,
      direction text not null,
      note text
    );
    create table document_code (
      code text primary key,
      name text not null,
      issuer text,
      note text
    );
    create table unit (
      code text primary key,
      name text not null,
      symbol text,
      kind text not null,
      note text
    );
  `,
  );
}
