import { generateSigningKeyPair, sign, verify } from '@bricolage/protocol';
import { PeerPresence, presenceClaim } from '@bricolage/protocol/peer';
import { describe, expect, it, vi } from 'vitest';
import { MAX_CHECKS, MAX_PROOFS_KEPT, PROOF_MAX_AGE_MS, PresenceProofs } from './presence-proofs';

const PROJECT = 'prj_0123456789abcdef';
const NOW = 1_800_000_000_000;

async function volunteer() {
  const pair = await generateSigningKeyPair();
  return {
    key: pair.publicKeyText,
    /** The presence this volunteer's tab would publish under awareness id `client`, signed at `at`. */
    presence: async (client: number, { project = PROJECT, rate = 0, at = NOW } = {}): Promise<PeerPresence> => {
      const state = PeerPresence.parse({
        v: 1,
        project: PROJECT,
        volunteer: pair.publicKeyText,
        at,
        device: 'cpu',
        backend: null,
        rate,
        state: 'computing',
        blobs: [],
        head: null,
      });
      return { ...state, proof: await sign(pair.privateKey, presenceClaim(project, client, state)) };
    },
  };
}

const proofsWith = (options: { changed?: () => void; verifier?: typeof verify } = {}) =>
  new PresenceProofs({ project: PROJECT, changed: options.changed ?? (() => undefined), now: () => NOW, ...options });

/** The verdict on exactly this state, once its check has ended. */
async function settled(proofs: PresenceProofs, client: number, presence: PeerPresence): Promise<boolean | null> {
  const verdict = () => {
    const read = proofs.read(client, presence);
    // Meanwhile a row may show its last proven state: that is not this state's verdict.
    return read.presence === presence ? read.proven : null;
  };
  if (verdict() !== null) return verdict();
  // Looked at every millisecond: vitest's 50 ms between looks made the 1,024 claims of the churn test take 52 s
  // of its 60 (CI); and 10 s, not 1, for a check on a loaded machine.
  await vi.waitFor(() => expect(verdict()).not.toBeNull(), { timeout: 10_000, interval: 1 });
  return verdict();
}

