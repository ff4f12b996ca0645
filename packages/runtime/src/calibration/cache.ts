// Calibration results kept between visits (localStorage by default): a returning volunteer's tab starts
// computing without measuring again. Keyed by everything the result depends on; kept for a week.
import type { CalibrationReport } from './calibrate';
import type { DeviceProbe } from '../executors/device-probe';

/** The part of `Storage` the cache uses. */
export interface CalibrationStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export function calibrationKey(probe: DeviceProbe, userAgent: string): string {
  const gpu = probe.webgpu;
  // v2: a software adapter must win by 2× (SOFTWARE_ADAPTER_MARGIN); choices cached under v1 are made again.
  return `bricolage:calibration:v2:${JSON.stringify([
    gpu?.vendor ?? null,
    gpu?.architecture ?? null,
    gpu?.description ?? null,
    gpu?.isFallbackAdapter ?? null,
    probe.hardwareConcurrency,
    userAgent,
  ])}`;
}

export function readCalibration(store: CalibrationStore, key: string, now: number): CalibrationReport | null {
  try {
    const entry = JSON.parse(store.getItem(key) ?? 'null') as { at: number; report: CalibrationReport } | null;
    return entry && now - entry.at < MAX_AGE_MS ? entry.report : null;
  } catch (error) {
    console.warn('ignoring an unreadable cached calibration', error);
    return null;
  }
}

export function writeCalibration(store: CalibrationStore, key: string, report: CalibrationReport, now: number): void {
  try {
    store.setItem(key, JSON.stringify({ at: now, report }));
  } catch (error) {
    // Storage full or disabled (private mode): calibrating again next time is harmless.
    console.warn('could not cache the calibration', error);
  }
}

export const defaultCalibrationStore = (): CalibrationStore | null => {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch (error) {
    console.warn('localStorage unavailable', error);
    return null;
  }
};
