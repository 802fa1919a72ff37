// The database as Kysely sees it: each module declares its own tables; this file joins them.
import type { PlatformTables } from './platform/events/events.tables.ts';
import type { ReferenceTables } from './modules/reference/reference.tables.ts';
import type { TariffTables } from './modules/tariff/tariff.tables.ts';
import type { AuditTables } from './modules/audit/audit.tables.ts';
import type { PartiesTables } from './modules/parties/parties.tables.ts';
import type { IdentityTables } from './modules/identity/identity.tables.ts';
import type { DeclarationTables } from './modules/declaration/declaration.tables.ts';
import type { PaymentTables } from './modules/payment/payment.tables.ts';
import type { ReleaseTables } from './modules/release/release.tables.ts';
import type { ManifestTables } from './modules/manifest/manifest.tables.ts';
import type { InspectionTables } from './modules/inspection/inspection.tables.ts';
import type { RiskTables } from './modules/risk/risk.tables.ts';
import type { ReliefTables } from './modules/relief/relief.tables.ts';
import type { OriginTables } from './modules/origin/origin.tables.ts';
import type { JournalTables } from './platform/journal/journal.tables.ts';
import type { MaintenanceTables } from './modules/maintenance/maintenance.tables.ts';
import type { VehicleTables } from './modules/vehicle/vehicle.tables.ts';
import type { TransitTables } from './modules/transit/transit.tables.ts';
import type { ExchangeTables } from './modules/exchange/exchange.tables.ts';
import type { ExportChargeTables } from './modules/tariff/export-charges.ts';
import type { PartnerTables } from './modules/partner/partner.tables.ts';

export interface DB extends PlatformTables, ReferenceTables, TariffTables, AuditTables, PartiesTables, IdentityTables, ManifestTables, PaymentTables, ReleaseTables, DeclarationTables, InspectionTables, RiskTables, ReliefTables, OriginTables, VehicleTables, JournalTables, MaintenanceTables, TransitTables, ExchangeTables, ExportChargeTables, PartnerTables {}
