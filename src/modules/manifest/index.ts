// The manifest module's public surface: the only file other modules import.
export { manifestService, type ManifestService, type Caller, type Runner, type ListQuery } from './manifest.service.ts';
export { manifestRoutes } from './manifest.routes.ts';
export { documentSubject, findTransportDocument, findTransportDocumentById, findTransportDocuments, writeOff, type FindOptions, type WriteOffQuantity } from './transport-document.ts';
export type { TransportDocumentInfo, ManifestView, DocumentView, RegimeShareView } from './manifest.views.ts';
export type { LodgementInput, DocumentInput, ContainerInput, AmendmentInput, AmendmentEntry, SupplementaryInput } from './manifest.rules.ts';
export { manifestLifecycle } from './manifest.state.ts';
export { arrivalsOf } from './manifest.reads.ts';
export { containerCheckDigit, containerNumberProblem, isImoNumber } from './identifiers.ts';
export type { ManifestTables, TransportMode, DocumentKind, CargoCategory, ManifestStatus, Container, RegimeShare } from './manifest.tables.ts';
