// What the Other grids panel shows of a grid's results set aside: their count and a Retry, served or leaving.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { initialView } from '../session/grid-view';
import type { Grids, GridsView } from '../session/grids';
import { GridsPanel } from './GridsPanel';

const URL = 'https://b.example';

const panel = (grid: Partial<ReturnType<typeof initialView>>) => {
  const view: GridsView = {
    grids: [{ ...initialView({ url: URL, key: 'b-key', share: 100, servedProjects: null }), ...grid }],
    homeShare: 100,
    adding: false,
    error: null,
    moves: {},
  };
  const grids = { subscribe: () => () => undefined, view: () => view } as unknown as Grids;
  return renderToStaticMarkup(createElement(GridsPanel, { grids, homeKey: null, homeHonours: null }));
};

describe('a grid with results set aside', () => {
  it('shows how many, and a Retry; with none, neither', () => {
    const html = panel({ setAside: 2, undelivered: 0 });
    expect(html).toContain('data-testid="grid-set-aside"');
    expect(html).toMatch(/<span data-testid="grid-set-aside-count">2<\/span> results set aside/);
    expect(html).toContain('Retry the results set aside');
    expect(panel({ setAside: 0 })).not.toContain('grid-set-aside');
    expect(panel({ setAside: null })).not.toContain('Retry');
  });
});

describe('a removed grid with results set aside', () => {
  it('says they are kept, and its Forget counts them with those still to deliver', () => {
    const html = panel({ leaving: true, undelivered: 1, setAside: 2 });
    expect(html).toContain('Removing: 1 result still to deliver, 2 set aside.');
    expect(html).toContain('Forget it now: 3 results will not be delivered');
  });
});
