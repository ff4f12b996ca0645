// What the page claims, and what a volunteer refuses, in real Chromium: the project list describes each job's
// checking as its own settings give it and shows the key its jobs are signed with; a signed job runs and the
// page names its signer; and when the job's shader hash is swapped in the coordinator's database after it was
// signed, every volunteer refuses it before fetching or running anything, and says so; and a key seen once is
// kept across visits, so a coordinator that drops it in between gets no unsigned job run.
import type { Coordinator } from '@bricolage/coordinator';
import {
  API,
  type CreateJobRequest,
  checkingOf,
  describeChecking,
  generateSigningKeyPair,
  type Job,
  type JobId,
  type JobProgress,
  keyFingerprint,
  sha256Hex,
  signJob,
  toBase64,
  utf8,
} from '@bricolage/protocol';
import type { Browser, Page } from '@playwright/test';
import { expect, jobCounts, openPage, test } from './support';

interface Seeded {
  readonly project: string;
  readonly token: string;
  readonly jobs: string[];
}

/** A project with primes jobs of the given settings, each signed with `key`, through the public HTTP API. */
async function seedSigned(
  grid: Coordinator,
  key: Awaited<ReturnType<typeof generateSigningKeyPair>>,
  settings: readonly Partial<CreateJobRequest>[],
  units: number,
  name = 'Signed primes (test)',
): Promise<Seeded> {
  const { primes } = await import('@bricolage/workloads');
  const { buildJob } = await import('@bricolage/workloads/node');
  const { project, token } = await grid.createProject(name, 'Primes, signed.', 'The Bricolage tests');
  const auth = { authorization: `Bearer ${token}` };
  const params = { limit: units * 131072, segment: 131072 };
  const bundle = await buildJob(primes, params);
  for (const blob of bundle.blobs) {
    const res = await fetch(grid.url + API.blob(await sha256Hex(blob)), {
      method: 'PUT',
      headers: auth,
      body: blob as Uint8Array<ArrayBuffer>,
    });
    expect(res.ok).toBe(true);
  }
  const jobs: string[] = [];
  for (const [i, s] of settings.entries()) {
    const request = { ...bundle.request, name: `${bundle.request.name} #${i + 1}`, ...s };
    const signature = await signJob(key.privateKey, key.publicKeyText, { ...request, project });
    const created = await fetch(grid.url + API.jobs, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, signature }),
    });
    expect(created.status, await created.clone().text()).toBe(200);
    const id = ((await created.json()) as { id: string }).id;
    let body = '';
    for (const wu of primes.workUnits(params))
      body += `${JSON.stringify({ input: toBase64(wu.input), tag: wu.tag })}\n`;
    const added = await fetch(grid.url + API.workUnits(id), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(added.ok).toBe(true);
    jobs.push(id);
  }
  return { project, token, jobs };
}

/** The sentence the job's own settings give, read back as the researcher sees the job. */
async function settingsSentence(grid: Coordinator, token: string, job: string): Promise<string> {
  const res = await fetch(grid.url + API.job(job), { headers: { authorization: `Bearer ${token}` } });
  const { job: j, progress } = (await res.json()) as { job: Job; progress: JobProgress };
  return describeChecking(checkingOf(j.definition, progress.knownAnswer));
}

const quorum = (minQuorum: number) => ({
  redundancy: { minQuorum, maxTotalResults: Math.max(2, minQuorum), maxErrorResults: 2, homogeneous: false },
});

test('the page describes each job’s checking from its settings, names the key a job was signed with, and serves only the projects ticked', async ({
  page,
  scratch,
  startGrid,
}) => {
  const grid = await startGrid({ dataDir: await scratch('integrity-claims'), port: 0 });
  const key = await generateSigningKeyPair();
  const seeded = await seedSigned(
    grid,
    key,
    [
      { ...quorum(1), adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 } },
      { ...quorum(2), adaptive: { enabled: true, trustAfter: 12, spotCheckRate: 0.25 } },
      { ...quorum(3), adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 } },
    ],
    4,
  );
  // The quorum-1 job first in line; the others paused, so the tab computes the first alone.
  for (const job of seeded.jobs.slice(1))
    await fetch(grid.url + API.pause(job), { method: 'POST', headers: { authorization: `Bearer ${seeded.token}` } });
  // Another project, with work this volunteer could run, that it unticks.
  const other = await seedSigned(grid, await generateSigningKeyPair(), [quorum(1)], 4, 'Not for me (test)');
  await openPage(page, grid.url);
  const region = page.getByRole('region', { name: 'What runs here' });
  await expect(region.getByTestId('project-key').first()).toHaveText(
    `Jobs signed with the project’s key ${keyFingerprint(key.publicKeyText)}`,
  );
  await region.getByLabel('Not for me (test)').uncheck();
  await expect(region.getByLabel('Signed primes (test)')).toBeChecked();
  for (const job of seeded.jobs) {
    const sentence = await settingsSentence(grid, seeded.token, job);
    await expect(region.locator(`[data-job="${job}"]`)).toContainText(sentence);
  }
  await expect(region.locator(`[data-job="${seeded.jobs[0]}"]`)).toContainText(
    'Each result is accepted from a single volunteer, without a second opinion.',
  );

  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('signer')).toHaveText(
    `Code signed by the project’s key ${keyFingerprint(key.publicKeyText)}, checked before it ran.`,
  );
  await expect(page.getByTestId('stat-validated')).toHaveText('4', { timeout: 60_000 });
  expect(await jobCounts(grid, seeded.jobs[0]!)).toMatchObject({ validated: 4 });
  await expect(page.getByTestId('phase')).toHaveText('No work right now');
  expect(await jobCounts(grid, other.jobs[0]!)).toMatchObject({ unsent: 4, in_progress: 0, validated: 0 });
});

