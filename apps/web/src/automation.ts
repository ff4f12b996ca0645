// The hook headless farms drive this page through (`window.bricolagePage`; the contract is
// packages/protocol/src/automation.ts). It reads state, sets the throttle and adds other grids; starting still takes
// a click on Start.
import type { PageAutomation, TabSnapshot } from '@bricolage/protocol';
import type { Session } from './session';

export function publishAutomation(session: Session): void {
  const hook: PageAutomation = {
    async snapshot(): Promise<TabSnapshot> {
      const view = session.view();
      const { status, stats } = await session.live();
      return {
        phase: view.phase,
        volunteer: view.identity?.publicKey ?? null,
        backend: view.device?.backend ?? null,
        adapter: view.device?.adapter ?? null,
        computed: status?.counts.computed ?? 0,
        failed: status?.counts.failed ?? 0,
        accepted: status?.counts.accepted ?? 0,
        repeated: status?.counts.repeated ?? 0,
        dropped: status?.counts.dropped ?? 0,
        outbox: status?.counts.outbox ?? view.outbox,
        counted: stats !== null,
        countedAtStart: session.statsAtStart(),
        validated: stats?.valid ?? 0,
        rejected: stats?.invalid ?? 0,
        pending: stats?.pending ?? 0,
        errors: stats?.errors ?? 0,
        credit: stats?.credit ?? 0,
        wuPerSecond: status?.wuPerSecond ?? null,
        dutyCycle: status?.dutyCycle ?? null,
        throttle: status?.throttle ?? null,
        computeMs: status?.computeMs ?? 0,
        wallMs: status?.wallMs ?? 0,
        reachable: view.reachable,
        lastError: status?.lastError ?? null,
        grids: (session.grids?.view().grids ?? []).map((g) => ({
          url: g.url,
          online: g.online,
          validated: g.validated ?? 0,
          receipts: g.receipts,
        })),
      };
    },
    setThrottle(percent: number): void {
      void session.setThrottle(percent);
    },
    flush(timeoutMs: number): Promise<boolean> {
      return session.flush(timeoutMs);
    },
    async addGrid(url: string): Promise<boolean> {
      const grids = session.grids;
      if (!grids) return false;
      // A kept profile already serves it: that is what was asked (a grid being removed is served again by an add).
      if (grids.view().grids.some((g) => URL.canParse(url) && g.url === new URL(url).origin && !g.leaving)) return true;
      return grids.add(url);
    },
  };
  window.bricolagePage = hook;
}