describe('proofs of the volunteer key a presence names', () => {
  it('believes a key that signed the state it published under its awareness id, and says so when checked', async () => {
    const alice = await volunteer();
    const changed = vi.fn();
    const proofs = proofsWith({ changed });
    const presence = await alice.presence(7);
    expect(proofs.read(7, presence)).toEqual({ presence, proven: null });
    expect(await settled(proofs, 7, presence)).toBe(true);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it("does not believe another volunteer's key shown without a proof, with its owner's proof under another id, or for another project", async () => {
    const alice = await volunteer();
    const proofs = proofsWith();
    const hers = await alice.presence(7);
    expect(proofs.read(9, { ...hers, proof: undefined }).proven).toBe(false);
    expect(proofs.read(9, { ...hers, proof: null }).proven).toBe(false);
    expect(await settled(proofs, 9, hers)).toBe(false);
    expect(await settled(proofs, 7, await alice.presence(7, { project: 'prj_ffffffffffffffff' }))).toBe(false);
  });

  it("does not believe other figures beside the owner's proof, under the owner's own id, not even while they are checked", async () => {
    const alice = await volunteer();
    const proofs = proofsWith();
    const hers = await alice.presence(7, { rate: 12 });
    expect(await settled(proofs, 7, hers)).toBe(true);
    for (const forged of [
      { ...hers, rate: 9_000 },
      { ...hers, state: 'paused' as const },
    ]) {
      // While it is checked her row shows her own last proven state, never the forged figures as proven.
      expect(proofs.read(7, forged)).toEqual({ presence: hers, proven: true });
      expect(await settled(proofs, 7, forged)).toBe(false);
      expect(proofs.read(7, forged)).toEqual({ presence: forged, proven: false });
    }
  });

  it('does not believe a proof made by a key other than the one named', async () => {
    const [alice, mallory] = [await volunteer(), await volunteer()];
    const proofs = proofsWith();
    const forged = PeerPresence.parse({ ...(await mallory.presence(9)), volunteer: alice.key });
    expect(await settled(proofs, 9, forged)).toBe(false);
  });

  it('does not believe a proof made too long ago, or too far ahead of this clock, and checks neither', async () => {
    const alice = await volunteer();
    const verifier = vi.fn(verify);
    const proofs = proofsWith({ verifier });
    expect(proofs.read(7, await alice.presence(7, { at: NOW - PROOF_MAX_AGE_MS - 1 })).proven).toBe(false);
    expect(proofs.read(7, await alice.presence(7, { at: NOW + PROOF_MAX_AGE_MS + 1 })).proven).toBe(false);
    expect(await settled(proofs, 7, await alice.presence(7, { at: NOW - PROOF_MAX_AGE_MS }))).toBe(true);
    expect(verifier).toHaveBeenCalledTimes(1);
  });

  it('shows a row its last proven state while its next state is checked, then the next', async () => {
    const alice = await volunteer();
    const proofs = proofsWith();
    const first = await alice.presence(7, { rate: 1 });
    expect(await settled(proofs, 7, first)).toBe(true);
    const next = await alice.presence(7, { rate: 2 });
    expect(proofs.read(7, next)).toEqual({ presence: first, proven: true });
    expect(await settled(proofs, 7, next)).toBe(true);
    expect(proofs.read(7, next)).toEqual({ presence: next, proven: true });
  });

  it('checks one state at a time per id, and a bounded number at once in all', async () => {
    const alice = await volunteer();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const verifier = vi.fn(async (...args: Parameters<typeof verify>) => {
      await gate;
      return verify(...args);
    });
    const proofs = proofsWith({ verifier });
    // One id changing its state at every read: one check.
    for (let rate = 1; rate <= 5; rate++) proofs.read(7, await alice.presence(7, { rate }));
    expect(verifier).toHaveBeenCalledTimes(1);
    // Hundreds of ids at once: MAX_CHECKS in all.
    const hers = await alice.presence(7);
    for (let id = 100; id < 400; id++) proofs.read(id, hers);
    expect(verifier).toHaveBeenCalledTimes(MAX_CHECKS);
    release();
  });

  it('keeps the verdicts still read when made-up claims churn past its bound', async () => {
    const alice = await volunteer();
    const verifier = vi.fn(verify);
    const proofs = proofsWith({ verifier });
    const presence = await alice.presence(7);
    expect(await settled(proofs, 7, presence)).toBe(true);
    // Her row is read at every view, between a churning peer's claims.
    for (let id = 1000; id < 1000 + 2 * MAX_PROOFS_KEPT; id++) {
      expect(await settled(proofs, id, presence)).toBe(false);
      expect(proofs.read(7, presence)).toEqual({ presence, proven: true });
    }
    expect(verifier).toHaveBeenCalledTimes(1 + 2 * MAX_PROOFS_KEPT);
  });

  it('checks each claim once, and forgets the least recently read past its bound', async () => {
    const alice = await volunteer();
    const verifier = vi.fn(verify);
    const proofs = proofsWith({ verifier });
    const presence = await alice.presence(7);
    expect(await settled(proofs, 7, presence)).toBe(true);
    for (let i = 0; i < 5; i++) proofs.read(7, presence);
    expect(verifier).toHaveBeenCalledTimes(1);
    // Other ids naming the same key and proof (each a failed claim) push the first out.
    for (let id = 1000; id < 1000 + MAX_PROOFS_KEPT; id++) await settled(proofs, id, presence);
    expect(await settled(proofs, 7, presence)).toBe(true);
    expect(verifier).toHaveBeenCalledTimes(MAX_PROOFS_KEPT + 2);
  });
});
