// When each farm tab collects its garbage: the first collections spread over an interval so that the tabs do
// not all collect at once, then each tab every `everyMs`. Pure, on a clock the caller passes in.

export interface CollectionSlot {
  readonly index: number;
  /** When the tab next collects; null before its first collection has been scheduled. */
  nextCollection: number | null;
}

/**
 * The slots whose collection is due at `now`, each rescheduled `everyMs` later. A slot seen for the first time is
 * scheduled `everyMs × (1 + index / count)` from now. `everyMs <= 0` means never.
 */
export function dueForCollection<T extends CollectionSlot>(
  slots: readonly T[],
  count: number,
  everyMs: number,
  now: number,
): T[] {
  if (everyMs <= 0) return [];
  const due: T[] = [];
  for (const slot of slots) {
    slot.nextCollection ??= now + everyMs * (1 + slot.index / Math.max(1, count));
    if (now < slot.nextCollection) continue;
    slot.nextCollection = now + everyMs;
    due.push(slot);
  }
  return due;
}
