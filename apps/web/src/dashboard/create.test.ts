import { describe, expect, it } from 'vitest';
import { analyse, refusalAdvice } from './create';

const picked = (path: string, text: string) => ({ path, file: new File([text], path.split('/').pop()!) });
const noCheck = async () => {
  throw new Error('no WGSL check in this test');
};

describe('analyse', () => {
  it('says where job.json stops being JSON as a line and column, not a character position', async () => {
    const manifest = '{\n  "name": "squares",\n  "spec": { kind: "wgsl" }\n}\n';
    const analysis = await analyse([picked('job/job.json', manifest)], noCheck);
    expect(analysis).toMatchObject({ status: 'invalid' });
    const problem = (analysis as { problem: string }).problem;
    expect(problem).toMatch(/^job\/job\.json is not valid JSON: line 3, column 13: /);
    expect(problem).not.toContain('position');
  });

  it('refuses a file over 256 MiB by name and size before reading it', async () => {
    const manifest = JSON.stringify({
      name: 'big',
      spec: { kind: 'onnx', model: 'model.onnx' },
      redundancy: { minQuorum: 1 },
    });
    const model = picked('job/model.onnx', '');
    // A File of 300 MiB would be 300 MiB in this process: one that says so, whose bytes must never be read.
    Object.defineProperty(model.file, 'size', { value: 300 * 2 ** 20 });
    Object.defineProperty(model.file, 'arrayBuffer', {
      value: () => Promise.reject(new Error('the oversized file was read')),
    });
    const analysis = await analyse([picked('job/job.json', manifest), model], noCheck);
    expect(analysis).toMatchObject({ status: 'invalid' });
    expect((analysis as { problem: string }).problem).toContain('model.onnx, which is 300.0 MiB');
  });
});

describe('refusalAdvice', () => {
  it('does not blame the files when the job needed a signature this browser cannot make', () => {
    const advice = refusalAdvice({ status: 401, code: 'bad_signature', message: 'job refused: it is not signed' });
    expect(advice).not.toMatch(/Fix the files/);
    expect(advice).toMatch(/bricolage job create/);
    expect(refusalAdvice({ status: 400, code: 'bad_request', message: 'binding 2 is missing' })).toBe(
      'Nothing was created. Fix the files and drop them again.',
    );
  });
});
