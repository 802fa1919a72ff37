import { describe, expect, it } from 'vitest';
import { splitStatements } from './script.ts';

describe('splitStatements', () => {
  it('splits on semicolons outside quotes, dollar bodies and comments', () => {
    const script = `
      create table a (x int); -- a comment; with a semicolon and a quote '
      insert into a values (1), (2);
      insert into n values ('it''s; fine');
      create function f() returns trigger language plpgsql as $$ begin raise exception 'no; never'; end $$;
      select "odd;name" from a
    `;
    expect(splitStatements(script)).toEqual([
      'create table a (x int)',
      'insert into a values (1), (2)',
      "insert into n values ('it''s; fine')",
      "create function f() returns trigger language plpgsql as $$ begin raise exception 'no; never'; end $$",
      'select "odd;name" from a',
    ]);
  });
});
