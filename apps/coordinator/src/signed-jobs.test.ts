// Signed jobs through a real coordinator: the first signed job publishes the project's key, later jobs must be
// signed by it, leases carry the signature, and a job whose code was swapped in the database after it was
// signed fails the check every volunteer makes (runtime's JobVerifier runs the same protocol function).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API,
  type CreateJobRequest,
  generateSigningKeyPair,
  jobSignatureProblem,
  type LeasedJob,
  type ProjectId,
  ProjectList,
  signJob,
} from '@bricolage/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from './clock';
import { type Coordinator, startCoordinator } from './server';
import { Researcher, squareJob } from './testing/fixtures';
import { SimVolunteer } from './testing/sim-volunteer';
import { tamperJobShader } from './testing/tamper';

describe('signed jobs', () => {
  let dir: string;
  let coordinator: Coordinator;
  let researcher: Researcher;
  let project: ProjectId;
  const start = () => startCoordinator({ dataDir: dir, port: 0, random: seededRandom(9) });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-signed-'));
    coordinator = await start();
    const made = await coordinator.createProject('signed');
    project = made.project;
    researcher = new Researcher(coordinator.url, made.token);
  });

  afterEach(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publishedKey = async () => {
    const list = ProjectList.parse(await (await fetch(coordinator.url + API.projects)).json());
    return list.projects.find((p) => p.id === project)?.signingKey;
  };
  const signed = async (key: CryptoKeyPair & { publicKeyText: string }, over: Partial<CreateJobRequest> = {}) => {
    const job = squareJob(over);
    return { ...job, signature: await signJob(key.privateKey, key.publicKeyText, { ...job, project }) };
  };
  const create = (job: CreateJobRequest) => researcher.request('POST', API.jobs, JSON.stringify(job));
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('publishes the key of the first signed job, and then refuses jobs not signed by it', async () => {
    const key = await generateSigningKeyPair();
    const other = await generateSigningKeyPair();
    await researcher.createSquareJob({ name: 'before any key' });
    expect(await publishedKey()).toBeNull();

    await researcher.createSquareJob((await signed(key, { name: 'first signed' })) as Partial<CreateJobRequest>);
    expect(await publishedKey()).toBe(key.publicKeyText);

    const unsigned = await create(squareJob({ name: 'unsigned' }));
    expect(unsigned.status).toBe(401);
    expect(await errorOf(unsigned)).toMatchObject({
      code: 'bad_signature',
      message: expect.stringMatching(/not signed/),
    });
    const foreign = await create(await signed(other, { name: 'other key' }));
    expect(await errorOf(foreign)).toMatchObject({
      code: 'bad_signature',
      message: expect.stringMatching(/not its project's key/),
    });
    const tampered = await signed(key, { name: 'tampered' });
    const lying = await create({ ...tampered, name: 'renamed after signing' });
    expect(await errorOf(lying)).toMatchObject({
      code: 'bad_signature',
      message: expect.stringMatching(/not what its project signed/),
    });
    expect((await create(await signed(key, { name: 'second signed' }))).status).toBe(200);
    expect(await publishedKey()).toBe(key.publicKeyText);
  });

  it('leases carry the signature; after a swap of the shader in the database they fail the volunteers’ check', async () => {
    const key = await generateSigningKeyPair();
    const job = await researcher.createSquareJob((await signed(key)) as Partial<CreateJobRequest>);
    await researcher.addSquares(job, 1, 2);
    const volunteer = await SimVolunteer.create(coordinator.url);
    const check = async (leased: LeasedJob) => jobSignatureProblem(leased, (await publishedKey()) ?? null);

    const before = await volunteer.lease(1);
    expect(before.jobs[0]!.signature?.key).toBe(key.publicKeyText);
    expect(await check(before.jobs[0]!)).toBeNull();

    await coordinator.close();
    tamperJobShader(dir, job, 'f'.repeat(64));
    coordinator = await start();
    const after = await (await SimVolunteer.create(coordinator.url)).lease(1);
    expect(after.jobs[0]!.spec).toMatchObject({ shader: 'f'.repeat(64) });
    expect(await check(after.jobs[0]!)).toMatch(/its code or settings are not what its project signed/);
  });
});
