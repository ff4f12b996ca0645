import { generateSigningKeyPair, sign, verify } from '@bricolage/protocol';
import { PeerPresence, presenceClaim } from '@bricolage/protocol/peer';
import { describe, expect, it, vi } from 'vitest';
import { MAX_PROOFS_KEPT, PROOF_MAX_AGE_MS, PresenceProofs } from './presence-proofs';

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

/** The answer once its check has ended. */
async function settled(proofs: PresenceProofs, client: number, presence: PeerPresence): Promise<boolean | null> {
  const first = proofs.proven(client, presence);
  if (first !== null) return first;
  await vi.waitFor(() => expect(proofs.proven(client, presence)).not.toBeNull());
  return proofs.proven(client, presence);
}

describe('proofs of the volunteer key a presence names', () => {
  it('believes a key that signed the state it published under its awareness id, and says so when checked', async () => {
    const alice = await volunteer();
    const changed = vi.fn();
    const proofs = proofsWith({ changed });
    const presence = await alice.presence(7);
    expect(proofs.proven(7, presence)).toBeNull();
    expect(await settled(proofs, 7, presence)).toBe(true);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it("does not believe another volunteer's key shown without a proof, with its owner's proof under another id, or for another project", async () => {
    const alice = await volunteer();
    const proofs = proofsWith();
    const hers = await alice.presence(7);
    expect(proofs.proven(9, { ...hers, proof: undefined })).toBe(false);
    expect(proofs.proven(9, { ...hers, proof: null })).toBe(false);
    expect(await settled(proofs, 9, hers)).toBe(false);
    expect(await settled(proofs, 7, await alice.presence(7, { project: 'prj_ffffffffffffffff' }))).toBe(false);
  });

  it("does not believe other figures beside the owner's proof, under the owner's own id", async () => {
    const alice = await volunteer();
    const proofs = proofsWith();
    const hers = await alice.presence(7, { rate: 12 });
    expect(await settled(proofs, 7, hers)).toBe(true);
    // Her row's last verdict stands while a new state is checked (the next test), then the new one's.
    for (const forged of [
      { ...hers, rate: 9_000 },
      { ...hers, state: 'paused' as const },
    ])
      await vi.waitFor(() => expect(proofs.proven(7, forged)).toBe(false));
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
    expect(proofs.proven(7, await alice.presence(7, { at: NOW - PROOF_MAX_AGE_MS - 1 }))).toBe(false);
    expect(proofs.proven(7, await alice.presence(7, { at: NOW + PROOF_MAX_AGE_MS + 1 }))).toBe(false);
    expect(await settled(proofs, 7, await alice.presence(7, { at: NOW - PROOF_MAX_AGE_MS }))).toBe(true);
    expect(verifier).toHaveBeenCalledTimes(1);
  });

  it('keeps showing a row as proven while its next state is checked', async () => {
    const alice = await volunteer();
    const proofs = proofsWith();
    expect(await settled(proofs, 7, await alice.presence(7, { rate: 1 }))).toBe(true);
    const next = await alice.presence(7, { rate: 2 });
    expect(proofs.proven(7, next)).toBe(true);
    expect(await settled(proofs, 7, next)).toBe(true);
  });

  it('keeps the claims still read when made-up ones churn past its bound', async () => {
    const alice = await volunteer();
    const verifier = vi.fn(verify);
    const proofs = proofsWith({ verifier });
    const presence = await alice.presence(7);
    expect(await settled(proofs, 7, presence)).toBe(true);
    // Her row is read at every view, between a churning peer's claims.
    for (let id = 1000; id < 1000 + 2 * MAX_PROOFS_KEPT; id++) {
      proofs.proven(id, presence);
      expect(proofs.proven(7, presence)).toBe(true);
    }
    expect(verifier).toHaveBeenCalledTimes(1 + 2 * MAX_PROOFS_KEPT);
  });

  it('checks each claim once, and forgets the least recently read past its bound', async () => {
    const alice = await volunteer();
    const verifier = vi.fn(verify);
    const proofs = proofsWith({ verifier });
    const presence = await alice.presence(7);
    expect(await settled(proofs, 7, presence)).toBe(true);
    for (let i = 0; i < 5; i++) proofs.proven(7, presence);
    expect(verifier).toHaveBeenCalledTimes(1);
    // Other ids naming the same key and proof (each a failed claim) push the first out.
    for (let id = 1000; id < 1000 + MAX_PROOFS_KEPT; id++) proofs.proven(id, presence);
    proofs.proven(7, presence);
    expect(verifier).toHaveBeenCalledTimes(MAX_PROOFS_KEPT + 2);
  });
});
