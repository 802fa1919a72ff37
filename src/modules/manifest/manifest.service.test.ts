// The manifest use cases against a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '#platform/http/auth.ts';
import { ProblemError } from '#platform/http/problem.ts';
import { inTransaction } from '#platform/db/transaction.ts';
import { referenceService } from '#modules/reference/index.ts';
import { partiesService } from '#modules/parties/index.ts';
import { timeline } from '#modules/audit/index.ts';
import { testDatabase, type TestDatabase } from '../../../test/db.ts';
import { manifestService, type ManifestService } from './manifest.service.ts';
import { findTransportDocument, writeOff } from './transport-document.ts';
import { callerOf, demoPins, demoPrincipal, sampleContainers, sampleDocument, sampleLodgement } from './manifest.fixtures.ts';
import type { LodgementInput } from './manifest.rules.ts';

const hours = (n: number) => n * 3_600_000;
let now = new Date('2026-11-20T08:00:00Z');
const clock = { now: () => new Date(now) };

let database: TestDatabase;
let service: ManifestService;
const p: Record<string, Principal> = {};
let seq = 0;
/** A fresh tag so each test's B/L numbers are its own. */
const tag = () => `T${String(++seq).padStart(3, '0')}X`;

async function problemOf(promise: Promise<unknown>): Promise<ProblemError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ProblemError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a problem, got success');
}

async function expectFieldError(promise: Promise<unknown>, pointer: string, code: string): Promise<void> {
  const problem = await problemOf(promise);
  expect(problem.status).toBe(422);
  expect(problem.problem.errors).toContainEqual(expect.objectContaining({ pointer, code }));
}

const lodge = (input: LodgementInput, who: Principal = p.maersk as Principal) => service.lodge(callerOf(who), input);

beforeAll(async () => {
  database = await testDatabase();
  const parties = partiesService(database.db, clock);
  service = manifestService({ db: database.db, reference: referenceService(database.db), clock, officesServed: (orgId) => parties.officesServed(orgId) });
  p.maersk = await demoPrincipal(database.db, 'MAERSK', ['carrier'], 'maersk.ops');
  p.cma = await demoPrincipal(database.db, 'CMA', ['carrier'], 'cma.ops');
  p.kpa = await demoPrincipal(database.db, 'KPA', ['terminal'], 'kpa-system');
  p.officer = await demoPrincipal(database.db, 'KRA', ['officer'], 'kra.officer');
  p.supervisor = await demoPrincipal(database.db, 'KRA', ['supervisor', 'officer'], 'kra.supervisor');
  p.nmotors = await demoPrincipal(database.db, 'NMOTORS', ['trader'], 'nmotors.owner');
  p.mtraders = await demoPrincipal(database.db, 'MTRADERS', ['trader'], 'mtraders.owner');
  p.siginon = await demoPrincipal(database.db, 'SIGINON', ['agent'], 'siginon.agent');
  p.bollore = await demoPrincipal(database.db, 'BOLLORE', ['agent'], 'bollore.agent');
  p.lapsed = await demoPrincipal(database.db, 'LAPSED', ['agent'], 'lapsed.agent');
});

afterAll(async () => {
  await database.close();
});

/** Audited actions in the timeline of this reference (a manifest reference, or td:<document id>), oldest first. */
const auditActions = async (subject: string) => (await timeline(database.db, [subject])).map((e) => e.action);
/** A B/L's steps are audited under its document id, never its number: two carriers may use one number. */
const documentSubject = (m: { documents: { id: string; number: string }[] }, number: string) => `td:${m.documents.find((d) => d.number === number)?.id ?? 'missing'}`;

const outbox = (topic: string, key: string) =>
  database.db.selectFrom('outbox').select(['payload', 'key']).where('topic', '=', topic).where('key', '=', key).execute();

