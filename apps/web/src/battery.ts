// The Battery Status API where the browser has it (Chromium does; Firefox and Safari do not).

interface BatteryManager extends EventTarget {
  readonly charging: boolean;
  readonly level: number;
}

export interface BatteryView {
  readonly supported: boolean;
  /** Null when unknown. */
  readonly charging: boolean | null;
  readonly level: number | null;
}

export const NO_BATTERY_API: BatteryView = { supported: false, charging: null, level: null };

/** Calls `onChange` with the battery state now and whenever it changes; returns an unsubscribe function. */
export async function watchBattery(onChange: (view: BatteryView) => void): Promise<() => void> {
  const nav = navigator as Navigator & { getBattery?: () => Promise<BatteryManager> };
  if (typeof nav.getBattery !== 'function') {
    onChange(NO_BATTERY_API);
    return () => undefined;
  }
  let battery: BatteryManager;
  try {
    battery = await nav.getBattery();
  } catch (error) {
    console.warn('battery status unavailable', error);
    onChange(NO_BATTERY_API);
    return () => undefined;
  }
  const report = () => onChange({ supported: true, charging: battery.charging, level: battery.level });
  report();
  battery.addEventListener('chargingchange', report);
  battery.addEventListener('levelchange', report);
  return () => {
    battery.removeEventListener('chargingchange', report);
    battery.removeEventListener('levelchange', report);
  };
}
