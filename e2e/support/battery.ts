// The Battery Status API replaced by one a test sets through `window.__battery` (plugged in at first): an init
// script (page.addInitScript, or a context's) and the setter, for every suite that pauses a page on battery.
import type { Page } from '@playwright/test';

export function fakeBatteryScript(): void {
  const battery = Object.assign(new EventTarget(), { charging: true, level: 0.8 });
  const set = (charging: boolean) => {
    battery.charging = charging;
    battery.dispatchEvent(new Event('chargingchange'));
  };
  Object.defineProperty(navigator, 'getBattery', { value: () => Promise.resolve(battery), configurable: true });
  Object.assign(window, { __battery: { set } });
}

export async function setCharging(page: Page, charging: boolean): Promise<void> {
  await page.evaluate((charging) => {
    (window as unknown as { __battery: { set(charging: boolean): void } }).__battery.set(charging);
  }, charging);
}