describe('lodging a manifest', () => {
  it('gives a trade reference, keeps version 1, audits it under every B/L and tells others', async () => {
    const input = sampleLodgement(new Date(now.getTime() + hours(72)), tag());
    const m = await lodge(input);
    expect(m.reference).toMatch(/^2026MBAMF\d{6}$/);
    expect(m).toMatchObject({ status: 'lodged', version: 1, carrierOrgId: p.maersk?.organisationId, late: false, lateByHours: null });
    expect(m.documents.map((d) => [d.number, d.packages, d.grossMassKg, d.remainingPackages])).toEqual([
      [input.documents[0]?.number, 10, '12500.500', 10],
      [input.documents[1]?.number, 4, '3200.000', 4],
      [input.documents[2]?.number, 2, '900.000', 2],
    ]);
    expect(m.documents[0]?.containers).toEqual([{ number: sampleContainers[0], sizeType: '22G1', seals: ['ML-100001'] }]);
    const versions = await service.versions(p.maersk as Principal, m.id);
    expect(versions.versions).toMatchObject([{ version: 1, kind: 'original', createdBy: 'maersk.ops' }]);
    expect(await auditActions(documentSubject(m, input.documents[1]?.number as string))).toEqual(['manifest.lodged']);
    expect(await auditActions(input.documents[1]?.number as string)).toEqual([]);
    expect(await outbox('manifest.lodged', m.reference)).toHaveLength(1);
  });

  it('numbers manifests of an office one after the other', async () => {
    const a = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), tag()));
    const b = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), tag()));
    expect(Number(b.reference.slice(-6))).toBeGreaterThan(Number(a.reference.slice(-6)));
  });

  it('lets house documents split a master', async () => {
    const t = tag();
    const input = sampleLodgement(new Date(now.getTime() + hours(72)), t);
    input.documents.push(
      sampleDocument(`HBL${t}1`, { masterNumber: `MAEU${t}0001`, packages: 6, grossMassKg: '7000' }),
      sampleDocument(`HBL${t}2`, { masterNumber: `MAEU${t}0001`, packages: 4, grossMassKg: '5500.5' }),
    );
    const m = await lodge(input);
    expect(m.documents.filter((d) => d.masterNumber === `MAEU${t}0001`).map((d) => d.number)).toEqual([`HBL${t}1`, `HBL${t}2`]);
  });
});

