// @bricolage/coordinator: start a coordinator in-process (tests, farms, benchmarks) or from main.ts.
export { startCoordinator, type Coordinator, type CoordinatorOptions } from './server';
export { ManualClock, seededRandom, type Clock } from './clock';
export { DEMO_FRAME, seedDemo, seedPrimesDemo } from './seed';
export type { RequestRecord } from './http/app';
/** Tests only: rewrites a stopped coordinator's stored job, as a dishonest operator could. */
export { tamperDropSignatures, tamperJobShader } from './testing/tamper';
