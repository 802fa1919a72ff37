// Code mappings. Procedure codes are standard mappings every installation gets; the parties,
// locations and offices below are the demo cast's identifiers in the shared samples (UK CDS
// declarations, a US CBP truck manifest), loaded with the demo only. An administration loads its
// own partners' identifiers as rows of exchange_code_map (kind, external_code, internal_code,
// valid_from, valid_to): an identifier that is not mapped is a rejection, never a guess.
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import { exchangeRepository, type CodeMapping } from './exchange.repository.ts';

const from = '2020-01-01';
const row = (kind: CodeMapping['kind'], externalCode: string, internalCode: string, note: string): CodeMapping => ({ kind, externalCode, internalCode, validFrom: from, validTo: null, note });

/** WCO DE 1/10 (requested + previous procedure) to a national CPC, where the 7 digits are not ours as they stand. */
export const standardMappings: CodeMapping[] = [
  row('procedure', '1040', '1000000', 'export of goods released for home use (EU 1040) -> export'),
  row('procedure', '1000', '1000000', 'permanent export'),
  row('procedure', '3100', '3100000', 're-export'),
  row('procedure', '4071', '4071000', 'home use ex-warehouse'),
  row('procedure', '5300', '5300000', 'temporary admission'),
  row('procedure', '7100', '7100000', 'customs warehousing'),
  // Document codes: the WCO/EU invoice code and ours.
  row('document', 'N935', 'N380', 'invoice on which the customs value is declared -> commercial invoice'),
  row('document', 'N380', 'N380', 'commercial invoice'),
  row('document', 'N705', 'N705', 'bill of lading'),
];

export const demoMappings: CodeMapping[] = [
  row('party', 'GB553202734852', 'NMOTORS', 'demo: importer of the CDS import samples'),
  row('party', 'GB603202734852', 'SIGINON', 'demo: declarant of the CDS import samples'),
  row('party', 'GB150454489082', 'SIGINON', 'demo: declarant and agent of the CDS export sample'),
  row('party', 'GB417869120000', 'MTRADERS', 'demo: exporter of the CDS export sample'),
  row('party', 'GB427168118378', 'SIGINON', 'demo: submitter of the CDS cancellation sample'),
  row('party', 'LOCK', 'MAERSK', 'demo: carrier of the CBP truck manifest sample (NAD+CA)'),
  row('party', '65424', 'NMOTORS', 'demo: consignee of the CBP truck manifest sample (NAD+CN)'),
  row('location', 'WLALONBTW', 'MBA', 'demo: goods location of the CDS import sample'),
  row('location', 'CBRLHRXAD', 'MBA', 'demo: goods location of the CDS export sample'),
  row('office', 'GB000084', 'MBA', 'demo: exit office of the CDS export sample'),
  row('office', '0901', 'MAL', 'demo: CBP port of arrival of the truck manifest sample (LOC+60) -> Malaba'),
  row('port', '0901', 'KEMAL', 'demo: CBP port of arrival of the truck manifest sample (LOC+60) -> Malaba'),
  row('port', 'U0107', 'UGKLA', 'demo: place of loading of the truck manifest sample (LOC+9) -> Kampala'),
  row('package', 'COL', 'CL', 'demo: coils (PAC) -> UN/ECE Rec 21 CL'),
];

export async function seedExchangeMappings(db: Kysely<DB>, options: { demo: boolean }): Promise<number> {
  return exchangeRepository.addMappings(db, [...standardMappings, ...(options.demo ? demoMappings : [])]);
}