describe('validation: each rule names the field and a stable code', () => {
  const eta = () => new Date(now.getTime() + hours(72));
  const cases: [string, (i: LodgementInput, t: string) => void, string, string][] = [
    ['unknown port of loading', (i) => (i.portOfLoading = 'XXABC'), '/portOfLoading', 'unknown_locode'],
    ['unknown port of discharge', (i) => (i.portOfDischarge = 'KEZZZ'), '/portOfDischarge', 'unknown_locode'],
    ['unknown customs office', (i) => (i.officeCode = 'ZZZ'), '/officeCode', 'unknown_office'],
    ['office not at the port of discharge', (i) => (i.officeCode = 'JKA'), '/officeCode', 'office_not_at_port'],
    ['no expected arrival', (i) => delete i.expectedArrival, '/expectedArrival', 'required'],
    ['expected arrival without offset', (i) => (i.expectedArrival = '2026-12-01 06:00'), '/expectedArrival', 'invalid_datetime'],
    ['no documents', (i) => (i.documents = []), '/documents', 'no_documents'],
    ['IMO number with a wrong check digit', (i) => (i.conveyanceId = '9074728'), '/conveyanceId', 'invalid_imo_number'],
    ['air waybill on a sea manifest', (i) => ((i.documents[0] as { kind: string }).kind = 'AWB'), '/documents/0/kind', 'kind_not_for_mode'],
    ['zero packages', (i) => ((i.documents[1] as { packages: number }).packages = 0), '/documents/1/packages', 'not_positive'],
    ['fractional packages', (i) => ((i.documents[1] as { packages: number }).packages = 2.5), '/documents/1/packages', 'not_integer'],
    ['zero mass', (i) => ((i.documents[2] as { grossMassKg: string }).grossMassKg = '0'), '/documents/2/grossMassKg', 'not_positive'],
    ['mass that is not a decimal', (i) => ((i.documents[2] as { grossMassKg: string }).grossMassKg = '12,5'), '/documents/2/grossMassKg', 'invalid_decimal'],
    ['consignee PIN in a wrong format', (i) => ((i.documents[0] as { consigneePin: string }).consigneePin = '051234567'), '/documents/0/consigneePin', 'invalid_pin'],
    [
      'container check digit',
      (i) => ((i.documents[0] as { containers: unknown[] }).containers = [{ number: 'MSKU1234566', sizeType: '22G1', seals: [] }]),
      '/documents/0/containers/0/number',
      'container_check_digit',
    ],
    [
      'container number format',
      (i) => ((i.documents[0] as { containers: unknown[] }).containers = [{ number: 'MSK1234565', sizeType: '22G1', seals: [] }]),
      '/documents/0/containers/0/number',
      'container_number_format',
    ],
    [
      'container size-type code',
      (i) => ((i.documents[0] as { containers: unknown[] }).containers = [{ number: sampleContainers[2], sizeType: '20ft', seals: [] }]),
      '/documents/0/containers/0/sizeType',
      'size_type_format',
    ],
    ['the same B/L twice on the manifest', (i) => ((i.documents[2] as { number: string }).number = i.documents[0]?.number as string), '/documents/2/number', 'duplicate_document_number'],
    ['house under a master that is not on the manifest', (i, t) => i.documents.push(sampleDocument(`HBL${t}9`, { masterNumber: 'NOSUCHBL1' })), '/documents/3/masterNumber', 'unknown_master'],
    [
      'house documents carrying more packages than their master',
      (i, t) =>
        i.documents.push(
          sampleDocument(`HBL${t}1`, { masterNumber: `MAEU${t}0001`, packages: 6, grossMassKg: '100' }),
          sampleDocument(`HBL${t}2`, { masterNumber: `MAEU${t}0001`, packages: 5, grossMassKg: '100' }),
        ),
      '/documents/4/packages',
      'house_packages_exceed_master',
    ],
    [
      'house documents heavier than their master',
      (i, t) => i.documents.push(sampleDocument(`HBL${t}1`, { masterNumber: `MAEU${t}0001`, packages: 1, grossMassKg: '12500.6' })),
      '/documents/3/grossMassKg',
      'house_mass_exceeds_master',
    ],
  ];
  it.each(cases)('%s', async (_name, breakIt, pointer, code) => {
    const t = tag();
    const input = sampleLodgement(eta(), t);
    breakIt(input, t);
    await expectFieldError(lodge(input), pointer, code);
  });

  it('refuses a B/L number the carrier already lodged, but another carrier may use the same number', async () => {
    const t = tag();
    await lodge(sampleLodgement(eta(), t));
    const again = sampleLodgement(eta(), tag());
    (again.documents[1] as { number: string }).number = `MAEU${t}0002`;
    await expectFieldError(lodge(again), '/documents/1/number', 'document_number_taken');
    const cma = await lodge(again, p.cma);
    expect(cma.documents[1]?.number).toBe(`MAEU${t}0002`);
  });

  it('reports every broken rule at once', async () => {
    const input = sampleLodgement(eta(), tag(), { officeCode: 'ZZZ' });
    (input.documents[1] as { packages: number }).packages = -1;
    const problem = await problemOf(lodge(input));
    expect(problem.problem.errors?.map((e) => e.pointer)).toEqual(['/officeCode', '/documents/1/packages']);
  });

  it('lets only carriers lodge', async () => {
    const problem = await problemOf(lodge(sampleLodgement(eta(), tag()), p.nmotors));
    expect(problem.status).toBe(403);
  });
});

describe('the 48-hour deadline for sea manifests', () => {
  it('accepts a late manifest and says how late it was', async () => {
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(24)), tag()));
    expect(m).toMatchObject({ late: true, lateByHours: 24, lodgingDeadline: new Date(now.getTime() - hours(24)).toISOString() });
    expect(m.deadlineRuleId).not.toBeNull();
  });

  it('is on time at exactly 48 hours before arrival, and half an hour late at 47.5', async () => {
    expect((await lodge(sampleLodgement(new Date(now.getTime() + hours(48)), tag()))).late).toBe(false);
    expect(await lodge(sampleLodgement(new Date(now.getTime() + hours(47.5)), tag()))).toMatchObject({ late: true, lateByHours: 0.5 });
  });

  it('does not apply to air cargo', async () => {
    const t = tag();
    const input = sampleLodgement(new Date(now.getTime() + hours(2)), t, { mode: 'air', conveyanceId: 'KQ101', voyageNumber: 'KQ101', portOfDischarge: 'KENBO', officeCode: 'JKA' });
    input.documents = input.documents.map((d) => ({ ...d, kind: 'AWB' as const, containers: [] }));
    expect(await lodge(input)).toMatchObject({ late: false, lodgingDeadline: null, deadlineRuleId: null });
  });
});

