import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ownerOf, testDatabase, type TestDatabase } from '../../../test/db.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { recordAudit, timeline, verifyAudit, systemActor } from './index.ts';

let database: TestDatabase;
const officer = { id: 'u1', name: 'Jane Officer', organisationId: 'kra', role: 'officer' };

beforeAll(async () => {
  database = await testDatabase({ demo: false });
  for (const [i, action] of ['lodged', 'assessed', 'registered'].entries()) {
    await inTransaction(database.db, (tx) =>
      recordAudit(tx, { actor: i === 0 ? officer : systemActor, action, entityType: 'declaration', entityId: 'd1', subjects: ['2026MBAIM4000001', 'MAEU123'], after: { step: i }, reason: 'test' }),
    );
  }
  await inTransaction(database.db, (tx) => recordAudit(tx, { actor: officer, action: 'lodged', entityType: 'manifest', entityId: 'm1', subjects: ['MAEU123'] }));
  await inTransaction(database.db, (tx) => recordAudit(tx, { actor: officer, action: 'other', entityType: 'manifest', entityId: 'm2', subjects: ['OTHER'] }));
});
afterAll(async () => {
  await database.close();
});

describe('audit trail', () => {
  it('verifies an untouched trail', async () => {
    expect(await verifyAudit(database.db)).toMatchObject({ ok: true, streams: 3, events: 5, problems: [] });
  });

  it('refuses updates, deletes and truncation, even to the owner while the guards are on', async () => {
    const owner = await ownerOf(database);
    try {
      await expect(sql`update audit_event set reason = 'edited'`.execute(owner.db)).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_event`.execute(owner.db)).rejects.toThrow(/append-only/);
      await expect(sql`truncate audit_event, audit_stream`.execute(owner.db)).rejects.toThrow(/append-only/);
    } finally {
      await owner.close();
    }
  });

  it('finds a consignment’s steps by any of its references, oldest first', async () => {
    const byBl = await timeline(database.db, ['MAEU123']);
    expect(byBl.map((e) => `${e.entityType}:${e.action}`)).toEqual(['declaration:lodged', 'declaration:assessed', 'declaration:registered', 'manifest:lodged']);
    expect(byBl[0]!.actor).toEqual({ name: 'Jane Officer', role: 'officer', organisationId: 'kra' });
    expect(await timeline(database.db, ['2026MBAIM4000001', 'OTHER'])).toHaveLength(4);
  });

  it('detects a changed record and a removed one (when the owner bypasses the guard)', async () => {
    const owner = await ownerOf(database);
    try {
      await sql`alter table audit_event disable trigger audit_event_append_only`.execute(owner.db);
      await sql`update audit_event set reason = 'rewritten' where action = 'assessed'`.execute(owner.db);
      await sql`delete from audit_event where entity_id = 'm2'`.execute(owner.db);
      await sql`alter table audit_event enable trigger audit_event_append_only`.execute(owner.db);
    } finally {
      await owner.close();
    }
    const report = await verifyAudit(database.db);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stream: 'declaration:d1', seq: 2, problem: expect.stringMatching(/changed/) }),
        expect.objectContaining({ stream: 'manifest:m2', problem: expect.stringMatching(/removed/) }),
      ]),
    );
  });
});
