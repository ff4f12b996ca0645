// The steady-state windows of the short ONNX workloads, one definition for bench:runtime (run.ts) and
// bench:runtime:page (real-page.ts), so that the two pages are measured over the same jobs and units.

export interface BenchWindow {
  /** Work units in the job. */
  readonly units: number;
  /** Work units computed before the window opens. */
  readonly warm: number;
  /** Work units in the window. */
  readonly measure: number;
}

/**
 * cnn's units take half a millisecond: the window must hold seconds of work, not tens of milliseconds, in a job
 * of thousands of units, as a researcher's is, so that the leases' caps and refills are in it. physics's take
 * 10–15 ms on an idle machine: 80 of them were a second, the tail of the first leases. `quick`: about half.
 */
export function shortOnnxWindows(quick: boolean): { readonly cnn: BenchWindow; readonly physics: BenchWindow } {
  return quick
    ? { cnn: { units: 3100, warm: 500, measure: 2500 }, physics: { units: 174, warm: 20, measure: 150 } }
    : { cnn: { units: 7100, warm: 1000, measure: 6000 }, physics: { units: 354, warm: 50, measure: 300 } };
}
