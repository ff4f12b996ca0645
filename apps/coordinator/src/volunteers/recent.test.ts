import { describe, expect, it } from 'vitest';
import { GPU_CAPABILITIES } from '../testing/sim-volunteer';
import { RecentVolunteers } from './recent';

describe('RecentVolunteers', () => {
  it('counts a volunteer online for the window after its last lease request', () => {
    const recent = new RecentVolunteers(1000);
    recent.seen('a', GPU_CAPABILITIES, null, 0);
    recent.seen('b', GPU_CAPABILITIES, 'prj_x', 500);
    recent.seen('a', GPU_CAPABILITIES, null, 900);
    expect(recent.online(1400).map((v) => v.key)).toEqual(['b', 'a']);
    expect(recent.online(1600).map((v) => v.key)).toEqual(['a']);
    expect(recent.online(2000).map((v) => v.key)).toEqual([]);
  });

  it('keeps a volunteer heard from by a submit or heartbeat online, and adds none it never saw ask for work', () => {
    const recent = new RecentVolunteers(1000);
    recent.seen('a', GPU_CAPABILITIES, 'prj_x', 0);
    recent.seen('b', GPU_CAPABILITIES, null, 100);
    recent.heard('a', 800);
    recent.heard('stranger', 800);
    expect(recent.online(1500).map((v) => [v.key, v.project, v.seenAt])).toEqual([['a', 'prj_x', 800]]);
  });

  it('forgets the longest unseen first beyond its capacity', () => {
    const recent = new RecentVolunteers(1000, 2);
    for (const [i, key] of ['a', 'b', 'c'].entries()) recent.seen(key, GPU_CAPABILITIES, null, i);
    expect(recent.online(3).map((v) => v.key)).toEqual(['b', 'c']);
  });

  it('remembers a shut-out its lease answer reported until another answer or its end', () => {
    const recent = new RecentVolunteers(10_000);
    recent.seen('a', GPU_CAPABILITIES, null, 0);
    recent.standing('a', { why: 'errors', until: 5000 });
    // Asking again keeps it until that request's answer says otherwise.
    recent.seen('a', GPU_CAPABILITIES, null, 1000);
    expect(recent.online(1000).map((v) => v.shutOut)).toEqual([{ why: 'errors', until: 5000 }]);
    expect(recent.online(5000).map((v) => v.shutOut)).toEqual([null]);
    recent.standing('a', { why: 'not_voting' });
    expect(recent.online(9000).map((v) => v.shutOut)).toEqual([{ why: 'not_voting' }]);
    recent.standing('a', null);
    expect(recent.online(9000).map((v) => v.shutOut)).toEqual([null]);
  });
});
