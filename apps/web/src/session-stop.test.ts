import { describe, expect, it } from 'vitest';
import { stopParts } from './session';

describe('Stop', () => {
  it('leaves the peer rooms at the press, before the units under way have finished', async () => {
    // Review finding 5: the rooms were left only once computing had stopped, so the tab stayed connected and
    // serving for as long as its last units took, though the page says it meets peers from Start to Stop.
    const order: string[] = [];
    let finish: () => void = () => undefined;
    const stopping = stopParts({
      peers: { leave: () => order.push('rooms left') },
      computing: {
        stop: () =>
          new Promise<void>((resolve) => {
            finish = () => {
              order.push('units finished');
              resolve();
            };
          }),
      },
      grids: { stop: async () => undefined },
    });
    expect(order).toEqual(['rooms left']);
    finish();
    await stopping;
    expect(order).toEqual(['rooms left', 'units finished']);
  });
});
