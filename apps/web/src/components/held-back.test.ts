// What the main card says when the coordinator gives this key nothing because of the key itself (its lease answer's
// `heldBack`): not "No work right now", which sends a volunteer looking for a grid without work.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Session, View } from '../session';
import { INITIAL_VIEW } from '../session/view';
import { ComputePanel } from './ComputePanel';

const card = (view: Partial<View>) =>
  renderToStaticMarkup(
    createElement(ComputePanel, {
      view: { ...INITIAL_VIEW, phase: 'waiting', active: true, runtimeState: 'waiting', ...view },
      session: {} as Session,
    }),
  );

describe('the main card while the tab waits for work', () => {
  it('says the key is held back for its errors, and until when, where the coordinator said so', () => {
    const until = new Date(2026, 11, 6, 14, 5).getTime();
    const html = card({ heldBack: { why: 'errors', until } });
    expect(html).toContain('Held back');
    expect(html).toContain('data-testid="held-back"');
    expect(html).toContain(new Date(until).toLocaleTimeString());
    expect(html).not.toContain('No work right now');
  });

  it('says the key gets no work once its results no longer count', () => {
    const html = card({ heldBack: { why: 'not_voting' } });
    expect(html).toContain('no longer counts its results');
    expect(html).not.toContain('No work right now');
  });

  it('says there is no work right now when the coordinator holds nothing back from the key', () => {
    const html = card({ heldBack: null });
    expect(html).toContain('No work right now');
    expect(html).toContain('data-testid="no-work"');
    expect(html).not.toContain('Held back');
  });
});
