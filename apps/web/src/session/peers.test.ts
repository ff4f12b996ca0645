import type { Volunteer } from '@bricolage/runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { peersFor } from './testing';
import { ViewModel } from './view';

// The peer layer (yjs, y-webrtc) is replaced by rooms that only record what was done with them: these tests are
// about when the page joins and leaves, not about WebRTC (e2e/webrtc has that).
const rooms = vi.hoisted(() => ({ joined: [] as string[], left: [] as string[] }));
vi.mock('@bricolage/peer', () => ({
  joinSwarm: (options: { room: { project: string } }) => {
    const project = options.room.project;
    rooms.joined.push(project);
    return {
      view: () => ({ project }),
      subscribe: () => () => undefined,
      setPresence: () => undefined,
      observeHead: async () => undefined,
      coordinatorBack: () => undefined,
      leave: () => rooms.left.push(project),
    };
  },
}));

afterEach(() => {
  rooms.joined.length = 0;
  rooms.left.length = 0;
});

/** A page that knows the coordinator's key and whose grid lists these projects (all served: nothing chosen yet). */
const modelWithProjects = (ids: string[]): ViewModel => {
  const model = new ViewModel();
  model.set({ coordinatorKey: 'k'.repeat(64), projects: ids.map((id) => ({ id }) as never) });
  return model;
};

/** A page that knows the coordinator's key and serves one project. */
const modelWithProject = (): ViewModel => modelWithProjects(['p1']);

/** The volunteer's ticks, as the projects panel sets them. */
const serve = (model: ViewModel, servedProjects: string[] | null) =>
  model.set({ settings: { ...model.view().settings, servedProjects } });

/**
 * The coordinator's answer to a room request is a round trip over the network: a real wait, longer than the
 * few milliseconds a loaded machine can take to load the peer layer, so that no test passes by racing a timer.
 */
const roundTrip = () => new Promise<void>((resolve) => setTimeout(resolve, 30));

/** A volunteer whose room answers wait for `answer` (a network round trip by default); `asked` counts room requests. */
const fakeVolunteer = (answer: () => Promise<void> = roundTrip) => {
  const counts = { asked: 0 };
  const volunteer = {
    peerRoom: async (project: string) => {
      counts.asked++;
      await answer();
      return { ok: true, value: { project } };
    },
    on: () => () => undefined,
  } as unknown as Volunteer;
  return { volunteer, counts };
};

/** Long enough for what runs at once (no room is asked for while paused); a join itself is awaited with `joined`. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Waits until the rooms joined are these. A join asks the coordinator, then loads the peer layer with a dynamic
 * import: neither has a fixed duration, and a fixed pause raced them (the import alone took 12 ms of its 20 on
 * a busy 2-core machine).
 */
const joined = (expected: string[]) =>
  vi.waitFor(() => expect(rooms.joined).toEqual(expected), { timeout: 5_000, interval: 5 });

describe('Peers', () => {
  it('joins no room while paused on battery, and joins once the charger is back', async () => {
    const { volunteer, counts } = fakeVolunteer();
    const peers = peersFor(modelWithProject(), volunteer);
    peers.setPaused(true);
    peers.start();
    await settle();
    expect(counts.asked).toBe(0);
    expect(rooms.joined).toEqual([]);
    peers.setPaused(false);
    await joined(['p1']);
    peers.leave();
  });

  it('leaves its rooms on battery and joins them again after, unless stopped meanwhile', async () => {
    const { volunteer, counts } = fakeVolunteer();
    const peers = peersFor(modelWithProject(), volunteer);
    peers.start();
    await joined(['p1']);
    peers.setPaused(true);
    expect(rooms.left).toEqual(['p1']);
    peers.setPaused(false);
    await joined(['p1', 'p1']);
    // Stopped while on battery: the charger does not bring the rooms back (nor asks for them: a join begins so).
    peers.setPaused(true);
    peers.leave();
    peers.setPaused(false);
    await settle();
    expect(counts.asked).toBe(2);
    expect(rooms.joined).toEqual(['p1', 'p1']);
  });

  it('joins only the rooms of the projects the volunteer chose to serve', async () => {
    // Review finding 5: the grid's first four projects were joined whatever the volunteer had unticked.
    const model = modelWithProjects(['p1', 'p2', 'p3', 'p4', 'p5']);
    serve(model, ['p5']);
    const peers = peersFor(model, fakeVolunteer().volunteer);
    peers.start();
    await joined(['p5']);
    await settle();
    peers.leave();
    expect(rooms.joined).toEqual(['p5']);
  });

  it('serving every project (nothing chosen) joins the rooms of the first four the grid lists', async () => {
    const peers = peersFor(modelWithProjects(['p1', 'p2', 'p3', 'p4', 'p5']), fakeVolunteer().volunteer);
    peers.start();
    await joined(['p1', 'p2', 'p3', 'p4']);
    peers.leave();
  });

  it('follows the projects served while started: an unticked room is left at once, a ticked one joined', async () => {
    const model = modelWithProjects(['p1', 'p2']);
    const peers = peersFor(model, fakeVolunteer().volunteer);
    peers.start();
    await joined(['p1', 'p2']);
    serve(model, ['p2']);
    expect(rooms.left).toEqual(['p1']);
    serve(model, ['p2', 'p1']);
    await joined(['p1', 'p2', 'p1']);
    peers.leave();
    // Stopped: a tick no longer joins anything.
    serve(model, ['p2']);
    serve(model, ['p1', 'p2']);
    await settle();
    expect(rooms.joined).toEqual(['p1', 'p2', 'p1']);
  });

  it('joins no room of a project unticked while its room was being asked for', async () => {
    let answer: () => void = () => undefined;
    const { volunteer, counts } = fakeVolunteer(() => new Promise<void>((resolve) => (answer = resolve)));
    const model = modelWithProject();
    const peers = peersFor(model, volunteer);
    peers.start();
    await vi.waitFor(() => expect(counts.asked).toBe(1));
    serve(model, []);
    answer();
    await settle();
    expect(rooms.joined).toEqual([]);
    peers.leave();
  });

  it('asks again, once the coordinator is back, for the rooms it could not get, and only for those', async () => {
    const asked: string[] = [];
    let reachable = false;
    const volunteer = {
      peerRoom: async (project: string) => {
        asked.push(project);
        await roundTrip();
        if (project === 'p2' && !reachable)
          return { ok: false, error: { code: 'unreachable', message: 'the coordinator did not answer' } };
        return { ok: true, value: { project } };
      },
      on: () => () => undefined,
    } as unknown as Volunteer;
    const model = modelWithProjects(['p1', 'p2']);
    const peers = peersFor(model, volunteer);
    peers.start();
    await joined(['p1']);
    // The refusal was met (and said), not only asked for.
    await vi.waitFor(() => expect(model.view().notices.map((n) => n.title)).toContain('Working without peers'));
    reachable = true;
    peers.coordinatorBack();
    await joined(['p1', 'p2']);
    expect(asked).toEqual(['p1', 'p2', 'p2']);
    peers.leave();
  });

  it('adds no room from a join that was under way when the rooms were left', async () => {
    let answer: () => void = () => undefined;
    const { volunteer, counts } = fakeVolunteer(() => new Promise<void>((resolve) => (answer = resolve)));
    const peers = peersFor(modelWithProject(), volunteer);
    peers.start();
    await settle();
    expect(counts.asked).toBe(1);
    peers.setPaused(true);
    answer();
    await settle();
    expect(rooms.joined).toEqual([]);
    peers.leave();
  });
});