describe('amendments before arrival', () => {
  it('makes a new version and keeps the old one', async () => {
    const t = tag();
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), t));
    const amended = await service.amend(callerOf(p.maersk as Principal), m.id, {
      reason: 'Packages miscounted at loading; one B/L shut out',
      documents: [
        { action: 'change', number: `MAEU${t}0002`, packages: 5, grossMassKg: '4000' },
        { action: 'remove', number: `MAEU${t}0003` },
        { ...sampleDocument(`MAEU${t}0004`, { consigneePin: demoPins.mtraders, packages: 1, grossMassKg: '50' }), action: 'add' },
      ],
    });
    expect(amended.version).toBe(2);
    expect(amended.documents.map((d) => [d.number, d.packages, d.addedInVersion])).toEqual([
      [`MAEU${t}0001`, 10, 1],
      [`MAEU${t}0002`, 5, 1],
      [`MAEU${t}0004`, 1, 2],
    ]);
    // The changed document keeps its id: declarations that reference it stay valid.
    expect(amended.documents[1]?.id).toBe(m.documents[1]?.id);
    const { versions } = await service.versions(p.officer as Principal, m.id);
    expect(versions.map((v) => [v.version, v.kind, v.reason])).toEqual([
      [1, 'original', null],
      [2, 'amendment', 'Packages miscounted at loading; one B/L shut out'],
    ]);
    expect(versions[0]?.snapshot.documents.map((d) => [d.number, d.packages])).toEqual([
      [`MAEU${t}0001`, 10],
      [`MAEU${t}0002`, 4],
      [`MAEU${t}0003`, 2],
    ]);
    expect(await findTransportDocument(database.db, `MAEU${t}0003`)).toBeUndefined();
    expect(await auditActions(documentSubject(versions[0]?.snapshot as { documents: { id: string; number: string }[] }, `MAEU${t}0003`))).toEqual(['manifest.lodged', 'manifest.amended']);
    const [event] = await outbox('manifest.amended', m.reference);
    expect(event?.payload).toMatchObject({ version: 2, added: [`MAEU${t}0004`], changed: [`MAEU${t}0002`], removed: [`MAEU${t}0003`] });
  });

  it('may move the expected arrival', async () => {
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), tag()));
    const later = new Date(now.getTime() + hours(96));
    const amended = await service.amend(callerOf(p.maersk as Principal), m.id, { reason: 'Vessel delayed at Salalah', expectedArrival: later.toISOString(), documents: [] });
    expect(amended).toMatchObject({ expectedArrival: later.toISOString(), version: 2, late: false });
  });

  it('points at the entry that is wrong', async () => {
    const t = tag();
    const input = sampleLodgement(new Date(now.getTime() + hours(72)), t);
    input.documents.push(sampleDocument(`HBL${t}1`, { masterNumber: `MAEU${t}0001`, packages: 3, grossMassKg: '10' }));
    const m = await lodge(input);
    const amend = (documents: Parameters<ManifestService['amend']>[2]['documents'], reason = 'correction') =>
      service.amend(callerOf(p.maersk as Principal), m.id, { reason, documents });
    await expectFieldError(amend([{ action: 'change', number: 'NOTONIT1', packages: 2 }]), '/documents/0/number', 'unknown_document');
    await expectFieldError(amend([{ action: 'add', ...sampleDocument(`MAEU${t}0002`) }]), '/documents/0/number', 'duplicate_document_number');
    await expectFieldError(amend([{ action: 'remove', number: `MAEU${t}0001` }]), '/documents/0/number', 'master_has_houses');
    await expectFieldError(amend([{ action: 'change', number: `MAEU${t}0001`, packages: 2 }]), '/documents/0/packages', 'house_packages_exceed_master');
    await expectFieldError(amend([{ action: 'add', number: `MAEU${t}0009`, kind: 'BL' }]), '/documents/0/shipperName', 'required');
    await expectFieldError(amend([{ action: 'change', number: `MAEU${t}0002`, packages: 2 }], ''), '/reason', 'required');
  });

  it('is not open to another carrier (not found, not forbidden)', async () => {
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), tag()));
    const problem = await problemOf(service.amend(callerOf(p.cma as Principal), m.id, { reason: 'mine now', documents: [{ action: 'remove', number: 'X' }] }));
    expect(problem.status).toBe(404);
  });
});

