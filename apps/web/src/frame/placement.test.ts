import { describe, expect, it } from 'vitest';
import { placement } from './placement';

const BASE = 'http://127.0.0.1:8787/widget/frame';
const url = (params: Record<string, string>) => `${BASE}?${new URLSearchParams(params)}`;
const project = 'prj_0123456789abcdef';
const host = 'http://localhost:9000';

describe('placement', () => {
  it('accepts a frame inside the host it names', () => {
    expect(placement(url({ project, host }), true, [host])).toEqual({ ok: true, project, host, pauseOffscreen: false });
    expect(placement(url({ project, host, offscreen: 'pause' }), true, [host, 'https://top.example'])).toMatchObject({
      ok: true,
      pauseOffscreen: true,
    });
    // Without ancestorOrigins (Firefox) the named host stands: frame-ancestors and targetOrigin bound it.
    expect(placement(url({ project, host }), true, null)).toMatchObject({ ok: true, host });
  });

  it('refuses a frame opened on its own, or inside another page than the one it names', () => {
    expect(placement(url({ project, host }), false, [])).toMatchObject({ ok: false });
    expect(placement(url({ project, host }), true, ['https://evil.example'])).toMatchObject({
      ok: false,
      reason: expect.stringContaining('https://evil.example'),
    });
    expect(placement(url({ project, host }), true, [])).toMatchObject({ ok: false });
  });

  it('refuses a missing or malformed project or host', () => {
    expect(placement(url({ host }), true, [host])).toMatchObject({ ok: false });
    expect(placement(url({ project: 'prj_x', host }), true, [host])).toMatchObject({ ok: false });
    expect(placement(url({ project }), true, [host])).toMatchObject({ ok: false });
    expect(placement(url({ project, host: `${host}/` }), true, [`${host}/`])).toMatchObject({ ok: false });
  });
});
