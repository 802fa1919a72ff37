import { lifecycleTransition } from '#platform/lifecycle/transition.ts';
import { recordAudit, type AuditEntry } from './audit.service.ts';

export { recordAudit, timeline, systemActor, eventHash, genesis, type Actor, type AuditEntry, type Hashed, type TimelineEvent } from './audit.service.ts';
export { verifyAudit, type VerifyReport, type VerifyOptions, type Problem } from './audit.verify.ts';
export { takeCheckpoint, startAuditCheckpoints, AuditCheckpointer, CheckpointError, type CheckpointOutcome, type Log } from './audit.checkpoint.ts';
export { AuditKeyError, loadPublicKey, loadSigningKey, signingKey, writeKeyPair, keyFileTooOpen, type SigningKey } from './audit.keys.ts';
export { auditTablePrivileges } from './audit.privileges.ts';
export { auditCommand } from './audit.cli.ts';

/** The platform's lifecycle transition, writing this module's audit records: see platform/lifecycle/transition.ts. */
export const transition = lifecycleTransition<AuditEntry>(recordAudit);
