// Whether a volunteer starting onnxruntime early is right to: only for an active ONNX job it may be given.
import type { JobId, ListedJob, ListedProject, ProjectId } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { listsOnnxWork } from './listed-work';

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
