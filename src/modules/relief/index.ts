export { importReliefs, reliefColumns } from './relief.import.ts';
export { loadSampleReliefs, sampleReliefs } from './relief.seed.ts';
export { reliefResolver, reliefService, letterView, type ReliefService, type LetterDraw, type NewLetter } from './relief.service.ts';
export { resolveReliefs, type ReliefRule, type LetterRecord } from './relief.resolver.ts';
export { reliefRoutes } from './relief.routes.ts';
