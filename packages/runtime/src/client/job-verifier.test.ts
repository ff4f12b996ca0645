// The volunteer's check of a leased job against its project's key: refusals name the job and why, the key is
// remembered so the list cannot later drop or replace it, and unsigned projects run as they always did.
import {
  generateSigningKeyPair,
  type JobId,
  keyFingerprint,
  type LeasedJob,
  type ListedProject,
  type ProjectId,
  signJob,
} from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import type { ClientResult } from './coordinator-client';
import { JobVerifier } from './job-verifier';

const PROJECT = 'prj_aaaaaaaaaaaaaaaa' as ProjectId;
const base: LeasedJob = {
  id: 'job_aaaaaaaaaaaaaaaa' as JobId,
  project: PROJECT,
  name: 'squares',
  spec: {
    kind: 'wgsl',
    shader: 'a'.repeat(64) as never,
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'x', type: 'read', role: 'input', size: 4 },
      { binding: 1, name: 'y', type: 'read_write', role: 'output', size: 4 },
    ],
    dispatch: [1, 1, 1],
    forbidNaN: false,
  },
  comparator: { kind: 'exact' },
  timeBudgetMs: 1000,
  backend: 'webgpu',
  signature: null,
};

/** A project list the test changes as a dishonest coordinator would, counting reads. */
class List {
  signingKey: string | null = null;
  reads = 0;
  async projects(): Promise<ClientResult<ListedProject[]>> {
    this.reads++;
    return {
      ok: true,
      value: [
        { id: PROJECT, name: 'p', description: '', owner: '', createdAt: 0, signingKey: this.signingKey, jobs: [] },
      ],
    };
  }
}

describe('JobVerifier', async () => {
  const key = await generateSigningKeyPair();
  const signature = await signJob(key.privateKey, key.publicKeyText, base);
  const signed: LeasedJob = { ...base, signature };

  it('accepts a job signed by its project’s published key, and names the signer', async () => {
    const list = new List();
    list.signingKey = key.publicKeyText;
    expect(await new JobVerifier(list).check(signed)).toEqual({ ok: true, signer: key.publicKeyText });
  });

  it('refuses a swapped shader with a message naming the job and the reason', async () => {
    const list = new List();
    list.signingKey = key.publicKeyText;
    const swapped = { ...signed, spec: { ...signed.spec, shader: 'b'.repeat(64) as never } };
    expect(await new JobVerifier(list).check(swapped)).toEqual({
      ok: false,
      transient: false,
      message: `refused job “squares” (${base.id}) of project ${PROJECT}: its code or settings are not what its project signed (the signature by ${key.publicKeyText.slice(0, 4)} ${key.publicKeyText.slice(4, 8)} ${key.publicKeyText.slice(8, 12)} ${key.publicKeyText.slice(12, 16)} does not verify)`,
    });
  });

  it('keeps a key once seen: a list that later drops or replaces it does not make an unsigned job run', async () => {
    const list = new List();
    list.signingKey = key.publicKeyText;
    const verifier = new JobVerifier(list);
    expect((await verifier.check(signed)).ok).toBe(true);
    list.signingKey = null;
    await verifier.listed();
    expect(await verifier.check(base)).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /it is not signed.*; this volunteer holds the key it first saw for the project, and the coordinator now lists none$/,
      ),
    });
    const other = await generateSigningKeyPair();
    list.signingKey = other.publicKeyText;
    await verifier.listed();
    const forged = { ...base, signature: await signJob(other.privateKey, other.publicKeyText, base) };
    expect(await verifier.check(forged)).toMatchObject({
      ok: false,
      message: new RegExp(
        `not its project's key .*the coordinator now lists another, ${keyFingerprint(other.publicKeyText)}$`,
      ),
    });
  });

  it('holds a pinned key against the list from the start', async () => {
    const list = new List(); // publishes no key at all
    const verifier = new JobVerifier(list, new Map([[PROJECT, key.publicKeyText]]));
    await verifier.listed();
    expect(await verifier.check(base)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/it is not signed.*now lists none$/),
    });
    expect(await verifier.check(signed)).toEqual({ ok: true, signer: key.publicKeyText });
  });

  it('says nothing of the list when it names the key held', async () => {
    const list = new List();
    list.signingKey = key.publicKeyText;
    const verifier = new JobVerifier(list);
    const swapped = { ...signed, spec: { ...signed.spec, shader: 'b'.repeat(64) as never } };
    expect(await verifier.check(swapped)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/does not verify\)$/),
    });
  });

  it('runs an unsigned project’s jobs, reading the list once, and reads it again for a signed job', async () => {
    const list = new List();
    const verifier = new JobVerifier(list);
    expect(await verifier.check(base)).toEqual({ ok: true, signer: null });
    expect(await verifier.check(base)).toEqual({ ok: true, signer: null });
    expect(list.reads).toBe(1);
    list.signingKey = key.publicKeyText;
    expect(await verifier.check(signed)).toEqual({ ok: true, signer: key.publicKeyText });
    expect(list.reads).toBe(2);
  });

  it('remembers the keys of a list read ahead (as a volunteer starts), so the first job needs no read of its own', async () => {
    const list = new List();
    list.signingKey = key.publicKeyText;
    const verifier = new JobVerifier(list);
    expect((await verifier.listed()).ok).toBe(true);
    expect(await verifier.check(signed)).toEqual({ ok: true, signer: key.publicKeyText });
    expect(list.reads).toBe(1);
    // A key read ahead is held like one read at a check: a list that then drops it does not make an unsigned job run.
    list.signingKey = null;
    await verifier.listed();
    expect(await verifier.check(base)).toMatchObject({ ok: false, transient: false });
  });

  it('waits rather than refuses when the list cannot be read', async () => {
    const verifier = new JobVerifier({
      projects: async () => ({
        ok: false,
        error: { code: 'network', message: 'offline', status: 0, transient: true } as never,
      }),
    });
    expect(await verifier.check(signed)).toMatchObject({ ok: false, transient: true });
  });
});