describe('arrival', () => {
  it('moves the manifest to arrived once, publishes manifest.arrived, and answers a repeat the same', async () => {
    const t = tag();
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), t));
    const at = new Date(now.getTime() - hours(1)).toISOString();
    const first = await service.confirmArrival(callerOf(p.kpa as Principal), m.id, { actualArrival: at });
    expect(first).toMatchObject({ status: 'arrived', actualArrival: at });
    const again = await service.confirmArrival(callerOf(p.maersk as Principal), m.id, { actualArrival: at });
    expect(again).toEqual(first);
    const events = await outbox('manifest.arrived', m.reference);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toEqual({
      manifestId: m.id,
      reference: m.reference,
      officeCode: 'MBA',
      actualArrival: at,
      documents: m.documents.map((d) => ({ id: d.id, number: d.number, cargoCategory: d.cargoCategory, consigneePin: d.consigneePin })),
    });
    expect((await auditActions(m.reference)).filter((a) => a === 'manifest.arrived')).toHaveLength(1);
    const info = await findTransportDocument(database.db, `MAEU${t}0001`);
    expect(info).toMatchObject({ conveyanceArrived: true, actualArrival: new Date(at) });
  });

  it('refuses a second, different arrival time with a 409 naming the state', async () => {
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), tag()));
    await service.confirmArrival(callerOf(p.officer as Principal), m.id, { actualArrival: now.toISOString() });
    const problem = await problemOf(service.confirmArrival(callerOf(p.officer as Principal), m.id, { actualArrival: new Date(now.getTime() - hours(0.5)).toISOString() }));
    expect(problem.status).toBe(409);
    expect(problem.problem).toMatchObject({ state: 'arrived', action: 'arrive' });
  });

  it('takes no arrival before the manifest was lodged (beyond an hour), nor an expected arrival long past or a year ahead', async () => {
    // The dates that pick the rates: a carrier cannot send a vessel back to a year of lower taxes.
    await expectFieldError(lodge(sampleLodgement(new Date(now.getTime() - hours(25)), tag())), '/expectedArrival', 'arrival_in_past');
    await expectFieldError(lodge(sampleLodgement(new Date(now.getTime() + hours(24 * 367)), tag())), '/expectedArrival', 'arrival_too_far_ahead');
    // A late vessel's manifest, expected a few hours ago, is taken.
    const late = await lodge(sampleLodgement(new Date(now.getTime() - hours(5)), tag()));
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), tag()));
    await expectFieldError(service.amend(callerOf(p.maersk as Principal), m.id, { reason: 'vessel rerouted', expectedArrival: new Date(now.getTime() - hours(48)).toISOString(), documents: [] }), '/expectedArrival', 'arrival_in_past');
    const years = await problemOf(service.confirmArrival(callerOf(p.officer as Principal), m.id, { actualArrival: '2020-06-01T08:00:00+03:00' }));
    expect(years.problem.errors).toContainEqual(expect.objectContaining({ pointer: '/actualArrival', code: 'before_manifest' }));
    await expectFieldError(service.confirmArrival(callerOf(p.officer as Principal), m.id, { actualArrival: new Date(now.getTime() - hours(1.5)).toISOString() }), '/actualArrival', 'before_manifest');
    // Within the hour it takes to file a manifest, an arrival just before the lodging stands.
    const arrived = await service.confirmArrival(callerOf(p.officer as Principal), late.id, { actualArrival: new Date(now.getTime() - hours(0.75)).toISOString() });
    expect(arrived.status).toBe('arrived');
  });

  it('refuses an arrival in the future, and a carrier confirming another carrier\'s manifest', async () => {
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), tag()));
    await expectFieldError(service.confirmArrival(callerOf(p.kpa as Principal), m.id, { actualArrival: new Date(now.getTime() + hours(3)).toISOString() }), '/actualArrival', 'in_future');
    expect((await problemOf(service.confirmArrival(callerOf(p.cma as Principal), m.id, { actualArrival: now.toISOString() }))).status).toBe(404);
  });

  it('closes amendments: after arrival an amendment is a 409 naming the state, a supplementary manifest is accepted', async () => {
    const t = tag();
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), t));
    const early = await problemOf(service.supplement(callerOf(p.maersk as Principal), m.id, { reason: 'left off', documents: [sampleDocument(`MAEU${t}0005`)] }));
    expect(early.problem).toMatchObject({ status: 409, state: 'lodged' });
    await service.confirmArrival(callerOf(p.kpa as Principal), m.id, { actualArrival: now.toISOString() });
    const refused = await problemOf(service.amend(callerOf(p.maersk as Principal), m.id, { reason: 'late fix', documents: [{ action: 'change', number: `MAEU${t}0001`, packages: 9 }] }));
    expect(refused.status).toBe(409);
    expect(refused.problem).toMatchObject({ state: 'arrived', action: 'amend' });
    expect(refused.message).toMatch(/arrived/);
    const supplemented = await service.supplement(callerOf(p.maersk as Principal), m.id, {
      reason: 'B/L left off the manifest at Shanghai',
      documents: [sampleDocument(`MAEU${t}0005`, { packages: 3, grossMassKg: '300' })],
    });
    expect(supplemented).toMatchObject({ status: 'arrived', version: 2 });
    expect(supplemented.documents.at(-1)).toMatchObject({ number: `MAEU${t}0005`, addedInVersion: 2 });
    const { versions } = await service.versions(p.maersk as Principal, m.id);
    expect(versions.map((v) => v.kind)).toEqual(['original', 'supplementary']);
    expect(await outbox('manifest.supplementary_lodged', m.reference)).toHaveLength(1);
  });
});

