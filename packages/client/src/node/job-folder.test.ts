// A job folder on disk: a job.json that is not JSON is named by line and column; a file too big to upload is
// refused by name, with its size and the limit, not taken for a missing one. The big files are sparse
// (truncated up to size), so nothing of that size is written.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJob } from './job-folder';

const onnxJob = (model?: string) => ({
  name: 'j',
  spec: {
    kind: 'onnx',
    ...(model === undefined ? {} : { model }),
    inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
  },
  comparator: { kind: 'exact' },
  costPerWorkUnit: 1,
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bricolage-job-folder-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readJob', () => {
  it('says where job.json stops being JSON as file:line:column', async () => {
    writeFileSync(join(dir, 'job.json'), '{\n  "name": "j",\n  "spec": { "kind": "onnx", },\n}\n');
    expect(await readJob(dir)).toEqual({
      ok: false,
      error: {
        code: 'invalid_input',
        message: `${join(dir, 'job.json')}:3:29: not JSON (Expected double-quoted property name)`,
      },
    });
  });

  it('names a file over 256 MiB, its size and the limit, whether job.json names it or it is found by itself', async () => {
    writeFileSync(join(dir, 'big.onnx'), '');
    truncateSync(join(dir, 'big.onnx'), 300 * 1024 * 1024);
    const message =
      "names big.onnx, which is 300.0 MiB (314572800 bytes): a job's files may be at most 256 MiB each. Use a smaller file.";
    writeFileSync(join(dir, 'job.json'), JSON.stringify(onnxJob('big.onnx')));
    expect(await readJob(dir)).toEqual({
      ok: false,
      error: { code: 'invalid_input', message: `job.json: spec.model ${message}` },
    });
    writeFileSync(join(dir, 'job.json'), JSON.stringify(onnxJob()));
    expect(await readJob(dir)).toMatchObject({ ok: false, error: { message: `job.json: spec.model ${message}` } });
  });
});
