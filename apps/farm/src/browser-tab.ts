// One headless Chromium with one page, driven over the DevTools pipe with only the protocol domains the
// farm needs. Playwright would do the same job, but it keeps the Network domain enabled on every page it
// drives, and then Chromium keeps a copy of every response body the page fetches, up to ~200 MB per page
// (measured: +280 MB PSS per tab after 200 MB fetched, against +90 MB, then flat, with no DevTools session).
// A farm tab runs for hours, so it is driven here the way a person's tab runs: with nothing recording it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { CHROMIUM_ARGS } from './chromium';
import { CdpConnection, CdpError, type CdpParams } from './cdp';
import { groupMembers } from './procstats';

/** Flags Playwright passes as well: a headless tab must not be throttled or nagged. */
const DRIVEN_ARGS = [
  '--remote-debugging-pipe',
  '--no-default-browser-check',
  '--disable-hang-monitor',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--password-store=basic',
  '--use-mock-keychain',
];

/**
 * What a headless Chromium starts that a farm tab never uses, found with memory-infra dumps of a computing
 * farm (bench/farm/memory-infra.ts). Playwright, which the tests use, passes a --disable-features list of
 * its own, and a second one would replace it: these are for the farm's browsers only.
 */
const LEAN_ARGS = [
  // One renderer, the page's: Chromium otherwise keeps a spare one warm (~20 MB private) for a navigation
  // that never comes.
  '--renderer-process-limit=1',
  `--disable-features=${[
    // The omnibox popups, built as WebUI pages in a renderer of their own (~30 MB) for a window nobody sees.
    'WebUIOmniboxPopup',
    'WebUIOmniboxAimPopup',
    'WebUIOmniboxFullPopup',
    // Background services with nothing to do in a farm, and calls to Google at startup.
    'OptimizationHints',
    'OptimizationGuideModelExecution',
    'OptimizationGuideOnDeviceModel',
    'MediaRouter',
    'Translate',
    'NetworkTimeServiceQuerying',
    'AimEnabled',
    'PreconnectToSearch',
  ].join(',')}`,
];

export interface BrowserTabOptions {
  readonly chromium: string;
  /** The profile directory: the tab's IndexedDB (its identity and receipts) lives there between runs. */
  readonly profile: string;
  /** More Chromium flags (benchmarks use `--js-flags=--expose-gc`). */
  readonly extraArgs?: readonly string[];
  /** Called once if the page's renderer crashes or the browser exits on its own. */
  readonly onLost?: (why: 'crashed' | 'exited') => void;
}

interface EvaluateReply {
  readonly result?: { readonly value?: unknown };
  readonly exceptionDetails?: { readonly text?: string; readonly exception?: { readonly description?: string } };
}

export class BrowserTab {
  readonly #process: ChildProcess;
  readonly #cdp: CdpConnection;
  readonly #session: string;
  readonly #exited: Promise<void>;
  /** DevTools sessions of the page's workers (the runtime computes in one), attached to as they start. */
  readonly #workers = new Set<string>();
  #closing = false;

  private constructor(process: ChildProcess, cdp: CdpConnection, session: string, exited: Promise<void>) {
    this.#process = process;
    this.#cdp = cdp;
    this.#session = session;
    this.#exited = exited;
  }

