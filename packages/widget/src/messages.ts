// What widget.js says to the coordinator and to its frame, and how it checks what comes back: by hand rather
// than with the protocol's zod schemas, which would not fit the script's size budget (the types are the
// protocol's; messages.test.ts holds both to the same cases).
import type { FrameMessage, FrameStatus, HostCommand, WidgetProject } from '@bricolage/protocol/widget';

/** The coordinator's routes the script uses (API.widgetProject and API.widgetFrame; checked in the test). */
export const projectPath = (project: string) => `/v1/widget/projects/${encodeURIComponent(project)}`;
export const FRAME_PATH = '/widget/frame';

/** The frame's address for a host page at `host`: the frame checks `host` against where it really is. */
export function frameUrl(base: string, project: string, host: string, pauseOffscreen: boolean): string {
  const url = new URL(FRAME_PATH, base);
  url.searchParams.set('project', project);
  url.searchParams.set('host', host);
  if (pauseOffscreen) url.searchParams.set('offscreen', 'pause');
  return url.toString();
}

/** Where this site remembers that its reader said yes, so the frame is loaded again on the next visit. */
export const hintKey = (base: string, project: string) => `bricolage-widget:${base}:${project}`;

const STATES: readonly FrameStatus['state'][] = [
  'consent',
  'starting',
  'computing',
  'waiting',
  'paused',
  'offline',
  'stopped',
  'revoked',
  'failed',
];
const REASONS: readonly FrameStatus['pauseReason'][] = ['hidden', 'offscreen', 'battery', null];

const count = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/**
 * The frame's message, when `event` comes from the frame itself (`source`) at the coordinator's origin (`base`)
 * and is well formed; null for anything else: another window's message, a forged one, or junk.
 */
export function frameMessage(
  event: { readonly origin: string; readonly source: unknown; readonly data: unknown },
  base: string,
  source: unknown,
): FrameMessage | null {
  if (event.origin !== base || event.source !== source || source == null) return null;
  const m = event.data as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null) return null;
  if (m.type === 'bricolage:status') {
    const { state, pauseReason, computed, credited, credit, remembered } = m;
    if (!STATES.includes(state as FrameStatus['state'])) return null;
    if (!REASONS.includes(pauseReason as FrameStatus['pauseReason'])) return null;
    if (!count(computed) || !count(credited) || typeof credit !== 'number' || !(credit >= 0)) return null;
    if (typeof remembered !== 'boolean') return null;
    // Only these fields go on: whatever else a message carried is not handed to the host page.
    return {
      type: m.type,
      state: state as FrameStatus['state'],
      pauseReason: pauseReason as FrameStatus['pauseReason'],
      computed,
      credited,
      credit,
      remembered,
    };
  }
  if (m.type === 'bricolage:resize')
    return count(m.height) && m.height <= 4000 ? { type: m.type, height: m.height } : null;
  if (m.type === 'bricolage:refused' && typeof m.command === 'string' && typeof m.reason === 'string')
    return { type: m.type, command: m.command.slice(0, 64), reason: m.reason.slice(0, 300) };
  return null;
}

/** The card's facts from the coordinator, or null when the answer is not what the route returns. */
export function widgetProject(data: unknown): WidgetProject | null {
  const p = data as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null) return null;
  if (typeof p.id !== 'string' || typeof p.name !== 'string' || typeof p.description !== 'string') return null;
  if (typeof p.embeddable !== 'boolean') return null;
  return p as unknown as WidgetProject;
}

export const command = (type: HostCommand['type']): HostCommand => ({ type });
