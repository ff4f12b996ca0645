// Where the widget's frame finds itself: which project, for which host page, and whether that is really the
// page that framed it. Checked before anything else runs; a frame that fails the check does nothing at all.
import { ProjectId } from '@bricolage/protocol';
import { isEmbeddingOrigin } from '@bricolage/protocol/widget';

export type Placement =
  | { readonly ok: true; readonly project: string; readonly host: string; readonly pauseOffscreen: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * `ancestors` is `location.ancestorOrigins` where the browser has it (Chromium, Safari): the real origins of the
 * pages around the frame, which the host cannot forge. Elsewhere the `host` parameter is trusted only as far as
 * the coordinator's `frame-ancestors` list and postMessage's target origin enforce it.
 */
export function placement(href: string, framed: boolean, ancestors: readonly string[] | null): Placement {
  if (!framed)
    return {
      ok: false,
      reason:
        'This is the frame that sites embedding Bricolage show their readers; opened on its own, it does nothing.',
    };
  const params = new URL(href).searchParams;
  const project = ProjectId.safeParse(params.get('project'));
  if (!project.success) return { ok: false, reason: 'The embedding site named no valid project.' };
  const host = params.get('host') ?? '';
  if (!isEmbeddingOrigin(host)) return { ok: false, reason: 'The embedding site did not say which site it is.' };
  const parent = ancestors?.[0];
  if (ancestors && parent !== host)
    return { ok: false, reason: `This frame is inside ${parent ?? 'an unknown page'}, not ${host} as it claims.` };
  return { ok: true, project: project.data, host, pauseOffscreen: params.get('offscreen') === 'pause' };
}
