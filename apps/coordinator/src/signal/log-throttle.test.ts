import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { LogThrottle } from './log-throttle';

describe('the signaling log throttle', () => {
  it('writes one line per kind per second, and says how many it left out', () => {
    const clock = new ManualClock(0);
    const lines: string[] = [];
    const throttle = new LogThrottle((l) => lines.push(l), clock);
    for (let i = 0; i < 100; i++) throttle.line('closed:too_many', `flood ${i}`);
    throttle.line('refused:unauthorized', 'no ticket');
    expect(lines).toEqual(['flood 0', 'no ticket']);
    clock.advance(999);
    throttle.line('closed:too_many', 'flood later');
    expect(lines).toHaveLength(2);
    clock.advance(1);
    throttle.line('closed:too_many', 'flood again');
    expect(lines[2]).toBe('flood again (and 100 more like it before)');
    clock.advance(1000);
    throttle.line('closed:too_many', 'quiet');
    expect(lines[3]).toBe('quiet');
  });
});
