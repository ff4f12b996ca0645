// Whether a volunteer starting onnxruntime early is right to (only for an active ONNX job it may be given), and
// the order it goes in: loaded while the device is examined, started after, and no further once stopped.
import type { JobId, ListedJob, ListedProject, ProjectId } from '@bricolage/protocol';
import { describe, expect, it, vi } from 'vitest';
import { listsOnnxWork, readyOnnxForListedWork, type WarmUp } from './onnx-warm-up';

const job = (kind: 'wgsl' | 'onnx' | undefined, state: ListedJob['state'] = 'active'): ListedJob => ({
  id: `job_${kind}${state}`.padEnd(20, 'a') as JobId,
  name: kind ?? 'unsaid',
  state,
  ...(kind ? { kind } : {}),
  checking: {} as ListedJob['checking'],
});
const project = (id: string, jobs: ListedJob[]): ListedProject => ({
  id: id as ProjectId,
  name: id,
  description: '',
  owner: '',
  createdAt: 0,
  signingKey: null,
  jobs,
});

describe('listsOnnxWork', () => {
  const kernels = project('prj_kernelsaaaaaaaa', [job('wgsl'), job('onnx', 'paused')]);
  const models = project('prj_modelsaaaaaaaaaa', [job('wgsl'), job('onnx')]);

  it('is true for an active ONNX job of a project served', () => {
    expect(listsOnnxWork([kernels, models], null)).toBe(true);
    expect(listsOnnxWork([kernels, models], [models.id])).toBe(true);
  });

  it('is false for a grid of kernels, and for a paused ONNX job', () => {
    expect(listsOnnxWork([kernels], null)).toBe(false);
    expect(listsOnnxWork([], null)).toBe(false);
  });

  it('is false for a list from a coordinator that does not say what its jobs run', () => {
    expect(listsOnnxWork([project('prj_olderaaaaaaaaaaa', [job(undefined)])], null)).toBe(false);
  });

  it('is false when the project with ONNX work is not served, or not the one leased from', () => {
    expect(listsOnnxWork([kernels, models], [kernels.id])).toBe(false);
    expect(listsOnnxWork([kernels, models], null, kernels.id)).toBe(false);
    expect(listsOnnxWork([kernels, models], [models.id], models.id)).toBe(true);
  });
});

describe('readyOnnxForListedWork', () => {
  const models = project('prj_modelsaaaaaaaaaa', [job('onnx')]);
  /** A start whose steps are recorded in `steps`, in order; `examined` settles when the test says. */
  const warmUp = (steps: string[], overrides: Partial<WarmUp> = {}) => {
    let examine: () => void = () => undefined;
    const examined = new Promise<void>((resolve) => {
      examine = resolve;
    });
    const w: WarmUp = {
      backend: async () => 'onnx-wasm',
      listed: async () => ({ ok: true, value: [models] }),
      served: () => null,
      examined: () => examined,
      going: () => true,
      warm: async (backend, stage) => {
        steps.push(`${stage} ${backend}`);
      },
      ...overrides,
    };
    return {
      w,
      examine: () => {
        steps.push('examined');
        examine();
      },
    };
  };

  it('loads onnxruntime while the device is examined and starts it only after', async () => {
    const steps: string[] = [];
    const { w, examine } = warmUp(steps);
    const done = readyOnnxForListedWork(w);
    await new Promise((resolve) => setTimeout(resolve, 5));
    examine();
    await done;
    expect(steps).toEqual(['load onnx-wasm', 'examined', 'start onnx-wasm']);
  });

  it('goes no further once the volunteer stops or pauses, and readies nothing for a grid of kernels or no ONNX backend', async () => {
    const stopped: string[] = [];
    let going = true;
    const s = warmUp(stopped, { going: () => going });
    const done = readyOnnxForListedWork(s.w);
    await new Promise((resolve) => setTimeout(resolve, 5));
    going = false;
    s.examine();
    await done;
    expect(stopped).toEqual(['load onnx-wasm', 'examined']);

    const kernels: string[] = [];
    const k = warmUp(kernels, {
      listed: async () => ({ ok: true, value: [project('prj_kernelsaaaaaaaa', [job('wgsl')])] }),
    });
    k.examine();
    await readyOnnxForListedWork(k.w);
    const none: string[] = [];
    const n = warmUp(none, { backend: async () => null });
    n.examine();
    await readyOnnxForListedWork(n.w);
    expect([...kernels, ...none]).toEqual(['examined', 'examined']);
  });

  it('never rejects when the worker ends under it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { w } = warmUp([], { warm: () => Promise.reject(new Error('compute host closed')) });
    await expect(readyOnnxForListedWork(w)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith('onnxruntime was not readied ahead of the first job: compute host closed');
    warn.mockRestore();
  });
});