describe('write-off at gate-out', () => {
  async function arrivedManifest(t: string) {
    const input = sampleLodgement(new Date(now.getTime() + hours(72)), t);
    input.documents.push(sampleDocument(`HBL${t}1`, { masterNumber: `MAEU${t}0002`, packages: 2, grossMassKg: '100' }));
    input.documents.push(sampleDocument(`MAEU${t}0009`, { cargoCategory: 'remaining_on_board', consigneePin: null }));
    const m = await lodge(input);
    await service.confirmArrival(callerOf(p.kpa as Principal), m.id, { actualArrival: now.toISOString() });
    return m;
  }
  const actor = () => callerOf(p.kpa as Principal).actor;
  const idOf = async (number: string) => (await findTransportDocument(database.db, number))?.id as string;

  it('counts cargo out until nothing remains, and refuses more', async () => {
    const t = tag();
    await arrivedManifest(t);
    const id = await idOf(`MAEU${t}0001`);
    const after = await inTransaction(database.db, (tx) => writeOff(tx, id, { packages: 6, grossMassKg: '7500.5' }, actor()));
    expect(after).toMatchObject({ packagesWrittenOff: 6, massWrittenOff: '7500.500', remainingPackages: 4, remainingMassKg: '5000.000' });
    const tooMany = await problemOf(inTransaction(database.db, (tx) => writeOff(tx, id, { packages: 5, grossMassKg: '1' }, actor())));
    expect(tooMany.problem).toMatchObject({ status: 409, remainingPackages: 4, remainingMassKg: '5000.000' });
    const tooHeavy = await problemOf(inTransaction(database.db, (tx) => writeOff(tx, id, { packages: 1, grossMassKg: '5000.001' }, actor())));
    expect(tooHeavy.status).toBe(409);
    await inTransaction(database.db, (tx) => writeOff(tx, id, { packages: 4, grossMassKg: '5000' }, actor()));
    expect(await findTransportDocument(database.db, `MAEU${t}0001`)).toMatchObject({ remainingPackages: 0, remainingMassKg: '0.000' });
    expect((await auditActions(`td:${id}`)).filter((a) => a === 'transport_document.written_off')).toHaveLength(2);
    expect(await outbox('transport_document.written_off', `MAEU${t}0001`)).toHaveLength(2);
  });

  it('never writes off more than remains when gate-outs race', async () => {
    const t = tag();
    await arrivedManifest(t);
    const id = await idOf(`MAEU${t}0001`);
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, () => inTransaction(database.db, (tx) => writeOff(tx, id, { packages: 3, grossMassKg: '100' }, actor()))),
    );
    const succeeded = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(succeeded).toHaveLength(3);
    expect(refused.every((r) => r.reason instanceof ProblemError && r.reason.status === 409)).toBe(true);
    expect(await findTransportDocument(database.db, `MAEU${t}0001`)).toMatchObject({ packagesWrittenOff: 9, remainingPackages: 1, massWrittenOff: '300.000' });
  });

  it('refuses before arrival, for cargo remaining on board, and on a master split into houses', async () => {
    const t = tag();
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), t));
    const before = await problemOf(inTransaction(database.db, (tx) => writeOff(tx, m.documents[0]?.id as string, { packages: 1, grossMassKg: '1' }, actor())));
    expect(before.problem).toMatchObject({ status: 409, state: 'lodged' });
    const t2 = tag();
    await arrivedManifest(t2);
    const [robId, masterId] = [await idOf(`MAEU${t2}0009`), await idOf(`MAEU${t2}0002`)];
    const rob = await problemOf(inTransaction(database.db, (tx) => writeOff(tx, robId, { packages: 1, grossMassKg: '1' }, actor())));
    expect(rob.message).toMatch(/remaining on board/);
    const master = await problemOf(inTransaction(database.db, (tx) => writeOff(tx, masterId, { packages: 1, grossMassKg: '1' }, actor())));
    expect(master.message).toMatch(/house documents/);
  });

  it('refuses to amend away a document whose cargo is written off', async () => {
    // Amendments end at arrival and write-offs start there; the rule also guards supplementary
    // documents naming a written-off master, so it is exercised here through the rules directly.
    const { planAmendment } = await import('./manifest.rules.ts');
    const { FieldErrors } = await import('#platform/http/problem.ts');
    const current = [{ id: 'd1', draft: { ...sampleDocument('MAEU0001'), masterNumber: null, consigneePin: null, notifyParty: null, regimeShares: null, containers: [] }, packagesWrittenOff: 2, massWrittenOff: '100.000' }];
    for (const entry of [{ action: 'remove' as const, number: 'MAEU0001' }, { action: 'change' as const, number: 'maeu0001', packages: 12 }]) {
      let thrown: unknown;
      try {
        planAmendment(current, [entry], 'sea', new FieldErrors());
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ProblemError);
      expect((thrown as ProblemError).problem).toMatchObject({ status: 409, errors: [{ pointer: '/documents/0/number', code: 'document_written_off' }] });
    }
  });
});

