// A computation over the Merkle tree as stored (roots at past sizes, inclusion and consistency paths): the
// nodes it reads are fetched in one query first, then it runs on them.
import type { Tx } from '../store/persistence';
import { type MerkleNodeStore, nodesRead } from './merkle-tree';

export async function overStoredTree<T>(
  read: <R>(work: (tx: Tx) => Promise<R>) => Promise<R>,
  compute: (store: MerkleNodeStore) => T,
): Promise<T> {
  const nodes = await read((tx) => tx.merkleNodes(nodesRead(compute)));
  const byKey = new Map(nodes.map((n) => [`${n.level}:${n.index}`, n.hash]));
  return compute({
    getNode: (level, index) => byKey.get(`${level}:${index}`),
    putNode: () => {
      throw new Error('the stored tree is read-only here');
    },
  });
}
