// What each regime asks of a declaration. Procedure codes and regimes are reference data
// (procedure-codes.csv, regimes.csv); what the declaration module does with a regime is here.
// Home use (IM4) and exports (EX1, EX3) are built; the others are described so that adding them means filling in
// their row and their assessment (bond, security) rather than reshaping the lifecycle.

export interface RegimeRule {
  /** Manifest cargo categories a transport document may carry for this regime. */
  cargoCategories: readonly string[];
  /** Whether declarations of this regime can be lodged yet. */
  lodgeable: boolean;
  /** What is missing, for regimes not yet lodgeable. */
  pending?: string;
}

export const regimeRules: Readonly<Record<string, RegimeRule>> = {
  IM4: { cargoCategories: ['home_use'], lodgeable: true },
  IM5: { cargoCategories: ['home_use'], lodgeable: false, pending: 'temporary import needs security (bond) handling' },
  IM6: { cargoCategories: ['home_use'], lodgeable: false, pending: 're-import needs the export declaration it refers to' },
  IM7: { cargoCategories: ['home_use'], lodgeable: false, pending: 'warehousing needs bonded-warehouse accounts' },
  IM8: { cargoCategories: ['transit'], lodgeable: false, pending: 'transit is the transit module (guarantees, seals, routes)' },
  IM9: { cargoCategories: ['home_use'], lodgeable: false, pending: 'EPZ/SEZ admission needs zone operators' },
  TR: { cargoCategories: ['home_use', 'transit'], lodgeable: false, pending: 'national transfers belong to the transit module' },
  TS: { cargoCategories: ['transhipment'], lodgeable: false, pending: 'transhipment belongs to the transit module' },
  // Exports are lodged at POST /api/v1/exports (declaration.export.ts), before the goods reach the port.
  EX1: { cargoCategories: [], lodgeable: true },
  EX2: { cargoCategories: [], lodgeable: false, pending: 'temporary export needs exit and re-import' },
  EX3: { cargoCategories: [], lodgeable: true },
};

/** Invoice prices that already include the freight (and insurance) to the port of import. */
/** The export regimes: goods leaving, valued FOB, which the import valuation reference must not learn from. */
export const exportRegimes: readonly string[] = ['EX1', 'EX3'];

export const incotermCovers: Readonly<Record<string, { freight: boolean; insurance: boolean }>> = {
  EXW: { freight: false, insurance: false },
  FCA: { freight: false, insurance: false },
  FAS: { freight: false, insurance: false },
  FOB: { freight: false, insurance: false },
  CFR: { freight: true, insurance: false },
  CPT: { freight: true, insurance: false },
  CIF: { freight: true, insurance: true },
  CIP: { freight: true, insurance: true },
  // D terms deliver at destination: the price includes carriage and insurance to the port (and
  // beyond; post-importation costs are not deducted here, which errs towards the higher value).
  DAP: { freight: true, insurance: true },
  DPU: { freight: true, insurance: true },
  DDP: { freight: true, insurance: true },
};
