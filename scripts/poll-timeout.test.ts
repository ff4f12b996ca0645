// vitest.config.ts: an `expect.poll` waits up to 10 s for its event, not vitest's 1 s. The polls here wait for
// events a loaded machine takes longer to deliver (a log line, a closed socket, a stream's next reading): at
// 1 s, one stall of the process while a poll ran would fail the test though the event came. The limit only ends
// a test that would otherwise hang; it never decides one.
import { expect, it } from 'vitest';

it('waits for a condition that a slow machine meets only after 1.5 s', async () => {
  const started = performance.now();
  await expect.poll(() => performance.now() - started > 1_500).toBe(true);
});
