export { maintenanceService, type MaintenanceService, type NoticeView } from './maintenance.service.ts';
export { maintenanceRoutes } from './maintenance.routes.ts';
export type { MaintenanceTables } from './maintenance.tables.ts';
