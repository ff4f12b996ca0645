// `bricolage ocr DIR --out FILE`: the OCR workload's two stages for a folder of page images. Detection runs
// as one job (a unit per page, or per overlapping tile of a large page); when the grid has validated it, this
// command turns the agreed probability maps into line boxes and line images (a long line cut into pieces) and
// runs recognition as a second job; then it decodes the agreed class
// indices into text and writes each page's lines with their boxes. Everything between the stages happens
// here, on the researcher's machine, from validated results only (docs/ARCHITECTURE.md, Two-stage jobs).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { newUploadId, uploadWorkUnits, workUnitLine } from '@bricolage/client';
import { fromBase64, type JobId } from '@bricolage/protocol';
import {
  type Box,
  decodePageImage,
  detectionJob,
  detectionTiles,
  type GreyImage,
  type JobBundle,
  planTexts,
  REC_BATCH,
  recognitionJob,
  recognitionPlan,
  tiledPageBoxes,
} from '@bricolage/workloads';
import { loadOcrModels, nodeZlib, type OcrModels } from '@bricolage/workloads/node';
import { explain, type Researcher } from '../connection';
import { outFileProblem, writeWholeFile } from '../out-file';
import { EXIT, type ExitCode } from '../exit';
import { Output } from '../io';
import { createSigned } from './job';
import { watch } from './watch';

/** A page may have this many pixels (an A4 page at 600 dpi has 35 million); more is refused before upload. */
export const MAX_PAGE_PIXELS = 40_000_000;
/** Files above this are not read at all. */
export const MAX_PAGE_BYTES = 64 * 1024 * 1024;

interface Page {
  readonly file: string;
  readonly image: GreyImage;
}

export interface PageText {
  readonly page: string;
  readonly width: number;
  readonly height: number;
  /** Each line's box in the page's pixels, [x0, y0, x1, y1), and its text, in reading order. */
  readonly lines: { readonly box: [number, number, number, number]; readonly text: string }[];
  /** A stage's unit for this page failed on the grid: its reason, and the page has no (or partial) text. */
  readonly failed?: string;
}

/** Every page image of the folder, decoded, or the first file that is not one a page can be. */
function readPages(dir: string): { ok: true; pages: Page[] } | { ok: false; message: string } {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => !n.startsWith('.'))
      .sort();
  } catch (error) {
    return { ok: false, message: `cannot read the folder ${dir}: ${(error as Error).message}` };
  }
  const pages: Page[] = [];
  for (const file of names) {
    const path = join(dir, file);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat?.isFile()) continue;
    if (stat.size > MAX_PAGE_BYTES)
      return {
        ok: false,
        message: `${file}: ${stat.size} bytes is more than a page image may have (${MAX_PAGE_BYTES})`,
      };
    const decoded = decodePageImage(new Uint8Array(readFileSync(path)), nodeZlib, MAX_PAGE_PIXELS);
    if (!decoded.ok) return { ok: false, message: `${file}: ${decoded.error.message}` };
    pages.push({ file, image: decoded.image });
  }
  if (pages.length === 0) return { ok: false, message: `${dir} holds no page images (PNG or JPEG files)` };
  return { ok: true, pages };
}

/** Stores the model, creates the job, uploads the units, and waits for the grid to finish it. */
async function runStage(
  out: Output,
  client: Researcher,
  bundle: JobBundle,
  units: { input: Uint8Array; tag: string }[],
): Promise<
  | { ok: true; job: JobId; outputs: Map<string, Uint8Array>; failed: Map<string, string> }
  | { ok: false; exit: ExitCode }
> {
  const call = out.io.signal ? { signal: out.io.signal } : {};
  for (const blob of bundle.blobs) {
    const stored = await client.putBlob(blob, call);
    if (!stored.ok) return { ok: false, exit: out.fail(stored.error, explain(stored.error, client)) };
  }
  const created = await createSigned(out, client, bundle.request);
  if (!created.ok) return { ok: false, exit: out.fail(created.error, created.hint) };
  const job = created.value.id;
  out.note(`job ${job} created: ${created.value.definition.name}, ${units.length} work units`);
  const uploaded = await uploadWorkUnits(
    client,
    job,
    units.map((u) => workUnitLine(u)),
    { ...call, uploadId: newUploadId(), batchUnits: 100 },
  );
  if (!uploaded.ok) return { ok: false, exit: out.fail(uploaded.error, explain(uploaded.error, client)) };
  const watched = await watch(stageOutput(out), client, job);
  if (watched !== EXIT.ok) {
    const message = `job ${job} (${created.value.definition.name}) did not complete`;
    return {
      ok: false,
      exit: out.fail({ code: 'conflict', message }, 'Its results so far stay on the coordinator.', watched),
    };
  }
  const outputs = new Map<string, Uint8Array>();
  const failed = new Map<string, string>();
  for await (const item of client.results(job, call)) {
    if (item.type === 'error') return { ok: false, exit: out.fail(item.error, explain(item.error, client)) };
    const { tag, state, output, reason } = item.line;
    if (tag === null) continue;
    if (state === 'validated' && output !== null) outputs.set(tag, fromBase64(output));
    else failed.set(tag, reason ?? state);
  }
  return { ok: true, job, outputs, failed };
}

/**
 * How a stage is watched: watch's live bar and notes on stderr as usual, but its closing summary, which is not
 * this command's result, on stderr too (and nowhere under --json, where stdout carries one line, the command's).
 */
