// Reporting: the public consignment status and the customs dashboards' figures.
export { reportingRoutes, type ConsignmentReader } from './reporting.routes.ts';
