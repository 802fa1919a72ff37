// With TEST_DATABASE_URL set, the suite runs on a real PostgreSQL: one template database is
// migrated and loaded once here, and each test file gets a fresh copy of it (see test/db.ts).
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { TestProject } from 'vitest/node';
import type { DB } from '../src/schema.ts';
import { grantApplicationRole, prepareDatabase } from '../src/setup.ts';
import { ensureWebBuilt } from '../src/web.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * The role the tests' servers and services log in as on PostgreSQL: granted on the template what
 * DATABASE_URL's role gets in production (its copies inherit the grants), so the whole suite shows
 * the application works without owning the schema. TEST_DATABASE_URL's role is the owner.
 */
export const applicationRole = 'forodha_app_test';

export function withRole(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = '';
  return u.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Tests that start the server as `npm start` does find the web built once, here, instead of
  // each building it (slowly, and at the same time as the others).
  await ensureWebBuilt();
  const url = process.env.TEST_DATABASE_URL;
  const templateName = `forodha_template_${process.pid}`;
  project.provide('templateDatabase', templateName);
  if (!url) {
    return async () => undefined;
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${templateName} with (force)`);
  await admin.query(`create database ${templateName}`);
  // A cluster-wide role, created once; suites running side by side may race to create it.
  await admin.query(`do $$ begin create role ${applicationRole} login; exception when duplicate_object or unique_violation then null; end $$`);
  const pool = new pg.Pool({ connectionString: withDatabaseName(url, templateName), max: 2 });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  await prepareDatabase(db, { demo: true });
  await grantApplicationRole(db, applicationRole);
  await db.destroy();
  return async () => {
    await admin.query(`drop database if exists ${templateName} with (force)`);
    await admin.end();
  };
}
