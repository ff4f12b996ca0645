// Job manifests: a folder of files becomes a CreateJobRequest, or a message that says what to fix.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './canonical';
import { type ManifestFile, resolveManifest } from './manifest';

const text = (name: string, body: string): ManifestFile => ({ name, bytes: new TextEncoder().encode(body) });
const bytes = (name: string, n: number): ManifestFile => ({ name, bytes: new Uint8Array(n).fill(7) });

const WGSL = text('squares/squares.wgsl', '@compute @workgroup_size(1) fn main() {}');
const TWIN = bytes('squares/squares.wasm', 40);
const TABLE = bytes('squares/table.bin', 64);

const manifest = (spec: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ({
  name: 'squares',
  spec: {
    kind: 'wgsl',
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'xs', type: 'read', role: 'input', size: 16 },
      { binding: 1, name: 'table', type: 'read', role: 'constant', size: 64, file: 'table.bin' },
      { binding: 2, name: 'ys', type: 'read_write', role: 'output', size: 16 },
    ],
    dispatch: [1, 1, 1],
    ...spec,
  },
  comparator: { kind: 'exact' },
  costPerWorkUnit: 1,
  ...rest,
});

const expectFailure = async (m: unknown, files: ManifestFile[], message: string | RegExp) => {
  const r = await resolveManifest(m, files);
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.error.code).toBe('bad_request');
    expect(r.error.message).toMatch(message);
  }
};

describe('resolveManifest', () => {
  it('names assets by file: the one .wgsl, its .wasm twin by base name, constants by their file', async () => {
    const r = await resolveManifest(manifest(), [WGSL, TWIN, TABLE, bytes('squares/other.wasm', 8)]);
    if (!r.ok) throw new Error(r.error.message);
    const [shader, twin, table] = await Promise.all([WGSL, TWIN, TABLE].map((f) => sha256Hex(f.bytes)));
    expect(r.value.request.spec).toMatchObject({
      kind: 'wgsl',
      shader,
      wasm: { module: twin, export: 'run' },
      bindings: [{ name: 'xs' }, { name: 'table', blob: table }, { name: 'ys' }],
    });
    expect(r.value.request.spec.kind === 'wgsl' && r.value.request.spec.bindings[1]).not.toHaveProperty('file');
    expect(r.value.assets.map((a) => [a.role, a.hash, a.file?.name])).toEqual([
      ['spec.shader', shader, WGSL.name],
      ['spec.bindings.1', table, TABLE.name],
      ['spec.wasm.module', twin, TWIN.name],
    ]);
  });

  it('has no twin when none is given, or when the manifest says wasm: false', async () => {
    for (const [m, files] of [
      [manifest(), [WGSL, TABLE]],
      [manifest({ wasm: false }), [WGSL, TWIN, TABLE]],
    ] as const) {
      const r = await resolveManifest(m, [...files]);
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value.request.spec).not.toHaveProperty('wasm');
      expect(r.value.assets.map((a) => a.role)).toEqual(['spec.shader', 'spec.bindings.1']);
    }
  });

  it('takes a stored blob by its hash, with no file', async () => {
    const hash = 'ab'.repeat(32);
    const r = await resolveManifest(manifest({ shader: hash }), [TABLE]);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.request.spec).toMatchObject({ shader: hash });
    expect(r.value.assets[0]).toEqual({ hash, file: null, role: 'spec.shader' });
  });

  it('resolves an ONNX model', async () => {
    const model = bytes('m/model.onnx', 100);
    const r = await resolveManifest(
      {
        name: 'cnn',
        spec: {
          kind: 'onnx',
          inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
          outputs: [{ name: 'y', dtype: 'float32', shape: [1, 2] }],
        },
        comparator: { kind: 'float', rtol: 1e-5, atol: 1e-6 },
        costPerWorkUnit: 1,
      },
      [model],
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.request.spec).toMatchObject({ kind: 'onnx', model: await sha256Hex(model.bytes) });
  });

  it('says which file is missing, or which of several to name', async () => {
    await expectFailure(manifest(), [TABLE], 'spec.shader: no .wgsl file was given');
    await expectFailure(
      manifest(),
      [WGSL, text('b.wgsl', ''), TABLE],
      'spec.shader: 2 .wgsl files were given (squares.wgsl, b.wgsl); name one in the manifest',
    );
    await expectFailure(manifest({ shader: 'kernel.wgsl' }), [WGSL, TABLE], 'spec.shader names the file kernel.wgsl');
    await expectFailure(manifest(), [WGSL], 'spec.bindings.1 names the file table.bin, which was not given');
  });

  it('refuses a constant of the wrong size and a file on a binding that is not a constant', async () => {
    await expectFailure(
      manifest(),
      [WGSL, bytes('table.bin', 60)],
      'spec.bindings.1: constant binding table declares 64 bytes, but table.bin has 60',
    );
    const bindings = manifest().spec.bindings.map((b) => (b.name === 'xs' ? { ...b, file: 'table.bin' } : b));
    await expectFailure(manifest({ bindings }), [WGSL, TABLE], 'only a constant binding has a file; xs is input');
  });

  it('says where the manifest is wrong, by path, with the rules of the request', async () => {
    await expectFailure({ name: 'x' }, [], /^job manifest: spec: /);
    const bindings = manifest().spec.bindings.map((b) => (b.name === 'ys' ? { ...b, type: 'read' } : b));
    await expectFailure(manifest({ bindings }), [WGSL, TABLE], 'output binding ys must be read_write');
    await expectFailure(manifest({ dispatch: [0, 1, 1] }), [WGSL, TABLE], /spec\.dispatch\.0: /);
    await expectFailure(manifest({}, { costPerWorkUnit: -1 }), [WGSL, TABLE], /costPerWorkUnit: /);
  });
});
