export {
  releaseService,
  deliverToTerminal,
  messageView,
  type ReleaseService,
  type ReleaseServiceDeps,
  type IssueReleaseInput,
  type GateOutInput,
  type GateOutReceipt,
  type ReleaseMessage,
  type TerminalMessageView,
  type Exit,
} from './release.service.ts';
export { releaseRoutes, type ReleaseRouteDeps } from './release.routes.ts';
export { releaseLifecycle } from './release.state.ts';
export type { ReleaseTables, ReleaseStatus, TerminalMessageKind } from './release.tables.ts';
