// The volunteer page's load-time JavaScript may not grow because the researcher dashboard exists: the dashboard
// is a page of its own (dashboard.html, its own entry chunk), and nothing of it (its modules, uPlot) may reach
// the page's chunks. Measured on fresh builds (not on whatever dist/ holds), gzip level 9 as bench:web does.
import { gzipSync } from 'node:zlib';
import { build, type InlineConfig, type Rolldown } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { dashboardConfig, pageConfig } from '../vite.config';

/**
 * The page's JS at load, gzip, on main c8f0f7e, the last build before the dashboard (bench:web, BENCHMARKS.md):
 * 117,887 B; then 119,690 B with the peer layer's page side (issue 14: session/peers.ts and the swarm in the view;
 * the Peers panel, packages/peer and the peer protocol's schemas load only after Start); then 120,698 B with what
 * the page says about integrity (issue 17: each job's checking, project keys and signers, a tick per project);
 * then 120,742 B with zod's jitless setting made to run first (public/zod-jitless.js, a classic script, and
 * `@bricolage/protocol/jitless` no longer dropped by `"sideEffects": false`); then 121,841 B with the wallet
 * (issue 19: earned, spent, balance recomputed from the verified entries, and the key's personal project);
 * then 121,945 B with the log's third kind of entry (an import of another grid's credit) in the receipt schema;
 * then 122,319 B with several grids (issue 19: the session's hooks for them and the farm's; the Other grids panel
 * and the grids' code load in a chunk of their own); then 122,349 B with the log entries' schemas built from one
 * shared header (a function the bundle keeps) and the receipt sync's check that it may sign in; then 122,398 B with
 * the words for adaptive replication saying what trust takes now (known answers, fading, re-checks: issue 17),
 * and the pipeline's "waiting" asking whether any leased unit is left; then 122,466 B with the receipt sync reading
 * the coordinator's counters on their own, not behind the verification of every new receipt; then 122,532 B with
 * receipts fetched a bounded number of pages a sync, what the page shows read after each page; then 122,565 B with
 * a sync asking before each request whether it may still ask in the volunteer's name; then 122,676 B with base64
 * through the browser's own codec where it has one (issue 15: decoding a cnn tab's inline inputs took 296 ms of
 * the page's main thread in a 6 s window, 50 ms through Uint8Array.fromBase64; BENCHMARKS.md, browser runtime);
 * then 122,679 B with the lease queue timing a lease's round trip and a unit's readiness apart to lease far enough
 * ahead (issue 15: physics duty 0.88-0.91 -> 0.92-0.94, BENCHMARKS.md "the lease's lead") and asking again after an
 * accepted submit only when the empty answer said the key was full; then 122,687 B with the replica state
 * `released` in the protocol's job schema (issue 15: a page's leases given back on pagehide and taken back on start, which let
 * the speed-sized room and the 256-unit hand-off back: cnn duty 0.47-0.62 -> 0.78, BENCHMARKS.md "both back");
 * then 122,857 B with what the page says made true (a review of its claims against the code: how a result is
 * checked, why there is no work, why a key is flagged, peers over WebRTC, ONNX models; BENCHMARKS.md); then
 * 122,864 B with a Start on battery paused before it starts (the other grids too), so that nothing is examined or
 * leased until the pause lifts; then 122,866 B with the protocol's bound on an ONNX tensor's bytes (1 GiB); then
 * 122,880 B with a start stopped while it waited for the battery not examining the device afterwards; then 122,883 B
 * with no change to the page's own code (the runtime chunk's content-hash name, which the entry names, compresses
 * 3 B worse); then 123,018 B with the tab leaving its peer rooms and holding its receipt syncs on battery; then
 * 123,044 B with the page saying so while paused on battery; then 123,045 B with the runtime chunk's new name;
 * then 123,124 B with `?project=` that is no project id said, not sent (the coordinator now refuses it in a lease);
 * then 123,232 B with the key-restore and receipts-import pickers refusing a file past 128 MiB by its size, before
 * reading it (`session/picked-file.ts`; `file.text()` of a multi-GB pick had failed or stalled the tab, unsaid);
 * then 123,251 B with a picked file the browser will not read (moved since it was picked) said, not thrown; then
 * 123,271 B with the footer's WebRTC sentence only when the grid's peers are on, and no peer room asked for then;
 * then 123,496 B with the headline credit the Wallet's balance and the receipts panel counting debits apart, as spent
 * (tallies of credit earned and spent, and the schema step that counts them again); then 123,644 B with the tallies
 * counting the failed entries by kind, so that the Other grids panel and the widget count only receipts that verify
 * (`heldTotals`, and the schema step that counts them again); then 123,669 B with the signalling messages' schemas
 * (`SignalRelay`, `RoomSignal` in the protocol's peer module, which the page loads for its onnxruntime file list);
 * then 123,822 B with buttons busy with their own request kept focusable (`whileBusy`, aria-disabled) and a pause shown
 * with its reason or none; 123,805 B once the signal gate was reverted (both were then reverted and relanded: 123,645 B
 * without them, 123,706 B with `whileBusy`, 123,805 B with the pause reason); then 123,839 B with a start that a Stop
 * overtook going no further (`Computing`: the widget host's Stop while the frame starts); then 123,837 B with the
 * runtime chunk's new name (a tab back from an outage asking for work at once); then 123,839 B with the heartbeat's
 * `jobs` in the protocol and the runtime chunk's new name (a page stops a cancelled job's units within seconds); then
 * 123,854 B with the signal gate relanded (its schemas, `SignalRelay` and `RoomSignal`); then 123,857 B with the names of
 * the chunks that changed (the runtime's lease trim, the peer's settling by sender); then 123,863 B with the Peers table
 * in four columns (its rate's number alone, `formatPerMinute`); then 123,942 B with each project's key kept across
 * visits (`projectKeys` in the settings, saved at a job's first verification); then 124,202 B with credit moved between
 * grids (the `export` entry's schema, which the page verifies, and the wallet's and receipts panel's words for it);
 * then 124,250 B with a project's key kept in one transaction (`keepProjectKey`: two tabs keep theirs side by side);
 * then 124,298 B with "Starting" held from Start until the runtime's own start (no "Not running" between); then
 * 124,362 B with credit moved between grids from the page (the runtime's `exportCredit`/`importCredit` and their answers'
 * schemas, the export's `requestId`, the well-known's `honouredLogs`); then 124,401 B with the home grid's honoured logs
 * read into the view with its key (the Move credit form offered only between grids that honour each other); then
 * 124,526 B with credit moved between grids counted apart, as moved in and out, not as receipts of work or as spent
 * (the receipts panel's head and `heldTotals`); then 124,904 B with another grid's well-known document and project
 * list checked against the protocol's schemas (in the grids' chunk, which the page loads later; the shared chunks it
 * split cost the page 363 B at load) and the page's public reads given up after 30 s unanswered; then 124,910 B with a
 * receipt sync asked for while one runs done again after it (the receipts of results a Stop delivered were missed); then
 * 124,911 B with the names of the chunks that changed (the runtime client's watchdog, the grids' moves split out of
 * `grids.ts`: nothing of them loads with the page); then 124,930 B with a blob's manifest asked for with a 30 s timeout
 * (a coordinator that never answered held a model's loading, its fallback to the coordinator's blob never reached);
 * then 124,509 B with what the runtime's events say of the jobs (session/job-events.ts) loaded with the runtime at the
 * first Start instead of with the page (the limit 21 B above it: the names of chunks loaded later move it by a few);
 * then 124,555 B with the receipts of results still waiting for their quorum fetched after a Stop (for at most
 * 10 minutes, while the coordinator counts some pending), where they came only with the next Start; then 124,585 B
 * with the coordinator's key read again whenever it answers after it did not, and a key backup not restored while
 * that key is unknown (its receipts were dropped); then 124,569 B with three of the page's sentences made true (no
 * "well under a second" for a Stop, no "see Your key" for a key held back, receipts for every validated result); then
 * 124,480 B with key backup and restore loaded after the first paint (session/key-backup.ts and the receipts
 * package's backup code, −170 B) and a restore refused while results computed with the key here wait in an outbox;
 * then 124,495 B with the browser asked to keep the site's storage at the first Start (navigator.storage.persist);
 * then 124,634 B with the page saying when the coordinator holds work back from the key (its recent errors, until
 * when; its results no longer counted) instead of "No work right now" (the lease answer's `heldBack`).
 * and, measured apart, 124,670 B (124,497 B just before) with results set aside shown after a reload and sent again by a
 * Retry button (the store's `outbox.retryAside`, `Computing.deliver('kept' | 'retry')`, the panel's words and button).
 * Both together, with a removed grid kept while it delivers (its chunk's new name): 124,819 B; then 124,867 B with the
 * outbox's two counts read in one transaction, without the results' bytes (`outbox.counts`, read at every load); then
 * 125,000 B (124,874 B just before, the chunks' names having moved) with every tab hearing the others' changes to the
 * outboxes (session/outbox-news.ts, loaded with the grids' chunk, which the page now awaits before Computing is made;
 * what stays at load is Computing's side: the news opened, the home outbox counted again on it); 125,015 B with an
 * unsure credit move settled by asking its grid for the request's id (+5 B measured apart, 124,874 → 124,879 B; the
 * rest is the chunks' names); 125,026 B with a tab that has no volunteer yet making one when another tab sets a result
 * aside (shown with its Retry, as a load would have shown it); 125,020 B with the device's and the key's views moved
 * from computing.ts to view.ts; +9 B, measured apart, with that unsure move's request settled for good (`POST
 * .../settle`: the export it made, or closed, the request refused should it land later), so that "did not go
 * through" stays true.
 * +224 B, measured apart (125,023 → 125,247 B), with the peer rooms following the
 * projects the volunteer serves, while started too (session/served-rooms.ts, `Peers` joining and leaving one room at a
 * time), where the grid's first four were joined whatever was unticked, and left at the press of Stop; 125,252 B
 * with all of the eighteenth session's changes together (the peer fixes' page parts, a fetch's one deadline over rooms).
 * Raise it only with a figure in BENCHMARKS.md that says what the page gained.
 */