  /** Starts the browser on a blank page and attaches to that page. */
  static async launch(options: BrowserTabOptions): Promise<BrowserTab> {
    mkdirSync(options.profile, { recursive: true });
    const child = spawn(
      options.chromium,
      [
        ...CHROMIUM_ARGS,
        ...DRIVEN_ARGS,
        ...LEAN_ARGS,
        ...(options.extraArgs ?? []),
        `--user-data-dir=${options.profile}`,
        'about:blank',
      ],
      // Its own process group: Ctrl-C in a terminal reaches the farm, which stops the tabs in order,
      // and not the browsers, which would otherwise die before their results were flushed.
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    spawnError.catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tooSlow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CdpError(`no answer within ${LAUNCH_TIMEOUT_MS} ms`)), LAUNCH_TIMEOUT_MS);
    });
    const cdp = new CdpConnection(child.stdio[4] as Readable, child.stdio[3] as Writable);
    try {
      const attach = async () => {
        const target = await firstPage(cdp);
        const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
          targetId: target,
          flatten: true,
        });
        return { target, sessionId };
      };
      const { target, sessionId } = await Promise.race([attach(), spawnError, tooSlow]);
      const tab = new BrowserTab(child, cdp, sessionId, exited);
      tab.#watch(target, options.onLost);
      await tab.send('Page.enable');
      await tab.#followWorkers();
      return tab;
    } catch (error) {
      killGroup(child);
      const why =
        error instanceof CdpError && stderr.trim()
          ? `${error.message}; the browser said: ${stderr.trim()}`
          : String((error as Error).message);
      throw new Error(`could not start Chromium: ${why}`);
    } finally {
      clearTimeout(timer);
    }
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** Sends a DevTools command to the page (the tests use it to block requests and crash the page). */
  send<T = CdpParams>(method: string, params: CdpParams = {}): Promise<T> {
    return this.#cdp.send<T>(method, params, this.#session);
  }

  /** The DevTools sessions of the page's workers now running. */
  workers(): readonly string[] {
    return [...this.#workers];
  }

  /** Sends a DevTools command to one of the page's workers (see `workers`). */
  sendToWorker<T = CdpParams>(worker: string, method: string, params: CdpParams = {}): Promise<T> {
    return this.#cdp.send<T>(method, params, worker);
  }

  /**
   * A full garbage collection in the page and in each of its workers. V8 collects mostly when a page is idle,
   * and Linux sends Chromium no memory-pressure signal: a page that computes without a pause leaves garbage
   * outside V8's own heap (buffers, Blink objects) for a long time. A worker that ends meanwhile is skipped.
   */
  async collectGarbage(): Promise<void> {
    await Promise.all([
      this.send('HeapProfiler.collectGarbage'),
      ...this.workers().map((w) => this.sendToWorker(w, 'HeapProfiler.collectGarbage').catch(() => undefined)),
    ]);
  }

  /** Sends a DevTools command to the browser itself (benchmarks use it to trace memory). */
  sendToBrowser<T = CdpParams>(method: string, params: CdpParams = {}): Promise<T> {
    return this.#cdp.send<T>(method, params);
  }

  /** Calls `handler` for the browser's own `method` events (those not from the page's session). */
  onBrowser(method: string, handler: (params: CdpParams) => void): () => void {
    return this.#cdp.on(method, (params, sessionId) => {
      if (sessionId === undefined) handler(params);
    });
  }

  /** Calls `handler` for the page's `method` events. */
  on(method: string, handler: (params: CdpParams) => void): () => void {
    return this.#cdp.on(method, (params, sessionId) => {
      if (sessionId === this.#session) handler(params);
    });
  }

  async navigate(url: string): Promise<void> {
    const reply = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (reply.errorText) throw new Error(`could not load ${url}: ${reply.errorText}`);
  }

  /**
   * Evaluates `fn(arg)` in the page, awaiting a promise it returns, and resolves with its JSON value.
   * `fn` is sent as source text: it must not close over anything.
   */
  async evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
    const reply = await this.send<EvaluateReply>('Runtime.evaluate', {
      // `__name`: the helper a bundler that keeps function names (tsx does) may have written into `fn`.
      expression: `((__name) => (${fn.toString()})(${JSON.stringify(arg) ?? 'undefined'}))((f) => f)`,
      awaitPromise: true,
      returnByValue: true,
    });
    if (reply.exceptionDetails) {
      const d = reply.exceptionDetails;
      throw new Error(`in the page: ${d.exception?.description?.split('\n')[0] ?? d.text ?? 'exception'}`);
    }
    return reply.result?.value as R;
  }

  /** Resolves once `fn(arg)` is truthy in the page, polling every 100 ms; rejects after `timeoutMs`. */
  async waitFor<A>(fn: (arg: A) => unknown, arg: A, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A page still loading has no context to evaluate in yet: that is a "not yet", not a failure.
      if (await this.evaluate(fn, arg).catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the page`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Clicks the visible button whose text starts with `label` the way a person does: a real (trusted) mouse
   * press and release at its centre. False when there is no such button.
   */
  async clickButton(label: string): Promise<boolean> {
    const at = await this.evaluate((text: string) => {
      const button = [...document.querySelectorAll('button')].find(
        (b) => (b.textContent ?? '').trim().startsWith(text) && !b.disabled && b.offsetParent !== null,
      );
      if (!button) return null;
      button.scrollIntoView({ block: 'center' });
      const r = button.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    }, label);
    if (!at) return false;
    for (const type of ['mousePressed', 'mouseReleased'])
      await this.send('Input.dispatchMouseEvent', { type, x: at.x, y: at.y, button: 'left', clickCount: 1 });
    return true;
  }

  /** Closes the browser, and kills it when it has not exited after `graceMs`. */
  async close(graceMs = 5_000): Promise<void> {
    this.#closing = true;
    if (this.#process.exitCode === null && this.#process.signalCode === null) {
      await this.#cdp.send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => killGroup(this.#process), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    // The browser's helpers (zygote, renderers, GPU and utility processes) leave moments after it does,
    // each once it sees its channel close: closed means none of them is left.
    await groupGone(this.#process, graceMs);
  }

  /** Attaches to each worker the page starts, without pausing it, so that it can be reached (see `workers`). */
  async #followWorkers(): Promise<void> {
    this.on('Target.attachedToTarget', (p) => {
      if ((p.targetInfo as { type?: string } | undefined)?.type === 'worker') this.#workers.add(p.sessionId as string);
    });
    this.on('Target.detachedFromTarget', (p) => this.#workers.delete(p.sessionId as string));
    await this.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  }

  #watch(target: string, onLost: BrowserTabOptions['onLost']): void {
    let told = false;
    const lost = (why: 'crashed' | 'exited') => {
      if (told || this.#closing) return;
      told = true;
      onLost?.(why);
    };
    this.#cdp.on('Target.targetCrashed', (params) => {
      if (params.targetId !== target) return;
      this.#cdp.failSession(this.#session, new CdpError('the page crashed'));
      lost('crashed');
    });
    this.#cdp.onClose(() => lost('exited'));
  }
}

const LAUNCH_TIMEOUT_MS = 60_000;

/** Kills the browser and every process it started (its process group: it was spawned detached). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL'); // the group is gone already, or was never made
  }
}

/**
 * Resolves once no process of the browser's group is left running, killing the group when some still are
 * after `graceMs`. Read from /proc, where an exited helper that nobody reaped yet is only a zombie.
 */
async function groupGone(child: ChildProcess, graceMs: number): Promise<void> {
  const group = child.pid;
  if (group === undefined) return;
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (groupMembers(group).length > 0) {
    if (!killed && Date.now() >= deadline) {
      killed = true;
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        return; // it emptied in between
      }
    } else if (killed && Date.now() >= deadline + graceMs) {
      return; // SIGKILL cannot be refused: what is listed still is on its way out
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The target id of the browser's first page, once it exists. */
async function firstPage(cdp: CdpConnection): Promise<string> {
  // Target events (crashes among them) are reported from here on.
  await cdp.send('Target.setDiscoverTargets', { discover: true });
  for (let attempt = 0; attempt < 100; attempt++) {
    const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
    const page = targetInfos.find((t) => t.type === 'page');
    if (page) return page.targetId;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CdpError('the browser opened no page');
}
