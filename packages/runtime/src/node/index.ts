// @bricolage/runtime/node: the runtime's executors in Node on Dawn, for tests and `npm run bench:gpu`.
// Not for browsers (it loads a native module); the page's runtime is the package's main entry.
export { type DawnAdapter, type DawnSetup, installDawn } from './dawn';
export { type AssetMap, type Executor, ExecutorError } from '../executors/executor';
export { GpuContext } from '../executors/wgsl/gpu';
export { WgslExecutor } from '../executors/wgsl/wgsl-executor';
export { WasmExecutor } from '../executors/wasm/wasm-executor';
export { selfCheck } from '../abi';
