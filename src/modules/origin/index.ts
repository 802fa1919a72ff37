export { originService, type OriginService, type PreferenceClaim, type PreferenceOutcome } from './origin.service.ts';
export { importOrigin, parseOriginFile, type OriginImportReport, type EntryError } from './origin.import.ts';
export { loadSampleAgreements, sampleAgreementsFile } from './origin.seed.ts';
export { originRepository } from './origin.repository.ts';
