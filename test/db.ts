// A fresh, migrated database with reference data, settings and the sample tariff for one test
// file: a copy of the template on real PostgreSQL (TEST_DATABASE_URL), else an in-memory PGlite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, openMemoryDatabase, type Database } from '../src/platform/db/database.ts';
import { prepareDatabase } from '../src/setup.ts';
import { applicationRole, withDatabaseName, withRole } from './global-setup.ts';

export interface TestDatabase extends Database {
  /** Connection string of this copy as the application role (real PostgreSQL only), for tests that start other processes. */
  url?: string;
  /** The same copy as its owner (real PostgreSQL only): for tests that play a hostile administrator. */
  ownerUrl?: string;
}

export async function testDatabase(options: { demo?: boolean } = {}): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const database = await openMemoryDatabase();
    await prepareDatabase(database.db, { demo: options.demo ?? true });
    return database;
  }
  const name = `forodha_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${inject('templateDatabase')}`);
  } finally {
    await admin.end();
  }
  const copyUrl = withDatabaseName(url, name);
  const appUrl = withRole(copyUrl, applicationRole);
  const database = await openDatabase({ databaseUrl: appUrl, dataDir: '', poolSize: 10 });
  return {
    ...database,
    url: appUrl,
    ownerUrl: copyUrl,
    close: async () => {
      await database.close();
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

/**
 * The schema owner's connection to a test database: a separate connection as the owner on
 * PostgreSQL; on PGlite (one user, who owns everything) the database itself.
 */
export async function ownerOf(database: TestDatabase): Promise<Database> {
  if (database.ownerUrl === undefined) {
    return { ...database, close: async () => undefined };
  }
  return openDatabase({ databaseUrl: database.ownerUrl, dataDir: '', poolSize: 2 });
}
