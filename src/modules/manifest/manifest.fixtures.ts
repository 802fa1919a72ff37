// Sample manifests and callers for tests (this module's and others'): a Maersk vessel from
// Shanghai to Mombasa with cargo for the demo importers, and principals of the demo parties.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Principal, Role } from '#platform/http/auth.ts';
import type { Caller } from './manifest.service.ts';
import type { DocumentInput, LodgementInput } from './manifest.rules.ts';

/** ISO 6346 numbers with valid check digits. */
export const sampleContainers = ['MSKU1234565', 'MSKU7654328', 'MRKU1002001', 'CMAU4005005', 'TGHU8700116', 'MAEU5550012'] as const;
/** PINs of the demo importers Nairobi Motors and Mombasa Traders. */
export const demoPins = { nmotors: 'P051234567A', mtraders: 'P051234568B' } as const;

export function sampleDocument(number: string, overrides: Partial<DocumentInput> = {}): DocumentInput {
  return {
    number,
    kind: 'BL',
    shipperName: 'Shanghai Auto Export Co',
    consigneeName: 'Nairobi Motors Ltd',
    consigneePin: demoPins.nmotors,
    notifyParty: 'Siginon Freight Ltd',
    packages: 10,
    packageKind: 'CT',
    grossMassKg: '12500.5',
    description: 'Motor vehicle spare parts',
    cargoCategory: 'home_use',
    containers: [],
    ...overrides,
  };
}

/** A sea manifest at Mombasa; numbers are made unique with `tag` so tests do not collide. */
export function sampleLodgement(expectedArrival: Date, tag = 'A', overrides: Partial<LodgementInput> = {}): LodgementInput {
  return {
    mode: 'sea',
    conveyanceId: '9074729',
    conveyanceName: 'MAERSK SELETAR',
    voyageNumber: '245W',
    portOfLoading: 'CNSHA',
    portOfDischarge: 'KEMBA',
    officeCode: 'MBA',
    expectedArrival: expectedArrival.toISOString(),
    documents: [
      sampleDocument(`MAEU${tag}0001`, { containers: [{ number: sampleContainers[0], sizeType: '22G1', seals: ['ML-100001'] }] }),
      sampleDocument(`MAEU${tag}0002`, {
        consigneeName: 'Mombasa Traders Ltd',
        consigneePin: demoPins.mtraders,
        packages: 4,
        grossMassKg: '3200',
        description: 'Rice in bags',
        containers: [{ number: sampleContainers[1], sizeType: '45G1', seals: ['ML-100002'] }],
      }),
      sampleDocument(`MAEU${tag}0003`, { consigneeName: 'Kampala Hardware Ltd', consigneePin: null, cargoCategory: 'transit', packages: 2, grossMassKg: '900', description: 'Steel sheets' }),
    ],
    ...overrides,
  };
}

/** A principal of a demo organisation, as the identity module would resolve it. */
export async function demoPrincipal(db: Kysely<DB>, orgCode: string, roles: Role[], name = `${orgCode.toLowerCase()}.user`): Promise<Principal> {
  const org = await db.selectFrom('organisation').select(['id', 'kind', 'name']).where('code', '=', orgCode).executeTakeFirstOrThrow();
  return { kind: 'user', id: `test-${name}`, name, organisationId: org.id, organisationKind: org.kind, organisationName: org.name, roles };
}

export function callerOf(principal: Principal): Caller {
  return { principal, actor: { id: principal.id, name: principal.name, organisationId: principal.organisationId, role: principal.roles[0] ?? 'trader' }, requestId: null };
}
