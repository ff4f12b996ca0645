// @bricolage/runtime/testing: helpers for tests of the runtime and of code that drives it. Not for production.
export { type AbiModuleOptions, abiModule, type RunBody } from './abi-modules';
/** How many work units the pipeline hands the worker ahead at most, beyond the one computing. */
export { MAX_HANDOFF } from '../pipeline/pacing';
export { describeOutbox, resultFor } from './outbox-cases';
