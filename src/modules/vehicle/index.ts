export { vehicleService, type VehicleService } from './vehicle.service.ts';
export { vehicleRepository } from './vehicle.repository.ts';
export { importCrsp, crspColumns } from './vehicle.import.ts';
export { loadSampleCrsp, sampleCrspFile } from './vehicle.seed.ts';
export { vehicleRoutes } from './vehicle.routes.ts';
