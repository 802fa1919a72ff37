export {
  channels,
  needsControl,
  placeholderSelectivity,
  type Channel,
  type DeclarationForRisk,
  type Selectivity,
  type SelectivityResult,
} from './selectivity.ts';