const stageOutput = (out: Output): Output =>
  new Output({ ...out.io, stdout: out.json ? { write: () => true } : out.io.stderr }, false, out.json || out.quiet);

export async function ocr(
  out: Output,
  client: Researcher,
  dir: string,
  flags: { readonly out?: string | undefined; readonly name?: string | undefined },
): Promise<ExitCode> {
  const read = readPages(resolve(out.io.cwd, dir));
  if (!read.ok) return out.fail({ code: 'invalid_input', message: read.message }, 'Nothing was sent.');
  // Asked now, not when both stages are done: the grid's work (and the credit it cost) would be lost.
  const unwritable = flags.out ? outFileProblem(resolve(out.io.cwd, flags.out)) : null;
  if (unwritable) return out.fail({ code: 'invalid_input', message: `--out ${unwritable}` }, 'Nothing was sent.');
  let models: OcrModels;
  try {
    models = loadOcrModels();
  } catch (error) {
    return out.fail({ code: 'invalid_input', message: (error as Error).message }, 'Nothing was sent.');
  }
  const { pages } = read;
  const options = { name: flags.name ?? `OCR of ${dir}` };

  // A page larger than the detector's canvas is several units (overlapping tiles); a page's one unit keeps the
  // file's name as its tag, a tile's adds its number.
  const tiles = pages.map((p) => detectionTiles(p.image));
  const tileTag = (index: number, t: number) =>
    (tiles[index] ?? []).length === 1 ? (pages[index]?.file ?? '') : `${pages[index]?.file} tile ${t + 1}`;
  const detectionUnits = tiles.flatMap((own, index) =>
    own.map((tile, t) => ({ input: tile.input, tag: tileTag(index, t) })),
  );
  out.note(`stage 1 of 2: text detection on ${pages.length} pages (${detectionUnits.length} work units)`);
  const detection = await runStage(out, client, await detectionJob(models.detection, options), detectionUnits);
  if (!detection.ok) return detection.exit;

  const lines: { page: number; box: Box }[] = [];
  const detFailed = new Map<number, string>();
  pages.forEach((page, index) => {
    const own = tiles[index] ?? [];
    const maps = own.map((_, t) => detection.outputs.get(tileTag(index, t)));
    const why = own.map((_, t) => detection.failed.get(tileTag(index, t))).find((r) => r !== undefined);
    if (why !== undefined || maps.some((m) => m === undefined)) detFailed.set(index, why ?? 'no result');
    for (const box of tiledPageBoxes(maps, own, page.image)) lines.push({ page: index, box });
  });
  const texts: string[] = [];
  const recFailed = new Map<number, string>();
  let recognition: JobId | null = null;
  if (lines.length > 0) {
    // A line too long for the recogniser is read as several pieces, each a line of a unit.
    const plan = recognitionPlan(lines.map((l) => ({ page: (pages[l.page] as Page).image, box: l.box })));
    out.note(
      `stage 2 of 2: text recognition of ${lines.length} lines (${plan.units.length} work units of ${REC_BATCH} lines or pieces of lines)`,
    );
    const units = plan.units.map((input, i) => ({
      input,
      tag: `lines ${i * REC_BATCH}-${i * REC_BATCH + REC_BATCH - 1}`,
    }));
    const stage = await runStage(out, client, await recognitionJob(models.recognition, options), units);
    if (!stage.ok) return stage.exit;
    recognition = stage.job;
    const read = planTexts(
      plan,
      units.map((unit) => stage.outputs.get(unit.tag)),
      models.alphabet,
    );
    read.forEach((text, i) => {
      texts.push(text ?? '');
      const unit = plan.lines[i]?.units.find((u) => !stage.outputs.has(units[u]?.tag ?? ''));
      if (unit !== undefined) recFailed.set(i, stage.failed.get(units[unit]?.tag ?? '') ?? 'no result');
    });
  }

  const result: PageText[] = pages.map((page, index) => {
    const own = lines.map((l, i) => ({ ...l, i })).filter((l) => l.page === index);
    const why = detFailed.get(index) ?? own.map((l) => recFailed.get(l.i)).find((r) => r !== undefined);
    return {
      page: page.file,
      width: page.image.width,
      height: page.image.height,
      lines: own.map((l) => ({ box: [l.box.x0, l.box.y0, l.box.x1, l.box.y1], text: texts[l.i] ?? '' })),
      ...(why ? { failed: why } : {}),
    };
  });
  const text = result.map((p) => `${JSON.stringify(p)}\n`).join('');
  if (flags.out)
    try {
      writeWholeFile(resolve(out.io.cwd, flags.out), text);
    } catch (error) {
      // The file could be written when the command began; the pages are not lost for it now.
      out.io.stdout.write(text);
      return out.fail(
        { code: 'invalid_input', message: `could not write ${flags.out}: ${(error as Error).message}` },
        'The pages were written to stdout instead.',
      );
    }
  const failedPages = result.filter((p) => p.failed).length;
  return out.done(
    { detection: detection.job, recognition, pages: flags.out ? result.length : result, out: flags.out ?? null },
    [
      ...(flags.out ? [] : result.flatMap((p) => [`== ${p.page}`, ...p.lines.map((l) => l.text)])),
      `${pages.length} pages, ${lines.length} lines read (detection ${detection.job}, recognition ${recognition ?? 'none'})` +
        (failedPages > 0 ? `; ${failedPages} pages failed on the grid (see "failed" in the output)` : '') +
        (flags.out ? `; written to ${flags.out}` : ''),
    ],
  );
}
