// What the page says while Start hands over to the runtime: the runtime still reads as it was (idle, or a past Stop's
// stopped) until its own start is called, and a status read then must not show "Not running" over "Starting". And
// the projects served: once the volunteer has chosen, a project added later waits for its tick (the page says so).
// And why the coordinator holds work back from the key, shown as the runtime says it.
import 'fake-indexeddb/auto';
import { VolunteerStore } from '@bricolage/receipts';
import type { VolunteerState, VolunteerStatus } from '@bricolage/runtime';
import { describe, expect, it, vi } from 'vitest';
import { computingOn } from './testing';
import { ViewModel } from './view';

/** The runtime's volunteer, as far as Computing reads it: its state moves only when its own start is called. */
const runtime = vi.hoisted(() => ({
  state: 'idle' as string,
  heldBack: null as unknown,
  listeners: new Map<string, () => void>(),
  /** Resolves the counters read at the first Start (the test holds it, to read the status meanwhile). */
  release: (): void => undefined,
}));

vi.mock('@bricolage/runtime', () => ({
  createVolunteer: async () => ({
    id: 'volunteer',
    on: (type: string, listener: () => void) => {
      runtime.listeners.set(type, listener);
      return () => undefined;
    },
    start: async () => {
      runtime.state = 'running';
    },
    stop: async () => {
      runtime.state = 'stopped';
    },
    pause: () => undefined,
    resume: () => undefined,
    setThrottle: () => undefined,
    close: async () => undefined,
    stats: () =>
      new Promise((resolve) => {
        runtime.release = () => resolve({ ok: false, error: { code: 'internal', message: 'held' } });
      }),
    status: async () => statusOf(runtime.state as VolunteerState),
    capabilities: async () => ({ webgpu: null, backends: { wgsl: 'wasm' }, hardwareConcurrency: 2 }),
  }),
}));

const statusOf = (state: VolunteerState): VolunteerStatus =>
  ({
    state,
    heldBack: runtime.heldBack,
    current: null,
    pauseWhenHidden: false,
    hidden: false,
    counts: { leased: 0, computed: 0, failed: 0, accepted: 0, repeated: 0, dropped: 0, setAside: 0, outbox: 0 },
    dropped: 0,
    wuPerSecond: null,
    dutyCycle: null,
    firstComputeMs: null,
  }) as unknown as VolunteerStatus;

describe('Computing', () => {
  it('shows Starting from Start until the runtime has started, whatever a status read in between says', async () => {
    runtime.state = 'idle';
    const model = new ViewModel();
    const store = await VolunteerStore.open('bricolage computing test');
    const computing = computingOn(model, store);
    const seen: string[] = [model.view().runtimeState];
    model.subscribe(() => {
      const state = model.view().runtimeState;
      if (seen.at(-1) !== state) seen.push(state);
    });
    const started = computing.start();
    await vi.waitFor(() => expect(model.view().runtimeState).toBe('starting'));
    // A poll while the counters are read: the runtime, not started yet, says idle.
    await computing.refreshStatus();
    expect(model.view().runtimeState).toBe('starting');
    runtime.release();
    await started;
    await computing.refreshStatus();
    expect(seen).toEqual(['idle', 'starting', 'running']);

    // Stopped, then started again: the stop's "stopped" is not shown over the new Start either.
    await computing.stop();
    expect(model.view().runtimeState).toBe('stopped');
    seen.splice(0, seen.length, 'stopped');
    const again = computing.start();
    await vi.waitFor(() => expect(model.view().runtimeState).toBe('starting'));
    await computing.refreshStatus();
    await again;
    await computing.refreshStatus();
    expect(seen).toEqual(['stopped', 'starting', 'running']);
    await computing.close();
    store.close();
  });

  it('once the volunteer has chosen, serves a project added later only when it is ticked', async () => {
    const model = new ViewModel();
    const store = await VolunteerStore.open('bricolage served projects test');
    const computing = computingOn(model, store);
    const listed = (...ids: string[]) => ids.map((id) => ({ id, name: id }) as never);
    model.set({ projects: listed('prj_a', 'prj_b') });
    // Before any choice, every project: one added later is served too.
    expect(model.view().settings.servedProjects).toBeNull();
    await computing.setServed('prj_b', false);
    expect(model.view().settings.servedProjects).toEqual(['prj_a']);
    // Added later: not served until ticked, here and in what the next visit reads.
    model.set({ projects: listed('prj_a', 'prj_b', 'prj_c') });
    expect(model.view().settings.servedProjects).toEqual(['prj_a']);
    expect((await store.settings()).servedProjects).toEqual(['prj_a']);
    await computing.setServed('prj_c', true);
    expect((await store.settings()).servedProjects).toEqual(['prj_a', 'prj_c']);
    await computing.close();
    store.close();
  });

  it('asks the browser to keep its storage at a visit’s first Start, not at every Start', async () => {
    runtime.state = 'idle';
    const persist = vi.fn(async () => true);
    vi.stubGlobal('navigator', { storage: { persist } });
    try {
      const model = new ViewModel();
      const store = await VolunteerStore.open('bricolage persist test');
      const computing = computingOn(model, store);
      expect(persist).not.toHaveBeenCalled();
      const started = computing.start();
      await vi.waitFor(() => expect(model.view().runtimeState).toBe('starting'));
      runtime.release();
      await started;
      await computing.stop();
      await computing.start();
      expect(persist).toHaveBeenCalledTimes(1);
      await computing.close();
      store.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('shows why the coordinator holds work back from the key as soon as the runtime says it changed', async () => {
    runtime.state = 'idle';
    const model = new ViewModel();
    const store = await VolunteerStore.open('bricolage held back test');
    const computing = computingOn(model, store);
    const started = computing.start();
    await vi.waitFor(() => expect(model.view().runtimeState).toBe('starting'));
    runtime.release();
    await started;
    expect(model.view().heldBack).toBeNull();
    runtime.state = 'waiting';
    runtime.heldBack = { why: 'errors', until: 1_700_000_000_000 };
    runtime.listeners.get('held-back')?.();
    await vi.waitFor(() => expect(model.view().heldBack).toEqual({ why: 'errors', until: 1_700_000_000_000 }));
    runtime.heldBack = null;
    runtime.listeners.get('held-back')?.();
    await vi.waitFor(() => expect(model.view().heldBack).toBeNull());
    await computing.close();
    store.close();
  });
});
