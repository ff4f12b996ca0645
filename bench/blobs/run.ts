// `npm run bench:blobs`: the coordinator's resident memory while it takes one large blob upload and then
// serves it to several readers at once, against its idle RSS (goal: peak under 8 concurrent 100 MiB
// downloads < 2× idle). The coordinator runs as a child process (its `npm start` entry, fresh data
// directory, no demo) so its memory is its own; the client generates the blob on the fly and hashes what
// it downloads, holding neither whole.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API } from '@bricolage/protocol';
import { systemClock } from '../../apps/coordinator/src/clock';
import { DEFAULT_CONFIG } from '../../apps/coordinator/src/config';
import { createProject, openStore } from '../../apps/coordinator/src/server';
import { ChildCoordinator } from '../../apps/coordinator/src/testing/child-coordinator';

const { values: args } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '100' },
    readers: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});

const MIB = 1024 * 1024;
const size = Number(args['size-mib']) * MIB;
const readers = Number(args.readers);
const log = (line: string) => {
  if (!args.json) console.log(line);
};

/** Chunk `i` of the blob: 1 MiB, different from its neighbours, made on demand. */
const chunk = (i: number) => new Uint8Array(Math.min(MIB, size - i * MIB)).fill((i * 37 + 11) & 0xff);

function blobBody(): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i * MIB >= size) return controller.close();
      controller.enqueue(chunk(i++));
    },
  });
}

/** One download on its own socket, hashed as it arrives; resolves with the hash. */
function download(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode}`));
      const digest = createHash('sha256');
      res.on('data', (d: Buffer) => digest.update(d));
      res.on('end', () => resolve(digest.digest('hex')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resets the child's peak RSS (VmHWM) to its current RSS, so each phase's peak is its own. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    // Not permitted here: later peaks then include earlier phases, which only overstates them.
    return false;
  }
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

async function main(): Promise<void> {
  const load = loadavg()[0] as number;
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-bench-blobs-'));
  let child: ChildCoordinator | null = null;
  try {
    const offline = await openStore(dir, DEFAULT_CONFIG, Math.random);
    const { token } = await createProject(offline, systemClock, 'bench');
    await offline.close();
    const started = await ChildCoordinator.start({ dataDir: dir });
    child = started.child;
    const url = started.url;

    const digest = createHash('sha256');
    for (let i = 0; i * MIB < size; i++) digest.update(chunk(i));
    const hash = digest.digest('hex');
    // Load the routes' code before taking the baseline.
    await (await fetch(url + API.blob('0'.repeat(64)))).arrayBuffer();
    const idle = child.rssBytes();
    log(`coordinator idle: ${mb(idle)} MB RSS`);

    const peakReset = resetPeak(child.pid);
    let t = performance.now();
    const put = await fetch(url + API.blob(hash), {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: blobBody(),
      duplex: 'half',
    } as RequestInit);
    if (put.status !== 200) throw new Error(`upload: ${put.status} ${await put.text()}`);
    await put.arrayBuffer();
    const uploadSeconds = (performance.now() - t) / 1000;
    const uploadPeak = child.peakRssBytes();
    log(`upload of ${args['size-mib']} MiB: ${uploadSeconds.toFixed(1)} s, peak ${mb(uploadPeak)} MB RSS`);

    resetPeak(child.pid);
    const before = child.rssBytes();
    t = performance.now();
    const hashes = await Promise.all(Array.from({ length: readers }, () => download(url + API.blob(hash))));
    const downloadSeconds = (performance.now() - t) / 1000;
    if (hashes.some((h) => h !== hash)) throw new Error('a download did not hash to the blob');
    const downloadPeak = child.peakRssBytes();
    log(
      `${readers} concurrent downloads: ${downloadSeconds.toFixed(1)} s (${((readers * size) / MIB / downloadSeconds).toFixed(0)} MiB/s in all), peak ${mb(downloadPeak)} MB RSS (${mb(before)} MB before)`,
    );
    const ratio = downloadPeak / idle;
    log(`peak ÷ idle: ${ratio.toFixed(2)} (goal < 2)`);
    if (args.json)
      console.log(
        JSON.stringify({
          size_mib: Number(args['size-mib']),
          readers,
          idle_rss_mb: mb(idle),
          upload_peak_rss_mb: mb(uploadPeak),
          download_peak_rss_mb: mb(downloadPeak),
          peak_over_idle: Math.round(ratio * 100) / 100,
          upload_s: Math.round(uploadSeconds * 10) / 10,
          download_s: Math.round(downloadSeconds * 10) / 10,
          peak_reset: peakReset,
          load_at_start: Math.round(load * 10) / 10,
        }),
      );
  } finally {
    await child?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