describe('who sees what', () => {
  let m: Awaited<ReturnType<typeof lodge>>;
  let t: string;
  beforeAll(async () => {
    t = tag();
    m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), t));
  });

  it('shows the whole manifest to its carrier, customs and the terminal', async () => {
    for (const who of [p.maersk, p.officer, p.kpa]) {
      expect((await service.get(who as Principal, m.id)).documents).toHaveLength(3);
    }
  });

  it('shows a trader only its own consignments, and an agent only its clients\'', async () => {
    expect((await service.get(p.nmotors as Principal, m.id)).documents.map((d) => d.number)).toEqual([`MAEU${t}0001`]);
    expect((await service.get(p.mtraders as Principal, m.id)).documents.map((d) => d.number)).toEqual([`MAEU${t}0002`]);
    expect((await service.get(p.siginon as Principal, m.id)).documents.map((d) => d.number)).toEqual([`MAEU${t}0001`]);
    expect((await service.get(p.bollore as Principal, m.id)).documents.map((d) => d.number)).toEqual([`MAEU${t}0002`]);
    expect(await service.document(p.nmotors as Principal, `MAEU${t}0001`)).toMatchObject({ number: `MAEU${t}0001`, manifest: { reference: m.reference } });
  });

  it('answers 404 to another carrier, another trader, an agent without authority or licence', async () => {
    expect((await problemOf(service.get(p.cma as Principal, m.id))).status).toBe(404);
    expect((await problemOf(service.document(p.cma as Principal, `MAEU${t}0001`))).status).toBe(404);
    expect((await problemOf(service.document(p.mtraders as Principal, `MAEU${t}0001`))).status).toBe(404);
    expect((await problemOf(service.document(p.bollore as Principal, `MAEU${t}0001`))).status).toBe(404);
    // LAPSED holds an authorisation from Nairobi Motors, but its clearing licence ran out in 2024.
    expect((await problemOf(service.document(p.lapsed as Principal, `MAEU${t}0001`))).status).toBe(404);
    expect((await problemOf(service.versions(p.nmotors as Principal, m.id))).status).toBe(404);
    expect((await problemOf(service.get(p.maersk as Principal, 'not-a-uuid'))).status).toBe(404);
  });

  it('lists only the caller\'s manifests, a page at a time', async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) {
      now = new Date(now.getTime() + 1000);
      mine.push(await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), tag()), p.cma));
    }
    const first = await service.list(p.cma as Principal, { limit: 2 });
    expect(first.items.every((i) => i.carrierOrgId === p.cma?.organisationId)).toBe(true);
    const pages = [...first.items];
    let cursor = first.nextCursor;
    while (cursor) {
      const next = await service.list(p.cma as Principal, { limit: 2, cursor });
      pages.push(...next.items);
      cursor = next.nextCursor;
    }
    expect(new Set(pages.map((i) => i.id)).size).toBe(pages.length);
    expect(pages.slice(0, 3).map((i) => i.id)).toEqual(mine.reverse().map((x) => x.id));
    const traders = await service.list(p.nmotors as Principal, { limit: 200 });
    expect(traders.items.map((i) => i.id)).toContain(m.id);
    expect(traders.items.every((i) => i.documentCount === null)).toBe(true);
    expect((await service.list(p.maersk as Principal, { limit: 200 })).items.some((i) => i.carrierOrgId !== p.maersk?.organisationId)).toBe(false);
  });
});

