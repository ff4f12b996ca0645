import { API } from '@bricolage/protocol';
import { FrameMessage } from '@bricolage/protocol/widget';
import { describe, expect, it } from 'vitest';
import { FRAME_PATH, frameMessage, frameUrl, projectPath, widgetProject } from './messages';

const BASE = 'http://127.0.0.1:8787';
const frameWindow = { name: 'the frame' };
const status = {
  type: 'bricolage:status',
  state: 'computing',
  pauseReason: null,
  computed: 4,
  credited: 2,
  credit: 20,
  remembered: true,
};

describe('frameMessage', () => {
  it('accepts a well-formed message from the frame at the coordinator’s origin, as the protocol reads it', () => {
    const message = frameMessage({ origin: BASE, source: frameWindow, data: status }, BASE, frameWindow);
    expect(message).toEqual(status);
    expect(FrameMessage.parse(status)).toEqual(message);
    const resize = { type: 'bricolage:resize', height: 180 };
    expect(frameMessage({ origin: BASE, source: frameWindow, data: resize }, BASE, frameWindow)).toEqual(resize);
  });

  it('ignores messages from any other origin or any other window, however well formed', () => {
    expect(
      frameMessage({ origin: 'http://localhost:9000', source: frameWindow, data: status }, BASE, frameWindow),
    ).toBe(null);
    expect(frameMessage({ origin: BASE, source: { name: 'another frame' }, data: status }, BASE, frameWindow)).toBe(
      null,
    );
    // Before the frame exists there is no source to match.
    expect(frameMessage({ origin: BASE, source: undefined, data: status }, BASE, undefined)).toBe(null);
  });

  it('ignores junk, and forwards only the fields the protocol names', () => {
    const from = (data: unknown) => frameMessage({ origin: BASE, source: frameWindow, data }, BASE, frameWindow);
    for (const junk of [
      null,
      'bricolage:status',
      { ...status, state: 'mining' },
      { ...status, computed: -1 },
      { ...status, credited: 1.5 },
      { ...status, credit: Number.NaN },
      { ...status, pauseReason: 'tired' },
      { ...status, remembered: 'yes' },
      { type: 'bricolage:resize', height: 1e9 },
      { type: 'bricolage:hello' },
    ]) {
      expect(from(junk), JSON.stringify(junk)).toBe(null);
      expect(FrameMessage.safeParse(junk).success, JSON.stringify(junk)).toBe(false);
    }
    expect(from({ ...status, volunteer: 'key', receipts: [1] })).toEqual(status);
  });
});

describe('addresses', () => {
  it('are the coordinator’s routes', () => {
    expect(projectPath('prj_0123456789abcdef')).toBe(API.widgetProject('prj_0123456789abcdef'));
    expect(FRAME_PATH).toBe(API.widgetFrame);
  });

  it('put the project, the host page’s origin and its offscreen wish in the frame’s URL', () => {
    const url = new URL(frameUrl(BASE, 'prj_0123456789abcdef', 'http://localhost:9000', true));
    expect(url.origin + url.pathname).toBe(`${BASE}/widget/frame`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      project: 'prj_0123456789abcdef',
      host: 'http://localhost:9000',
      offscreen: 'pause',
    });
    expect(new URL(frameUrl(BASE, 'p', 'https://h.example', false)).searchParams.has('offscreen')).toBe(false);
  });
});

describe('widgetProject', () => {
  it('reads the card route’s answer and nothing else', () => {
    const answer = { id: 'prj_0123456789abcdef', name: 'N', description: 'D', embeddable: true };
    expect(widgetProject(answer)).toEqual(answer);
    expect(widgetProject({ ...answer, embeddable: 'yes' })).toBe(null);
    expect(widgetProject({ error: { code: 'not_found', message: 'no project' } })).toBe(null);
  });
});
