// A counting semaphore that never queues: a slot is taken at once or refused (the caller answers 429),
// so a burst of large downloads cannot pile up behind each other holding sockets.
export class Slots {
  private used = 0;

  constructor(readonly capacity: number) {}

  /** A function that gives the slot back (calling it again does nothing), or null when all are taken. */
  tryTake(): (() => void) | null {
    if (this.used >= this.capacity) return null;
    this.used++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.used--;
    };
  }

  get inUse(): number {
    return this.used;
  }
}