async function volunteerPage(browser: Browser, url: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await openPage(page, url);
  return page;
}

test('a job whose shader the coordinator swapped after signing is refused by every volunteer, with a clear message', async ({
  browser,
  scratch,
  startGrid,
}) => {
  const dataDir = await scratch('integrity-tamper');
  let grid = await startGrid({ dataDir, port: 0 });
  const key = await generateSigningKeyPair();
  const { token, jobs } = await seedSigned(grid, key, [quorum(2)], 4);
  const job = jobs[0]!;
  // The operator's substitute: a real shader, served by the coordinator, that the project never signed.
  const evil = utf8('@compute @workgroup_size(64) fn main() {}\n');
  const evilHash = await sha256Hex(evil);
  const put = await fetch(grid.url + API.blob(evilHash), {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}` },
    body: evil as Uint8Array<ArrayBuffer>,
  });
  expect(put.ok).toBe(true);
  await grid.close();
  const { tamperJobShader } = await import('@bricolage/coordinator');
  tamperJobShader(dataDir, job, evilHash);
  grid = await startGrid({ dataDir, port: 0 });

  const blobReads: string[] = [];
  const pages = [await volunteerPage(browser, grid.url), await volunteerPage(browser, grid.url)];
  for (const page of pages) {
    page.on('request', (r) => {
      if (r.url().includes('/v1/blobs/')) blobReads.push(r.url());
    });
    await page.getByRole('button', { name: 'Start' }).click();
  }
  for (const page of pages) {
    const notice = page.getByTestId('notice').filter({ hasText: 'A job was refused' });
    await expect(notice).toContainText(`refused job “${`Primes below ${4 * 131072} #1`}” (${job})`);
    await expect(notice).toContainText('its code or settings are not what its project signed');
    await expect(notice).toContainText('Nothing of it ran on this device.');
  }
  // Every unit refused by both volunteers: none computed, no asset fetched. A refusal is the job's fault, not
  // the volunteer's, and costs the unit nothing either (steps/validate.ts `onRefusal`): the units stay
  // unfinished, their refusals listed by code for the researcher.
  await expect.poll(async () => (await grid.store.activity(job as JobId, 10)).errors, { timeout: 60_000 }).toBe(8);
  expect((await grid.store.activity(job as JobId, 10)).errorCodes).toMatchObject([{ code: 'untrusted_job', count: 8 }]);
  expect(await jobCounts(grid, job)).toMatchObject({ validated: 0, failed: 0 });
  for (const page of pages) await expect(page.getByTestId('stat-computed')).toHaveText('0');
  expect(blobReads).toEqual([]);
  for (const page of pages) await page.context().close();
});

test('a project’s key is kept across visits: a coordinator that drops it in between gets no unsigned job run', async ({
  browser,
  scratch,
  startGrid,
}) => {
  const dataDir = await scratch('integrity-kept-key');
  let grid = await startGrid({ dataDir, port: 0 });
  // The same address after the restart: the page's database, and what it kept, belongs to its origin.
  const port = Number(new URL(grid.url).port);
  const key = await generateSigningKeyPair();
  const { project, token, jobs } = await seedSigned(grid, key, [quorum(1), quorum(1)], 2);
  const [first, second] = jobs as [string, string];
  const auth = { authorization: `Bearer ${token}` };
  await fetch(grid.url + API.pause(second), { method: 'POST', headers: auth });

  // First visit: the page runs the project's signed job, and keeps the key it was signed with.
  const context = await browser.newContext();
  const visit = await context.newPage();
  await openPage(visit, grid.url);
  await visit.getByRole('button', { name: 'Start' }).click();
  await expect(visit.getByTestId('signer')).toHaveText(
    `Code signed by the project’s key ${keyFingerprint(key.publicKeyText)}, checked before it ran.`,
  );
  await expect.poll(() => jobCounts(grid, first), { timeout: 60_000 }).toMatchObject({ validated: 2 });
  await visit.getByRole('button', { name: 'Stop' }).click();
  await visit.close();

  // Between the visits the operator drops the project's signatures: the list names no key, jobs go out unsigned.
  await grid.close();
  const { tamperDropSignatures } = await import('@bricolage/coordinator');
  tamperDropSignatures(dataDir, project);
  grid = await startGrid({ dataDir, port });
  const listed = (await (await fetch(grid.url + API.projects)).json()) as {
    projects: { id: string; signingKey: string | null }[];
  };
  expect(listed.projects.find((p) => p.id === project)?.signingKey).toBeNull();
  await fetch(grid.url + API.resume(second), { method: 'POST', headers: auth });

  // Second visit, same browser: the kept key holds, and the unsigned job is refused, saying why.
  const again = await context.newPage();
  await openPage(again, grid.url);
  await again.getByRole('button', { name: 'Start' }).click();
  const notice = again.getByTestId('notice').filter({ hasText: 'A job was refused' });
  await expect(notice).toContainText(`(${second}) of project ${project}: it is not signed`);
  await expect(notice).toContainText(
    'this volunteer holds the key it first saw for the project, and the coordinator now lists none',
  );
  await expect.poll(async () => (await grid.store.activity(second as JobId, 10)).errors, { timeout: 60_000 }).toBe(2);
  expect(await jobCounts(grid, second)).toMatchObject({ validated: 0 });

  // What the kept key stopped: a browser that never saw it is served the same job unsigned, and runs it.
  const stranger = await volunteerPage(browser, grid.url);
  await stranger.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => jobCounts(grid, second), { timeout: 60_000 }).toMatchObject({ validated: 2 });
  await stranger.context().close();
  await context.close();
});
