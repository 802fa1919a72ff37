// Property tests run on one fixed seed, so CI is repeatable and a failure names its case; set
// FC_SEED to explore other draws locally (fast-check prints the seed of any failure).
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_129) });