const BEFORE_DASHBOARD_GZIP_BYTES = 125_268;

type Output = Rolldown.OutputChunk | Rolldown.OutputAsset;

async function outputOf(config: InlineConfig): Promise<Output[]> {
  const result = (await build({
    ...config,
    logLevel: 'silent',
    build: { ...config.build, write: false, emptyOutDir: false, sourcemap: false },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
  return (Array.isArray(result) ? result : [result]).flatMap((o) => o.output);
}

const chunksOf = (output: Output[]) =>
  new Map(output.filter((o): o is Rolldown.OutputChunk => o.type === 'chunk').map((c) => [c.fileName, c]));

/** The chunks an HTML page loads before anything runs: its scripts and what they import statically. */
function loadedBy(output: Output[], page: string): Rolldown.OutputChunk[] {
  const html = output.find((o) => o.type === 'asset' && o.fileName === page);
  if (html?.type !== 'asset') throw new Error(`the build made no ${page}`);
  const chunks = chunksOf(output);
  const names = new Set([...String(html.source).matchAll(/\/assets\/([\w.-]+\.js)/g)].map((m) => `assets/${m[1]}`));
  for (const name of names) for (const next of chunks.get(name)?.imports ?? []) names.add(next);
  return [...names].map((name) => {
    const chunk = chunks.get(name);
    if (!chunk) throw new Error(`${page} loads ${name}, which the build did not make`);
    return chunk;
  });
}

const isDashboardModule = (id: string) => /[\\/]src[\\/]dashboard[\\/]|[\\/]node_modules[\\/]uplot[\\/]/.test(id);

describe('the volunteer page and the dashboard', () => {
  let page: Output[] = [];
  let dashboard: Output[] = [];

  beforeAll(async () => {
    // Vitest sets NODE_ENV=test, and Vite keeps a NODE_ENV it finds: React's development build would be measured.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      page = await outputOf(pageConfig);
      dashboard = await outputOf(dashboardConfig);
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  }, 300_000);

  it(`the page loads at most ${BEFORE_DASHBOARD_GZIP_BYTES} bytes of JS (gzip), what it loaded before the dashboard`, () => {
    const loaded = loadedBy(page, 'index.html');
    const gzip = loaded.reduce((sum, chunk) => sum + gzipSync(chunk.code, { level: 9 }).length, 0);
    console.log(`volunteer page JS at load: ${loaded.map((c) => c.fileName).join(', ')}: ${gzip} bytes gzip`);
    // The real page: React and the session are in it.
    expect(loaded.some((c) => c.moduleIds.some((id) => id.includes('react-dom')))).toBe(true);
    expect(gzip).toBeLessThanOrEqual(BEFORE_DASHBOARD_GZIP_BYTES);
  });

  it('nothing of the dashboard is in any chunk of the page, loaded at once or later', () => {
    const modules = [...chunksOf(page).values()].flatMap((c) => c.moduleIds);
    expect(modules.length).toBeGreaterThan(100);
    expect(modules.filter(isDashboardModule)).toEqual([]);
  });

  it('the dashboard has an entry chunk of its own, with its screens and uPlot', () => {
    const loaded = loadedBy(dashboard, 'dashboard.html');
    const entry = loaded.find((c) => c.isEntry);
    expect(entry?.fileName).toMatch(/^assets\/dashboard-[\w-]+\.js$/);
    const modules = loaded.flatMap((c) => c.moduleIds);
    expect(modules.some((id) => id.endsWith('src/dashboard/main.tsx'))).toBe(true);
    expect(modules.some((id) => /[\\/]uplot[\\/]/.test(id))).toBe(true);
    // Its files are not the page's: the two builds share no chunk name.
    const pageFiles = new Set(chunksOf(page).keys());
    expect(loaded.filter((c) => pageFiles.has(c.fileName))).toEqual([]);
  });
});
