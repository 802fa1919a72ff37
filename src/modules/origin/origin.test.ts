// Preference agreements as dated data: the shipped sample, the resolver's choices by country,
// date and documents, and the JSON import's all-or-nothing, entry-numbered checks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { importOrigin, originService, type OriginService } from './index.ts';

let database: TestDatabase;
let origin: OriginService;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forodha-origin-'));
let n = 0;
function file(content: unknown): string {
  const f = path.join(dir, `o${n++}.json`);
  fs.writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

beforeAll(async () => {
  database = await testDatabase();
  origin = originService(database.db);
});
afterAll(async () => {
  await database.close();
});

const claim = (originCountry: string, date: string, documents: string[] = []) => origin.resolvePreference({ pointer: '/items/0', originCountry, preferentialOrigin: true, documents, date });

describe('the shipped agreements', () => {
  it('list the EAC Customs Union as applied: no DR Congo, Somalia or South Sudan; Rwanda and Burundi from 1 July 2009', async () => {
    const members = await database.db.selectFrom('agreement_member').select(['country', 'valid_from']).where('agreement', '=', 'EAC-CU').orderBy('country').execute();
    expect(members).toEqual([
      { country: 'BI', valid_from: '2009-07-01' },
      { country: 'KE', valid_from: '2005-01-01' },
      { country: 'RW', valid_from: '2009-07-01' },
      { country: 'TZ', valid_from: '2005-01-01' },
      { country: 'UG', valid_from: '2005-01-01' },
    ]);
    const agreements = await origin.agreements();
    expect(agreements.map((a) => [a.code, a.proof_document, a.removes, a.precedence])).toEqual([
      ['EAC-CU', 'CEAC', ['ID'], 1],
      ['COMESA-FTA', 'CCOM', ['ID'], 2],
    ]);
  });

  it('the old partner-state setting is gone', async () => {
    const rows = await database.db.selectFrom('national_setting').select('key').where('key', '=', 'origin.eac_partner_states').execute();
    expect(rows).toEqual([]);
  });
});

describe('resolving a claim', () => {
  it('Rwanda: COMESA FTA until 30 June 2009, the EAC Customs Union from 1 July 2009', async () => {
    const before = await claim('RW', '2009-06-30', ['CCOM']);
    expect('grant' in before && before.grant).toMatchObject({ agreement: 'COMESA-FTA', charges: ['ID'], ref: { kind: 'preference', key: 'COMESA-FTA:RW', validFrom: '2004-01-01' } });
    const after = await claim('RW', '2009-07-01', ['CEAC']);
    expect('grant' in after && after.grant).toMatchObject({ agreement: 'EAC-CU', ref: { kind: 'preference', key: 'EAC-CU:RW', validFrom: '2009-07-01', validTo: null } });
  });

  it('an EAC certificate before Rwanda applied the Customs Union proves nothing: the COMESA certificate is asked for', async () => {
    const r = await claim('RW', '2009-06-30', ['CEAC']);
    expect('error' in r && r.error).toMatchObject({ pointer: '/items/0/preferentialOrigin', code: 'document_required' });
    expect('error' in r && r.error.message).toMatch(/COMESA-FTA.*document code CCOM/);
  });

  it('DR Congo goods earn no EAC preference, whatever the documents: the claim is refused, saying why', async () => {
    const r = await claim('CD', '2025-03-01', ['CEAC', 'CCOM']);
    expect('error' in r && r.error).toMatchObject({ pointer: '/items/0/preferentialOrigin', code: 'no_preference' });
    expect('error' in r && r.error.message).toMatch(/CD applies none of the preference agreements \(EAC-CU, COMESA-FTA\) on that date/);
  });

  it('Egypt: COMESA preference with a COMESA certificate, refused without it', async () => {
    const ok = await claim('EG', '2025-03-01', ['N380', 'CCOM']);
    expect('grant' in ok && ok.grant?.agreement).toBe('COMESA-FTA');
    const refused = await claim('EG', '2025-03-01', ['N380', 'CEAC']);
    expect('error' in refused && refused.error.message).toMatch(/document code CCOM/);
  });

  it('nothing is granted without a claim', async () => {
    expect(await origin.resolvePreference({ pointer: '/items/0', originCountry: 'UG', preferentialOrigin: false, documents: ['CEAC'], date: '2025-03-01' })).toEqual({});
  });
});

describe('origin import', () => {
  const agreement = (members: unknown[], over: Record<string, unknown> = {}) => ({
    code: 'TEST-FTA',
    name: 'Test free trade area',
    removes: ['ID'],
    proofDocument: 'CAFC',
    precedence: 9,
    source: 'test',
    members,
    ...over,
  });

  it('reports every bad entry by its place in the file and loads nothing', async () => {
    const report = await importOrigin(
      database.db,
      file({
        agreements: [
          agreement(
            [
              { country: 'GH', validFrom: '2026-01-01' },
              { country: 'XX', validFrom: '2026-01-01' },
              { country: 'NG', validFrom: '2026-02-30' },
              { country: 'SN', validFrom: '2026-03-01', validTo: '2026-02-01' },
              { country: 'GH', validFrom: '2026-06-01' },
              { country: 'CI', validFrom: '2026-01-01', colour: 'blue' },
            ],
            { proofDocument: 'ZZZZ', removes: [] },
          ),
          { code: 'x', name: '', removes: ['ID'], proofDocument: 'CAFC', precedence: 0, source: 'test', members: [] },
        ],
      }),
      { importedBy: 'test' },
    );
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => e.pointer)).toEqual([
      '/agreements/0/members/1/country',
      '/agreements/0/members/2/validFrom',
      '/agreements/0/members/3/validTo',
      '/agreements/0/members/4/validFrom',
      '/agreements/0/members/5',
      '/agreements/0/proofDocument',
      '/agreements/0/removes',
      '/agreements/1/code',
      '/agreements/1/name',
      '/agreements/1/precedence',
    ]);
    expect(report.errors[3]!.message).toMatch(/overlaps \/agreements\/0\/members\/0/);
    expect(await database.db.selectFrom('preference_agreement').select('code').where('code', '=', 'TEST-FTA').execute()).toEqual([]);
  });

  it('refuses a file that is not JSON or has no agreements', async () => {
    expect((await importOrigin(database.db, file('{"agreements": ['), { importedBy: 'test' })).errors[0]!.message).toMatch(/not JSON/);
    expect((await importOrigin(database.db, file({ settings: [] }), { importedBy: 'test' })).errors[0]!.pointer).toBe('/agreements');
  });

  it('loads a new agreement with an audit record; a dry run changes nothing', async () => {
    const f = file({ agreements: [agreement([{ country: 'GH', validFrom: '2026-01-01' }])] });
    expect(await importOrigin(database.db, f, { importedBy: 'test', dryRun: true })).toMatchObject({ ok: true, loaded: 1 });
    expect(await database.db.selectFrom('preference_agreement').select('code').where('code', '=', 'TEST-FTA').execute()).toEqual([]);
    const report = await importOrigin(database.db, f, { importedBy: 'test' });
    expect(report).toMatchObject({ ok: true, loaded: 1, unchanged: 0 });
    const audit = await database.db.selectFrom('audit_event').select(['action', 'entity_id', 'after']).where('action', '=', 'origin.imported').where('entity_id', '=', String(report.importId)).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.after).toMatchObject({ agreementsAdded: ['TEST-FTA'], membersAdded: ['TEST-FTA:GH:2026-01-01'] });
    expect(await importOrigin(database.db, f, { importedBy: 'test' })).toMatchObject({ ok: true, loaded: 0, unchanged: 1 });
  });

  it('a later membership closes the open one the day before; history is never rewritten', async () => {
    const later = await importOrigin(database.db, file({ agreements: [agreement([{ country: 'GH', validFrom: '2026-01-01', validTo: '2026-06-30' }])] }), { importedBy: 'test' });
    expect(later.ok).toBe(false);
    expect(later.errors[0]!.message).toMatch(/never rewritten/);
    const suspended = await importOrigin(database.db, file({ agreements: [agreement([{ country: 'GH', validFrom: '2026-09-01', validTo: '2026-12-31' }])] }), { importedBy: 'test' });
    expect(suspended).toMatchObject({ ok: true, loaded: 1, closed: 1 });
    const ghana = await database.db.selectFrom('agreement_member').select(['valid_from', 'valid_to']).where('agreement', '=', 'TEST-FTA').orderBy('valid_from').execute();
    expect(ghana).toEqual([
      { valid_from: '2026-01-01', valid_to: '2026-08-31' },
      { valid_from: '2026-09-01', valid_to: '2026-12-31' },
    ]);
  });

  it("refuses to change an agreement's rules in place", async () => {
    const report = await importOrigin(database.db, file({ agreements: [agreement([], { proofDocument: 'N861' })] }), { importedBy: 'test' });
    expect(report.ok).toBe(false);
    expect(report.errors[0]).toMatchObject({ pointer: '/agreements/0', message: expect.stringMatching(/never rewritten/) });
  });
});
