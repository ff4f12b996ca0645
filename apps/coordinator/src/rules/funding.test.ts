import { describe, expect, it } from 'vitest';
import { fundedRoom, unfunded } from './funding';

describe('a funded job’s room in a lease', () => {
  it('starts new units only as far as their whole quorum is paid for', () => {
    // 140 credit, 10 a replica, quorum 2: 14 replicas, 7 units seen through.
    expect(fundedRoom({ left: 140, kept: 0 }, 10, 2)).toEqual({ replicas: 14, fresh: 7 });
    expect(fundedRoom({ left: 150, kept: 0 }, 10, 2)).toEqual({ replicas: 15, fresh: 7 });
  });

  it('keeps what started units still want before starting any new one', () => {
    expect(fundedRoom({ left: 70, kept: 70 }, 10, 2)).toEqual({ replicas: 7, fresh: 0 });
    expect(fundedRoom({ left: 100, kept: 60 }, 10, 2)).toEqual({ replicas: 10, fresh: 2 });
    // Started units that want more than the balance covers: it all goes to them.
    expect(fundedRoom({ left: 40, kept: 90 }, 10, 2)).toEqual({ replicas: 4, fresh: 0 });
  });

  it('gives nothing once the balance is spent', () => {
    expect(fundedRoom({ left: 9, kept: 0 }, 10, 2)).toEqual({ replicas: 0, fresh: 0 });
    expect(fundedRoom({ left: -30, kept: 0 }, 10, 2)).toEqual({ replicas: 0, fresh: 0 });
  });
});

describe('why a funded job is stopped', () => {
  it('says so when no replica is paid for', () => {
    expect(unfunded({ left: 5, kept: 0 }, 10, 2, 0)).toMatch(/balance is spent: 5 credit left uncommitted/);
  });

  it('says so when none of its started units wants a replica and a new unit’s quorum is not paid for', () => {
    expect(unfunded({ left: 10, kept: 0 }, 10, 2, 0)).toMatch(/a new unit's 2 replicas cost 20/);
    // What is left is kept for another job's started units: this one is stopped, and says why.
    expect(unfunded({ left: 30, kept: 20 }, 10, 2, 0)).toMatch(/20 of it kept for started units of its other jobs/);
  });

  it('lets the job run while its own started unit wants a replica it can pay for, or a new unit is paid for', () => {
    expect(unfunded({ left: 10, kept: 10 }, 10, 2, 10)).toBeNull();
    expect(unfunded({ left: 20, kept: 0 }, 10, 2, 0)).toBeNull();
  });
});
