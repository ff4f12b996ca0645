// A job's signature: what it covers, and each way a job fails the check against its project's key.
import { describe, expect, it } from 'vitest';
import { CreateJobRequest } from './job';
import { jobSignatureProblem, signJob } from './job-signing';
import { keyFingerprint } from './key-fingerprint';
import { exportPrivateKey, generateSigningKeyPair, importPrivateKey, publicKeyOf } from './signing';

const H = (c: string) => c.repeat(64);
// As a researcher writes it: defaults (forbidNaN, the wasm export's name) left out.
const manifest = {
  project: 'prj_0123456789abcdef',
  name: 'squares',
  spec: {
    kind: 'wgsl' as const,
    shader: H('a'),
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'xs', type: 'read' as const, role: 'input' as const, size: 16 },
      { binding: 1, name: 'ys', type: 'read_write' as const, role: 'output' as const, size: 16 },
    ],
    dispatch: [1, 1, 1] as [number, number, number],
    wasm: { module: H('b') },
  },
  comparator: { kind: 'exact' as const },
};

describe('signed jobs', async () => {
  const pair = await generateSigningKeyPair(true);
  const other = await generateSigningKeyPair();
  const signature = await signJob(pair.privateKey, pair.publicKeyText, manifest);
  // As the coordinator stores and leases it: parsed, defaults filled in.
  const stored = CreateJobRequest.parse({ ...manifest, costPerWorkUnit: 1, signature });

  it('holds for the definition the coordinator stores, defaults filled in', async () => {
    expect(stored.spec).toMatchObject({ forbidNaN: false, wasm: { export: 'run' } });
    expect(await jobSignatureProblem({ ...stored, project: manifest.project }, pair.publicKeyText)).toBeNull();
  });

  it('fails when any asset hash, the entry point, the comparator, the name or the project changes', async () => {
    const swapped = [
      { ...stored, spec: { ...stored.spec, shader: H('c') } },
      { ...stored, spec: { ...stored.spec, wasm: { module: H('c'), export: 'run' } } },
      { ...stored, spec: { ...stored.spec, entryPoint: 'evil' } },
      { ...stored, comparator: { kind: 'float' as const, rtol: 1, atol: 1 } },
      { ...stored, name: 'squares v2' },
    ];
    for (const job of swapped)
      expect(await jobSignatureProblem({ ...job, project: manifest.project } as never, pair.publicKeyText)).toMatch(
        /not what its project signed/,
      );
    expect(await jobSignatureProblem({ ...stored, project: 'prj_fedcba9876543210' }, pair.publicKeyText)).toMatch(
      /not what its project signed/,
    );
  });

  it("covers an ONNX job's graph optimisation level, and leaves a job without one as it was signed", async () => {
    const onnx = {
      ...manifest,
      spec: {
        kind: 'onnx' as const,
        model: H('d'),
        inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }],
        outputs: [{ name: 'y', dtype: 'float32' as const, shape: [1, 4] }],
      },
    };
    const signed = await signJob(pair.privateKey, pair.publicKeyText, onnx);
    const kept = CreateJobRequest.parse({ ...onnx, costPerWorkUnit: 1, signature: signed });
    // Absent stays absent (onnxruntime's 'all'): a job signed before the field existed still verifies.
    expect(kept.spec).not.toHaveProperty('graphOptimization');
    expect(await jobSignatureProblem({ ...kept, project: onnx.project }, pair.publicKeyText)).toBeNull();
    const disabled = { ...kept, spec: { ...kept.spec, graphOptimization: 'disabled' as const } };
    expect(await jobSignatureProblem({ ...disabled, project: onnx.project }, pair.publicKeyText)).toMatch(
      /not what its project signed/,
    );
    const fast = { ...onnx, spec: { ...onnx.spec, graphOptimization: 'disabled' as const } };
    const fastSigned = await signJob(pair.privateKey, pair.publicKeyText, fast);
    expect(await jobSignatureProblem({ ...fast, signature: fastSigned }, pair.publicKeyText)).toBeNull();
    expect(
      CreateJobRequest.safeParse({ ...fast, costPerWorkUnit: 1, spec: { ...fast.spec, graphOptimization: 'max' } })
        .success,
    ).toBe(false);
  });

  it('fails unsigned, or signed by another key, once the project has a key; passes anything when it has none', async () => {
    const unsigned = { ...stored, project: manifest.project, signature: null };
    expect(await jobSignatureProblem(unsigned, pair.publicKeyText)).toBe(
      `it is not signed, and its project's key is ${keyFingerprint(pair.publicKeyText)}`,
    );
    const forged = await signJob(other.privateKey, other.publicKeyText, manifest);
    expect(await jobSignatureProblem({ ...unsigned, signature: forged }, pair.publicKeyText)).toMatch(
      /signed by the key .* not its project's key/,
    );
    // The right key named, a signature by another: the bytes decide.
    expect(
      await jobSignatureProblem({ ...unsigned, signature: { ...forged, key: pair.publicKeyText } }, pair.publicKeyText),
    ).toMatch(/does not verify/);
    expect(await jobSignatureProblem(unsigned, null)).toBeNull();
  });

  it('keeps a private key as text that signs the same and names its public half', async () => {
    const text = await exportPrivateKey(pair.privateKey);
    expect(await publicKeyOf(text)).toBe(pair.publicKeyText);
    const again = await signJob(await importPrivateKey(text), pair.publicKeyText, manifest);
    expect(
      await jobSignatureProblem({ ...stored, project: manifest.project, signature: again }, pair.publicKeyText),
    ).toBeNull();
  });
});
