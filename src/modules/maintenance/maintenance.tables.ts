import type { Generated } from 'kysely';

export interface MaintenanceTables {
  maintenance_notice: {
    id: string;
    title: string;
    description: string;
    impact: 'none' | 'degraded' | 'lodging-delayed';
    offices: string[];
    starts_at: Date;
    ends_at: Date;
    status: 'announced' | 'withdrawn';
    version: Generated<number>;
    withdrawn_reason: string | null;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
}
