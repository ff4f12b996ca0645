// How hard the tab works and when it holds back; every choice is remembered in this browser.
import { memo } from 'react';
import type { Session, View } from '../session';

export const SettingsPanel = memo(function SettingsPanel({
  settings,
  battery,
  session,
}: Pick<View, 'settings' | 'battery'> & { session: Session }) {
  const batteryNote = !battery.supported
    ? 'This browser does not tell pages about its battery, so this cannot apply here.'
    : battery.charging === false
      ? `On battery now (${Math.round((battery.level ?? 0) * 100)}%).`
      : 'Plugged in now.';
  return (
    <section className="card settings" aria-labelledby="settings-h">
      <h2 id="settings-h">How hard it works</h2>
      <div className="field">
        <label htmlFor="throttle">
          Use of this device:{' '}
          <output htmlFor="throttle" data-testid="throttle-value">
            {settings.throttle}%
          </output>
        </label>
        <input
          id="throttle"
          type="range"
          min={10}
          max={100}
          step={5}
          value={settings.throttle}
          aria-describedby="throttle-help"
          onChange={(e) => void session.setThrottle(Number(e.currentTarget.value))}
        />
        <p id="throttle-help" className="muted">
          The share of time spent computing; the rest the tab sits idle, so the fan and battery get a break.
        </p>
      </div>
      <div className="field check">
        <input
          id="pause-hidden"
          type="checkbox"
          checked={settings.pauseWhenHidden}
          onChange={(e) => void session.setPauseWhenHidden(e.currentTarget.checked)}
        />
        <label htmlFor="pause-hidden">Pause when this tab is hidden</label>
      </div>
      <div className="field check">
        <input
          id="pause-battery"
          type="checkbox"
          checked={settings.pauseOnBattery}
          aria-describedby="battery-help"
          onChange={(e) => void session.setPauseOnBattery(e.currentTarget.checked)}
        />
        <label htmlFor="pause-battery">Pause on battery</label>
        <p id="battery-help" className="muted" data-testid="battery-note">
          {batteryNote}
        </p>
      </div>
    </section>
  );
});
