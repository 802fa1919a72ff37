export * from './assessment.types.ts';
export { assess } from './assess.ts';
export { apportion } from './apportion.ts';
export { depreciationFor, divisorFor } from './vehicle-valuation.ts';
export { calculatorService, type CalculatorService, type CalculatorRequest } from './calculator.service.ts';
export { assessmentJson } from './assessment.json.ts';
export { calculatorRoutes } from './calculator.routes.ts';
export { AlcoholPercent, QuantityUnit, measureAttributes } from './item.fields.ts';
export { reliefFor, relieveLine, type LetterUse, type PresentedDocument, type ReliefPort, type ReliefQuery, type ReliefResolution } from './reliefs.ts';
