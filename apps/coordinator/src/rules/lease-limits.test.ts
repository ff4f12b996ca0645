import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_ROOM, leaseRoom, maxLifetimeMs, renewedDeadline } from './lease-limits';

describe('lease lifetime', () => {
  const lease = { leasedAt: 0, leaseSeconds: 600, timeBudgetMs: 60_000 };

  it('renews a lease by one lease period while it is young', () => {
    expect(renewedDeadline(lease, 300_000)).toBe(900_000);
  });

  it('never renews past the total lifetime, however often the volunteer beats', () => {
    const cap = maxLifetimeMs(lease);
    expect(cap).toBe(1_260_000);
    let deadline = 600_000;
    for (let now = 300_000; now < 10_000_000; now += 300_000)
      if (now < deadline) deadline = renewedDeadline(lease, now);
    expect(deadline).toBe(cap);
  });
});

describe('lease room', () => {
  const policy = DEFAULT_LEASE_ROOM;

  it('gives a new key enough to start at full speed, and more as it delivers', () => {
    expect(leaseRoom(256, { key: 0, address: 0, validated: 0 }, policy)).toBe(16);
    expect(leaseRoom(256, { key: 0, address: 0, validated: 100 }, policy)).toBe(116);
    expect(leaseRoom(256, { key: 0, address: 0, validated: 10_000 }, policy)).toBe(256);
    expect(leaseRoom(4, { key: 0, address: 0, validated: 0 }, policy)).toBe(4);
  });

  it('caps what the keys of one address hold together', () => {
    expect(leaseRoom(256, { key: 0, address: 500, validated: 10_000 }, policy)).toBe(12);
    expect(leaseRoom(256, { key: 0, address: 600, validated: 10_000 }, policy)).toBe(0);
  });

  it('gives ten hoarding keys of one address at most their new-key room between them', () => {
    let address = 0;
    for (let k = 0; k < 10; k++) address += leaseRoom(256, { key: 0, address, validated: 0 }, policy);
    expect(address).toBe(160);
  });
});
