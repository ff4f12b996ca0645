// Whether this page is the one computing for its volunteer key: only that page may take back the key's open
// leases when it starts (a reload's, the widget's previous page's); a second tab of the same key that did would
// compute them twice. A Web Lock per key: the browser lets go of a page's locks when the page goes, however it goes.

export interface KeyClaim {
  /** True when no other page of this browser profile holds the key's claim, or where there are no Web Locks. */
  readonly sole: boolean;
  /** Lets the next page of the key claim it (this one stopped computing). */
  release(): void;
}

type Locks = Pick<LockManager, 'request'>;

export async function claimKey(
  key: string,
  locks: Locks | undefined = (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks,
): Promise<KeyClaim> {
  // Node, a worker without them: one process, one page.
  if (!locks) return { sole: true, release: () => undefined };
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const sole = await new Promise<boolean>((answer) => {
    locks
      .request(`bricolage:computing:${key}`, { ifAvailable: true }, (lock) => {
        answer(lock !== null);
        return lock ? held : undefined;
      })
      // Refused (an opaque origin): another page may be computing; leaving its leases alone is the safe side.
      .catch(() => answer(false));
  });
  return { sole, release };
}
