// @bricolage/cli: the `bricolage` command, runnable in-process for tests (`runCli(argv, io)`).
export { EXIT, type ExitCode } from './exit';
export type { Io, Stream } from './io';
export { runCli, USAGE } from './run';
