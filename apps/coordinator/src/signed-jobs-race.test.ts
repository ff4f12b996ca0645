// A project's key is the key of its first signed job. Two first signed jobs sent at once, by two keys, both passed
// when the check read the project's jobs before either was created: the project then held jobs of two keys (and
// its volunteers would refuse one of them). The check now runs in the transaction that creates the job, the
// project held: on every store, one of the two is refused.
import { API, type CreateJobRequest, generateSigningKeyPair, ProjectList, signJob } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { seededRandom } from './clock';
import { sha256Hex } from './hash';
import { describeBackends } from './testing/backends';
import { SQUARE_WGSL, squareJob } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';

describeBackends('the first signed jobs of a project, sent at once', (backend) => {
  const grid = useGrid(backend, { name: 'signing-race', start: () => ({ random: seededRandom(11), project: 'race' }) });

  it('admits one key: the job signed by the other is refused, and every job left is signed by the published key', async () => {
    const signed = async (name: string) => {
      const key = await generateSigningKeyPair();
      const job = squareJob({ name });
      const signature = await signJob(key.privateKey, key.publicKeyText, { ...job, project: grid.project });
      return { ...job, signature } as CreateJobRequest;
    };
    // The shader's blob first: the jobs name it.
    const shader = new TextEncoder().encode(SQUARE_WGSL);
    expect(
      (await grid.researcher.request('PUT', API.blob(sha256Hex(shader)), shader, 'application/octet-stream')).ok,
    ).toBe(true);
    const jobs = await Promise.all([signed('by one'), signed('by another'), signed('by a third')]);
    const answers = await Promise.all(
      jobs.map((job) => grid.researcher.request('POST', API.jobs, JSON.stringify(job))),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401]);
    const list = ProjectList.parse(await (await fetch(grid.coordinator.url + API.projects)).json());
    const published = list.projects.find((p) => p.id === grid.project)?.signingKey;
    const admitted = jobs[answers.findIndex((a) => a.status === 200)];
    expect(published).toBe(admitted?.signature?.key);
    const kept = (await (await grid.researcher.request('GET', API.jobs)).json()) as {
      jobs: { definition?: { signature?: { key: string } }; signature?: { key: string } }[];
    };
    expect(kept.jobs).toHaveLength(1);
  });
});
