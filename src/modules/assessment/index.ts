export * from './assessment.types.ts';
export { assess } from './assess.ts';
export { apportion } from './apportion.ts';
export { ageInMonths, depreciationFor, divisorFor } from './vehicle-valuation.ts';
export type { CrspMatch, CrspQuery, CrspSchedule } from './crsp.port.ts';
export { calculatorService, type CalculatorService, type CalculatorRequest } from './calculator.service.ts';
export { assessmentJson } from './assessment.json.ts';
export { calculatorRoutes, vehicleFields } from './calculator.routes.ts';
