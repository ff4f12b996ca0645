// job.json and the files beside it → the job request: what is found by itself, what must be named, and the
// problems found before anything is sent.
import { sha256Hex } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { type JobFiles, jobFromManifest } from './manifest';

const bytes = (text: string) => new TextEncoder().encode(text);
const files = (entries: Record<string, string>): JobFiles => ({
  names: Object.keys(entries),
  read: async (name) => (name in entries ? bytes(entries[name] as string) : null),
});
const wgslJob = {
  name: 'j',
  spec: {
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'xs', type: 'read', role: 'input', size: 4 },
      { binding: 1, name: 'ys', type: 'read_write', role: 'output', size: 4 },
    ],
    dispatch: [1, 1, 1],
  },
  comparator: { kind: 'exact' },
  costPerWorkUnit: 1,
};

describe('jobFromManifest', () => {
  it('finds the one .wgsl and its twin of the same name, and names them by hash', async () => {
    const job = await jobFromManifest(wgslJob, files({ 'k.wgsl': 'src', 'k.wasm': 'bin', 'other.wasm': 'x' }));
    expect(job.ok).toBe(true);
    if (!job.ok) return;
    expect(job.value.request.spec).toMatchObject({
      kind: 'wgsl',
      shader: await sha256Hex(bytes('src')),
      wasm: { module: await sha256Hex(bytes('bin')) },
    });
    expect(job.value.files.map((f) => f.name).sort()).toEqual(['k.wasm', 'k.wgsl']);
  });

  it('leaves the twin out when there is none: a WGSL-only job', async () => {
    const job = await jobFromManifest(wgslJob, files({ 'k.wgsl': 'src' }));
    expect(job.ok && job.value.request.spec.kind === 'wgsl' && job.value.request.spec.wasm).toBe(undefined);
  });

  it('takes an ONNX model by itself, and a hash as an asset uploaded before', async () => {
    const onnx = {
      ...wgslJob,
      spec: {
        inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
      },
    };
    const job = await jobFromManifest(onnx, files({ 'm.onnx': 'model' }));
    expect(job.ok && job.value.request.spec).toMatchObject({ kind: 'onnx', model: await sha256Hex(bytes('model')) });
    const hash = 'a'.repeat(64);
    const named = await jobFromManifest(
      { ...wgslJob, spec: { ...wgslJob.spec, kind: 'wgsl', shader: hash } },
      files({}),
    );
    expect(named.ok && named.value.request.spec).toMatchObject({ shader: hash });
    expect(named.ok && named.value.files).toEqual([]);
  });

  it('says what to name when the files do not tell', async () => {
    const two = await jobFromManifest(wgslJob, files({ 'a.wgsl': '', 'b.wgsl': '' }));
    expect(two).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('2 .wgsl files (a.wgsl, b.wgsl)') },
    });
    const none = await jobFromManifest(wgslJob, files({ 'notes.txt': '' }));
    expect(none).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('neither a .wgsl nor an .onnx') },
    });
    const missing = await jobFromManifest(
      { ...wgslJob, spec: { ...wgslJob.spec, shader: 'gone.wgsl' } },
      files({ 'k.wgsl': '' }),
    );
    expect(missing).toMatchObject({
      ok: false,
      error: { message: 'job.json: spec.shader names gone.wgsl, which is not there' },
    });
    expect(await jobFromManifest([], files({}))).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });
});
