// @bricolage/runtime/testing: helpers for tests of the runtime and of code that drives it. Not for production.
export { type AbiModuleOptions, abiModule, type RunBody } from './abi-modules';
