import { describe, expect, it } from 'vitest';
import { DutyMeter, clampDuty, restAfter } from './throttle';

describe('duty cycle arithmetic', () => {
  it('accepts fractions and percentages and clamps them to 1–100 %', () => {
    expect(clampDuty(0.5)).toBe(0.5);
    expect(clampDuty(50)).toBe(0.5);
    expect(clampDuty(100)).toBe(1);
    // A 10 % throttle split between three grids: each pipeline keeps its third, not a 10 % floor.
    expect(clampDuty(0.1 / 3)).toBeCloseTo(0.0333);
    expect(clampDuty(0.001)).toBe(0.01);
    expect(clampDuty(0)).toBe(0.01);
    expect(clampDuty(250)).toBe(1);
    expect(clampDuty(Number.NaN)).toBe(1);
  });

  it('rests in proportion to compute time so that compute ÷ wall equals the duty cycle', () => {
    expect(restAfter(100, 1)).toBe(0);
    expect(restAfter(100, 0.5)).toBe(100);
    expect(restAfter(100, 0.25)).toBe(300);
    expect(restAfter(100, 0.1)).toBeCloseTo(900);
    expect(restAfter(0, 0.1)).toBe(0);
    for (const duty of [0.1, 0.3, 0.5, 0.9]) expect(80 / (80 + restAfter(80, duty))).toBeCloseTo(duty);
  });
});

describe('measured compute rate', () => {
  it('reports the duty cycle and rate over the last work units', () => {
    const meter = new DutyMeter(4);
    expect(meter.dutyCycle(0)).toBeNull();
    // 100 ms of compute, 100 ms of rest, repeated.
    for (let i = 0; i < 6; i++) meter.record(i * 200, i * 200 + 100);
    expect(meter.dutyCycle(1100)).toBeCloseTo(400 / 800);
    expect(meter.rate(1100)).toBeCloseTo(4 / 0.8);
  });

  it('counts a pause since the last work unit against the rate', () => {
    const meter = new DutyMeter(4);
    meter.record(0, 100);
    meter.record(100, 200);
    expect(meter.rate(200)).toBeCloseTo(10);
    expect(meter.dutyCycle(200)).toBeCloseTo(1);
    expect(meter.rate(2000)).toBeCloseTo(1);
    expect(meter.dutyCycle(2000)).toBeCloseTo(0.1);
    meter.reset();
    expect(meter.rate(2000)).toBeNull();
  });

  it('counts overlapping work units (several in flight) once in the busy time', () => {
    const meter = new DutyMeter(8);
    // Four units in flight, each 400 ms from submit to readback, one finishing every 100 ms, with a gap.
    for (let i = 0; i < 4; i++) meter.record(i * 100, i * 100 + 400);
    meter.record(900, 1000);
    // Busy [0, 700) and [900, 1000) of [0, 2000): 0.4, not the 0.85 that summing the spans gives.
    expect(meter.dutyCycle(2000)).toBeCloseTo(0.4);
  });
});
