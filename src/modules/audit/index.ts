export { recordAudit, verifyAudit, timeline, systemActor, eventHash, type Actor, type AuditEntry, type VerifyReport, type TimelineEvent } from './audit.service.ts';
