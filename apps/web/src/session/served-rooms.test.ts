import { describe, expect, it } from 'vitest';
import { MAX_ROOMS, servedRooms } from './served-rooms';

const listed = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];

describe('the rooms of the projects served', () => {
  it('are those of the projects ticked, in the grid’s order, and only those listed', () => {
    expect(servedRooms(listed, ['p5', 'p2', 'gone'], null)).toEqual(['p2', 'p5']);
    expect(servedRooms(listed, [], null)).toEqual([]);
  });

  it('are the first few the grid lists while nothing is chosen (every project served)', () => {
    expect(servedRooms(listed, null, null)).toEqual(listed.slice(0, MAX_ROOMS));
  });

  it('are the one of ?project= only while the volunteer serves it, as a lease asks for both', () => {
    expect(servedRooms(listed, null, 'p6')).toEqual(['p6']);
    expect(servedRooms([], ['p6'], 'p6')).toEqual(['p6']);
    expect(servedRooms(listed, ['p1'], 'p6')).toEqual([]);
  });
});
