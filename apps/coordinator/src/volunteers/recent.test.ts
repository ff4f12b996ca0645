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

  it('forgets the longest unseen first beyond its capacity', () => {
    const recent = new RecentVolunteers(1000, 2);
    for (const [i, key] of ['a', 'b', 'c'].entries()) recent.seen(key, GPU_CAPABILITIES, null, i);
    expect(recent.online(3).map((v) => v.key)).toEqual(['b', 'c']);
  });
});
