export {
  paymentService,
  parseAmount,
  prnValidUntil,
  defaultPrnValidityDays,
  type PaymentService,
  type PaymentServiceDeps,
  type Settlement,
  type IssuePrnInput,
  type IssuedPrn,
  type BankConfirmation,
  type PaymentReceipt,
  type Balance,
} from './payment.service.ts';
export { paymentRoutes, type PaymentRouteDeps } from './payment.routes.ts';
export { prnLifecycle } from './payment.state.ts';
export { renderEslip, readSlip, escapeHtml, type PaymentSlip, type SlipItem, type SlipTaxLine } from './payment.slip.ts';
export type { PaymentTables, PrnStatus, PaymentOutcome } from './payment.tables.ts';