describe('findTransportDocument', () => {
  it('gives the declaration module what it needs, and asks which manifest when two carriers share a number', async () => {
    const t = tag();
    const m = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), t));
    const info = await inTransaction(database.db, (tx) => findTransportDocument(tx, `maeu${t}0002`, { forUpdate: true }));
    expect(info).toEqual({
      id: m.documents[1]?.id,
      number: `MAEU${t}0002`,
      status: 'active',
      kind: 'BL',
      manifestId: m.id,
      manifestReference: m.reference,
      manifestStatus: 'lodged',
      carrierOrgId: p.maersk?.organisationId,
      masterId: null,
      consigneeName: 'Mombasa Traders Ltd',
      consigneePin: demoPins.mtraders,
      packages: 4,
      grossMassKg: '3200.000',
      packagesWrittenOff: 0,
      massWrittenOff: '0.000',
      remainingPackages: 4,
      remainingMassKg: '3200.000',
      cargoCategory: 'home_use',
      regimeShares: [{ cargoCategory: 'home_use', packages: 4, grossMassKg: '3200.000', packagesWrittenOff: 0, massWrittenOffKg: '0.000', remainingPackages: 4, remainingMassKg: '3200.000' }],
      containers: [{ number: sampleContainers[1], sizeType: '45G1', seals: ['ML-100002'] }],
      expectedArrival: new Date(m.expectedArrival),
      actualArrival: null,
      conveyanceArrived: false,
      officeCode: 'MBA',
      portOfDischarge: 'KEMBA',
      mode: 'sea',
    });
    const other = await lodge(sampleLodgement(new Date(now.getTime() + hours(72)), t), p.cma);
    const ambiguous = await problemOf(findTransportDocument(database.db, `MAEU${t}0002`));
    expect(ambiguous.problem).toMatchObject({ status: 409, manifests: expect.arrayContaining([m.reference, other.reference]) });
    expect((await findTransportDocument(database.db, `MAEU${t}0002`, { manifestReference: other.reference }))?.carrierOrgId).toBe(p.cma?.organisationId);
    expect(await findTransportDocument(database.db, 'NEVERLODGED1')).toBeUndefined();
  });
});
