import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CdpConnection } from './cdp';

function pipe() {
  const fromBrowser = new PassThrough();
  const toBrowser = new PassThrough();
  const sent: { id: number; method: string; params: unknown; sessionId?: string }[] = [];
  let pending = '';
  toBrowser.setEncoding('utf8');
  toBrowser.on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\0'); end >= 0; end = pending.indexOf('\0')) {
      sent.push(JSON.parse(pending.slice(0, end)));
      pending = pending.slice(end + 1);
    }
  });
  return { cdp: new CdpConnection(fromBrowser, toBrowser), fromBrowser, sent };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CDP over a pipe', () => {
  it('frames commands with NUL and matches replies that arrive split across chunks', async () => {
    const { cdp, fromBrowser, sent } = pipe();
    const reply = cdp.send('Runtime.evaluate', { expression: '1' }, 'S1');
    await tick();
    expect(sent).toEqual([{ id: 1, method: 'Runtime.evaluate', params: { expression: '1' }, sessionId: 'S1' }]);
    const text = `${JSON.stringify({ id: 1, result: { result: { value: 1 } } })}\0`;
    fromBrowser.write(text.slice(0, 7));
    fromBrowser.write(text.slice(7));
    await expect(reply).resolves.toEqual({ result: { value: 1 } });
  });

  it('rejects a command the browser answers with an error, naming the method', async () => {
    const { cdp, fromBrowser } = pipe();
    const reply = cdp.send('Page.navigate', { url: 'x' });
    fromBrowser.write(`${JSON.stringify({ id: 1, error: { code: -32000, message: 'Cannot navigate' } })}\0`);
    await expect(reply).rejects.toThrow('Page.navigate: Cannot navigate');
  });

  it('delivers events with their session, and stops when unsubscribed', async () => {
    const { cdp, fromBrowser } = pipe();
    const seen: unknown[] = [];
    const off = cdp.on('Target.targetCrashed', (params, session) => seen.push([params, session]));
    fromBrowser.write(`${JSON.stringify({ method: 'Target.targetCrashed', params: { targetId: 'T' } })}\0`);
    fromBrowser.write(`${JSON.stringify({ method: 'Other.event', params: {} })}\0`);
    await tick();
    off();
    fromBrowser.write(`${JSON.stringify({ method: 'Target.targetCrashed', params: { targetId: 'U' } })}\0`);
    await tick();
    expect(seen).toEqual([[{ targetId: 'T' }, undefined]]);
  });

  it('fails what is in flight, and what is sent later, once the browser closes the pipe', async () => {
    const { cdp, fromBrowser } = pipe();
    const closed: string[] = [];
    cdp.onClose((e) => closed.push(e.message));
    const inFlight = cdp.send('Browser.getVersion');
    fromBrowser.end();
    await expect(inFlight).rejects.toThrow(/closed its DevTools pipe/);
    await expect(cdp.send('Browser.getVersion')).rejects.toThrow(/closed its DevTools pipe/);
    expect(cdp.closed).toBe(true);
    expect(closed).toHaveLength(1);
  });

  it("fails what is in flight on a crashed page's session, and what is sent to it later, leaving other sessions be", async () => {
    const { cdp, fromBrowser } = pipe();
    const onPage = cdp.send('Runtime.evaluate', { expression: 'new Promise(() => {})', awaitPromise: true }, 'S1');
    const onOther = cdp.send('Runtime.evaluate', { expression: '1' }, 'S2');
    const onBrowser = cdp.send('Browser.getVersion');
    cdp.failSession('S1', new Error('the page crashed'));
    await expect(onPage).rejects.toThrow('the page crashed');
    await expect(cdp.send('Runtime.evaluate', { expression: '2' }, 'S1')).rejects.toThrow('the page crashed');
    fromBrowser.write(`${JSON.stringify({ id: 2, result: { result: { value: 1 } } })}\0`);
    fromBrowser.write(`${JSON.stringify({ id: 3, result: { product: 'Chrome' } })}\0`);
    await expect(onOther).resolves.toEqual({ result: { value: 1 } });
    await expect(onBrowser).resolves.toEqual({ product: 'Chrome' });
    expect(cdp.closed).toBe(false);
  });
});
