export { tariffRepository, type TariffRepository } from './tariff.repository.ts';
export { tariffService, type TariffService, type LineLookup } from './tariff.service.ts';
export { importTariff, importRates, tariffColumns, vehicleFuels, type ImportReport, type LineError } from './tariff.import.ts';
export { loadNationalSettings, loadSampleTariff, loadShippedCharges, sampleFiles } from './tariff.seed.ts';
export { importCharges, parseChargesFile, scheduleFrom, type ChargesReport, type ChargesFile } from './charges.ts';
export { normaliseHsCode, formatHsCode } from './hs-code.ts';
export { settingSpecs, settingKeys } from './national-settings.ts';
export { tariffRoutes } from './tariff.routes.ts';
export { TariffCache, cachedReads } from './tariff.cache.ts';
