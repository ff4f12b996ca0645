// The end of a compute worker's life, as something many waiters can race against without piling up on it.

/** How a worker's life ended (null while it lives), and who is waiting to hear it. */
export interface GenerationEnd {
  readonly mourners: Set<(reason: Error) => void>;
  reason: Error | null;
}

/**
 * A promise that rejects when the worker generation ends, and `release` to stop listening. A race against
 * one promise that lives as long as the worker would leave a reaction on it per work unit, each keeping
 * that work unit's outcome reachable until the worker is replaced; this subscription is dropped instead.
 */
export function watchEnd(end: GenerationEnd): { readonly promise: Promise<never>; readonly release: () => void } {
  let mourner: ((reason: Error) => void) | null = null;
  const promise = new Promise<never>((_, reject) => {
    if (end.reason) reject(end.reason);
    else {
      mourner = reject;
      end.mourners.add(reject);
    }
  });
  promise.catch(() => undefined);
  return {
    promise,
    release: () => {
      if (mourner) end.mourners.delete(mourner);
    },
  };
}

export function endGeneration(end: GenerationEnd, reason: Error): void {
  if (end.reason) return;
  end.reason = reason;
  for (const mourner of end.mourners) mourner(reason);
  end.mourners.clear();
}

export function newGeneration(): GenerationEnd {
  return { mourners: new Set(), reason: null };
}
