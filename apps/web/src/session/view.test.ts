import { describe, expect, it } from 'vitest';
import { INITIAL_VIEW, phaseOf, ViewModel } from './view';

describe('phaseOf', () => {
  const booted = { fatal: null, booted: true, reachable: true } as const;

  it('is loading until booted, and failed whatever else when the page cannot run', () => {
    expect(phaseOf({ ...booted, booted: false, runtimeState: 'running' })).toBe('loading');
    expect(phaseOf({ ...booted, fatal: 'no IndexedDB', runtimeState: 'running' })).toBe('failed');
  });

  it('names what the runtime does', () => {
    expect(phaseOf({ ...booted, runtimeState: 'idle' })).toBe('idle');
    expect(phaseOf({ ...booted, runtimeState: 'starting' })).toBe('starting');
    expect(phaseOf({ ...booted, runtimeState: 'running' })).toBe('computing');
    expect(phaseOf({ ...booted, runtimeState: 'waiting' })).toBe('waiting');
    expect(phaseOf({ ...booted, runtimeState: 'pausing' })).toBe('paused');
    expect(phaseOf({ ...booted, runtimeState: 'paused' })).toBe('paused');
    expect(phaseOf({ ...booted, runtimeState: 'stopping' })).toBe('stopping');
    expect(phaseOf({ ...booted, runtimeState: 'stopped' })).toBe('stopped');
  });

  it('says offline while started or idle and the coordinator does not answer', () => {
    expect(phaseOf({ ...booted, reachable: false, runtimeState: 'running' })).toBe('offline');
    expect(phaseOf({ ...booted, reachable: false, runtimeState: 'idle' })).toBe('offline');
    // Starting and stopping are shown as such even then: they end on their own.
    expect(phaseOf({ ...booted, reachable: false, runtimeState: 'stopping' })).toBe('stopping');
  });
});

describe('ViewModel', () => {
  it('tells its listeners only when the data changed, and keeps the identity of what did not', () => {
    const model = new ViewModel();
    let calls = 0;
    model.subscribe(() => calls++);
    const before = model.view();
    model.set({ projects: [], outbox: 0 });
    expect(calls).toBe(0);
    expect(model.view()).toBe(before);
    model.set({ outbox: 3, dropped: [] });
    expect(calls).toBe(1);
    expect(model.view().outbox).toBe(3);
    expect(model.view().dropped).toBe(before.dropped);
  });

  it('derives the phase and whether the session is active from the runtime state', () => {
    const model = new ViewModel();
    expect(model.view().phase).toBe('loading');
    model.set({ booted: true });
    expect(model.view()).toMatchObject({ phase: 'idle', active: false });
    model.set({ runtimeState: 'paused' });
    expect(model.view()).toMatchObject({ phase: 'paused', active: true });
    model.set({ runtimeState: 'stopped' });
    expect(model.view()).toMatchObject({ phase: 'stopped', active: false });
  });

  it('keeps the four newest notices', () => {
    const model = new ViewModel(INITIAL_VIEW);
    for (let i = 1; i <= 6; i++) model.notify('info', `notice ${i}`, []);
    expect(model.view().notices.map((n) => n.title)).toEqual(['notice 3', 'notice 4', 'notice 5', 'notice 6']);
    model.dismiss(model.view().notices[0]?.id ?? -1);
    expect(model.view().notices).toHaveLength(3);
  });
});
