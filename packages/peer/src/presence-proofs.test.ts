import { generateSigningKeyPair, sign, verify } from '@bricolage/protocol';
import { PeerPresence, presenceClaim } from '@bricolage/protocol/peer';
import { describe, expect, it, vi } from 'vitest';
import { MAX_PROOFS_KEPT, PresenceProofs } from './presence-proofs';

const PROJECT = 'prj_0123456789abcdef';

async function volunteer() {
  const pair = await generateSigningKeyPair();
  return {
    key: pair.publicKeyText,
    /** The presence this volunteer's tab would publish under awareness id `client`. */
    presence: async (client: number, project = PROJECT): Promise<PeerPresence> =>
      PeerPresence.parse({
        v: 1,
        project: PROJECT,
        volunteer: pair.publicKeyText,
        proof: await sign(pair.privateKey, presenceClaim(project, client, pair.publicKeyText)),
        device: 'cpu',
        backend: null,
        rate: 0,
        state: 'idle',
        blobs: [],
        head: null,
      }),
  };
}

/** The answer once its check has ended. */
async function settled(proofs: PresenceProofs, client: number, presence: PeerPresence): Promise<boolean | null> {
  const first = proofs.proven(client, presence);
  if (first !== null) return first;
  await vi.waitFor(() => expect(proofs.proven(client, presence)).not.toBeNull());
  return proofs.proven(client, presence);
}

describe('proofs of the volunteer key a presence names', () => {
  it('believes a key that signed the claim for the awareness id its presence came under, and says so', async () => {
    const alice = await volunteer();
    const changed = vi.fn();
    const proofs = new PresenceProofs(PROJECT, changed);
    const presence = await alice.presence(7);
    expect(proofs.proven(7, presence)).toBeNull();
    expect(await settled(proofs, 7, presence)).toBe(true);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it("does not believe another volunteer's key shown without a proof, with its owner's proof copied, or signed for another project", async () => {
    const alice = await volunteer();
    const proofs = new PresenceProofs(PROJECT, () => undefined);
    const hers = await alice.presence(7);
    // An impostor under its own id, naming her key: with no proof, and with the proof her tab published.
    expect(proofs.proven(9, { ...hers, proof: undefined })).toBe(false);
    expect(proofs.proven(9, { ...hers, proof: null })).toBe(false);
    expect(await settled(proofs, 9, hers)).toBe(false);
    expect(await settled(proofs, 7, await alice.presence(7, 'prj_ffffffffffffffff'))).toBe(false);
  });

  it('does not believe a proof made by a key other than the one named', async () => {
    const [alice, mallory] = [await volunteer(), await volunteer()];
    const proofs = new PresenceProofs(PROJECT, () => undefined);
    const forged = PeerPresence.parse({ ...(await mallory.presence(9)), volunteer: alice.key });
    expect(await settled(proofs, 9, forged)).toBe(false);
  });

  it('keeps the claims still read when made-up ones churn past its bound', async () => {
    const alice = await volunteer();
    const verifier = vi.fn(verify);
    const proofs = new PresenceProofs(PROJECT, () => undefined, verifier);
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
    const proofs = new PresenceProofs(PROJECT, () => undefined, verifier);
    const presence = await alice.presence(7);
    expect(await settled(proofs, 7, presence)).toBe(true);
    for (let i = 0; i < 5; i++) proofs.proven(7, presence);
    expect(verifier).toHaveBeenCalledTimes(1);
    // Other ids naming the same key and proof (each a failed claim) push the first out.
    for (let id = 1000; id < 1000 + MAX_PROOFS_KEPT; id++) proofs.proven(id, presence);
    expect(proofs.proven(7, presence)).toBeNull();
    expect(verifier).toHaveBeenCalledTimes(MAX_PROOFS_KEPT + 2);
  });
});
