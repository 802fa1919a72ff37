// What the application's database role may do to the audit tables: append, never rewrite. The
// grants themselves are applied after each migration (setup.ts grantApplicationRole); every other
// table gets select, insert, update and delete.
export const auditTablePrivileges: Readonly<Record<string, readonly ('select' | 'insert' | 'update')[]>> = {
  audit_event: ['select', 'insert'],
  // The head row moves with every record appended to its chain.
  audit_stream: ['select', 'insert', 'update'],
  audit_checkpoint: ['select', 'insert'],
};
