// The embeddable widget's contracts: the host origins a project lets embed it, what the coordinator tells a
// host page's widget.js, and the postMessage protocol between a host page and the widget's frame.
import { z } from 'zod';
import { ProjectId } from './ids';

/**
 * True for an origin a project may list: `https://host[:port]`, or `http://` on localhost / 127.0.0.1 for
 * development, written exactly as browsers serialise it (lowercase, no default port, no path). The host is
 * letters, digits, hyphens and dots only: the origins are written into a Content-Security-Policy header, where
 * `*`, `;` or a space (all legal in some URL hosts) would change its meaning.
 */
export function isEmbeddingOrigin(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.origin !== text || !/^(?:[a-z0-9-]+\.)*[a-z0-9-]+$/.test(url.hostname)) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
}

export const EmbeddingOrigin = z.string().max(256).refine(isEmbeddingOrigin, {
  message:
    'expected an origin like https://example.org or http://localhost:8080 (scheme, host and port only, lowercase, no default port; http only for localhost and 127.0.0.1)',
});

/** The host origins whose pages may frame a project's widget (its `frame-ancestors`); empty: none may. */
export const ProjectEmbedding = z.object({ origins: z.array(EmbeddingOrigin).max(64) });
export type ProjectEmbedding = z.infer<typeof ProjectEmbedding>;

/** What widget.js shows on its card before anyone clicks: public facts, and whether this host may embed it. */
export const WidgetProject = z.object({
  id: ProjectId,
  name: z.string(),
  description: z.string(),
  /** Whether the requesting page's origin (its `Origin` header) is on the project's list. */
  embeddable: z.boolean(),
});
export type WidgetProject = z.infer<typeof WidgetProject>;

/** `/widget.json`: where the widget script is and its Subresource Integrity hash, for hosts that pin it. */
export const WidgetManifest = z.object({
  src: z.string(),
  integrity: z.string().regex(/^sha384-[A-Za-z0-9+/]{64}$/),
  bytes: z.number().int().positive(),
  version: z.string(),
});
export type WidgetManifest = z.infer<typeof WidgetManifest>;

// ---- postMessage between a host page and the widget's frame ----

/**
 * What a host page may ask the frame. `start` is obeyed only when the reader already consented on this site
 * (inside the frame, which the host cannot script); `stop` always is. A host can only ever make it do less.
 */
export const HostCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bricolage:start') }),
  z.object({ type: z.literal('bricolage:stop') }),
  z.object({ type: z.literal('bricolage:get-status') }),
]);
export type HostCommand = z.infer<typeof HostCommand>;

export const WIDGET_STATES = [
  'consent', // waiting for the reader's Start inside the frame; nothing runs
  'starting',
  'computing',
  'waiting', // no work right now
  'paused',
  'offline',
  'stopped',
  'revoked', // the reader withdrew consent for this site; nothing runs until they give it again
  'failed',
] as const;
export const WidgetState = z.enum(WIDGET_STATES);
export type WidgetState = z.infer<typeof WidgetState>;

/** What the frame tells its host: counts and states only, never the reader's key or receipts. */
export const FrameMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('bricolage:status'),
    state: WidgetState,
    pauseReason: z.enum(['hidden', 'offscreen', 'battery']).nullable(),
    /** Work units computed since the frame loaded. */
    computed: z.number().int().nonnegative(),
    /**
     * Receipts of work held for this site that still verify (not one whose later re-check failed), and their
     * credit: of every visit (of this visit alone when `remembered` is false: the browser keeps the frame no
     * storage), and only once results validate, so not a share of `computed` (after a reload they outnumber it).
     */
    credited: z.number().int().nonnegative(),
    credit: z.number().nonnegative(),
    /** Whether the frame keeps the reader's yes for the next visit (not where the browser refuses it storage). */
    remembered: z.boolean(),
  }),
  /** A command the frame would not carry out, and why. */
  z.object({ type: z.literal('bricolage:refused'), command: z.string().max(64), reason: z.string().max(300) }),
  /** The height the frame's content needs, so the host can size the iframe. */
  z.object({ type: z.literal('bricolage:resize'), height: z.number().int().min(0).max(4000) }),
]);
export type FrameMessage = z.infer<typeof FrameMessage>;
export type FrameStatus = Extract<FrameMessage, { type: 'bricolage:status' }>;
